package servekit

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/private-apis/private-apis/apps/servekit/servekittest"
)

// TestMain lets the tests below run this test binary as a program whose
// main is Main, chosen by SERVEKIT_TEST_MAIN.
func TestMain(m *testing.M) {
	switch os.Getenv("SERVEKIT_TEST_MAIN") {
	case "fail":
		Main(func(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
			return errors.New("run failed: X=" + getenv("X"))
		})
		os.Exit(0)
	case "wait":
		Main(func(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
			fmt.Fprintln(stderr, "ready")
			<-ctx.Done()
			fmt.Fprintln(stderr, "stopped:", context.Cause(ctx))
			return nil
		})
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func mainCommand(t *testing.T, mode string) *exec.Cmd {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), "SERVEKIT_TEST_MAIN="+mode, "X=42")
	return cmd
}

func TestMainExitsOnError(t *testing.T) {
	out, err := mainCommand(t, "fail").CombinedOutput()
	if exit, ok := errors.AsType[*exec.ExitError](err); !ok || exit.ExitCode() != 1 {
		t.Errorf("exit: %v, want status 1", err)
	}
	if string(out) != "run failed: X=42\n" {
		t.Errorf("output %q, want the error and a newline", out)
	}
}

func TestMainStopsOnSIGTERM(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no SIGTERM on Windows")
	}
	cmd := mainCommand(t, "wait")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	if l := servekittest.Wait(t, lines, 10*time.Second, "the program to start"); l != "ready" {
		t.Fatalf("first line %q, want ready", l)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if l := servekittest.Wait(t, lines, 10*time.Second, "the program to stop"); !strings.HasPrefix(l, "stopped:") {
		t.Errorf("after SIGTERM: %q, want the context cancelled", l)
	}
	for range lines {
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("exit: %v, want status 0", err)
	}
}
