package tagwire_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tagwire/tagwire/clients/go/tagwire"
	tagwirev1 "github.com/tagwire/tagwire/clients/go/tagwire/v1"
)

// An articleSource is an input sequence for TagAll that records how TagAll
// consumes it.
type articleSource struct {
	pulled   atomic.Int64 // articles taken so far
	finished atomic.Bool  // whether the sequence has returned
}

// articles returns a sequence of n articles made by article(i).
func (s *articleSource) articles(n int, article func(i int) tagwire.Article) iter.Seq[tagwire.Article] {
	return func(yield func(tagwire.Article) bool) {
		defer s.finished.Store(true)
		for i := range n {
			s.pulled.Add(1)
			if !yield(article(i)) {
				return
			}
		}
	}
}

// checkFinished fails the test unless TagAll, having returned, has also
// stopped pulling from the source: the sending goroutine is gone.
func (s *articleSource) checkFinished(t *testing.T) {
	t.Helper()
	if !s.finished.Load() {
		t.Errorf("TagAll returned while its goroutine was still reading the input (%d pulled)", s.pulled.Load())
	}
}

// waitNoTagStreams waits until the server has no TagStream open.
func waitNoTagStreams(t *testing.T, client *tagwire.Client) {
	t.Helper()
	waitUntil(t, "the server has no TagStream open", func() bool {
		return stats(t, client).GetActiveTagStreams() == 0
	})
}

func TestTagAllYieldsEveryResultInOrder(t *testing.T) {
	client := newClient(t, server.Addr)
	var source articleSource
	const n = 600
	i := 0
	for result, err := range client.TagAll(testContext(t), source.articles(n, e2eArticle)) {
		if err != nil {
			t.Fatalf("after %d results: %v", i, err)
		}
		if result.Sequence != uint64(i) || result.ID != fmt.Sprintf("e2e-%d", i) {
			t.Fatalf("result %d is sequence %d id %q", i, result.Sequence, result.ID)
		}
		if i == e2eBad {
			if result.Err == nil || result.Err.Reason != tagwirev1.ErrorReason_ERROR_REASON_BODY_NOT_UTF8 {
				t.Fatalf("result %d: Err %v, want BODY_NOT_UTF8", i, result.Err)
			}
		} else if result.Err != nil || len(missingTags(result.Tagged, e2eBodies[i%3].tags...)) > 0 {
			t.Fatalf("result %d: Err %v, tags %v", i, result.Err, tagIDs(result.Tagged))
		}
		i++
	}
	if i != n {
		t.Fatalf("%d results, want %d", i, n)
	}
	source.checkFinished(t)
}

// TestTagAllStopsAtAnArticleItCannotSend checks that an article the client
// refuses to encode ends the iteration with its error, after the results
// of the articles before it.
func TestTagAllStopsAtAnArticleItCannotSend(t *testing.T) {
	client := newClient(t, server.Addr)
	articles := func(yield func(tagwire.Article) bool) {
		for i := range 10 {
			article := e2eArticle(i)
			if i == 5 {
				article.ID = "bad\xff"
			}
			if !yield(article) {
				return
			}
		}
	}
	var results int
	var errs []error
	for result, err := range client.TagAll(testContext(t), articles) {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if result.Err != nil {
			t.Errorf("result %d: %v", results, result.Err)
		}
		results++
	}
	if results != 5 || len(errs) != 1 || status.Code(errs[0]) != codes.InvalidArgument {
		t.Fatalf("%d results then errors %v; want 5 results then one InvalidArgument", results, errs)
	}
}

