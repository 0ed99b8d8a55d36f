package contract

import (
	_ "embed"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
)

// Optional outputs: a provider without them is read as having none.
const (
	// ContractVersion (string, MAJOR.MINOR) is the version of this contract
	// the provider exports. A minor version adds optional outputs or route
	// forms a consumer of the same major version can ignore or read; a
	// consumer refuses a major version it doesn't know. A provider without
	// it is version 1.0.
	ContractVersion = "contractVersion"
	// SupportedRegions ([]string) are the other regions whose consumers the
	// provider accepts (cross-region PrivateLink), so a consumer in another
	// region can check before it creates an endpoint.
	SupportedRegions = "supportedRegions"
	// AcceptanceRequired (bool) says the endpoint service holds each new
	// connection until the provider accepts it.
	AcceptanceRequired = "acceptanceRequired"
	// AcceptedEndpoints (map of consumer stack → endpoint ID) are the
	// consumer endpoints the provider has accepted, so a consumer knows when
	// its endpoint can carry traffic.
	AcceptedEndpoints = "acceptedEndpoints"
)

// OptionalOutputs lists the outputs a provider may leave out.
var OptionalOutputs = []string{ContractVersion, SupportedRegions, AcceptanceRequired, AcceptedEndpoints}

// Version is the contract version this code exports and reads: 1.1 added
// the acceptance outputs and route prefixes ({proxy+}) to 1.0.
const Version = "1.1"

// majorVersion is the major version this code reads.
const majorVersion = 1

var versionPattern = regexp.MustCompile(`^([0-9]+)\.([0-9]+)$`)

// Provider is one provider stack's contract as the consumer reads it.
type Provider struct {
	// Stack is the fully-qualified stack name it was read from.
	Stack string
	// Version is the contract version it exports, "1.0" when it exports none.
	Version             string
	EndpointServiceName string
	EndpointServiceID   string
	AllowedPrincipals   []string
	ServicePort         int
	HealthCheckPath     string
	Routes              []string
	AvailabilityZoneIDs []string
	Region              string
	// SupportedRegions is nil when the provider exports none.
	SupportedRegions   []string
	AcceptanceRequired bool
	// AcceptedEndpoints maps a consumer stack to the endpoint accepted for it.
	AcceptedEndpoints map[string]string
}

// Parse turns a provider stack's outputs, as a StackReference returns them
// (JSON types: numbers are float64, lists are []any), into a Provider. A
// missing or mistyped output is an error naming the stack and the output.
func Parse(stack string, outputs map[string]any) (Provider, error) {
	p := Provider{Stack: stack, Version: "1.0"}
	r := reader{stack: stack, outputs: outputs}
	if _, ok := outputs[ContractVersion]; ok {
		p.Version = r.string(ContractVersion)
		if m := versionPattern.FindStringSubmatch(p.Version); r.err == nil && m == nil {
			r.err = fmt.Errorf("provider stack %s: output %q is %q, want MAJOR.MINOR, e.g. %s", stack, ContractVersion, p.Version, Version)
		} else if r.err == nil && m[1] != strconv.Itoa(majorVersion) {
			return Provider{}, fmt.Errorf("provider stack %s exports contract version %s, and this consumer reads version %d.x: upgrade private-apis in the consumer's repository to a release that reads version %s contracts (or deploy the provider with one that exports %d.x)",
				stack, p.Version, majorVersion, m[1], majorVersion)
		}
	}
	p.EndpointServiceName = r.string(EndpointServiceName)
	p.EndpointServiceID = r.string(EndpointServiceID)
	p.AllowedPrincipals = r.strings(AllowedPrincipals, true)
	p.ServicePort = r.int(ServicePort)
	p.HealthCheckPath = r.string(HealthCheckPath)
	p.Routes = r.strings(Routes, true)
	p.AvailabilityZoneIDs = r.strings(AvailabilityZoneIDs, true)
	p.Region = r.string(Region)
	if _, ok := outputs[SupportedRegions]; ok {
		p.SupportedRegions = r.strings(SupportedRegions, false)
		if p.SupportedRegions == nil {
			p.SupportedRegions = []string{}
		}
	}
	if _, ok := outputs[AcceptanceRequired]; ok {
		p.AcceptanceRequired = r.bool(AcceptanceRequired)
	}
	if _, ok := outputs[AcceptedEndpoints]; ok {
		p.AcceptedEndpoints = r.stringMap(AcceptedEndpoints)
	}
	if r.err != nil {
		return Provider{}, r.err
	}
	svc := Service{Name: stack, Port: p.ServicePort, HealthCheckPath: p.HealthCheckPath, Routes: p.Routes}
	if err := svc.Validate(); err != nil {
		return Provider{}, fmt.Errorf("provider stack %s exports an invalid contract: %w", stack, err)
	}
	return p, nil
}

