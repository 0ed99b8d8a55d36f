//go:build tools

// Package tools pins the Pulumi CLI to the SDK version the program uses, so
// tests can run the real engine offline: `make pulumi-cli` builds it from
// the Go module proxy into bin/pulumi.
package tools

import _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
