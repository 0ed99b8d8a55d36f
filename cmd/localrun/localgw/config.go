package localgw

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"

	"gopkg.in/yaml.v3"

	"github.com/private-apis/private-apis/apirules"
	"github.com/private-apis/private-apis/contract"
)

// The files LoadStackConfig reads, relative to the repository root: the
// project file declares each key's default, the consumer stack's file may
// override it. They are the files `pulumi up -s consumer` reads.
const (
	ProjectFile  = "Pulumi.yaml"
	ConsumerFile = "Pulumi.consumer.yaml"
)

// StackConfig is the consumer stack's config the gateway reproduces.
type StackConfig struct {
	Throttling Throttling
	CORS       apirules.CORS
	// JWT is the API's authorization; nil when jwtIssuer is empty.
	JWT *apirules.JWTAuth
	// REST is set when apiType is rest: the gateway then answers as a REST
	// API does, with API keys and usage plans instead of JWT.
	REST *REST
}

type projectFile struct {
	Name   string `yaml:"name"`
	Config map[string]struct {
		Default yaml.Node `yaml:"default"`
	} `yaml:"config"`
}

type stackFile struct {
	Config map[string]yaml.Node `yaml:"config"`
}

// configFiles are the two files, parsed, and the problems found reading
// their values.
type configFiles struct {
	projectPath, stackPath string
	project                projectFile
	stack                  stackFile
	errs                   []error
}

// LoadStackConfig reads the consumer's throttling, CORS, API type and
// authorization the way Pulumi resolves them for the consumer stack: each
// key from Pulumi.consumer.yaml ("private-apis:routeRateLimit"), else the
// default declared in Pulumi.yaml's config block, so the values live only
// where the deployment reads them. A missing Pulumi.consumer.yaml means every default applies.
// A value the deployment would refuse is an error naming the file, the key
// and the line.
func LoadStackConfig(repoRoot string) (StackConfig, error) {
	f := &configFiles{projectPath: filepath.Join(repoRoot, ProjectFile), stackPath: filepath.Join(repoRoot, ConsumerFile)}
	if err := readYAML(f.projectPath, &f.project); err != nil {
		return StackConfig{}, err
	}
	if f.project.Name == "" {
		return StackConfig{}, fmt.Errorf("%s has no project name, which namespaces its config keys", f.projectPath)
	}
	if err := readYAML(f.stackPath, &f.stack); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return StackConfig{}, err
	}

	c := StackConfig{Throttling: Throttling{
		RateLimit:       f.positiveInt(apirules.KeyRouteRateLimit),
		BurstLimit:      f.positiveInt(apirules.KeyRouteBurstLimit),
		WriteRateLimit:  f.positiveInt(apirules.KeyWriteRouteRateLimit),
		WriteBurstLimit: f.positiveInt(apirules.KeyWriteRouteBurstLimit),
	}}
	f.decode(apirules.KeyRouteThrottling, &c.Throttling.Routes)
	f.decode(apirules.KeyCORS, &c.CORS)
	if len(c.Throttling.Routes) == 0 {
		c.Throttling.Routes = nil // a declared {} is no route's limit
	}
	c.JWT, c.REST = f.apiType(c.CORS)
	for _, p := range c.Throttling.Problems() {
		f.errs = append(f.errs, fmt.Errorf("%s and %s: %w", f.stackPath, f.projectPath, p))
	}
	for _, p := range c.CORS.Problems() {
		f.errs = append(f.errs, fmt.Errorf("%s and %s: %s:%s: %s", f.stackPath, f.projectPath, f.project.Name, apirules.KeyCORS, p))
	}
	if err := errors.Join(f.errs...); err != nil {
		return StackConfig{}, err
	}
	return c, nil
}

// jwt reads the authorization keys, refusing what the consumer stack
// refuses: the others without jwtIssuer, a public route that is not a
// route key.
func (f *configFiles) jwt() *apirules.JWTAuth {
	var a apirules.JWTAuth
	f.decode(apirules.KeyJwtIssuer, &a.Issuer)
	f.decode(apirules.KeyJwtAudiences, &a.Audiences)
	f.decode(apirules.KeyPublicRoutes, &a.PublicRoutes)
	f.decode(apirules.KeyWriteScopes, &a.WriteScopes)
	if a.Issuer == "" {
		for key, v := range map[string][]string{apirules.KeyJwtAudiences: a.Audiences, apirules.KeyPublicRoutes: a.PublicRoutes, apirules.KeyWriteScopes: a.WriteScopes} {
			if len(v) > 0 {
				f.errs = append(f.errs, fmt.Errorf("%s: %s:%s = %q only means something with authorization on; set %s:%s too", f.stackPath, f.project.Name, key, v, f.project.Name, apirules.KeyJwtIssuer))
			}
		}
		return nil
	}
	for _, route := range a.PublicRoutes {
		if err := contract.ValidateRouteKey(route); err != nil {
			f.errs = append(f.errs, fmt.Errorf("%s: %s:%s: %w", f.stackPath, f.project.Name, apirules.KeyPublicRoutes, err))
		}
	}
	return &a
}

// value is key's node as Pulumi resolves it, and where it came from (for
// errors); ok is false when neither file has it.
func (f *configFiles) value(key string) (node *yaml.Node, where string, ok bool) {
	// Stack config is always namespaced; a project may declare its own
	// keys with or without the namespace.
	full := f.project.Name + ":" + key
	if n, ok := f.stack.Config[full]; ok {
		return &n, fmt.Sprintf("%s: %s (line %d)", f.stackPath, full, n.Line), true
	}
	decl, ok := f.project.Config[key]
	if !ok {
		decl, ok = f.project.Config[full]
	}
	if !ok || decl.Default.Kind == 0 {
		return nil, "", false
	}
	return &decl.Default, fmt.Sprintf("%s: default of %s (line %d)", f.projectPath, key, decl.Default.Line), true
}

// positiveInt reads a required whole number > 0, as Pulumi's config.GetInt
// accepts it: a YAML integer or a string holding one.
func (f *configFiles) positiveInt(key string) int {
	n, where, ok := f.value(key)
	if !ok {
		f.errs = append(f.errs, fmt.Errorf("%s declares no default for %s and %s does not set %s:%s", f.projectPath, key, f.stackPath, f.project.Name, key))
		return 0
	}
	v, err := strconv.Atoi(n.Value)
	if n.Kind != yaml.ScalarNode || (n.Tag != "!!int" && n.Tag != "!!str") || err != nil || v <= 0 {
		f.errs = append(f.errs, fmt.Errorf("%s is %q, want a whole number > 0, e.g. 100", where, n.Value))
		return 0
	}
	return v
}

// decode reads an optional map key into v as the deployment does: the CLI
// hands the program the value as JSON, which the stack decodes refusing
// unknown fields (and matching field names regardless of case); absent
// leaves v as it is.
func (f *configFiles) decode(key string, v any) {
	n, where, ok := f.value(key)
	if !ok {
		return
	}
	var value any
	err := n.Decode(&value)
	var doc []byte
	if err == nil {
		doc, err = json.Marshal(value)
	}
	if err == nil {
		dec := json.NewDecoder(bytes.NewReader(doc))
		dec.DisallowUnknownFields()
		err = dec.Decode(v)
	}
	if err != nil {
		f.errs = append(f.errs, fmt.Errorf("%s: %w", where, err))
	}
}

func readYAML(path string, v any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("reading the consumer's config: %w", err)
	}
	if err := yaml.Unmarshal(data, v); err != nil {
		return fmt.Errorf("parsing %s: %w", path, err)
	}
	return nil
}
