package main

import (
	"os/exec"
	"syscall"
)

// setProcessGroup starts cmd in its own process group, so killProcessGroup
// reaches anything it starts too, and has the kernel kill it if the test
// binary dies first (a test timeout, a crash) instead of leaving it behind.
func setProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// killProcessGroup sends SIGKILL to cmd's whole process group.
func killProcessGroup(cmd *exec.Cmd) {
	if cmd.Process == nil {
		return
	}
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	_ = cmd.Process.Kill()
}
