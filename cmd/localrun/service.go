package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"time"

	"github.com/private-apis/private-apis/contract"
)

// Bounds on a service's life cycle, so nothing waits forever.
const (
	buildTimeout   = 5 * time.Minute  // the first build downloads modules
	healthyTimeout = 20 * time.Second // from start to a 200 on the health path
	// stopGrace is how long a service gets after SIGTERM. The services
	// run with DRAIN_DELAY=0s and SHUTDOWN_TIMEOUT=5s, so they exit well
	// within it; after it they get SIGKILL.
	stopGrace = 8 * time.Second
)

// service is one service's process, which can be stopped and started again
// on the same port and data directory.
type service struct {
	contract contract.Service
	appDir   string // apps/<name>, its own Go module
	binary   string
	port     int
	dataDir  string
	log      io.Writer
	failed   chan<- error // where an exit nobody asked for is reported

	mu       sync.Mutex
	cmd      *exec.Cmd
	exited   chan struct{} // closed when cmd has been waited for
	exitErr  error
	stopping bool
}

// build compiles the service the way its Dockerfile does, as its own module
// (GOWORK=off), into the binary path.
func (s *service) build(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, buildTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "-o", s.binary, ".")
	cmd.Dir = s.appDir
	cmd.Env = append(os.Environ(), "GOWORK=off")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("building %s (GOWORK=off go build in %s): %w\n%s", s.contract.Name, s.appDir, err, out)
	}
	return nil
}

// env is the service's whole environment. Nothing is inherited, so a
// TABLE_NAME or PORT in the developer's shell cannot point the todo service
// at DynamoDB or another port.
func (s *service) env() []string {
	return []string{
		"HOST=" + loopback,
		"PORT=" + strconv.Itoa(s.port),
		"DATA_DIR=" + s.dataDir,
		"LOG_LEVEL=info",
		// Draining only matters behind a load balancer.
		"DRAIN_DELAY=0s",
		"SHUTDOWN_TIMEOUT=5s",
	}
}

// start runs the binary and waits until the contract's health check path
// answers 200. A service that exits first is an error with its exit status;
// its log lines are on stderr.
func (s *service) start(ctx context.Context) error {
	s.mu.Lock()
	if s.cmd != nil {
		s.mu.Unlock()
		return fmt.Errorf("%s is already running", s.contract.Name)
	}
	if err := checkPortFree(s.port, servicePortHint(s.contract.Name)); err != nil {
		s.mu.Unlock()
		return err
	}
	cmd := exec.Command(s.binary)
	cmd.Env = s.env()
	cmd.Stdout = s.log
	cmd.Stderr = s.log
	cmd.SysProcAttr = childProcAttr()
	if err := cmd.Start(); err != nil {
		s.mu.Unlock()
		return fmt.Errorf("starting %s: %w", s.contract.Name, err)
	}
	exited := make(chan struct{})
	s.cmd, s.exited, s.exitErr, s.stopping = cmd, exited, nil, false
	s.mu.Unlock()

	go func() {
		err := cmd.Wait()
		s.mu.Lock()
		s.exitErr = err
		unexpected := !s.stopping
		s.mu.Unlock()
		close(exited)
		if unexpected {
			select {
			case s.failed <- fmt.Errorf("%s exited unexpectedly (%v): its log is above", s.contract.Name, err):
			default:
			}
		}
	}()

	if err := s.waitHealthy(ctx, exited); err != nil {
		return errors.Join(err, s.stop())
	}
	return nil
}

func (s *service) waitHealthy(ctx context.Context, exited <-chan struct{}) error {
	ctx, cancel := context.WithTimeout(ctx, healthyTimeout)
	defer cancel()
	url := "http://" + s.addr() + s.contract.HealthCheckPath
	client := &http.Client{Timeout: time.Second}
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return fmt.Errorf("health check of %s: %w", s.contract.Name, err)
		}
		if resp, err := client.Do(req); err == nil {
			_ = resp.Body.Close() // the status is all that matters
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-exited:
			s.mu.Lock()
			err := s.exitErr
			s.mu.Unlock()
			return fmt.Errorf("%s exited before it was healthy (%v): its log is above", s.contract.Name, err)
		case <-ctx.Done():
			return fmt.Errorf("%s did not answer 200 on %s within %s: %w", s.contract.Name, url, healthyTimeout, ctx.Err())
		case <-tick.C:
		}
	}
}

// stop sends SIGTERM to the service's process group, waits up to stopGrace,
// then sends SIGKILL, so nothing it started outlives it. Stopping a stopped
// service does nothing.
func (s *service) stop() error {
	s.mu.Lock()
	cmd, exited := s.cmd, s.exited
	if cmd == nil {
		s.mu.Unlock()
		return nil
	}
	s.stopping = true
	s.mu.Unlock()

	var errs []error
	if err := terminate(cmd); err != nil {
		errs = append(errs, fmt.Errorf("stopping %s: %w", s.contract.Name, err))
	}
	timer := time.NewTimer(stopGrace)
	defer timer.Stop()
	select {
	case <-exited:
	case <-timer.C:
		if err := kill(cmd); err != nil {
			errs = append(errs, fmt.Errorf("killing %s: %w", s.contract.Name, err))
		}
		<-exited
		errs = append(errs, fmt.Errorf("%s did not stop within %s of SIGTERM and was killed", s.contract.Name, stopGrace))
	}

	s.mu.Lock()
	if s.exitErr != nil && len(errs) == 0 {
		// A clean shutdown exits 0; anything else is worth reporting.
		errs = append(errs, fmt.Errorf("%s: %w", s.contract.Name, s.exitErr))
	}
	s.cmd = nil
	s.mu.Unlock()
	return errors.Join(errs...)
}