// TestTagAllBackpressure checks that TagAll pulls articles only as fast as
// the server takes them: when the consumer stops reading, the server stops
// reading, Send blocks, and the endless input is not drained into memory.
func TestTagAllBackpressure(t *testing.T) {
	client := newClient(t, server.Addr)
	const total = 1_000_000
	// Flow control bounds bytes, not articles: what is in flight is the
	// server's HTTP/2 receive window (a few MiB with tagwired) plus gRPC's
	// 64 KiB send quota. So the articles are of a realistic size, 1 KiB,
	// and the bound is far above what those buffers hold (~5,000 of them)
	// and far below the endless input.
	const limit = 20_000
	filler := strings.Repeat("and ", 256)
	var source articleSource
	articles := source.articles(total, func(i int) tagwire.Article {
		return tagwire.Article{ID: fmt.Sprintf("bp-%d", i), Body: e2eBodies[i%3].body + " " + filler}
	})
	taggedBefore := stats(t, client).GetArticlesTagged()

	received := 0
	for result, err := range client.TagAll(testContext(t), articles) {
		if err != nil {
			t.Fatalf("after %d results: %v", received, err)
		}
		if result.Err != nil {
			t.Fatalf("result %d: %v", result.Sequence, result.Err)
		}
		received++
		if received < 3 {
			continue
		}
		// Stop reading, and wait for the count to stay put for half a
		// second.
		last, since, deadline := source.pulled.Load(), time.Now(), time.Now().Add(testTimeout)
		for time.Since(since) < 500*time.Millisecond {
			if time.Now().After(deadline) {
				t.Fatalf("articles still being pulled after %v: %d", testTimeout, last)
			}
			time.Sleep(20 * time.Millisecond)
			if now := source.pulled.Load(); now != last {
				last, since = now, time.Now()
			}
			if last >= limit {
				t.Fatalf("%d articles pulled while the consumer had read %d: no backpressure", last, received)
			}
		}
		counters := stats(t, client)
		t.Logf("the input plateaued at %d articles pulled, %d tagged by the server, %d read",
			last, counters.GetArticlesTagged()-taggedBefore, received)
		if open := counters.GetActiveTagStreams(); open != 1 {
			t.Errorf("the server has %d TagStreams open, want 1", open)
		}
		break
	}

	// Breaking out stopped the sender and cancelled the stream.
	source.checkFinished(t)
	waitNoTagStreams(t, client)
}

func TestTagAllEarlyBreakCancelsTheStream(t *testing.T) {
	client := newClient(t, server.Addr)
	var source articleSource
	results := 0
	for _, err := range client.TagAll(testContext(t), source.articles(1000, e2eArticle)) {
		if err != nil {
			t.Fatal(err)
		}
		results++
		break
	}
	if results != 1 {
		t.Fatalf("%d results before the break", results)
	}
	source.checkFinished(t)
	waitNoTagStreams(t, client)
}

func TestTagAllYieldsCancellationOnce(t *testing.T) {
	client := newClient(t, server.Addr)
	ctx, cancel := context.WithCancel(testContext(t))
	defer cancel()
	var source articleSource
	results := 0
	var errs []error
	for _, err := range client.TagAll(ctx, source.articles(1000, e2eArticle)) {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if results++; results == 10 {
			cancel()
		}
	}
	if len(errs) != 1 || status.Code(errs[0]) != codes.Canceled {
		t.Fatalf("errors %v after %d results, want one Canceled", errs, results)
	}
	source.checkFinished(t)
	waitNoTagStreams(t, client)
}

func TestStreamContextCancelEndsRecv(t *testing.T) {
	client := newClient(t, server.Addr)
	ctx, cancel := context.WithCancel(testContext(t))
	defer cancel()
	stream, err := client.TagStream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.Send(e2eArticle(0)); err != nil {
		t.Fatal(err)
	}
	if result, err := stream.Recv(); err != nil || result.Tagged == nil {
		t.Fatalf("Recv: %v, %v", result, err)
	}
	// A Recv blocked waiting for a result the server will not send (no
	// article is outstanding) ends when the context is cancelled.
	time.AfterFunc(50*time.Millisecond, cancel)
	result, err := stream.Recv()
	if status.Code(err) != codes.Canceled {
		t.Fatalf("Recv after cancel: %v, %v; want codes.Canceled", result, err)
	}
	waitNoTagStreams(t, client)
}

