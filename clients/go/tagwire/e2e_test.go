package tagwire_test

import (
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/tagwire/tagwire/clients/go/tagwire"
	tagwirev1 "github.com/tagwire/tagwire/clients/go/tagwire/v1"
)

// The shared end-to-end scenario; the Python client's tests run the same
// one, so keep the two in step.
const (
	e2eArticles = 1000
	e2eBad      = 500 // the article with an invalid UTF-8 body
)

// e2eBodies are the bodies of the scenario's articles, by i%3, and the tags
// each must get.
var e2eBodies = [3]struct {
	body string
	tags []string
}{
	{"NATO ministers met in Kyiv on Tuesday.", []string{"org:nato", "geo:703448"}},
	{"The European Central Bank kept rates unchanged in Frankfurt.", []string{"org:ecb", "geo:2925533"}},
	{"Emmanuel Macron spoke in Paris about Japan.", []string{"per:emmanuel-macron", "geo:2988507", "geo:1861060"}},
}

// e2eArticle returns article i of the scenario.
func e2eArticle(i int) tagwire.Article {
	body := e2eBodies[i%3].body
	if i == e2eBad {
		body = "caf\xe9 \xff"
	}
	return tagwire.Article{Source: "e2e", ID: fmt.Sprintf("e2e-%d", i), Body: body}
}

// TestEndToEndScenario streams 1,000 articles, one of them invalid, through
// TagStream while a subscription watches: every article is answered in
// order, the bad one with its own error, and the subscriber sees the 999
// tagged ones in the same order.
func TestEndToEndScenario(t *testing.T) {
	client := newClient(t, server.Addr)
	ctx := testContext(t)

	// Subscribe first, and wait until the server counts the subscription:
	// Subscribe returns before the server has registered it.
	waitUntil(t, "no subscription is left from an earlier test", func() bool {
		return stats(t, client).GetActiveSubscriptions() == 0
	})
	subscription, err := client.Subscribe(ctx, tagwire.Filter{})
	if err != nil {
		t.Fatalf("Subscribe: %v", err)
	}
	defer subscription.Close()
	waitUntil(t, "the server counts the subscription", func() bool {
		return stats(t, client).GetActiveSubscriptions() >= 1
	})
	type subscribed struct {
		ids []string
		err error
	}
	subscriberDone := make(chan subscribed, 1)
	go func() {
		var got subscribed
		for tagged, err := range subscription.All() {
			if err != nil {
				got.err = err
				break
			}
			got.ids = append(got.ids, tagged.GetId())
			if len(got.ids) == e2eArticles-1 {
				break
			}
		}
		subscriberDone <- got
	}()

	// One goroutine sends, this one receives.
	stream, err := client.TagStream(ctx)
	if err != nil {
		t.Fatalf("TagStream: %v", err)
	}
	sendDone := make(chan error, 1)
	go func() {
		for i := range e2eArticles {
			if err := stream.Send(e2eArticle(i)); err != nil {
				sendDone <- fmt.Errorf("Send(article %d): %w", i, err)
				return
			}
		}
		sendDone <- stream.CloseSend()
	}()

	var results []*tagwire.Result
	for {
		result, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("Recv after %d results: %v", len(results), err)
		}
		results = append(results, result)
	}
	if err := <-sendDone; err != nil {
		t.Fatal(err)
	}

	if len(results) != e2eArticles {
		t.Fatalf("got %d results, want %d", len(results), e2eArticles)
	}
	for i, result := range results {
		wantID := fmt.Sprintf("e2e-%d", i)
		if result.Sequence != uint64(i) || result.ID != wantID || result.Source != "e2e" {
			t.Fatalf("result %d: sequence %d, source %q, id %q; want %d, \"e2e\", %q",
				i, result.Sequence, result.Source, result.ID, i, wantID)
		}
		if (result.Tagged == nil) == (result.Failure == nil) {
			t.Fatalf("result %d: Tagged %v and Failure %v; want exactly one set", i, result.Tagged, result.Failure)
		}
		if i == e2eBad {
			if result.Failure == nil || result.Failure.Reason != tagwirev1.ErrorReason_ERROR_REASON_BODY_NOT_UTF8 {
				t.Fatalf("result %d: Failure %v, want reason ERROR_REASON_BODY_NOT_UTF8", i, result.Failure)
			}
			if result.Failure.Sequence != uint64(i) || result.Failure.ID != wantID {
				t.Errorf("result %d: ArticleError names sequence %d id %q", i, result.Failure.Sequence, result.Failure.ID)
			}
			continue
		}
		if result.Failure != nil {
			t.Fatalf("result %d: unexpected error %v", i, result.Failure)
		}
		if missing := missingTags(result.Tagged, e2eBodies[i%3].tags...); len(missing) > 0 {
			t.Fatalf("result %d (%q): missing tags %v; got %v", i, e2eBodies[i%3].body, missing,
				tagIDs(result.Tagged))
		}
	}

	got := <-subscriberDone
	if got.err != nil {
		t.Fatalf("subscription ended after %d articles: %v", len(got.ids), got.err)
	}
	var want []string
	for i := range e2eArticles {
		if i != e2eBad {
			want = append(want, fmt.Sprintf("e2e-%d", i))
		}
	}
	if len(got.ids) != len(want) {
		t.Fatalf("subscription got %d articles, want %d", len(got.ids), len(want))
	}
	for i := range want {
		if got.ids[i] != want[i] {
			t.Fatalf("subscription article %d is %q, want %q (same order as the stream)", i, got.ids[i], want[i])
		}
	}
}
