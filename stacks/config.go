package stacks

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"
	"github.com/texttheater/golang-levenshtein/levenshtein"
)

// namespace is the config namespace of every project key: the project name.
const namespace = "private-apis"

// keysRead is every key a reader has read in this process, so a test can
// show each key Pulumi.yaml declares is read by some role.
var keysRead sync.Map

// configReader reads typed values and collects every problem, so a user
// fixes all of them in one go rather than one per `pulumi up`.
//
// Pulumi.yaml is the one source of the keys and their defaults: the reader
// loads it from the project directory, reads only keys it declares, and
// takes defaults from the CLI, which passes Pulumi.yaml's.
type configReader struct {
	cfg      *config.Config
	declared map[string]workspace.ProjectConfigType
	errs     []error
}

// newConfigReader loads the project's declarations and records, as the
// first problems, every key of the project's namespace the stack sets that
// Pulumi.yaml does not declare.
func newConfigReader(ctx *pulumi.Context) (*configReader, error) {
	root := ctx.RootDirectory()
	if root == "" {
		root = "."
	}
	path := filepath.Join(root, "Pulumi.yaml")
	proj, err := workspace.LoadProject(path)
	if err != nil {
		return nil, fmt.Errorf("reading the project's config keys from %s: %w; run pulumi from the project directory", path, err)
	}
	r := &configReader{cfg: config.New(ctx, namespace), declared: proj.Config}
	r.refuseUndeclared(stackConfigKeys())
	for _, old := range slices.Sorted(maps.Keys(renamedKeys)) {
		r.renamed(old, renamedKeys[old], renamedWhy)
	}
	return r, nil
}

// stackConfigKeys are the config keys the stack sets, as the Go language
// host passes them to the program in PULUMI_CONFIG (constructEnv in
// pulumi/pulumi sdk/go/pulumi-language-go/main.go). The SDK offers no way
// to list them, so a host that passes config some other way (an inline
// Automation API program, unit tests) gets no check here.
func stackConfigKeys() []string {
	raw := os.Getenv(pulumi.EnvConfig)
	if raw == "" {
		return nil
	}
	var cfg map[string]string
	if err := json.Unmarshal([]byte(raw), &cfg); err != nil {
		return nil // the SDK itself has parsed it by now, so this cannot happen
	}
	return slices.Sorted(maps.Keys(cfg))
}

// refuseUndeclared records each key of the project's namespace that
// Pulumi.yaml does not declare, naming the nearest key it does: the CLI
// checks the types of declared keys but passes unknown ones through, so a
// typo such as routeRateLimt would otherwise be ignored in silence. Keys an
// earlier version read get their own message (see renamed).
func (r *configReader) refuseUndeclared(keys []string) {
	for _, full := range keys {
		key, ok := strings.CutPrefix(full, namespace+":")
		if !ok || r.declared[key].Type != nil || renamedKeys[key] != "" {
			continue
		}
		hint := "see docs/configuration.md for every key"
		if near := r.nearestKey(key); near != "" {
			hint = fmt.Sprintf("did you mean %s:%s? (docs/configuration.md lists every key)", namespace, near)
		}
		if strings.ContainsAny(key, ".[") {
			hint += "; to set part of a map or list, use `pulumi config set --path`"
		}
		r.failf(key, "not a key of this project (Pulumi.yaml declares no such key); %s", hint)
	}
}

