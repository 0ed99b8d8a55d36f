package contract

import (
	_ "embed"
	"fmt"
	"sort"
)

// The consumer's half of the contract: its output ConsumerProviders maps
// each provider stack it publishes to what that provider needs to know,
// chiefly the endpoint to accept when it holds connections for acceptance.
const (
	// ConsumerProviders is the consumer's output (an object keyed by
	// provider stack).
	ConsumerProviders = "providers"
	// The fields of each provider's entry.
	ConsumerEndpointID        = "endpointId"
	ConsumerEndpointServiceID = "endpointServiceId"
	ConsumerRoutes            = "routes"
	ConsumerWired             = "wired"
)

// ConsumerEntry is what a consumer exports for one provider.
type ConsumerEntry struct {
	// EndpointID is the consumer's interface endpoint to the provider's
	// endpoint service, EndpointServiceID.
	EndpointID        string
	EndpointServiceID string
	// Routes are the route keys the consumer publishes for the provider.
	Routes []string
	// Wired is false while the endpoint waits for the provider to accept
	// it and a later update registers its addresses.
	Wired bool
}

// ParseConsumer reads a consumer stack's ConsumerProviders output, as a
// StackReference returns it (nil when the consumer has exported nothing
// yet, which is no error). A mistyped value is an error naming the stack,
// the provider entry and the field.
func ParseConsumer(stack string, output any) (map[string]ConsumerEntry, error) {
	out := map[string]ConsumerEntry{}
	if output == nil {
		return out, nil
	}
	entries, ok := output.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("consumer stack %s: output %q is %T, want an object of provider stack names to {%s, %s, %s, %s}",
			stack, ConsumerProviders, output, ConsumerEndpointID, ConsumerEndpointServiceID, ConsumerRoutes, ConsumerWired)
	}
	keys := make([]string, 0, len(entries))
	for k := range entries {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, provider := range keys {
		e, err := parseConsumerEntry(stack, provider, entries[provider])
		if err != nil {
			return nil, err
		}
		out[provider] = e
	}
	return out, nil
}

func parseConsumerEntry(stack, provider string, v any) (ConsumerEntry, error) {
	fields, ok := v.(map[string]any)
	where := fmt.Sprintf("consumer stack %s: output %s[%q]", stack, ConsumerProviders, provider)
	if !ok {
		return ConsumerEntry{}, fmt.Errorf("%s is %T, want an object", where, v)
	}
	var e ConsumerEntry
	var err error
	str := func(field string) string {
		s, ok := fields[field].(string)
		if _, present := fields[field]; present && !ok && err == nil {
			err = fmt.Errorf("%s.%s is %T, want a string", where, field, fields[field])
		}
		return s
	}
	e.EndpointID = str(ConsumerEndpointID)
	e.EndpointServiceID = str(ConsumerEndpointServiceID)
	if routes, present := fields[ConsumerRoutes]; present && err == nil {
		list, ok := routes.([]any)
		for _, r := range list {
			s, isString := r.(string)
			ok = ok && isString
			e.Routes = append(e.Routes, s)
		}
		if !ok {
			err = fmt.Errorf("%s.%s is %v, want a list of route keys", where, ConsumerRoutes, routes)
		}
	}
	if wired, present := fields[ConsumerWired]; present && err == nil {
		if e.Wired, ok = wired.(bool); !ok {
			err = fmt.Errorf("%s.%s is %T, want true or false", where, ConsumerWired, wired)
		}
	}
	return e, err
}

// ConsumerSchema is the JSON Schema of the consumer's ConsumerProviders
// output, for providers written in other languages.
//
//go:embed consumer.schema.json
var ConsumerSchema []byte
