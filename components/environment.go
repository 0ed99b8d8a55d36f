package components

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

var envNamePattern = regexp.MustCompile(`^[A-Z_][A-Z0-9_]*$`)

// environment resolves an optional environment map; nil means empty.
func environment(env pulumi.StringMapInput) pulumi.StringMapOutput {
	if env == nil {
		return pulumi.StringMap{}.ToStringMapOutput()
	}
	return env.ToStringMapOutput()
}

// checkEnvironment keeps container environments to plain one-line settings,
// since they end up in a task definition or an env file in user data.
func checkEnvironment(env map[string]string) error {
	for k, v := range env {
		if !envNamePattern.MatchString(k) || strings.ContainsAny(v, "\n\r\x00") {
			return fmt.Errorf("environment variable %q: names are A-Z, 0-9 and _, values are one line", k)
		}
	}
	return nil
}
