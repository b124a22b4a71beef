package tagwire_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/tagwire/tagwire/clients/go/internal/testserver"
	"github.com/tagwire/tagwire/clients/go/tagwire"
	tagwirev1 "github.com/tagwire/tagwire/clients/go/tagwire/v1"
)

// server is the tagwired shared by the tests that need no special flags.
// The tests that use it run one at a time (none calls t.Parallel), so its
// counters (open streams, subscriptions) reflect the current test only.
var server *testserver.Server

// testTimeout bounds every test's calls and streams.
const testTimeout = 30 * time.Second

// waitTimeout bounds waits for the server's counters. It is shorter than
// testTimeout so that a stream left open by mistake is caught by the wait
// rather than closed by the end of its context.
const waitTimeout = 10 * time.Second

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

// runTests starts the server, runs the tests and stops the server, failing
// the run if the server cannot start or does not stop cleanly.
func runTests(m *testing.M) int {
	var err error
	server, err = testserver.Start()
	if err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: cannot start tagwired: %v\n", err)
		return 1
	}
	code := m.Run()
	if err := server.Stop(); err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: %v\n", err)
		return 1
	}
	return code
}

// newClient returns a client for addr, closed when the test ends.
func newClient(t *testing.T, addr string, opts ...tagwire.Option) *tagwire.Client {
	t.Helper()
	client, err := tagwire.NewClient(addr, opts...)
	if err != nil {
		t.Fatalf("NewClient(%q): %v", addr, err)
	}
	t.Cleanup(func() { client.Close() })
	return client
}

// testContext returns a context that ends after testTimeout or with the test.
func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

// startServer starts a dedicated tagwired with extra flags, stopped (and
// checked to stop cleanly) when the test ends.
func startServer(t *testing.T, flags ...string) *testserver.Server {
	t.Helper()
	s, err := testserver.Start(flags...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Error(err)
		}
	})
	return s
}

// startStoppableServer starts a dedicated tagwired, for a test that stops
// it itself. stop sends SIGTERM and returns the error of testserver's Stop;
// it may be called from any goroutine, and more than once. The server is
// stopped when the test ends if the test did not.
func startStoppableServer(t *testing.T, flags ...string) (s *testserver.Server, stop func() error) {
	t.Helper()
	s, err := testserver.Start(flags...)
	if err != nil {
		t.Fatal(err)
	}
	stop = sync.OnceValue(s.Stop)
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Error(err)
		}
	})
	return s, stop
}

// checkNoGoroutineLeak returns a function that waits until no more
// goroutines run than when checkNoGoroutineLeak was called, failing the
// test if that does not happen within waitTimeout. gRPC ends the
// goroutines of a finished call asynchronously, hence the wait.
func checkNoGoroutineLeak(t *testing.T) func() {
	t.Helper()
	before := runtime.NumGoroutine()
	return func() {
		t.Helper()
		deadline := time.Now().Add(waitTimeout)
		for runtime.NumGoroutine() > before {
			if time.Now().After(deadline) {
				stacks := make([]byte, 1<<20)
				stacks = stacks[:runtime.Stack(stacks, true)]
				t.Fatalf("%d goroutines %v later, %d before; the goroutines:\n%s",
					runtime.NumGoroutine(), waitTimeout, before, stacks)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}

// stats returns the server's counters.
func stats(t *testing.T, client *tagwire.Client) *tagwirev1.GetServerStatsResponse {
	t.Helper()
	resp, err := client.Stats(testContext(t))
	if err != nil {
		t.Fatalf("Stats: %v", err)
	}
	return resp
}

// waitUntil polls cond until it holds, failing the test if it does not
// within waitTimeout. what describes the awaited condition.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting until %s", waitTimeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// tagIDs returns the concept ids of the article's tags.
func tagIDs(tagged *tagwirev1.TaggedArticle) map[string]bool {
	ids := map[string]bool{}
	for _, tag := range tagged.GetTags() {
		ids[tag.GetConceptId()] = true
	}
	return ids
}

// missingTags returns the ids in want that tagged lacks.
func missingTags(tagged *tagwirev1.TaggedArticle, want ...string) []string {
	have := tagIDs(tagged)
	var missing []string
	for _, id := range want {
		if !have[id] {
			missing = append(missing, id)
		}
	}
	return missing
}
