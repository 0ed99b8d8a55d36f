// Command private-apis is the Pulumi program; the stack name picks its role.
// See README.md.
package main

import (
	"github.com/private-apis/private-apis/stacks"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

func main() {
	pulumi.Run(stacks.Run)
}
