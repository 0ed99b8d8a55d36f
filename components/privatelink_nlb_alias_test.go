package components

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/private-apis/private-apis/internal/fakeaws"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/require"
)

// aliasTestChild stands for the NLB's children: a component needs no
// provider plugin, and its URN carries its parent's type as theirs do.
type aliasTestChild struct{ pulumi.ResourceState }

// nlbWithChildren is a program holding a PrivateLinkNLB-like component
// registered by register, a child and a grandchild.
func nlbWithChildren(register func(ctx *pulumi.Context, s *PrivateLinkNLB) error) pulumi.RunFunc {
	return func(ctx *pulumi.Context) error {
		s := &PrivateLinkNLB{}
		if err := register(ctx, s); err != nil {
			return err
		}
		child := &aliasTestChild{}
		if err := ctx.RegisterComponentResource("private-apis:test:Child", "svc-tg", child, pulumi.Parent(s)); err != nil {
			return err
		}
		return ctx.RegisterComponentResource("private-apis:test:Child", "svc-grandchild", &aliasTestChild{}, pulumi.Parent(child))
	}
}

// TestPrivateLinkNLBAlias deploys, with the real Pulumi engine on a file://
// backend, a component of PrivateLinkNLB's former type holding a child
// and a grandchild; then the same under registerPrivateLinkNLB's type and
// alias, which must leave every resource the same, while the new type
// without the alias would replace them all.
func TestPrivateLinkNLBAlias(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the real Pulumi engine")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	before := nlbWithChildren(func(ctx *pulumi.Context, s *PrivateLinkNLB) error {
		return ctx.RegisterComponentResource(formerPrivateLinkNLBType, "svc", s)
	})
	after := nlbWithChildren(func(ctx *pulumi.Context, s *PrivateLinkNLB) error {
		return registerPrivateLinkNLB(ctx, "svc", s)
	})
	unaliased := nlbWithChildren(func(ctx *pulumi.Context, s *PrivateLinkNLB) error {
		return ctx.RegisterComponentResource("private-apis:privatelink:PrivateLinkNLB", "svc", s)
	})

	root, err := filepath.Abs("..")
	require.NoError(t, err)
	stack := fakeaws.EngineStack(ctx, t, root, "private-apis", "alias", before)
	_, err = stack.Up(ctx)
	require.NoError(t, err)

	stack.Workspace().SetProgram(unaliased)
	preview, err := stack.Preview(ctx)
	require.NoError(t, err)
	require.Equal(t, 3, preview.ChangeSummary[apitype.OpCreate], "the control: without the alias every resource is new")
	require.Equal(t, 3, preview.ChangeSummary[apitype.OpDelete])

	stack.Workspace().SetProgram(after)
	preview, err = stack.Preview(ctx)
	require.NoError(t, err)
	require.Equal(t, map[apitype.OpType]int{apitype.OpSame: 4}, preview.ChangeSummary, "the stack and its three resources")
	up, err := stack.Up(ctx)
	require.NoError(t, err)
	require.Equal(t, map[string]int{"same": 4}, *up.Summary.ResourceChanges)

	state, err := stack.Export(ctx)
	require.NoError(t, err)
	for _, urn := range []string{
		"::private-apis:privatelink:PrivateLinkNLB::svc",
		"::private-apis:privatelink:PrivateLinkNLB$private-apis:test:Child::svc-tg",
		"::private-apis:privatelink:PrivateLinkNLB$private-apis:test:Child$private-apis:test:Child::svc-grandchild",
	} {
		require.Contains(t, string(state.Deployment), urn, "the state holds the resources under the new type")
	}
	require.NotContains(t, string(state.Deployment), formerPrivateLinkNLBType)
}
