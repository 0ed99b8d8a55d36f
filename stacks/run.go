// Package stacks is the whole Pulumi program. Run picks the role a stack
// plays, reads and validates that role's config into a typed struct before
// creating anything, wires the components, and exports the role's outputs.
//
// Roles: ecs-provider (the dog names API on ECS Fargate), ec2-provider (the
// todo API on EC2), nlb-provider (any service already behind an internal
// Network Load Balancer) and consumer (the public HTTP API). Each runs in its
// own AWS account as its own stack.
package stacks

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

const (
	roleConsumer    = "consumer"
	roleECSProvider = "ecs-provider"
	roleEC2Provider = "ec2-provider"
	roleNLBProvider = "nlb-provider"
)

// roles maps each role to the function that builds it.
var roles = map[string]func(*pulumi.Context, *configReader) error{
	roleECSProvider: runECSProvider,
	roleEC2Provider: runEC2Provider,
	roleNLBProvider: runNLBProvider,
	roleConsumer:    runConsumer,
}

// Run is the Pulumi program: main calls pulumi.Run(stacks.Run).
func Run(ctx *pulumi.Context) error {
	r, err := newConfigReader(ctx)
	if err != nil {
		return err
	}
	role, err := selectRole(ctx, r)
	if err != nil {
		// The other problems too: a key refused as undeclared may be the
		// reason, e.g. a misspelt role key.
		return errors.Join(err, r.err(ctx, "unknown"))
	}
	return roles[role](ctx, r)
}

// selectRole takes the role from private-apis:role when set, else from the
// stack name, so `pulumi up -s ecs-provider` needs no extra config.
func selectRole(ctx *pulumi.Context, r *configReader) (string, error) {
	role := r.string("role")
	source := fmt.Sprintf("from config %s:role", namespace)
	if role == "" {
		role = ctx.Stack()
		source = fmt.Sprintf("from the stack name %q", ctx.Stack())
	}
	if _, ok := roles[role]; ok {
		return role, nil
	}
	valid := make([]string, 0, len(roles))
	for name := range roles {
		valid = append(valid, name)
	}
	slices.Sort(valid)
	return "", fmt.Errorf("unknown role %q (%s): valid roles are %s; name the stack after its role or set one with `pulumi config set %s:role %s`",
		role, source, strings.Join(valid, ", "), namespace, roleECSProvider)
}
