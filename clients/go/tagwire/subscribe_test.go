package tagwire_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tagwire/tagwire/clients/go/tagwire"
	tagwirev1 "github.com/tagwire/tagwire/clients/go/tagwire/v1"
)

// subscribeAndWait subscribes with each filter and waits until the server
// counts every subscription, having first waited for those of earlier tests
// to go.
func subscribeAndWait(t *testing.T, ctx context.Context, client *tagwire.Client,
	filters ...tagwire.Filter) []*tagwire.Subscription {
	t.Helper()
	waitUntil(t, "no subscription is left from an earlier test", func() bool {
		return stats(t, client).GetActiveSubscriptions() == 0
	})
	var subscriptions []*tagwire.Subscription
	for _, filter := range filters {
		subscription, err := client.Subscribe(ctx, filter)
		if err != nil {
			t.Fatalf("Subscribe(%+v): %v", filter, err)
		}
		t.Cleanup(func() { subscription.Close() })
		subscriptions = append(subscriptions, subscription)
	}
	waitUntil(t, "the server counts the subscriptions", func() bool {
		return stats(t, client).GetActiveSubscriptions() >= uint32(len(filters))
	})
	return subscriptions
}

// receiveUntil returns the ids of the articles a subscription receives up to
// and including the one with id last.
func receiveUntil(t *testing.T, subscription *tagwire.Subscription, last string) []string {
	t.Helper()
	var ids []string
	for tagged, err := range subscription.All() {
		if err != nil {
			t.Fatalf("subscription ended after %v: %v", ids, err)
		}
		ids = append(ids, tagged.GetId())
		if tagged.GetId() == last {
			break
		}
	}
	return ids
}

func TestSubscribeFilters(t *testing.T) {
	client := newClient(t, server.Addr)
	ctx := testContext(t)
	subscriptions := subscribeAndWait(t, ctx, client,
		tagwire.Filter{Kinds: []tagwirev1.ConceptKind{tagwirev1.ConceptKind_CONCEPT_KIND_PERSON}},
		tagwire.Filter{ConceptIDs: []string{"org:ecb"}},
		tagwire.Filter{ConceptIDs: []string{"org:ecb"}, MinScore: 1},
	)
	persons, ecb, unreachable := subscriptions[0], subscriptions[1], subscriptions[2]

	// Articles 0, 3 mention NATO; 1, 4 the ECB; 2, 5 Emmanuel Macron.
	for i := range 6 {
		article := tagwire.Article{Source: "sub", ID: fmt.Sprintf("sub-%d", i), Body: e2eBodies[i%3].body}
		if _, err := client.Tag(ctx, article); err != nil {
			t.Fatalf("Tag: %v", err)
		}
	}
	// Both of the first two subscriptions want the last article; the
	// third wants nothing, since no score reaches 1.
	const last = "sub-last"
	if _, err := client.Tag(ctx, tagwire.Article{Source: "sub", ID: last,
		Body: "Christine Lagarde of the European Central Bank spoke."}); err != nil {
		t.Fatalf("Tag: %v", err)
	}

	if got, want := receiveUntil(t, persons, last), []string{"sub-2", "sub-5", last}; !slices.Equal(got, want) {
		t.Errorf("PERSON subscription got %v, want %v", got, want)
	}
	if got, want := receiveUntil(t, ecb, last), []string{"sub-1", "sub-4", last}; !slices.Equal(got, want) {
		t.Errorf("org:ecb subscription got %v, want %v", got, want)
	}

	// Close ends a Recv blocked on the subscription that got nothing.
	received := make(chan error, 1)
	go func() {
		tagged, err := unreachable.Recv()
		if err == nil {
			err = fmt.Errorf("received %q", tagged.GetId())
		}
		received <- err
	}()
	unreachable.Close()
	if err := <-received; status.Code(err) != codes.Canceled {
		t.Errorf("Recv on the min_score 1 subscription: %v, want Canceled after Close", err)
	}
	persons.Close()
	ecb.Close()
	waitUntil(t, "the server has dropped the closed subscriptions", func() bool {
		return stats(t, client).GetActiveSubscriptions() == 0
	})
}

// ownDoneContext is a context with a Done channel of its own. A context
// derived from it needs a goroutine of package context to follow it until
// one of the two is cancelled, so a derived context never cancelled shows as
// a leaked goroutine.
type ownDoneContext struct {
	context.Context
	done chan struct{}
}

func (c ownDoneContext) Done() <-chan struct{} { return c.done }

func (c ownDoneContext) Err() error {
	select {
	case <-c.done:
		return context.Canceled
	default:
		return nil
	}
}

// TestSubscriptionEndedByTheServerIsReleased checks that once Recv has
// returned the error that ended a subscription, the subscription holds
// nothing more, without Close.
func TestSubscriptionEndedByTheServerIsReleased(t *testing.T) {
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := startServer(t, "--token_file="+tokenFile)
	client := newClient(t, s.Addr) // without the token: refused
	if _, err := client.Stats(testContext(t)); status.Code(err) != codes.Unauthenticated {
		t.Fatalf("Stats: %v, want Unauthenticated", err)
	}
	checkLeaks := checkNoGoroutineLeak(t)

	parent := ownDoneContext{Context: context.Background(), done: make(chan struct{})}
	defer close(parent.done)
	subscription, err := client.Subscribe(parent, tagwire.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	received := make(chan error, 1)
	go func() {
		_, err := subscription.Recv()
		received <- err
	}()
	select {
	case err := <-received:
		if status.Code(err) != codes.Unauthenticated {
			t.Fatalf("Recv: %v, want Unauthenticated", err)
		}
	case <-time.After(waitTimeout):
		t.Fatalf("Recv still blocked after %v", waitTimeout)
	}
	checkLeaks()
}
