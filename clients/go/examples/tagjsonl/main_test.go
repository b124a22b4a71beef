package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tagwire/tagwire/clients/go/internal/testserver"
)

// server is the tagwired the program talks to.
var server *testserver.Server

func TestMain(m *testing.M) {
	var err error
	server, err = testserver.Start()
	if err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: cannot start tagwired: %v\n", err)
		os.Exit(1)
	}
	code := m.Run()
	if err := server.Stop(); err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: %v\n", err)
		code = 1
	}
	os.Exit(code)
}

// output is what one run of the program printed.
type output struct {
	status int
	stdout string
	stderr string
}

// runProgram runs the program with args and stdin, bounded in time.
func runProgram(t *testing.T, stdin string, args ...string) output {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var stdout, stderr bytes.Buffer
	status := run(ctx, args, strings.NewReader(stdin), &stdout, &stderr)
	return output{status, stdout.String(), stderr.String()}
}

// parseLines maps each output line's id to its tag concept ids, or to
// ["error", REASON] for a refused article.
func parseLines(t *testing.T, stdout string) (ids []string, tags map[string][]string) {
	t.Helper()
	tags = map[string][]string{}
	for _, line := range strings.Split(strings.TrimSuffix(stdout, "\n"), "\n") {
		fields := strings.Split(line, "\t")
		id := fields[0]
		if strings.HasPrefix(id, `"`) {
			unquoted, err := strconv.Unquote(id)
			if err != nil {
				t.Fatalf("malformed quoted id in line %q: %v", line, err)
			}
			id = unquoted
		}
		ids = append(ids, id)
		tags[id] = []string{}
		for _, field := range fields[1:] {
			if reason, ok := strings.CutPrefix(field, "error "); ok {
				reason, _, _ = strings.Cut(reason, ":")
				tags[id] = append(tags[id], "error", reason)
				continue
			}
			var concept, name string
			var score float64
			if _, err := fmt.Sscanf(field, "%s %q %f", &concept, &name, &score); err != nil ||
				name == "" || score <= 0 || score > 1 {
				t.Fatalf("malformed tag %q in line %q", field, line)
			}
			tags[id] = append(tags[id], concept)
		}
	}
	return ids, tags
}

const goodInput = `{"id": "a1", "source": "wire", "version": 2, "title": "Ministers meet", "body": "NATO ministers met in Kyiv on Tuesday.", "language": "en", "published_time": "2026-11-23T15:00:00Z", "metadata": {"desk": "world"}}

{"id": "a2", "version": "3", "body": "Emmanuel Macron spoke in Paris about Japan."}
`

func TestTagsEachArticle(t *testing.T) {
	out := runProgram(t, goodInput, "-target", server.Addr)
	if out.status != 0 || out.stderr != "" {
		t.Fatalf("status %d, stderr %q; want 0 and nothing", out.status, out.stderr)
	}
	ids, tags := parseLines(t, out.stdout)
	if !slices.Equal(ids, []string{"a1", "a2"}) {
		t.Fatalf("lines for %v, want a1 and a2:\n%s", ids, out.stdout)
	}
	for id, want := range map[string][]string{
		"a1": {"org:nato", "geo:703448"},
		"a2": {"per:emmanuel-macron", "geo:2988507", "geo:1861060"},
	} {
		for _, concept := range want {
			if !slices.Contains(tags[id], concept) {
				t.Errorf("%s: tags %v lack %s", id, tags[id], concept)
			}
		}
	}
}

func TestKindFilterAndFileArgument(t *testing.T) {
	file := filepath.Join(t.TempDir(), "articles.jsonl")
	if err := os.WriteFile(file, []byte(goodInput), 0o644); err != nil {
		t.Fatal(err)
	}
	out := runProgram(t, "", "-target", server.Addr, "-kind", "location", file)
	if out.status != 0 {
		t.Fatalf("status %d, stderr %q", out.status, out.stderr)
	}
	_, tags := parseLines(t, out.stdout)
	for id, concepts := range tags {
		if len(concepts) == 0 {
			t.Errorf("%s has no locations", id)
		}
		for _, concept := range concepts {
			if !strings.HasPrefix(concept, "geo:") {
				t.Errorf("%s: %s with -kind location", id, concept)
			}
		}
	}
}

