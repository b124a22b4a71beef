//go:build linux

package testserver

import (
	"os/exec"
	"syscall"
)

// dieWithParent makes the kernel kill the server when the test binary dies,
// so a test binary killed before it can call Stop (by a timeout, or a crash)
// leaves no orphaned tagwired behind.
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