// nearestKey is the declared key closest to key, if one is close enough to
// be a likely typo, by Levenshtein distance with case ignored, as the
// Pulumi CLI measures its own suggestions (workspace/project.go in the
// Pulumi SDK), allowing longer keys more edits.
func (r *configReader) nearestKey(key string) string {
	best, bestDist := "", len(key)/3+2
	for _, k := range slices.Sorted(maps.Keys(r.declared)) {
		d := editDistance(strings.ToLower(key), strings.ToLower(k))
		if d < bestDist {
			best, bestDist = k, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b (an insertion,
// deletion or substitution each counting one), for "did you mean"
// suggestions.
func editDistance(a, b string) int {
	return levenshtein.DistanceForStrings([]rune(a), []rune(b), levenshtein.DefaultOptionsWithSub)
}

// fail records a problem with key's value, naming the key and the value.
func (r *configReader) fail(key, value, format string, args ...any) {
	r.errs = append(r.errs, fmt.Errorf("%s:%s = %s: %s", namespace, key, value, fmt.Sprintf(format, args...)))
}

// failf records a problem with key as a whole (e.g. a required key missing).
func (r *configReader) failf(key, format string, args ...any) {
	r.errs = append(r.errs, fmt.Errorf("%s:%s: %s", namespace, key, fmt.Sprintf(format, args...)))
}

// raw is key's value as the CLI passes it. The CLI passes Pulumi.yaml's
// default for every declared key a stack leaves unset, so a missing value
// means a host that does not.
func (r *configReader) raw(key string) string {
	keysRead.Store(key, true)
	if decl, ok := r.declared[key]; !ok || decl.Type == nil {
		// A programming error, but reported rather than panicking.
		r.errs = append(r.errs, fmt.Errorf("internal: config key %q is read but Pulumi.yaml does not declare it", key))
		return ""
	}
	v, err := r.cfg.Try(key)
	if err != nil {
		r.failf(key, "no value: the Pulumi CLI passes Pulumi.yaml's default for every key a stack leaves unset; run pulumi from the project directory")
		return ""
	}
	v = strings.TrimSpace(v)
	if def, ok := r.declared[key].Default.(string); ok && v == "" {
		// A string key written empty (key: "") means its default, as
		// leaving it out does.
		return def
	}
	return v
}

// shown is a key's value as a user wrote it, for an error: a list or map
// as YAML would show it, a scalar quoted.
func (r *configReader) shown(key string) string {
	raw := r.raw(key)
	var v any
	if err := json.Unmarshal([]byte(raw), &v); err == nil {
		switch v := v.(type) {
		case []any:
			return fmt.Sprintf("%q", v)
		case map[string]any:
			return fmt.Sprint(v)
		}
	}
	return strconv.Quote(raw)
}

// changed says whether a key's value differs from Pulumi.yaml's default,
// compared as JSON values: the CLI passes the default to every stack, so
// only a change says a user set it.
func (r *configReader) changed(key string) bool {
	raw := r.raw(key)
	if n, err := strconv.Atoi(raw); err == nil {
		// Whole numbers as the int reader takes them, "05" included.
		return fmt.Sprint(n) != fmt.Sprint(r.declared[key].Default)
	}
	var v, def any
	if err := json.Unmarshal([]byte(raw), &v); err != nil {
		v = raw
	}
	b, err := json.Marshal(r.declared[key].Default)
	if err != nil || json.Unmarshal(b, &def) != nil {
		return true
	}
	return !reflect.DeepEqual(v, def)
}

func (r *configReader) string(key string) string {
	return r.raw(key)
}

func (r *configReader) int(key, example string) int {
	v := r.raw(key)
	n, err := strconv.Atoi(v)
	if err != nil {
		r.fail(key, strconv.Quote(v), "not a whole number; set e.g. %s", example)
	}
	return n
}

func (r *configReader) bool(key string) bool {
	v := r.raw(key)
	b, err := strconv.ParseBool(v)
	if err != nil {
		r.fail(key, strconv.Quote(v), "not a boolean; use true or false")
	}
	return b
}

func (r *configReader) stringList(key, example string) []string {
	return readJSON[[]string](r, key, "a list of strings", "a YAML list", example)
}

func (r *configReader) stringMap(key, example string) map[string]string {
	return readJSON[map[string]string](r, key, "a map of strings to strings", "a YAML map", example)
}

func (r *configReader) intMap(key, example string) map[string]int {
	return readJSON[map[string]int](r, key, "a map of names to whole numbers", "a YAML map", example)
}

// readJSON reads a list or map key, which the CLI passes as JSON, into a
// T; what a T is, and how to write one, go into the error.
func readJSON[T any](r *configReader, key, what, yamlForm, example string) T {
	var v T
	raw := r.raw(key)
	if raw == "" {
		return v
	}
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		r.fail(key, strconv.Quote(raw), "not %s (%v); in Pulumi.<stack>.yaml write it as %s, e.g. %s", what, err, yamlForm, example)
		var zero T
		return zero
	}
	return v
}

// renamedKeys are keys an earlier version read, and what replaced them. The
// old throttling keys read as if they limited the whole API, but a stage's
// default limits apply to each route on its own.
var renamedKeys = map[string]string{
	"throttlingRateLimit":       "routeRateLimit",
	"throttlingBurstLimit":      "routeBurstLimit",
	"writeThrottlingRateLimit":  "writeRouteRateLimit",
	"writeThrottlingBurstLimit": "writeRouteBurstLimit",
}

const renamedWhy = "API Gateway applies a stage's default limits to each route on its own, not to the API as a whole, and the new name says so"

// renamed refuses a key an earlier version read, saying what replaced it
// and why, so a stack file written for it fails loudly instead of being
// ignored.
func (r *configReader) renamed(old, replacement, why string) {
	if v, err := r.cfg.Try(old); err == nil {
		r.fail(old, strconv.Quote(v), "renamed to %s:%s (%s); rename it in your Pulumi.<stack>.yaml", namespace, replacement, why)
	}
}

// err joins every recorded problem under one heading.
func (r *configReader) err(ctx *pulumi.Context, role string) error {
	if len(r.errs) == 0 {
		return nil
	}
	return fmt.Errorf("stack %q (role %s) has invalid config; nothing was created:\n%w",
		ctx.Stack(), role, errors.Join(r.errs...))
}
