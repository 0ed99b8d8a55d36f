package main

import "syscall"

// childProcAttr puts a service in its own process group, so stopping it
// signals everything it runs and a terminal's Ctrl-C reaches only localrun,
// which then stops the services in order. Pdeathsig sends the service
// SIGTERM if localrun dies without stopping it (even by SIGKILL), so no
// orphan keeps its port. (Linux ties Pdeathsig to the thread that started
// the child; the Go runtime does not end its threads while the program
// runs, so in practice that is localrun's life.)
func childProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
}
