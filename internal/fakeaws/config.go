package fakeaws

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"

	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
)

// ProjectDefaults is the config the Pulumi CLI passes to a program for a
// stack that sets nothing: every key Pulumi.yaml in rootDir declares with a
// default, namespaced by the project, in the form ConfigValue gives. A
// rootDir without a Pulumi.yaml has none.
func ProjectDefaults(rootDir string) (map[string]string, error) {
	path := filepath.Join(rootDir, "Pulumi.yaml")
	proj, err := workspace.LoadProject(path)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]string{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("fakeaws: loading %s: %w", path, err)
	}
	out := make(map[string]string, len(proj.Config))
	for key, decl := range proj.Config {
		if decl.Default != nil {
			out[proj.Name.String()+":"+key] = ConfigValue(decl.Default)
		}
	}
	return out, nil
}

// ConfigValue is a config value as the CLI passes it to a program: a string
// as is, a number or boolean in Go's notation, a list or map as JSON.
func ConfigValue(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case bool, int, float64:
		return fmt.Sprint(v)
	default:
		b, err := json.Marshal(v)
		if err != nil {
			panic(fmt.Sprintf("fakeaws: a config value of type %T has no JSON form: %v", v, err))
		}
		return string(b)
	}
}
