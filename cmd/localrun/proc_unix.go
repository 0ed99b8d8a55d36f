//go:build unix

package main

import (
	"errors"
	"os/exec"
	"syscall"
)

// terminate asks the service's whole process group to stop.
func terminate(cmd *exec.Cmd) error { return signalGroup(cmd, syscall.SIGTERM) }

// kill ends the service's whole process group at once.
func kill(cmd *exec.Cmd) error { return signalGroup(cmd, syscall.SIGKILL) }

func signalGroup(cmd *exec.Cmd, sig syscall.Signal) error {
	// The group's ID is the service's PID (Setpgid); a negative PID
	// signals the group.
	err := syscall.Kill(-cmd.Process.Pid, sig)
	if errors.Is(err, syscall.ESRCH) {
		return nil // already gone
	}
	return err
}
