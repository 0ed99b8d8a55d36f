package mocks

import (
	"fmt"
	"sort"
)

// Changes is what one run did to the resources the run before declared,
// each named "<type> <name>".
type Changes struct {
	Added, Removed []string
	// Changed maps each resource whose inputs differ to the input keys
	// that differ.
	Changed map[string][]string
}

// None reports whether the runs declared the same resources with the same
// inputs.
func (c Changes) None() bool {
	return len(c.Added) == 0 && len(c.Removed) == 0 && len(c.Changed) == 0
}

func (c Changes) String() string {
	return fmt.Sprintf("added %v, removed %v, changed %v", c.Added, c.Removed, c.Changed)
}

// Changes compares the last run with the one before it on the same Mocks.
func (m *Mocks) Changes() Changes {
	m.mu.Lock()
	defer m.mu.Unlock()
	return Compare(m.previous, m.resources)
}

// Compare reports, by type and name, which resources appeared, disappeared
// or changed inputs between two runs.
func Compare(before, after []Resource) Changes {
	index := func(rs []Resource) map[string]Resource {
		out := make(map[string]Resource, len(rs))
		for _, r := range rs {
			out[r.Type+" "+r.Name] = r
		}
		return out
	}
	b, a := index(before), index(after)
	c := Changes{Changed: map[string][]string{}}
	for key, r := range a {
		old, ok := b[key]
		if !ok {
			c.Added = append(c.Added, key)
			continue
		}
		var keys []string
		for k := range r.Inputs {
			if v, ok := old.Inputs[k]; !ok || !v.DeepEquals(r.Inputs[k]) {
				keys = append(keys, string(k))
			}
		}
		for k := range old.Inputs {
			if _, ok := r.Inputs[k]; !ok {
				keys = append(keys, string(k))
			}
		}
		if len(keys) > 0 {
			sort.Strings(keys)
			c.Changed[key] = keys
		}
	}
	for key := range b {
		if _, ok := a[key]; !ok {
			c.Removed = append(c.Removed, key)
		}
	}
	sort.Strings(c.Added)
	sort.Strings(c.Removed)
	return c
}
