// Package testserver runs a real tagwired for the tests of this module.
//
// The binary is $TAGWIRED, or build/service/tagwired in the repository that
// holds this module; the taxonomy is $TAGWIRE_TAXONOMY, or the repository's
// data/starter.jsonl. A missing binary is an error, never a reason to skip:
// these tests exist to run against the server.
package testserver

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Timeout bounds every wait on the server: start-up, shutdown.
const Timeout = 30 * time.Second

// A Server is a running tagwired on a free loopback port.
type Server struct {
	// Addr is the gRPC address, host:port.
	Addr string

	cmd      *exec.Cmd
	cacheDir string
	exited   chan struct{} // closed once the process has exited
	waitErr  error         // the process's exit status; read after exited

	mu   sync.Mutex
	logs strings.Builder // the server's stderr
}

// repoRoot returns the repository root: two levels above the directory
// holding go.mod, found from the working directory (a package directory
// under `go test`).
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Clean(filepath.Join(dir, "..", "..")), nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("testserver: no go.mod above the working directory")
		}
		dir = parent
	}
}

// Binary returns the tagwired to run, checking that it exists.
func Binary() (string, error) {
	path := os.Getenv("TAGWIRED")
	if path == "" {
		root, err := repoRoot()
		if err != nil {
			return "", err
		}
		path = filepath.Join(root, "build", "service", "tagwired")
	}
	if info, err := os.Stat(path); err != nil || info.IsDir() {
		return "", fmt.Errorf("testserver: no tagwired binary at %s: build the server "+
			"(cmake --build build) or set TAGWIRED to its path", path)
	}
	return path, nil
}

// Taxonomy returns the taxonomy file the server loads.
func Taxonomy() (string, error) {
	if path := os.Getenv("TAGWIRE_TAXONOMY"); path != "" {
		return path, nil
	}
	root, err := repoRoot()
	if err != nil {
		return "", err
	}
	return filepath.Join(root, "data", "starter.jsonl"), nil
}

// Start runs tagwired with extra flags (e.g. "--token_file=…", or
// "--taxonomy=…" instead of the default one) added to the usual ones and
// returns once it logs "serving", or an error, with its log, if it does not
// within Timeout.
func Start(extraFlags ...string) (*Server, error) {
	binary, err := Binary()
	if err != nil {
		return nil, err
	}
	cacheDir, err := os.MkdirTemp("", "tagwired-cache-")
	if err != nil {
		return nil, err
	}
	args := []string{
		"--listen=127.0.0.1:0",
		"--metrics_listen=127.0.0.1:0",
		"--cache_dir=" + cacheDir,
		"--grace_period=2s",
	}
	if !slices.ContainsFunc(extraFlags, func(flag string) bool {
		return strings.HasPrefix(flag, "--taxonomy=")
	}) {
		taxonomy, err := Taxonomy()
		if err != nil {
			os.RemoveAll(cacheDir)
			return nil, err
		}
		args = append(args, "--taxonomy="+taxonomy)
	}
	args = append(args, extraFlags...)
	s := &Server{cmd: exec.Command(binary, args...), cacheDir: cacheDir, exited: make(chan struct{})}
	dieWithParent(s.cmd)
	stderr, err := s.cmd.StderrPipe()
	if err != nil {
		os.RemoveAll(cacheDir)
		return nil, err
	}
	if err := s.cmd.Start(); err != nil {
		os.RemoveAll(cacheDir)
		return nil, err
	}

	serving := make(chan string, 1) // the gRPC address, once serving
	go s.readLog(stderr, serving)

	select {
	case s.Addr = <-serving:
		return s, nil
	case <-s.exited:
		os.RemoveAll(cacheDir)
		return nil, fmt.Errorf("testserver: tagwired exited before serving (%v); its log:\n%s",
			s.waitErr, s.Logs())
	case <-time.After(Timeout):
		s.cmd.Process.Kill()
		<-s.exited
		os.RemoveAll(cacheDir)
		return nil, fmt.Errorf("testserver: tagwired did not log \"serving\" within %v; its log:\n%s",
			Timeout, s.Logs())
	}
}

// readLog keeps the server's stderr, reports the address of its "serving"
// event, and reaps the process at end of file.
func (s *Server) readLog(stderr io.Reader, serving chan<- string) {
	scanner := bufio.NewScanner(stderr)
	scanner.Buffer(make([]byte, 64<<10), 1<<20)
	for scanner.Scan() {
		line := scanner.Text()
		s.mu.Lock()
		s.logs.WriteString(line)
		s.logs.WriteByte('\n')
		s.mu.Unlock()
		var event struct {
			Event       string `json:"event"`
			GRPCAddress string `json:"grpc_address"`
		}
		if json.Unmarshal([]byte(line), &event) == nil && event.Event == "serving" {
			select {
			case serving <- event.GRPCAddress:
			default:
			}
		}
	}
	io.Copy(io.Discard, stderr) // an over-long line: keep draining
	s.waitErr = s.cmd.Wait()
	close(s.exited)
}

// Logs returns what the server has logged so far.
func (s *Server) Logs() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.logs.String()
}

// Stop sends SIGTERM and waits for the server to exit. It returns an error,
// with the log, unless the server exits with status 0 within Timeout after
// logging "stopped".
func (s *Server) Stop() error {
	defer os.RemoveAll(s.cacheDir)
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return fmt.Errorf("testserver: SIGTERM: %w", err)
	}
	select {
	case <-s.exited:
	case <-time.After(Timeout):
		s.cmd.Process.Kill()
		<-s.exited
		return fmt.Errorf("testserver: tagwired still running %v after SIGTERM; its log:\n%s",
			Timeout, s.Logs())
	}
	if s.waitErr != nil {
		return fmt.Errorf("testserver: tagwired exited with %v after SIGTERM; its log:\n%s",
			s.waitErr, s.Logs())
	}
	if !strings.Contains(s.Logs(), `"event":"stopped"`) {
		return fmt.Errorf("testserver: tagwired exited without logging \"stopped\"; its log:\n%s",
			s.Logs())
	}
	return nil
}