func TestStreamOptions(t *testing.T) {
	client := newClient(t, server.Addr)
	ctx := testContext(t)
	article := tagwire.Article{ID: "s1", Body: "Emmanuel Macron spoke in Paris about Japan."}

	t.Run("defaults and per-article options", func(t *testing.T) {
		stream, err := client.TagStream(ctx, tagwire.WithKinds(tagwirev1.ConceptKind_CONCEPT_KIND_LOCATION))
		if err != nil {
			t.Fatal(err)
		}
		sends := []struct {
			opts           []tagwire.TagOption
			kind           tagwirev1.ConceptKind
			mentions       bool
			invalidOptions bool
		}{
			{nil, tagwirev1.ConceptKind_CONCEPT_KIND_LOCATION, true, false},
			// Per-article options apply on top of the stream's.
			{[]tagwire.TagOption{tagwire.WithoutMentions()}, tagwirev1.ConceptKind_CONCEPT_KIND_LOCATION, false, false},
			{[]tagwire.TagOption{tagwire.WithKinds(tagwirev1.ConceptKind_CONCEPT_KIND_PERSON)}, tagwirev1.ConceptKind_CONCEPT_KIND_PERSON, true, false},
			// Invalid per-article options fail that article only.
			{[]tagwire.TagOption{tagwire.WithMinScore(-1)}, 0, false, true},
			// And the defaults are back.
			{nil, tagwirev1.ConceptKind_CONCEPT_KIND_LOCATION, true, false},
		}
		for i, send := range sends {
			// An article the client cannot encode is refused without
			// ending the stream or taking a sequence number.
			bad := article
			bad.Source = "\xff"
			if err := stream.Send(bad); status.Code(err) != codes.InvalidArgument {
				t.Fatalf("Send with an invalid UTF-8 source: %v, want InvalidArgument", err)
			}
			if err := stream.Send(article, send.opts...); err != nil {
				t.Fatalf("Send %d: %v", i, err)
			}
		}
		if err := stream.CloseSend(); err != nil {
			t.Fatal(err)
		}
		for i, send := range sends {
			result, err := stream.Recv()
			if err != nil {
				t.Fatalf("Recv %d: %v", i, err)
			}
			if result.Sequence != uint64(i) {
				t.Fatalf("result %d has sequence %d", i, result.Sequence)
			}
			if send.invalidOptions {
				if result.Err == nil || result.Err.Reason != tagwirev1.ErrorReason_ERROR_REASON_INVALID_OPTIONS {
					t.Errorf("result %d: %v, want INVALID_OPTIONS", i, result.Err)
				}
				continue
			}
			if result.Err != nil || len(result.Tagged.GetTags()) == 0 {
				t.Fatalf("result %d: %v, %d tags", i, result.Err, len(result.Tagged.GetTags()))
			}
			for _, tag := range result.Tagged.GetTags() {
				if tag.GetKind() != send.kind || (len(tag.GetMentions()) > 0) != send.mentions {
					t.Errorf("result %d: tag %s of kind %v with %d mentions; want kind %v, mentions %v",
						i, tag.GetConceptId(), tag.GetKind(), len(tag.GetMentions()), send.kind, send.mentions)
				}
			}
		}
		if _, err := stream.Recv(); !errors.Is(err, io.EOF) {
			t.Fatalf("Recv after the last result: %v, want io.EOF", err)
		}
	})

	t.Run("invalid stream options end the stream", func(t *testing.T) {
		stream, err := client.TagStream(ctx, tagwire.WithMinScore(2))
		if err != nil {
			t.Fatal(err)
		}
		if err := stream.Send(article); err != nil && !errors.Is(err, io.EOF) {
			t.Fatalf("Send: %v, want nil or io.EOF", err)
		}
		result, err := stream.Recv()
		if status.Code(err) != codes.InvalidArgument {
			t.Fatalf("Recv: %v, %v; want codes.InvalidArgument", result, err)
		}
	})
}
