package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/private-apis/private-apis/apirules"
	"github.com/private-apis/private-apis/cmd/localrun/localgw"
	"github.com/private-apis/private-apis/contract"
)

// options is everything startTopology needs; `make run` and the
// end-to-end test both go through it.
type options struct {
	RepoRoot string
	// LocalDir holds bin/ (the built services) and <service>-data/ (each
	// service's DATA_DIR; the todo service's store lives there).
	LocalDir string
	// Services are the services to build and run, usually
	// contract.Services; each is built from apps/<Name>.
	Services []contract.Service
	// GatewayPort is the gateway's port on 127.0.0.1; 0 picks a free one.
	GatewayPort int
	// ServicePorts fixes a service's port by name; missing or 0 picks a
	// free one.
	ServicePorts map[string]int
	Throttling   localgw.Throttling
	// CORS is the API's, from the consumer's stack file.
	CORS apirules.CORS
	// JWT is the API's authorization, from the consumer's stack file (nil:
	// off); JWTKeys verify its tokens, read from JWTKeysFrom (jwtKeysLocal
	// or jwtKeysRemote) by resolveJWTKeys.
	JWT         *apirules.JWTAuth
	JWTKeys     oidc.KeySet
	JWTKeysFrom string
	// REST is set when the consumer's stack file chooses a REST API
	// (apiType rest); APIKeys are its clients' keys, read by
	// resolveAPIKeys.
	REST    *localgw.REST
	APIKeys map[string]localgw.APIKey
	// IntegrationTimeout is the gateway's; 0 is the deployed value.
	IntegrationTimeout time.Duration
	// Stdout receives the access log; Stderr the services' logs and
	// progress messages.
	Stdout, Stderr io.Writer
}

// topology is the running system: the services and the gateway in front.
type topology struct {
	gatewayURL string
	gw         *localgw.Gateway
	services   []*service // in contract order
	byName     map[string]*service
	// failed receives the first unexpected end: a service that exited by
	// itself, or the gateway's server failing.
	failed chan error

	stopOnce sync.Once
	stopErr  error
}

// startTopology builds every service, starts them on loopback, waits until
// each answers its health check, then starts the gateway. On any error
// what was started is stopped again. ctx bounds the start only; the
// topology runs until Stop.
func startTopology(ctx context.Context, opts options) (_ *topology, err error) {
	if opts.Stdout == nil {
		opts.Stdout = io.Discard
	}
	if opts.Stderr == nil {
		opts.Stderr = io.Discard
	}
	t := &topology{byName: map[string]*service{}, failed: make(chan error, 1+len(opts.Services))}

	// The gateway's port is taken first and held, so a busy port fails in
	// a second rather than after the build, and nothing can take it while
	// the services start.
	gwLn, err := listenLoopback(opts.GatewayPort, gatewayPortHint)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			_ = gwLn.Close() // already failing; the listener only needs to go
			err = errors.Join(err, t.Stop())
		}
	}()

	binDir := filepath.Join(opts.LocalDir, "bin")
	logs := &sharedWriter{w: opts.Stderr}
	for _, s := range opts.Services {
		port := opts.ServicePorts[s.Name]
		if port == 0 {
			if port, err = freePort(); err != nil {
				return nil, err
			}
		} else if err := checkPortFree(port, servicePortHint(s.Name)); err != nil {
			return nil, err
		}
		svc := &service{
			contract: s,
			appDir:   filepath.Join(opts.RepoRoot, "apps", s.Name),
			binary:   filepath.Join(binDir, s.Name),
			port:     port,
			dataDir:  filepath.Join(opts.LocalDir, s.Name+"-data"),
			log:      logs.prefixed(s.Name),
			failed:   t.failed,
		}
		t.services = append(t.services, svc)
		t.byName[s.Name] = svc
	}

	fmt.Fprintf(opts.Stderr, "localrun: building %d services into %s\n", len(t.services), binDir)
	for _, s := range t.services {
		if err := s.build(ctx); err != nil {
			return nil, err
		}
	}
	for _, s := range t.services {
		if err := s.start(ctx); err != nil {
			return nil, err
		}
	}

	if err := t.startGateway(gwLn, opts); err != nil {
		return nil, err
	}
	return t, nil
}

