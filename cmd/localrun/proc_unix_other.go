//go:build unix && !linux

package main

import "syscall"

// childProcAttr puts a service in its own process group, so stopping it
// signals everything it runs and a terminal's Ctrl-C reaches only localrun,
// which then stops the services in order. Only Linux has a parent-death
// signal; elsewhere a SIGKILLed localrun leaves its services running.
func childProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