func TestRefusedAndUnparsableArticles(t *testing.T) {
	input := `{"id": "b1", "body": "NATO met."}
{"id": "b2", "body": ""}
{"id": "b3", "body": 42}
not json
{"id": "b5", "body": "NATO met."}
`
	out := runProgram(t, input, "-target", server.Addr)
	if out.status != 2 {
		t.Errorf("status %d, want 2", out.status)
	}
	ids, tags := parseLines(t, out.stdout)
	if !slices.Equal(ids, []string{"b1", "b2", "b5"}) {
		t.Errorf("lines for %v, want b1, b2 and b5:\n%s", ids, out.stdout)
	}
	if !slices.Equal(tags["b2"], []string{"error", "EMPTY_BODY"}) {
		t.Errorf("b2: %v, want error EMPTY_BODY", tags["b2"])
	}
	for _, want := range []string{"line 3:", "line 4:"} {
		if !strings.Contains(out.stderr, want) {
			t.Errorf("stderr %q does not report %s", out.stderr, want)
		}
	}
}

func TestTokenFile(t *testing.T) {
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "token")
	if err := os.WriteFile(tokenFile, []byte("t0ken\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := testserver.Start("--token_file=" + tokenFile)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := s.Stop(); err != nil {
			t.Error(err)
		}
	}()
	if out := runProgram(t, goodInput, "-target", s.Addr, "-token-file", tokenFile); out.status != 0 {
		t.Errorf("with the token: status %d, stderr %q", out.status, out.stderr)
	}
	out := runProgram(t, goodInput, "-target", s.Addr)
	if out.status != 1 || !strings.Contains(out.stderr, "Unauthenticated") || out.stdout != "" {
		t.Errorf("without the token: status %d, stdout %q, stderr %q; want 1 and Unauthenticated",
			out.status, out.stdout, out.stderr)
	}
}

func TestTransportFailureAndUsage(t *testing.T) {
	// Port 1 on loopback refuses connections.
	if out := runProgram(t, goodInput, "-target", "127.0.0.1:1"); out.status != 1 || out.stderr == "" {
		t.Errorf("unreachable server: status %d, stderr %q; want 1 and a message", out.status, out.stderr)
	}
	if out := runProgram(t, "", "-kind", "PLANET"); out.status != 1 || !strings.Contains(out.stderr, "PLANET") {
		t.Errorf("-kind PLANET: status %d, stderr %q", out.status, out.stderr)
	}
	if out := runProgram(t, "", "-ca", "ca.pem", "-insecure"); out.status != 1 || !strings.Contains(out.stderr, "-insecure") {
		t.Errorf("-ca with -insecure: status %d, stderr %q", out.status, out.stderr)
	}
}

// A syncBuffer collects what the program writes from any goroutine, and
// says when something was written.
type syncBuffer struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	wrote chan struct{} // capacity 1: something was written since the last receive
}

func newSyncBuffer() *syncBuffer { return &syncBuffer{wrote: make(chan struct{}, 1)} }

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	select {
	case b.wrote <- struct{}{}:
	default:
	}
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// waitFor waits until b holds want, failing the test if it does not within
// timeout.
func (b *syncBuffer) waitFor(t *testing.T, want string, timeout time.Duration) {
	t.Helper()
	deadline := time.After(timeout)
	for !strings.Contains(b.String(), want) {
		select {
		case <-b.wrote:
		case <-deadline:
			t.Fatalf("no %q in the output within %v; the output: %q", want, timeout, b.String())
		}
	}
}

// TestIdleInput streams from a pipe that stays open, as `tail -f | tagjsonl`
// does: each result is printed as soon as it comes, and an interrupt or a
// server shutdown ends the program while it waits for input.
func TestIdleInput(t *testing.T) {
	const timeout = 20 * time.Second // generous: a hang is forever
	for _, tc := range []struct {
		name    string
		stopped string // the error the program reports
	}{
		{"interrupt", "Canceled"},
		{"server stopped", "Unavailable"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := testserver.Start()
			if err != nil {
				t.Fatal(err)
			}
			stopServer := sync.OnceValue(s.Stop)
			t.Cleanup(func() {
				if err := stopServer(); err != nil {
					t.Error(err)
				}
			})
			input, inputWriter := io.Pipe()
			t.Cleanup(func() { inputWriter.Close() })
			ctx, interrupt := context.WithCancel(context.Background())
			defer interrupt()
			stdout, stderr := newSyncBuffer(), newSyncBuffer()
			exited := make(chan int, 1)
			go func() { exited <- run(ctx, []string{"-target", s.Addr}, input, stdout, stderr) }()
			go io.WriteString(inputWriter, `{"id": "a1", "body": "NATO ministers met in Kyiv."}`+"\n")

			stdout.waitFor(t, "a1\t", timeout)
			stopped := make(chan error, 1)
			if tc.name == "interrupt" {
				interrupt()
			} else {
				go func() { stopped <- stopServer() }()
			}
			select {
			case status := <-exited:
				if status != 1 || !strings.Contains(stderr.String(), tc.stopped) {
					t.Errorf("status %d, stderr %q; want 1 and %s", status, stderr.String(), tc.stopped)
				}
			case <-time.After(timeout):
				t.Fatalf("still running %v after the %s, waiting for input", timeout, tc.name)
			}
			if tc.name != "interrupt" {
				if err := <-stopped; err != nil {
					t.Error(err)
				}
			}
		})
	}
}

