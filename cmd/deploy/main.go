// Command deploy runs every private-apis stack in the right order with one
// command, through the Pulumi Automation API on this repository's program:
//
//	deploy [flags] preview|up|destroy|outputs|ready
//
// preview and up run the provider stacks at once, then the consumer, then
// (up only) the providers that accept endpoint connections themselves and
// the consumer again, which registers the endpoints they accepted; destroy
// runs the consumer first; outputs prints each stack's contract; ready
// exits 0 when every provider has a contract, so the consumer can be
// previewed, and 3 when one has none yet (a new setup), naming it.
// Each stack uses the credentials its own Pulumi.<stack>.yaml names
// (aws:profile or aws:assumeRole). Progress lines are prefixed with their
// stack, the first failure stops every stage not yet started, and a summary
// ends the run; the exit status is 1 if anything failed.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"github.com/private-apis/private-apis/cmd/deploy/orchestrate"
	"github.com/private-apis/private-apis/contract"
)

func main() {
	// Ctrl-C cancels the running updates cleanly (the CLI gets SIGINT).
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "deploy:", err)
		if errors.Is(err, errNotDeployed) {
			os.Exit(3)
		}
		os.Exit(1)
	}
}

// errNotDeployed is ready's answer when a provider has no contract yet.
var errNotDeployed = errors.New("not every provider stack is deployed")

// operations are the commands deploy takes.
var operations = []string{"preview", "up", "destroy", "outputs", "ready"}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("deploy", flag.ContinueOnError)
	fs.SetOutput(stderr)
	providers := fs.String("providers", envOr(getenv, "PROVIDER_STACKS", "ecs-provider,ec2-provider"), "comma-separated provider stacks (env PROVIDER_STACKS)")
	consumer := fs.String("consumer", envOr(getenv, "CONSUMER_STACK", "consumer"), "the consumer stack (env CONSUMER_STACK)")
	project := fs.String("project", ".", "directory holding Pulumi.yaml")
	yes := fs.Bool("yes", false, "confirm destroy")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: deploy [flags] "+strings.Join(operations, "|"))
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 || !slices.Contains(operations, fs.Arg(0)) {
		fs.Usage()
		return fmt.Errorf("expected one of %s, got %q", strings.Join(operations, ", "), strings.Join(fs.Args(), " "))
	}
	op := fs.Arg(0)
	if op == "destroy" && !*yes {
		return errors.New("destroy removes every stack's resources, the consumer first: rerun with -yes (make destroy YES=1)")
	}
	plan := orchestrate.Plan{Providers: splitList(*providers), Consumer: *consumer}
	dir, err := filepath.Abs(*project)
	if err != nil {
		return fmt.Errorf("locating the project: %w", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "Pulumi.yaml")); err != nil {
		return fmt.Errorf("no Pulumi.yaml in %s: run deploy from the private-apis checkout or pass -project", dir)
	}

	ws, err := orchestrate.NewPulumiWorkspace(ctx, orchestrate.Options{ProjectDir: dir, PulumiCLI: getenv("PULUMI_CLI")})
	if err != nil {
		return err
	}
	switch op {
	case "outputs":
		return printOutputs(ctx, ws, plan, stdout)
	case "ready":
		return checkReady(ctx, ws, plan, stdout)
	}
	fmt.Fprintf(stdout, "%s: providers %s, then consumer %s\n", op, strings.Join(plan.Providers, ", "), plan.Consumer)
	results, runErr := orchestrate.Run(ctx, ws, orchestrate.Op(op), plan, stdout)
	fmt.Fprintln(stdout)
	if err := orchestrate.WriteSummary(stdout, results); err != nil {
		return errors.Join(runErr, fmt.Errorf("writing the summary: %w", err))
	}
	return runErr
}

// checkReady says whether the consumer can be previewed: it reads the
// providers' contracts, which exist once they are deployed.
func checkReady(ctx context.Context, ws orchestrate.Workspace, plan orchestrate.Plan, out io.Writer) error {
	missing, err := orchestrate.Undeployed(ctx, ws, plan.Providers)
	if err != nil {
		return err
	}
	if len(missing) > 0 {
		return fmt.Errorf("%w: no contract yet from %s; the consumer stack %s reads the providers' contracts, so it can be previewed once they are deployed (`make up` deploys the providers first)",
			errNotDeployed, strings.Join(missing, ", "), plan.Consumer)
	}
	_, err = fmt.Fprintf(out, "ready: %s can read the contracts of %s\n", plan.Consumer, strings.Join(plan.Providers, ", "))
	return err
}

// printOutputs prints each provider's contract and the consumer's address.
func printOutputs(ctx context.Context, ws orchestrate.Workspace, plan orchestrate.Plan, out io.Writer) error {
	show := map[string][]string{plan.Consumer: {"apiUrl", "domainTarget", "providers"}}
	for _, p := range plan.Providers {
		show[p] = append(append([]string(nil), contract.Outputs...), contract.OptionalOutputs...)
	}
	for _, name := range append(append([]string(nil), plan.Providers...), plan.Consumer) {
		s, err := ws.Stack(ctx, name)
		if err != nil {
			return err
		}
		all, err := s.Outputs(ctx)
		if err != nil {
			return fmt.Errorf("reading outputs of %s: %w", name, err)
		}
		picked := map[string]any{}
		for _, key := range show[name] {
			if v, ok := all[key]; ok {
				picked[key] = v
			}
		}
		body, err := json.MarshalIndent(picked, "", "  ")
		if err != nil {
			return fmt.Errorf("formatting outputs of %s: %w", name, err)
		}
		if _, err := fmt.Fprintf(out, "%s:\n%s\n", name, body); err != nil {
			return err
		}
	}
	return nil
}

func envOr(getenv func(string) string, key, def string) string {
	if v := getenv(key); v != "" {
		return v
	}
	return def
}

func splitList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}
