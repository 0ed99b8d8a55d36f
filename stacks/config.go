package stacks

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"
)

// namespace is the config namespace of every project key: the project name.
const namespace = "private-apis"

// configKeys are the project's config keys, each also declared (with the
// same default) in Pulumi.yaml; a test keeps the two in step. The reader
// refuses a key missing here, so no key can be read without being declared.
var configKeys = map[string]bool{
	"role": true,
	// Every role.
	"availabilityZoneIds": true, "vpcCidr": true, "natGateways": true, "tags": true, "logRetentionDays": true,
	// Providers.
	"allowedPrincipals": true, "acceptanceRequired": true, "supportedRegions": true, "consumerStack": true,
	// NLB provider.
	"serviceName": true, "loadBalancerArn": true, "endpointServiceId": true, "servicePort": true, "healthCheckPath": true, "routes": true,
	// ECS provider.
	"desiredCount": true, "cpu": true, "memory": true,
	// Monitoring, every role.
	"monitoring": true, "alarmEmail": true, "alarm5xxRatePercent": true, "alarmLatencyP99Milliseconds": true,
	// Consumer.
	"providers": true, "routeRateLimit": true, "routeBurstLimit": true, "routeThrottling": true,
	"writeRouteRateLimit": true, "writeRouteBurstLimit": true, "accessLogRetentionDays": true, "listenerRulePriorities": true,
	"jwtIssuer": true, "jwtAudiences": true, "publicRoutes": true, "writeScopes": true,
	"cors": true, "domainName": true, "hostedZoneId": true, "certificateArn": true, "keepExecuteApiEndpoint": true,
	// EC2 provider.
	"instanceType": true, "minSize": true, "maxSize": true, "desiredCapacity": true, "tableDeletionProtection": true,
}

// configReader reads typed values and collects every problem, so a user
// fixes all of them in one go rather than one per `pulumi up`.
type configReader struct {
	cfg  *config.Config
	errs []error
}

func newConfigReader(ctx *pulumi.Context) *configReader {
	return &configReader{cfg: config.New(ctx, namespace)}
}

// fail records a problem with key's value, naming the key and the value.
func (r *configReader) fail(key, value, format string, args ...any) {
	r.errs = append(r.errs, fmt.Errorf("%s:%s = %s: %s", namespace, key, value, fmt.Sprintf(format, args...)))
}

// failf records a problem with key as a whole (e.g. a required key missing).
func (r *configReader) failf(key, format string, args ...any) {
	r.errs = append(r.errs, fmt.Errorf("%s:%s: %s", namespace, key, fmt.Sprintf(format, args...)))
}

func (r *configReader) raw(key string) (string, bool) {
	if !configKeys[key] {
		// A programming error, but reported rather than panicking.
		r.errs = append(r.errs, fmt.Errorf("internal: config key %q is read but not declared in stacks.configKeys and Pulumi.yaml", key))
		return "", false
	}
	v, err := r.cfg.Try(key)
	if err != nil {
		return "", false
	}
	v = strings.TrimSpace(v)
	return v, v != ""
}

func (r *configReader) string(key, def string) string {
	if v, ok := r.raw(key); ok {
		return v
	}
	return def
}

func (r *configReader) int(key string, def int, example string) int {
	v, ok := r.raw(key)
	if !ok {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		r.fail(key, strconv.Quote(v), "not a whole number; set e.g. %s", example)
		return def
	}
	return n
}

func (r *configReader) bool(key string, def bool) bool {
	v, ok := r.raw(key)
	if !ok {
		return def
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		r.fail(key, strconv.Quote(v), "not a boolean; use true or false")
		return def
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
	raw, ok := r.raw(key)
	if !ok {
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