// reader keeps the first problem, so one clear error comes back.
type reader struct {
	stack   string
	outputs map[string]any
	err     error
}

func (r *reader) get(name string) (any, bool) {
	if r.err != nil {
		return nil, false
	}
	v, ok := r.outputs[name]
	if !ok || v == nil {
		r.err = fmt.Errorf("provider stack %s has no output %q: deploy it with this version of private-apis (`pulumi up -s %s`), or check the name in private-apis:providers",
			r.stack, name, ShortStackName(r.stack))
		return nil, false
	}
	return v, true
}

func (r *reader) wrongType(name string, v any, want string) {
	r.err = fmt.Errorf("provider stack %s: output %q is %T (%v), want %s", r.stack, name, v, v, want)
}

func (r *reader) string(name string) string {
	v, ok := r.get(name)
	if !ok {
		return ""
	}
	s, ok := v.(string)
	if !ok || s == "" {
		r.wrongType(name, v, "a non-empty string")
	}
	return s
}

func (r *reader) int(name string) int {
	v, ok := r.get(name)
	if !ok {
		return 0
	}
	switch n := v.(type) {
	case int:
		return n
	case float64:
		if n == math.Trunc(n) && n >= 0 && n <= math.MaxInt32 {
			return int(n)
		}
	}
	r.wrongType(name, v, "a whole number")
	return 0
}

func (r *reader) bool(name string) bool {
	v, ok := r.get(name)
	if !ok {
		return false
	}
	b, ok := v.(bool)
	if !ok {
		r.wrongType(name, v, "true or false")
	}
	return b
}

func (r *reader) stringMap(name string) map[string]string {
	v, ok := r.get(name)
	if !ok {
		return nil
	}
	out := map[string]string{}
	switch m := v.(type) {
	case map[string]string:
		for k, s := range m {
			out[k] = s
		}
	case map[string]any:
		for k, item := range m {
			s, ok := item.(string)
			if !ok {
				r.wrongType(name, v, "a map of strings")
				return nil
			}
			out[k] = s
		}
	default:
		r.wrongType(name, v, "a map of strings")
		return nil
	}
	return out
}

func (r *reader) strings(name string, required bool) []string {
	v, ok := r.get(name)
	if !ok {
		return nil
	}
	var out []string
	switch list := v.(type) {
	case []string:
		out = list
	case []any:
		for _, item := range list {
			s, ok := item.(string)
			if !ok {
				r.wrongType(name, v, "a list of strings")
				return nil
			}
			out = append(out, s)
		}
	default:
		r.wrongType(name, v, "a list of strings")
		return nil
	}
	if required && len(out) == 0 {
		r.err = fmt.Errorf("provider stack %s: output %q is empty", r.stack, name)
	}
	return out
}

// ShortStackName is the stack part of org/project/stack, the name
// `pulumi up -s` takes.
func ShortStackName(stack string) string {
	return stack[strings.LastIndex(stack, "/")+1:]
}

// Schema is the JSON Schema (draft 2020-12) of the outputs a provider
// exports, provider.schema.json: the published form of this contract, for
// providers written in any language.
//
//go:embed provider.schema.json
var Schema []byte
