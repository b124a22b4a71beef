package tagwire_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tagwire/tagwire/clients/go/internal/testserver"
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

// checkFinished fails the test unless the sequence has returned: what
// TagAll guarantees when its iteration ended normally.
func (s *articleSource) checkFinished(t *testing.T) {
	t.Helper()
	if !s.finished.Load() {
		t.Errorf("TagAll returned while its goroutine was still reading the input (%d pulled)", s.pulled.Load())
	}
}

// waitFinished fails the test unless the sequence returns within
// waitTimeout, having yielded at most one more article: what TagAll
// guarantees when its iteration ended early. It does not wait for the
// sequence, which stops at its next article.
func (s *articleSource) waitFinished(t *testing.T) {
	t.Helper()
	pulled := s.pulled.Load()
	waitUntil(t, "the input sequence returns", s.finished.Load)
	if now := s.pulled.Load(); now > pulled+1 {
		t.Errorf("%d articles pulled after TagAll returned, want at most 1", now-pulled)
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
			if result.Failure == nil || result.Failure.Reason != tagwirev1.ErrorReason_ERROR_REASON_BODY_NOT_UTF8 {
				t.Fatalf("result %d: Failure %v, want BODY_NOT_UTF8", i, result.Failure)
			}
		} else if result.Failure != nil || len(missingTags(result.Tagged, e2eBodies[i%3].tags...)) > 0 {
			t.Fatalf("result %d: Failure %v, tags %v", i, result.Failure, tagIDs(result.Tagged))
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
		if result.Failure != nil {
			t.Errorf("result %d: %v", results, result.Failure)
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
		if result.Failure != nil {
			t.Fatalf("result %d: %v", result.Sequence, result.Failure)
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
	source.waitFinished(t)
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
	source.waitFinished(t)
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
	source.waitFinished(t)
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
		location, person := tagwirev1.ConceptKind_CONCEPT_KIND_LOCATION, tagwirev1.ConceptKind_CONCEPT_KIND_PERSON
		sends := []struct {
			opts           []tagwire.TagOption
			kinds          []tagwirev1.ConceptKind // the kinds of the tags, exactly
			mentions       bool
			invalidOptions bool
		}{
			{nil, []tagwirev1.ConceptKind{location}, true, false},
			// Per-article options replace the stream's (the contract):
			// WithoutMentions alone brings back every kind.
			{[]tagwire.TagOption{tagwire.WithoutMentions()}, []tagwirev1.ConceptKind{location, person}, false, false},
			{[]tagwire.TagOption{tagwire.WithKinds(person)}, []tagwirev1.ConceptKind{person}, true, false},
			// Invalid per-article options fail that article only.
			{[]tagwire.TagOption{tagwire.WithMinScore(-1)}, nil, false, true},
			// And the defaults are back.
			{nil, []tagwirev1.ConceptKind{location}, true, false},
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
				if result.Failure == nil || result.Failure.Reason != tagwirev1.ErrorReason_ERROR_REASON_INVALID_OPTIONS {
					t.Errorf("result %d: %v, want INVALID_OPTIONS", i, result.Failure)
				}
				continue
			}
			if result.Failure != nil || len(result.Tagged.GetTags()) == 0 {
				t.Fatalf("result %d: %v, %d tags", i, result.Failure, len(result.Tagged.GetTags()))
			}
			var kinds []tagwirev1.ConceptKind
			for _, tag := range result.Tagged.GetTags() {
				if !slices.Contains(kinds, tag.GetKind()) {
					kinds = append(kinds, tag.GetKind())
				}
				if (len(tag.GetMentions()) > 0) != send.mentions {
					t.Errorf("result %d: tag %s with %d mentions; want mentions %v",
						i, tag.GetConceptId(), len(tag.GetMentions()), send.mentions)
				}
			}
			slices.Sort(kinds)
			if want := slices.Sorted(slices.Values(send.kinds)); !slices.Equal(kinds, want) {
				t.Errorf("result %d: tags of kinds %v, want %v", i, kinds, want)
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

// A feed is an input sequence for TagAll that yields the articles sent on
// its channel, waiting for them as a consumer of a queue or of stdin does.
// It can be ranged over once.
type feed struct {
	articles chan tagwire.Article
	pulled   atomic.Int64  // articles taken so far
	returned chan struct{} // closed when the sequence returns
}

func newFeed(t *testing.T) *feed {
	f := &feed{articles: make(chan tagwire.Article), returned: make(chan struct{})}
	// Whatever happens, the sequence ends with the test, releasing TagAll's
	// goroutine.
	t.Cleanup(func() { close(f.articles) })
	return f
}

func (f *feed) all(yield func(tagwire.Article) bool) {
	defer close(f.returned)
	for article := range f.articles {
		f.pulled.Add(1)
		if !yield(article) {
			return
		}
	}
}

// give hands article to the sequence, failing the test unless it is taken
// within waitTimeout.
func (f *feed) give(t *testing.T, article tagwire.Article) {
	t.Helper()
	select {
	case f.articles <- article:
	case <-time.After(waitTimeout):
		t.Fatalf("article %s not taken from the input within %v", article.ID, waitTimeout)
	}
}

// TestTagAllDoesNotWaitForAnIdleInput checks that TagAll returns promptly
// when its iteration ends early while the input sequence is waiting for its
// next article, and that the goroutine left in the sequence stops at that
// article without sending it.
func TestTagAllDoesNotWaitForAnIdleInput(t *testing.T) {
	// How long TagAll may take to return: generous, since a hang is forever
	// and a loaded CI machine is slow; the server ends its streams within its
	// --grace_period (2 s) of SIGTERM.
	const returnTimeout = 20 * time.Second

	for _, tc := range []struct {
		name string
		// end ends the iteration after its first result, returning whether
		// to break out of the loop.
		end      func(cancel context.CancelFunc, stopServer func()) bool
		wantErrs []codes.Code
	}{
		{"break", func(context.CancelFunc, func()) bool { return true }, nil},
		{"context cancelled", func(cancel context.CancelFunc, _ func()) bool { cancel(); return false },
			[]codes.Code{codes.Canceled}},
		{"server stopped", func(_ context.CancelFunc, stopServer func()) bool { stopServer(); return false },
			[]codes.Code{codes.Unavailable}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, stop := startStoppableServer(t)
			client := newClient(t, s.Addr)
			stats(t, client) // connected: the connection's goroutines count as before
			checkLeaks := checkNoGoroutineLeak(t)
			stopped := make(chan error, 1)
			stopServer := func() { go func() { stopped <- stop() }() }

			ctx, cancel := context.WithCancel(testContext(t))
			defer cancel()
			input := newFeed(t)
			type outcome struct {
				results int
				errs    []codes.Code
			}
			done := make(chan outcome, 1)
			go func() {
				var o outcome
				for _, err := range client.TagAll(ctx, input.all) {
					if err != nil {
						o.errs = append(o.errs, status.Code(err))
						continue
					}
					if o.results++; o.results == 1 && tc.end(cancel, stopServer) {
						break
					}
				}
				done <- o
			}()
			input.give(t, e2eArticle(0))
			select {
			case o := <-done:
				if o.results != 1 || !slices.Equal(o.errs, tc.wantErrs) {
					t.Errorf("%d results and errors %v; want 1 result and %v", o.results, o.errs, tc.wantErrs)
				}
			case <-time.After(returnTimeout):
				t.Fatalf("TagAll still running %v after the iteration should have ended "+
					"(waiting for the idle input?)", returnTimeout)
			}

			// The sequence is still waiting: give it one more article, which
			// it takes, and then it must be told to stop.
			select {
			case <-input.returned:
				t.Fatal("the input sequence returned while it was waiting for an article")
			default:
			}
			input.give(t, e2eArticle(1))
			select {
			case <-input.returned:
			case <-time.After(waitTimeout):
				t.Fatalf("the input sequence still running %v after TagAll returned and it yielded", waitTimeout)
			}
			if pulled := input.pulled.Load(); pulled != 2 {
				t.Errorf("%d articles pulled, want 2", pulled)
			}
			if tc.name == "server stopped" {
				select {
				case err := <-stopped:
					if err != nil {
						t.Error(err)
					}
				case <-time.After(2 * testserver.Timeout):
					t.Fatal("the server did not stop")
				}
			} else {
				waitNoTagStreams(t, client)
				checkLeaks()
			}
		})
	}
}

// TestTagAllServerShutdown stops the server while TagAll streams an endless
// input: the iteration ends with codes.Unavailable, and the results form an
// unbroken run from index 0, so that resuming from the first index without a
// result loses no article.
func TestTagAllServerShutdown(t *testing.T) {
	s, stop := startStoppableServer(t)
	client := newClient(t, s.Addr)
	stopped := make(chan error, 1)
	var source articleSource
	var results []*tagwire.Result
	var errs []error
	for result, err := range client.TagAll(testContext(t), source.articles(100_000_000, e2eArticle)) {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if results = append(results, result); len(results) == 200 {
			go func() { stopped <- stop() }()
		}
	}
	if len(errs) != 1 || status.Code(errs[0]) != codes.Unavailable {
		t.Fatalf("errors %v after %d results; want one Unavailable", errs, len(results))
	}
	for i, result := range results {
		if result.Sequence != uint64(i) || result.ID != fmt.Sprintf("e2e-%d", i) {
			t.Fatalf("result %d is sequence %d id %q: the results are not an unbroken run",
				i, result.Sequence, result.ID)
		}
	}
	pulled := source.pulled.Load()
	if pulled < int64(len(results)) {
		t.Fatalf("%d results for %d articles pulled", len(results), pulled)
	}
	t.Logf("%d results; %d articles pulled, of which %d to resend", len(results), pulled,
		pulled-int64(len(results)))
	source.waitFinished(t)
	select {
	case err := <-stopped:
		if err != nil {
			t.Error(err)
		}
	case <-time.After(2 * testserver.Timeout):
		t.Fatal("the server did not stop")
	}
}

// TestTagAllCopiesItsOptions checks that TagAll keeps the options it was
// given, not the caller's slice, which the caller may reuse before the
// iteration starts.
func TestTagAllCopiesItsOptions(t *testing.T) {
	client := newClient(t, server.Addr)
	opts := []tagwire.TagOption{tagwire.WithKinds(tagwirev1.ConceptKind_CONCEPT_KIND_LOCATION)}
	results := client.TagAll(testContext(t), slices.Values([]tagwire.Article{e2eArticle(2)}), opts...)
	opts[0] = tagwire.WithMinScore(2) // invalid: it would end the stream
	n := 0
	for result, err := range results {
		if err != nil {
			t.Fatal(err)
		}
		for _, tag := range result.Tagged.GetTags() {
			if tag.GetKind() != tagwirev1.ConceptKind_CONCEPT_KIND_LOCATION {
				t.Errorf("tag %s of kind %v, want only locations", tag.GetConceptId(), tag.GetKind())
			}
		}
		n++
	}
	if n != 1 {
		t.Fatalf("%d results, want 1", n)
	}
}

func TestResultErr(t *testing.T) {
	// The natural adapter from a Result to (value, error).
	unwrap := func(r *tagwire.Result) (*tagwirev1.TaggedArticle, error) { return r.Tagged, r.Err() }

	if _, err := unwrap(&tagwire.Result{Tagged: &tagwirev1.TaggedArticle{Id: "a1"}}); err != nil {
		t.Errorf("Err of a tagged article: %#v, want nil", err)
	}
	failed := &tagwire.Result{Failure: &tagwire.ArticleError{
		Reason: tagwirev1.ErrorReason_ERROR_REASON_EMPTY_BODY, Code: codes.InvalidArgument, ID: "a2",
	}}
	_, err := unwrap(failed)
	var articleErr *tagwire.ArticleError
	if !errors.As(err, &articleErr) || articleErr != failed.Failure || status.Code(err) != codes.InvalidArgument {
		t.Errorf("Err of a failed article: %#v, want its Failure", err)
	}
}
