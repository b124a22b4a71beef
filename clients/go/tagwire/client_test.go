package tagwire_test

import (
	"context"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	grpcstats "google.golang.org/grpc/stats"
	"google.golang.org/grpc/status"

	"github.com/tagwire/tagwire/clients/go/tagwire"
)

// closedAddress returns a loopback address that refuses connections.
func closedAddress(t *testing.T) string {
	t.Helper()
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := listener.Addr().String()
	listener.Close()
	return addr
}

func TestDefaultTimeout(t *testing.T) {
	// WaitForReady makes a call wait for a connection that never comes, so
	// only a deadline ends it.
	waitForever := tagwire.WithDialOptions(grpc.WithDefaultCallOptions(grpc.WaitForReady(true)))
	client := newClient(t, closedAddress(t), tagwire.WithTimeout(200*time.Millisecond), waitForever)

	// timed runs call, failing the test if it is still running after
	// waitTimeout (the bug this test looks for makes it run forever).
	timed := func(name string, call func() error) (time.Duration, error) {
		t.Helper()
		done := make(chan error, 1)
		start := time.Now()
		go func() { done <- call() }()
		select {
		case err := <-done:
			return time.Since(start), err
		case <-time.After(waitTimeout):
			t.Fatalf("%s still running after %v", name, waitTimeout)
			return 0, nil
		}
	}

	elapsed, err := timed("Tag without a deadline", func() error {
		_, err := client.Tag(context.Background(), authArticle)
		return err
	})
	if status.Code(err) != codes.DeadlineExceeded || elapsed > 5*time.Second {
		t.Errorf("Tag without a deadline: %v after %v; want DeadlineExceeded after the 200ms default", err, elapsed)
	}

	// A deadline of the caller's own wins over the default.
	ctx, cancel := context.WithTimeout(context.Background(), 600*time.Millisecond)
	defer cancel()
	elapsed, err = timed("Stats with a 600ms deadline", func() error {
		_, err := client.Stats(ctx)
		return err
	})
	if status.Code(err) != codes.DeadlineExceeded || elapsed < 500*time.Millisecond {
		t.Errorf("Stats with a 600ms deadline: %v after %v; want DeadlineExceeded after 600ms", err, elapsed)
	}
}

// attemptCounter counts the attempts of client calls, by the End event
// gRPC reports for each.
type attemptCounter struct{ attempts atomic.Int32 }

func (c *attemptCounter) TagRPC(ctx context.Context, _ *grpcstats.RPCTagInfo) context.Context {
	return ctx
}

func (c *attemptCounter) HandleRPC(_ context.Context, s grpcstats.RPCStats) {
	if _, ok := s.(*grpcstats.End); ok {
		c.attempts.Add(1)
	}
}

func (c *attemptCounter) TagConn(ctx context.Context, _ *grpcstats.ConnTagInfo) context.Context {
	return ctx
}

func (c *attemptCounter) HandleConn(context.Context, grpcstats.ConnStats) {}

func TestRetriesIdempotentCallsWhenUnavailable(t *testing.T) {
	addr := closedAddress(t)
	for _, tc := range []struct {
		name     string
		call     func(context.Context, *tagwire.Client) error
		attempts int32
	}{
		{"Tag", func(ctx context.Context, c *tagwire.Client) error { _, err := c.Tag(ctx, authArticle); return err }, 5},
		{"Stats", func(ctx context.Context, c *tagwire.Client) error { _, err := c.Stats(ctx); return err }, 5},
		{"Taxonomy", func(ctx context.Context, c *tagwire.Client) error { _, err := c.Taxonomy(ctx); return err }, 5},
		{"ReloadTaxonomy", func(ctx context.Context, c *tagwire.Client) error {
			_, err := c.ReloadTaxonomy(ctx)
			return err
		}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel() // each retries for up to 1.5 s of backoff
			var counter attemptCounter
			client := newClient(t, addr, tagwire.WithDialOptions(grpc.WithStatsHandler(&counter)))
			if err := tc.call(testContext(t), client); status.Code(err) != codes.Unavailable {
				t.Errorf("%v, want Unavailable", err)
			}
			if got := counter.attempts.Load(); got != tc.attempts {
				t.Errorf("%d attempts, want %d", got, tc.attempts)
			}
		})
	}
}
