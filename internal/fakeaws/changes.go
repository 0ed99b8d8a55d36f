package fakeaws

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
	// Replaced maps each changed resource that the change replaces to the
	// input keys that force it (AWS's rules in replace_rules.go, and the
	// resource's replaceOnChanges); the others are updated in place.
	Replaced map[string][]string
}

// None reports whether the runs declared the same resources with the same
// inputs.
func (c Changes) None() bool {
	return len(c.Added) == 0 && len(c.Removed) == 0 && len(c.Changed) == 0
}

func (c Changes) String() string {
	return fmt.Sprintf("added %v, removed %v, changed %v, replaced %v", c.Added, c.Removed, c.Changed, c.Replaced)
}

// Changes compares the last run with the one before it on the same AWS.
func (m *AWS) Changes() Changes {
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
	c := Changes{Changed: map[string][]string{}, Replaced: map[string][]string{}}
	for key, r := range a {
		old, ok := b[key]
		if !ok {
			c.Added = append(c.Added, key)
			continue
		}
		// A type without a rule failed the run that declared it.
		forced, _ := replacement(old, r)
		keys := changedKeys(r.Type, old.Inputs, r.Inputs)
		if len(keys) == 0 {
			continue
		}
		c.Changed[key] = keys
		if len(forced) > 0 {
			c.Replaced[key] = forced
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
