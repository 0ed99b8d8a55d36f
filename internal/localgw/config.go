package localgw

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"

	"github.com/private-apis/private-apis/contract"
	"gopkg.in/yaml.v3"
)

// The files LoadThrottling reads, relative to the repository root: the
// project file declares each key's default, the consumer stack's file may
// override it. They are the files `pulumi up -s consumer` reads.
const (
	ProjectFile  = "Pulumi.yaml"
	ConsumerFile = "Pulumi.consumer.yaml"
)

type projectFile struct {
	Name   string `yaml:"name"`
	Config map[string]struct {
		Default yaml.Node `yaml:"default"`
	} `yaml:"config"`
}

type stackFile struct {
	Config map[string]yaml.Node `yaml:"config"`
}

// LoadThrottling reads the consumer's throttling the way Pulumi resolves it
// for the consumer stack: each key from Pulumi.consumer.yaml
// ("private-apis:routeRateLimit"), else the default declared in
// Pulumi.yaml's config block, so the numbers live only where the deployment
// reads them. A missing Pulumi.consumer.yaml means every default applies.
// A value that is not a whole number > 0 is an error naming the file, the
// key and the line.
func LoadThrottling(repoRoot string) (Throttling, error) {
	var project projectFile
	projectPath := filepath.Join(repoRoot, ProjectFile)
	if err := readYAML(projectPath, &project); err != nil {
		return Throttling{}, err
	}
	if project.Name == "" {
		return Throttling{}, fmt.Errorf("%s has no project name, which namespaces its config keys", projectPath)
	}

	var stack stackFile
	stackPath := filepath.Join(repoRoot, ConsumerFile)
	if err := readYAML(stackPath, &stack); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return Throttling{}, err
	}

	var errs []error
	get := func(key string) int {
		// Stack config is always namespaced; a project may declare its own
		// keys with or without the namespace.
		full := project.Name + ":" + key
		if n, ok := stack.Config[full]; ok {
			v, err := positiveInt(&n)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %s (line %d) %w", stackPath, full, n.Line, err))
			}
			return v
		}
		decl, ok := project.Config[key]
		if !ok {
			decl, ok = project.Config[full]
		}
		if !ok || decl.Default.Kind == 0 {
			errs = append(errs, fmt.Errorf("%s declares no default for %s and %s does not set %s", projectPath, key, stackPath, full))
			return 0
		}
		v, err := positiveInt(&decl.Default)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: default of %s (line %d) %w", projectPath, key, decl.Default.Line, err))
		}
		return v
	}
	t := Throttling{
		RateLimit:       get(contract.KeyRouteRateLimit),
		BurstLimit:      get(contract.KeyRouteBurstLimit),
		WriteRateLimit:  get(contract.KeyWriteRouteRateLimit),
		WriteBurstLimit: get(contract.KeyWriteRouteBurstLimit),
	}
	for _, p := range t.Problems() {
		errs = append(errs, fmt.Errorf("%s and %s: %w", stackPath, projectPath, p))
	}
	if err := errors.Join(errs...); err != nil {
		return Throttling{}, err
	}
	return t, nil
}

func readYAML(path string, v any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("reading throttling config: %w", err)
	}
	if err := yaml.Unmarshal(data, v); err != nil {
		return fmt.Errorf("parsing %s: %w", path, err)
	}
	return nil
}

// positiveInt accepts what Pulumi's config.GetInt accepts for these keys: a
// YAML integer or a string holding one.
func positiveInt(n *yaml.Node) (int, error) {
	if n.Kind != yaml.ScalarNode || (n.Tag != "!!int" && n.Tag != "!!str") {
		return 0, fmt.Errorf("is %q, want a whole number > 0, e.g. 100", n.Value)
	}
	v, err := strconv.Atoi(n.Value)
	if err != nil || v <= 0 {
		return 0, fmt.Errorf("is %q, want a whole number > 0, e.g. 100", n.Value)
	}
	return v, nil
}
