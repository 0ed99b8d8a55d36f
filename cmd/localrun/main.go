// Command localrun runs the whole system on one machine, without AWS: it
// builds and starts every service of contract.Services on loopback, and in
// front of them a local stand-in for the consumer's API Gateway HTTP API
// (package cmd/localrun/localgw) on 127.0.0.1:8080, then prints the URL and the
// blog's curl examples. `make run` runs it.
//
// The gateway's routes come from the contract, its throttling, API type
// (an HTTP API, or a REST API with API keys) and authorization from
// Pulumi.consumer.yaml (or the defaults in Pulumi.yaml), so what runs here is
// what the stacks deploy. A REST API's clients' keys are kept in
// .local/api-keys.json. The todo service keeps its items in its embedded
// store under .local/todo-data, which survives restarts; binaries go to
// .local/bin. Ctrl-C stops everything.
//
// Usage:
//
//	go run ./cmd/localrun [flags]
//
//	-port N               the gateway's port (default $PORT, else 8080; 0 for a free one)
//	-<service>-port N     a service's port, e.g. -todo-port 18081 (default: a free one)
//	-local-dir DIR        binaries and data (default <repo>/.local)
//	-repo DIR             the repository root (default: found from the working directory)
//	-jwt-keys local|remote with jwtIssuer set, check tokens against the local signing key
//	                      (default) or the issuer's published keys (env JWT_ISSUER_KEYS)
//
//	go run ./cmd/localrun token -sub ID [-scope S] [-aud A] [-ttl D]
//
// prints a token the local gateway accepts, signed with the local key
// (`make token SUB=alice SCOPE=todo/write`; the flags default to $SUB,
// $SCOPE, $AUD and $TTL).
//
// The access log (one JSON line per request) goes to stdout, the services'
// own logs to stderr prefixed with their name.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"

	"github.com/private-apis/private-apis/cmd/localrun/localgw"
	"github.com/private-apis/private-apis/contract"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// After the first Ctrl-C the default handling returns, so a second
		// one ends a shutdown that hangs (the children still get SIGTERM
		// through their parent-death signal).
		<-ctx.Done()
		stop()
	}()
	if err := run(ctx, os.Args, os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "localrun:", err)
		os.Exit(1)
	}
}

// run is main without the process globals, so tests drive it with their own
// context, environment and output.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) > 1 && args[1] == "token" {
		return runToken(args[1:], getenv, stdout, stderr)
	}
	opts, err := parseFlags(args, getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil // -h: the usage is printed, nothing else to do
	}
	if err != nil {
		return err
	}
	opts.Stdout, opts.Stderr = stdout, stderr
	if err := opts.resolveJWTKeys(ctx); err != nil {
		if ctx.Err() != nil {
			fmt.Fprintln(stderr, "localrun: interrupted while starting")
			return nil
		}
		return err
	}
	if err := opts.resolveAPIKeys(); err != nil {
		return err
	}
	topo, err := startTopology(ctx, opts)
	if err != nil && ctx.Err() != nil {
		// Ctrl-C during the build or start: what started is stopped, and
		// the interrupted step's error says nothing new.
		fmt.Fprintln(stderr, "localrun: interrupted while starting")
		return nil
	}
	if err != nil {
		return err
	}
	printBanner(stdout, topo, opts)

	var runErr error
	select {
	case <-ctx.Done():
		fmt.Fprintln(stderr, "localrun: stopping")
	case runErr = <-topo.failed:
	}
	return errors.Join(runErr, topo.Stop())
}

