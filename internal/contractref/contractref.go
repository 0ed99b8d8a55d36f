// Package contractref reads provider contracts through StackReferences. The
// consumer stack uses it, and so do the tests that run it against the real
// Pulumi engine, so both exercise the same reader. It depends on the Pulumi
// SDK and the contract package only.
package contractref

import (
	"fmt"

	"github.com/private-apis/private-apis/contract"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Read reads every provider's contract as plain values, so they can be
// checked before anything is created. Secret outputs are read like others.
func Read(ctx *pulumi.Context, stacks []string) ([]contract.Provider, error) {
	names := append(append([]string(nil), contract.Outputs...), contract.OptionalOutputs...)
	providers := make([]contract.Provider, 0, len(stacks))
	for _, stack := range stacks {
		outputs, err := Outputs(ctx, stack, names)
		if err != nil {
			return nil, err
		}
		p, err := contract.Parse(stack, outputs)
		if err != nil {
			return nil, err
		}
		providers = append(providers, p)
	}
	return providers, nil
}

// Outputs reads the named outputs of a stack, leaving out those it lacks.
func Outputs(ctx *pulumi.Context, stack string, names []string) (map[string]any, error) {
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
	return fmt.Errorf("reading stack %s: %w; deploy it first (`pulumi up -s %s` in its account) and check its full name", stack, err, contract.ShortStackName(stack))
}
