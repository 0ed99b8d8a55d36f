package components

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

var envNamePattern = regexp.MustCompile(`^[A-Z_][A-Z0-9_]*$`)

// checkedEnvironment resolves an optional environment map (nil is empty)
// and fails the update if checkEnvironment refuses it. It is known only
// once the update runs, after the constructor has returned, so the error
// names the component itself, through errs.
func checkedEnvironment(env pulumi.StringMapInput, errs componentErrors) pulumi.StringMapOutput {
	if env == nil {
		env = pulumi.StringMap{}
	}
	return env.ToStringMapOutput().ApplyT(func(env map[string]string) (map[string]string, error) {
		if err := checkEnvironment(env); err != nil {
			return nil, errs.wrapped(err)
		}
		return env, nil
	}).(pulumi.StringMapOutput)
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