// parseFlags turns the command line and environment into options.
func parseFlags(args []string, getenv func(string) string, stderr io.Writer) (options, error) {
	fs := flag.NewFlagSet("localrun", flag.ContinueOnError)
	fs.SetOutput(stderr)

	defaultPort := 8080
	if v := getenv("PORT"); v != "" {
		p, err := strconv.Atoi(v)
		if err != nil || p < 1 || p > 65535 {
			return options{}, fmt.Errorf("PORT=%q is not a TCP port (1-65535)", v)
		}
		defaultPort = p
	}
	port := fs.Int("port", defaultPort, "the gateway's port on 127.0.0.1 (env PORT)")
	repo := fs.String("repo", "", "the repository root (default: the nearest directory at or above the working directory holding Pulumi.yaml and contract/)")
	localDir := fs.String("local-dir", "", "where binaries and service data go (default <repo>/.local)")
	jwtKeys := fs.String("jwt-keys", envOr(getenv, "JWT_ISSUER_KEYS", jwtKeysLocal), "with jwtIssuer set, the keys tokens are checked against: local (the signing key make token uses) or remote (the issuer's, by OpenID discovery) (env JWT_ISSUER_KEYS)")
	servicePorts := map[string]*int{}
	for _, s := range contract.Services {
		servicePorts[s.Name] = fs.Int(s.Name+"-port", 0, "the "+s.Name+" service's port on 127.0.0.1 (default: a free one)")
	}
	if len(args) == 0 {
		args = []string{"localrun"}
	}
	if err := fs.Parse(args[1:]); err != nil {
		return options{}, err
	}
	if fs.NArg() > 0 {
		return options{}, fmt.Errorf("unexpected arguments %q: localrun takes only flags", fs.Args())
	}

	opts := options{
		GatewayPort:  *port,
		ServicePorts: map[string]int{},
		Services:     contract.Services,
	}
	if opts.GatewayPort != 0 { // 0 picks a free port
		if err := checkPort("-port", opts.GatewayPort); err != nil {
			return options{}, err
		}
	}
	for name, p := range servicePorts {
		if *p == 0 {
			continue // a free port, picked at start
		}
		if err := checkPort("-"+name+"-port", *p); err != nil {
			return options{}, err
		}
		opts.ServicePorts[name] = *p
	}

	var err error
	if opts.RepoRoot, opts.LocalDir, err = locate(*repo, *localDir); err != nil {
		return options{}, err
	}
	if *jwtKeys != jwtKeysLocal && *jwtKeys != jwtKeysRemote {
		return options{}, fmt.Errorf("-jwt-keys (JWT_ISSUER_KEYS) %q: use %s or %s", *jwtKeys, jwtKeysLocal, jwtKeysRemote)
	}
	opts.JWTKeysFrom = *jwtKeys

	stack, err := localgw.LoadStackConfig(opts.RepoRoot)
	if err != nil {
		return options{}, err
	}
	opts.Throttling, opts.CORS, opts.JWT, opts.REST = stack.Throttling, stack.CORS, stack.JWT, stack.REST
	return opts, nil
}

// locate finds the repository root (from repo, else from the working
// directory) and the local directory (localDir, else <root>/.local), both
// absolute, so the banner shows where things are and the services'
// DATA_DIR does not depend on their working directory.
func locate(repo, localDir string) (root, local string, err error) {
	root = repo
	if root == "" {
		wd, err := os.Getwd()
		if err != nil {
			return "", "", fmt.Errorf("finding the repository: %w", err)
		}
		if root, err = findRepoRoot(wd); err != nil {
			return "", "", err
		}
	}
	local = localDir
	if local == "" {
		local = filepath.Join(root, ".local")
	}
	if root, err = filepath.Abs(root); err != nil {
		return "", "", fmt.Errorf("resolving -repo %s: %w", repo, err)
	}
	if local, err = filepath.Abs(local); err != nil {
		return "", "", fmt.Errorf("resolving -local-dir %s: %w", localDir, err)
	}
	return root, local, nil
}

func envOr(getenv func(string) string, key, def string) string {
	if v := getenv(key); v != "" {
		return v
	}
	return def
}

func checkPort(flagName string, p int) error {
	if p < 1 || p > 65535 {
		return fmt.Errorf("%s %d is not a TCP port (1-65535)", flagName, p)
	}
	return nil
}

// findRepoRoot walks up from dir to the directory holding Pulumi.yaml and
// contract/, so `go run ./cmd/localrun` works from anywhere in the checkout.
func findRepoRoot(dir string) (string, error) {
	for d := dir; ; {
		if fileExists(filepath.Join(d, localgw.ProjectFile)) && fileExists(filepath.Join(d, "contract")) {
			return d, nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", fmt.Errorf("no private-apis checkout (a directory with %s and contract/) at or above %s: run from the repository or pass -repo", localgw.ProjectFile, dir)
		}
		d = parent
	}
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
