//go:build !linux

package testserver

import "os/exec"

// dieWithParent does nothing where the kernel cannot tie a child's life to
// its parent's: a test binary killed before Stop leaves the server running.
func dieWithParent(*exec.Cmd) {}
