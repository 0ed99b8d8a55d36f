package contract

// Reading contracts through StackReferences. The consumer stack reads its
// providers' contracts here, a provider reads its consumer's half here, and
// the tests that run the program against the real Pulumi engine use the same
// reader.

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// ReadProviders reads every provider's contract as plain values, so they can be
// checked before anything is created. Secret outputs are read like others.
func ReadProviders(ctx *pulumi.Context, stacks []string) ([]Provider, error) {
	names := append(append([]string(nil), Outputs...), OptionalOutputs...)
	providers := make([]Provider, 0, len(stacks))
	for _, stack := range stacks {
		outputs, err := ReadOutputs(ctx, stack, names)
		if err != nil {
			return nil, err
		}
		p, err := Parse(stack, outputs)
		if err != nil {
			return nil, err
		}
		providers = append(providers, p)
	}
	return providers, nil
}

// ReadOutputs reads the named outputs of a stack, leaving out those it lacks.
func ReadOutputs(ctx *pulumi.Context, stack string, names []string) (map[string]any, error) {
	ref, err := pulumi.NewStackReference(ctx, stack, nil)
	if err != nil {
		return nil, readError(stack, err)
	}
	outputs := map[string]any{}
	for _, name := range names {
		details, err := ref.GetOutputDetails(name)
		if err != nil {
			return nil, readError(stack, err)
		}
		switch {
		case details.Value != nil:
			outputs[name] = details.Value
		case details.SecretValue != nil:
			outputs[name] = details.SecretValue
		}
	}
	return outputs, nil
}

func readError(stack string, err error) error {
	return fmt.Errorf("reading stack %s: %w; deploy it first (`pulumi up -s %s` in its account) and check its full name", stack, err, ShortStackName(stack))
}