// startGateway serves the gateway on gwLn in front of the started services.
func (t *topology) startGateway(gwLn net.Listener, opts options) error {
	backends := make([]localgw.Backend, len(t.services))
	for i, s := range t.services {
		backends[i] = localgw.Backend{Service: s.contract, URL: &url.URL{Scheme: "http", Host: s.addr()}}
	}
	gw, err := localgw.New(localgw.Config{
		Backends:           backends,
		Throttling:         servedLimits(opts.Throttling, t.services, opts.Stderr),
		CORS:               opts.CORS,
		JWT:                servedAuth(opts.JWT, t.services, opts.Stderr),
		JWTKeys:            opts.JWTKeys,
		REST:               servedREST(opts.REST, t.services, opts.Stderr),
		APIKeys:            opts.APIKeys,
		IntegrationTimeout: opts.IntegrationTimeout,
		AccessLog:          opts.Stdout,
	})
	if err != nil {
		return fmt.Errorf("configuring the gateway: %w", err)
	}
	t.gw = gw
	t.gatewayURL = "http://" + gwLn.Addr().String()
	go func() {
		if err := t.gw.Serve(gwLn); !errors.Is(err, localgw.ErrClosed) {
			t.failed <- fmt.Errorf("gateway on %s: %w", gwLn.Addr(), err)
		}
	}()
	return nil
}

// Stop shuts the gateway down (letting in-flight requests finish for a
// few seconds), then stops every service and flushes the access log. It is
// safe to call more than once.
func (t *topology) Stop() error {
	t.stopOnce.Do(func() {
		var errs []error
		if t.gw != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			if err := t.gw.Shutdown(ctx); err != nil {
				errs = append(errs, fmt.Errorf("stopping the gateway: %w", err))
			}
			cancel()
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		for _, s := range t.services {
			wg.Go(func() {
				if err := s.stop(); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if t.gw != nil {
			if err := t.gw.Close(); err != nil {
				errs = append(errs, err)
			}
		}
		t.stopErr = errors.Join(errs...)
	})
	return t.stopErr
}

// stopService stops one service, as if its provider were down; the gateway
// keeps running and answers 503 for its routes.
func (t *topology) stopService(name string) error {
	s, ok := t.byName[name]
	if !ok {
		return fmt.Errorf("no service %q", name)
	}
	err := s.stop()
	t.gw.CloseIdleConnections()
	return err
}

// startService starts a stopped service again on the same port and data
// directory, and waits until it is healthy.
func (t *topology) startService(ctx context.Context, name string) error {
	s, ok := t.byName[name]
	if !ok {
		return fmt.Errorf("no service %q", name)
	}
	return s.start(ctx)
}

func (s *service) addr() string {
	return net.JoinHostPort(loopback, strconv.Itoa(s.port))
}

// servedRoutes are the route keys the local services serve.
func servedRoutes(services []*service) map[string]bool {
	served := map[string]bool{}
	for _, s := range services {
		for _, r := range s.contract.Routes {
			served[r] = true
		}
	}
	return served
}

// servedAuth drops the public routes no local service serves, as
// servedLimits drops their limits.
func servedAuth(auth *apirules.JWTAuth, services []*service, log io.Writer) *apirules.JWTAuth {
	if auth == nil {
		return nil
	}
	own := *auth
	own.PublicRoutes = servedPublicRoutes(auth.PublicRoutes, services, log)
	return &own
}

// servedPublicRoutes are the public routes a local service serves.
func servedPublicRoutes(routes []string, services []*service, log io.Writer) []string {
	served := servedRoutes(services)
	var out []string
	for _, key := range routes {
		if served[key] {
			out = append(out, key)
			continue
		}
		fmt.Fprintf(log, "localrun: %s %q: no local service serves it (a provider that runs only in AWS), so it is not here\n", apirules.KeyPublicRoutes, key)
	}
	return out
}

// servedREST drops the key-free routes no local service serves, as
// servedAuth does.
func servedREST(rest *localgw.REST, services []*service, log io.Writer) *localgw.REST {
	if rest == nil {
		return nil
	}
	own := *rest
	own.PublicRoutes = servedPublicRoutes(rest.PublicRoutes, services, log)
	return &own
}

// servedLimits drops the route limits of routes no local service serves:
// the consumer's stack file may limit routes of providers that only run in
// AWS (the deployment checks those keys against their contracts).
func servedLimits(th localgw.Throttling, services []*service, log io.Writer) localgw.Throttling {
	served := servedRoutes(services)
	own := map[string]apirules.RouteLimit{}
	for key, limit := range th.Routes {
		if served[key] {
			own[key] = limit
			continue
		}
		fmt.Fprintf(log, "localrun: %s %q: no local service serves it (a provider that runs only in AWS), so it is not limited here\n", apirules.KeyRouteThrottling, key)
	}
	th.Routes = own
	return th
}
