//go:build !unix

package main

import (
	"errors"
	"os"
	"os/exec"
	"syscall"
)

// childProcAttr has nothing to set outside Unix.
func childProcAttr() *syscall.SysProcAttr { return nil }

// terminate has no graceful signal to send outside Unix, so it kills.
func terminate(cmd *exec.Cmd) error { return kill(cmd) }

func kill(cmd *exec.Cmd) error {
	err := cmd.Process.Kill()
	if errors.Is(err, os.ErrProcessDone) {
		return nil
	}
	return err
}
