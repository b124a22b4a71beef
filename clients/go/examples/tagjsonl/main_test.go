package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
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
}
