package fakeaws

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
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
	// Sets are inputs the schema holds as sets (TypeSet): their order is no
	// change. A dotted path names a set inside an object input.
	Sets []string
	// Source is the file of hashicorp/terraform-provider-aws the rule was
	// read from.
	Source string
}

// initErrorKey is the engine's name for a replacement caused by the old
// resource's initialization errors (pkg/resource/deploy/step_generator.go):
// with it in replaceOnChanges, a resource whose create failed part-way is
// replaced on the next update instead of being "continued" by an update.
const initErrorKey = "#initerror"

// replacement returns the inputs whose change forces the replacement of a
// deployed resource (old) by what a run declares (new): from its type's
// rule, and from new's own replaceOnChanges option, which also replaces an
// old resource that failed its initialization when it names
// "#initerror" (or "*"). A type with no rule is an error, so each new
// resource type gets its rule written down when it is first used.
func replacement(old, new Resource) ([]string, error) {
	keys, err := forcedKeys(new.Type, old.Inputs, new.Inputs, new.ReplaceOnChanges)
	if err == nil && old.InitErrors && (slices.Contains(new.ReplaceOnChanges, initErrorKey) || slices.Contains(new.ReplaceOnChanges, "*")) {
		keys = append(keys, initErrorKey)
	}
	return keys, err
}

func forcedKeys(token string, old, new resource.PropertyMap, replaceOnChanges []string) ([]string, error) {
	rule, ok := replaceRules[token]
	if !ok {
		if !strings.HasPrefix(token, "aws:") {
			return nil, nil
		}
		return nil, fmt.Errorf("fakeaws: no replacement rule for %s; add one to internal/fakeaws/replace_rules.go from terraform-provider-aws's schema", token)
	}
	var keys []string
	for _, k := range changedKeys(token, old, new) {
		if slices.Contains(rule.ForceNew, k) || slices.Contains(replaceOnChanges, k) || slices.Contains(replaceOnChanges, "*") {
			keys = append(keys, k)
		}
	}
	if rule.CustomizeDiff != nil {
		for _, k := range rule.CustomizeDiff(plain(asSets(token, old)), plain(asSets(token, new))) {
			if !slices.Contains(keys, k) {
				keys = append(keys, k)
			}
		}
	}
	sort.Strings(keys)
	return keys, nil
}

// changedKeys are the top-level inputs of a resource of type token that
// differ, sorted; a set input whose elements only moved has not changed.
func changedKeys(token string, old, new resource.PropertyMap) []string {
	old, new = asSets(token, old), asSets(token, new)
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

// sameInputs reports whether a resource of type token has the same inputs,
// its sets compared as sets.
func sameInputs(token string, a, b resource.PropertyMap) bool {
	return len(changedKeys(token, a, b)) == 0
}

// asSets returns props with each of the type's set inputs sorted, so that
// comparing two of them ignores the sets' order.
func asSets(token string, props resource.PropertyMap) resource.PropertyMap {
	paths := replaceRules[token].Sets
	if len(paths) == 0 || props == nil {
		return props
	}
	out := props.Copy()
	for _, path := range paths {
		sortSetAt(out, strings.Split(path, "."))
	}
	return out
}

func sortSetAt(props resource.PropertyMap, path []string) {
	v, ok := props[resource.PropertyKey(path[0])]
	switch {
	case !ok:
	case len(path) > 1 && v.IsObject():
		inner := v.ObjectValue().Copy()
		sortSetAt(inner, path[1:])
		props[resource.PropertyKey(path[0])] = resource.NewObjectProperty(inner)
	case len(path) == 1 && v.IsArray():
		items := append([]resource.PropertyValue(nil), v.ArrayValue()...)
		sort.SliceStable(items, func(i, j int) bool { return fmt.Sprint(items[i].Mappable()) < fmt.Sprint(items[j].Mappable()) })
		props[resource.PropertyKey(path[0])] = resource.NewArrayProperty(items)
	}
}
