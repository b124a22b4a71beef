package tagwire_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tagwire/tagwire/clients/go/tagwire"
	tagwirev1 "github.com/tagwire/tagwire/clients/go/tagwire/v1"
)

// hugeArticle is over the server's default --max_message_bytes (8 MiB), and
// so over the client's default WithMaxMessageBytes.
var hugeArticle = tagwire.Article{Source: "big", ID: "huge", Version: 7,
	Body: strings.Repeat("NATO met. ", 900_000)}

// checkTooLarge fails the test unless failure is the client's refusal of
// an article too large to send, at index sequence.
func checkTooLarge(t *testing.T, failure *tagwire.ArticleError, article tagwire.Article, sequence uint64) {
	t.Helper()
	if failure == nil || failure.Reason != tagwirev1.ErrorReason_ERROR_REASON_ARTICLE_TOO_LARGE ||
		failure.Code != codes.InvalidArgument || !strings.Contains(failure.Message, "bytes as a request") {
		t.Errorf("article %d: %v, want the client's ARTICLE_TOO_LARGE", sequence, failure)
		return
	}
	if failure.Source != article.Source || failure.ID != article.ID || failure.Version != article.Version ||
		failure.Sequence != sequence {
		t.Errorf("ArticleError %+v does not name article %d (%q/%q/%d)", failure, sequence,
			article.Source, article.ID, article.Version)
	}
}

func TestTagRefusesAnArticleTooLargeToSend(t *testing.T) {
	t.Run("without calling the server", func(t *testing.T) {
		var counter attemptCounter
		client := newClient(t, closedAddress(t), tagwire.WithDialOptions(grpc.WithStatsHandler(&counter)))
		_, err := client.Tag(testContext(t), hugeArticle)
		var articleErr *tagwire.ArticleError
		if !errors.As(err, &articleErr) || status.Code(err) != codes.InvalidArgument {
			t.Fatalf("Tag: %T %v, want an *ArticleError", err, err)
		}
		checkTooLarge(t, articleErr, hugeArticle, 0)
		if attempts := counter.attempts.Load(); attempts != 0 {
			t.Errorf("%d calls made, want none", attempts)
		}
	})

	t.Run("WithMaxMessageBytes", func(t *testing.T) {
		small := tagwire.Article{ID: "s", Body: strings.Repeat("NATO met. ", 100)}
		client := newClient(t, server.Addr, tagwire.WithMaxMessageBytes(500))
		_, err := client.Tag(testContext(t), small)
		var articleErr *tagwire.ArticleError
		if !errors.As(err, &articleErr) {
			t.Fatalf("Tag of %d bytes with a limit of 500: %v, want an *ArticleError", len(small.Body), err)
		}
		checkTooLarge(t, articleErr, small, 0)
		if _, err := client.Tag(testContext(t), e2eArticle(0)); err != nil {
			t.Errorf("Tag of a small article: %v", err)
		}
	})

	t.Run("no limit", func(t *testing.T) {
		// What the check avoids: the server ends the call.
		client := newClient(t, server.Addr, tagwire.WithMaxMessageBytes(0))
		if _, err := client.Tag(testContext(t), hugeArticle); status.Code(err) != codes.ResourceExhausted {
			t.Errorf("Tag without a client limit: %v, want the server's ResourceExhausted", err)
		}
	})
}

// TestTagAllRefusesArticlesTooLargeToSendInPlace checks that an article too
// large for the server's message limit does not end the stream (which
// would lose the articles in flight) but gets its Result in its place.
func TestTagAllRefusesArticlesTooLargeToSendInPlace(t *testing.T) {
	client := newClient(t, server.Addr)
	var articles []tagwire.Article
	for i, huge := range []bool{true, false, true, true, false, false, true} {
		article := e2eArticle(i)
		if huge {
			article = hugeArticle
			article.ID = fmt.Sprintf("huge-%d", i)
		}
		articles = append(articles, article)
	}
	checkResults := func(t *testing.T, results []*tagwire.Result) {
		t.Helper()
		if len(results) != len(articles) {
			t.Fatalf("%d results for %d articles", len(results), len(articles))
		}
		for i, result := range results {
			if result.Sequence != uint64(i) || result.ID != articles[i].ID {
				t.Errorf("result %d: sequence %d id %q, want id %q", i, result.Sequence, result.ID, articles[i].ID)
				continue
			}
			if articles[i].Body == hugeArticle.Body {
				checkTooLarge(t, result.Failure, articles[i], uint64(i))
			} else if result.Failure != nil || len(result.Tagged.GetTags()) == 0 {
				t.Errorf("result %d: %v, %d tags", i, result.Failure, len(result.Tagged.GetTags()))
			}
		}
	}

	t.Run("TagAll", func(t *testing.T) {
		var results []*tagwire.Result
		for result, err := range client.TagAll(testContext(t), slices.Values(articles)) {
			if err != nil {
				t.Fatalf("after %d results: %v", len(results), err)
			}
			results = append(results, result)
		}
		checkResults(t, results)
	})

	t.Run("Send and Recv", func(t *testing.T) {
		stream, err := client.TagStream(testContext(t))
		if err != nil {
			t.Fatal(err)
		}
		for _, article := range articles {
			if err := stream.Send(article); err != nil {
				t.Fatalf("Send(%s): %v", article.ID, err)
			}
		}
		if err := stream.CloseSend(); err != nil {
			t.Fatal(err)
		}
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
		checkResults(t, results)
	})
}

// TestTagAllDeliversARefusalWithoutWaiting checks that the result of an
// article refused by the client comes as soon as its turn does, not when
// the next article is answered: with an input that waits, it would
// otherwise come late.
func TestTagAllDeliversARefusalWithoutWaiting(t *testing.T) {
	client := newClient(t, server.Addr, tagwire.WithMaxMessageBytes(500))
	big := tagwire.Article{ID: "big", Body: strings.Repeat("NATO met. ", 100)}
	ctx, cancel := context.WithCancel(testContext(t))
	defer cancel()
	input := newFeed(t)
	results := make(chan *tagwire.Result)
	go func() {
		defer close(results)
		for result, err := range client.TagAll(ctx, input.all) {
			if err != nil {
				return
			}
			select {
			case results <- result:
			case <-ctx.Done():
				return
			}
		}
	}()
	next := func() *tagwire.Result {
		t.Helper()
		select {
		case result := <-results:
			return result
		case <-time.After(waitTimeout):
			t.Fatalf("no result within %v", waitTimeout)
			return nil
		}
	}
	for i, article := range []tagwire.Article{big, e2eArticle(1), big, big, e2eArticle(4)} {
		input.give(t, article)
		result := next()
		if result == nil || result.Sequence != uint64(i) || result.ID != article.ID {
			t.Fatalf("result %d: %+v, want the article's", i, result)
		}
		if article.ID == big.ID {
			checkTooLarge(t, result.Failure, big, uint64(i))
		} else if result.Failure != nil {
			t.Errorf("result %d: %v", i, result.Failure)
		}
	}
}