// TestErrorsFromBothGoroutines has the input goroutine report unparsable
// lines while the stream fails on the main one; the race detector checks
// that their writes to stderr are serialized.
func TestErrorsFromBothGoroutines(t *testing.T) {
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte("t0ken\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := testserver.Start("--token_file=" + tokenFile)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := s.Stop(); err != nil {
			t.Error(err)
		}
	}()
	input := `{"id": "a1", "body": "NATO met."}` + "\n" + strings.Repeat("not json\n", 2000)
	out := runProgram(t, input, "-target", s.Addr) // without the token: refused
	if out.status != 1 || !strings.Contains(out.stderr, "Unauthenticated") {
		t.Errorf("status %d, stderr %.200q…; want 1 and Unauthenticated", out.status, out.stderr)
	}
}

// failingWriter fails every write, as a full disk or a closed pipe does.
type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("no space left on device") }

func TestOutputWriteFailure(t *testing.T) {
	var stderr bytes.Buffer
	status := run(context.Background(), []string{"-target", server.Addr}, strings.NewReader(goodInput),
		failingWriter{}, &stderr)
	if status != 1 || !strings.Contains(stderr.String(), "no space left on device") {
		t.Errorf("status %d, stderr %q; want 1 and the write error", status, stderr.String())
	}
}

func TestInputChecks(t *testing.T) {
	for _, tc := range []struct {
		name, line, stderr string
	}{
		// encoding/json would replace the byte with U+FFFD and tag another
		// text than the file's.
		{"invalid UTF-8", "{\"id\": \"u1\", \"body\": \"NATO met in Z\xfcrich.\"}", "line 2: not valid UTF-8"},
		{"both time fields", `{"id": "t1", "body": "NATO met.", "published_time": "2026-11-23T15:00:00Z", ` +
			`"publishedTime": "2026-11-23T15:00:00Z"}`, "line 2: both 'published_time' and 'publishedTime'"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			input := `{"id": "a1", "body": "NATO met."}` + "\n" + tc.line + "\n" +
				`{"id": "a3", "body": "NATO met."}` + "\n"
			out := runProgram(t, input, "-target", server.Addr)
			if out.status != 2 || !strings.Contains(out.stderr, tc.stderr) {
				t.Errorf("status %d, stderr %q; want 2 and %q", out.status, out.stderr, tc.stderr)
			}
			if ids, _ := parseLines(t, out.stdout); !slices.Equal(ids, []string{"a1", "a3"}) {
				t.Errorf("lines for %v, want a1 and a3:\n%s", ids, out.stdout)
			}
		})
	}
}

// TestIDsStayOneField checks that an id that could be read as more than one
// field or line is printed quoted.
func TestIDsStayOneField(t *testing.T) {
	ids := []string{"tab\there", "new\nline", `"quoted"`, "plain id", "caf\u00e9"}
	var input strings.Builder
	for _, id := range ids {
		line, err := json.Marshal(map[string]string{"id": id, "body": "NATO ministers met in Kyiv."})
		if err != nil {
			t.Fatal(err)
		}
		input.Write(line)
		input.WriteByte('\n')
	}
	out := runProgram(t, input.String(), "-target", server.Addr)
	if out.status != 0 {
		t.Fatalf("status %d, stderr %q", out.status, out.stderr)
	}
	got, tags := parseLines(t, out.stdout)
	if !slices.Equal(got, ids) {
		t.Fatalf("lines for ids %q, want %q:\n%s", got, ids, out.stdout)
	}
	for _, id := range ids {
		if !slices.Contains(tags[id], "org:nato") {
			t.Errorf("%q: tags %v lack org:nato", id, tags[id])
		}
	}
	if !strings.HasPrefix(out.stdout, `"tab\there"`+"\t") || !strings.Contains(out.stdout, "\nplain id\t") {
		t.Errorf("ids not quoted only when needed:\n%s", out.stdout)
	}
}
