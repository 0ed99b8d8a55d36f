package components

import (
	"errors"
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/dynamodb"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// TableArgs configures a Table.
type TableArgs struct {
	// HashKey and RangeKey name the string key attributes. HashKey is
	// required; keying items on (owner, id) lets every read and write be
	// scoped to the caller. RangeKey may be empty.
	HashKey  string
	RangeKey string
	// AllowDeletion turns off DynamoDB deletion protection and Pulumi's
	// protect, so `pulumi destroy` can remove the table and its data.
	// Default false: the table is protected.
	AllowDeletion bool
	// Tags are applied to the table.
	Tags pulumi.StringMapInput
}

// Table is an on-demand DynamoDB table with point-in-time recovery,
// encryption at rest and deletion protection.
type Table struct {
	pulumi.ResourceState

	Name pulumi.StringOutput
	Arn  pulumi.StringOutput
}

// NewTable creates a Table.
func NewTable(ctx *pulumi.Context, name string, args *TableArgs, opts ...pulumi.ResourceOption) (_ *Table, err error) {
	defer componentErrors{"table", name}.wrap(&err)
	if args == nil || args.HashKey == "" {
		return nil, errors.New("HashKey is required")
	}
	t := &Table{}
	if err := ctx.RegisterComponentResource("private-apis:dynamodb:Table", name, t, opts...); err != nil {
		return nil, err
	}

	attributes := dynamodb.TableAttributeArray{&dynamodb.TableAttributeArgs{Name: pulumi.String(args.HashKey), Type: pulumi.String("S")}}
	tableArgs := &dynamodb.TableArgs{
		HashKey:     pulumi.String(args.HashKey),
		BillingMode: pulumi.String("PAY_PER_REQUEST"),
		PointInTimeRecovery: &dynamodb.TablePointInTimeRecoveryArgs{
			Enabled: pulumi.Bool(true),
		},
		// Encrypted with the AWS-managed KMS key (aws/dynamodb) rather than
		// the default AWS-owned key, so access shows up in CloudTrail.
		ServerSideEncryption:      &dynamodb.TableServerSideEncryptionArgs{Enabled: pulumi.Bool(true)},
		DeletionProtectionEnabled: pulumi.Bool(!args.AllowDeletion),
		Tags:                      args.Tags,
	}
	if args.RangeKey != "" {
		attributes = append(attributes, &dynamodb.TableAttributeArgs{Name: pulumi.String(args.RangeKey), Type: pulumi.String("S")})
		tableArgs.RangeKey = pulumi.String(args.RangeKey)
	}
	tableArgs.Attributes = attributes

	table, err := dynamodb.NewTable(ctx, name+"-table", tableArgs, pulumi.Parent(t), pulumi.Protect(!args.AllowDeletion))
	if err != nil {
		return nil, fmt.Errorf("creating table: %w", err)
	}
	t.Name = table.Name
	t.Arn = table.Arn
	if err := ctx.RegisterResourceOutputs(t, pulumi.Map{"name": t.Name, "arn": t.Arn}); err != nil {
		return nil, fmt.Errorf("registering outputs: %w", err)
	}
	return t, nil
}
