package mocks

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// A change to a deployed resource is one of these, as `pulumi preview`
// shows it.
const (
	// Update changes the resource in place.
	Update = "update"
	// Replace creates a new resource and deletes the old one: after the new
	// one exists unless the resource asks for delete-before-replace.
	Replace = "replace"
)

// replaceRule says which input changes make the Terraform provider behind
// pulumi-aws (and so Pulumi) replace a resource instead of updating it.
type replaceRule struct {
	// ForceNew are the top-level inputs whose schema says ForceNew (or a
	// plan modifier RequiresReplace): any change to them replaces.
	ForceNew []string
	// CustomizeDiff is a rule of the resource's CustomizeDiff that forces a
	// replacement from how its inputs changed; it returns the inputs to
	// blame, or none.
	CustomizeDiff func(old, new map[string]any) []string
	// Source is the file of hashicorp/terraform-provider-aws (or of
	// pulumi/pulumi-awsx) the rule was read from.
	Source string
}

// replacement returns the inputs whose change forces the replacement of a
// deployed resource (old) by what a run declares (new): from its type's
// rule, and from new's own replaceOnChanges and replacementTrigger options
// (the trigger reported as "replacementTrigger"). A type with no rule is an
// error, so each new resource type gets its rule written down when it is
// first used.
func replacement(old, new Resource) ([]string, error) {
	keys, err := forcedKeys(new.Type, old.Inputs, new.Inputs, new.ReplaceOnChanges)
	if err == nil && !sameValue(old.ReplacementTrigger, new.ReplacementTrigger) {
		keys = append(keys, "replacementTrigger")
	}
	return keys, err
}

func forcedKeys(token string, old, new resource.PropertyMap, replaceOnChanges []string) ([]string, error) {
	rule, ok := replaceRules[token]
	if !ok {
		if !strings.HasPrefix(token, "aws:") {
			return nil, nil
		}
		return nil, fmt.Errorf("mocks: no replacement rule for %s; add one to internal/mocks/replace_rules.go from terraform-provider-aws's schema", token)
	}
	var keys []string
	for _, k := range changedKeys(old, new) {
		if slices.Contains(rule.ForceNew, k) || slices.Contains(replaceOnChanges, k) || slices.Contains(replaceOnChanges, "*") {
			keys = append(keys, k)
		}
	}
	if rule.CustomizeDiff != nil {
		for _, k := range rule.CustomizeDiff(plain(old), plain(new)) {
			if !slices.Contains(keys, k) {
				keys = append(keys, k)
			}
		}
	}
	sort.Strings(keys)
	return keys, nil
}

// changedKeys are the top-level inputs that differ, sorted.
func changedKeys(old, new resource.PropertyMap) []string {
	var keys []string
	for k, v := range new {
		if o, ok := old[k]; !ok || !o.DeepEquals(v) {
			keys = append(keys, string(k))
		}
	}
	for k := range old {
		if _, ok := new[k]; !ok {
			keys = append(keys, string(k))
		}
	}
	sort.Strings(keys)
	return keys
}

// removedFrom reports whether any element of the list old[key] is missing
// from new[key]: the shape of the load balancer rules that replace a
// Network Load Balancer losing a subnet.
func removedFrom(old, new map[string]any, key string) bool {
	before, _ := old[key].([]any)
	after, _ := new[key].([]any)
	for _, v := range before {
		if !slices.ContainsFunc(after, func(w any) bool { return sameValue(v, w) }) {
			return true
		}
	}
	return false
}

// sameValue compares two plain input values.
func sameValue(a, b any) bool {
	return resource.NewPropertyValue(a).DeepEquals(resource.NewPropertyValue(b))
}
