package components

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/require"
)

func TestTable(t *testing.T) {
	tests := []struct {
		name          string
		allowDeletion bool
	}{{"protected by default", false}, {"deletion allowed", true}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, out, err := run(t, func(ctx *pulumi.Context) error {
				tbl, err := NewTable(ctx, "todo", &TableArgs{HashKey: "owner", RangeKey: "id", AllowDeletion: tt.allowDeletion})
				if err != nil {
					return err
				}
				ctx.Export("arn", tbl.Arn)
				return nil
			})
			require.NoError(t, err)
			table := one(t, m, "aws:dynamodb/table:Table")
			require.Equal(t, "PAY_PER_REQUEST", table["billingMode"])
			require.Equal(t, map[string]any{"enabled": true}, table["pointInTimeRecovery"])
			require.Equal(t, map[string]any{"enabled": true}, table["serverSideEncryption"])
			require.Equal(t, !tt.allowDeletion, table["deletionProtectionEnabled"])
			require.Equal(t, "owner", table["hashKey"], "items are keyed by owner first")
			require.Equal(t, "id", table["rangeKey"])
			require.Equal(t, []any{map[string]any{"name": "owner", "type": "S"}, map[string]any{"name": "id", "type": "S"}}, table["attributes"])
			require.NotEmpty(t, out["arn"])
		})
	}

	m, _, err := run(t, func(ctx *pulumi.Context) error {
		_, err := NewTable(ctx, "todo", &TableArgs{})
		return err
	})
	require.ErrorContains(t, err, "HashKey is required")
	requireNamedOnce(t, err, "table todo")
	require.Empty(t, m.Resources())
}
