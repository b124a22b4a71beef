package tagwire

import (
	"context"
	"errors"
	"io"
	"iter"

	"google.golang.org/grpc/codes"

	tagwirev1 "github.com/tagwire/tagwire/clients/go/tagwire/v1"
)

// A Result is the server's answer to one article of a stream: exactly one of
// Tagged and Err is set. Results arrive in the order the articles were sent.
type Result struct {
	// Sequence is the article's position on the stream, from 0.
	Sequence uint64
	// Source, ID and Version identify the article, whether it succeeded or
	// not.
	Source  string
	ID      string
	Version int64
	// Tagged is the tagged article, or nil if the article failed.
	Tagged *tagwirev1.TaggedArticle
	// Err is why the article failed, or nil if it was tagged. A failed
	// article does not end the stream.
	Err *ArticleError
}

// A Stream is one TagStream call: articles go in with Send, results come out
// of Recv, one per article, in order. See TaggingService in
// tagging_service.proto for the conversation it holds.
//
// Send and Recv may be called from different goroutines, one sending and one
// receiving (gRPC's rule: neither method is safe to call from two goroutines
// at once). The sender calls CloseSend after its last article; the receiver
// calls Recv until it returns io.EOF (every article answered) or an error.
//
// Flow control paces the sender: the server stops reading when a bounded
// number of the stream's articles (its --max_in_flight, 32 by default) are
// unanswered, and once the HTTP/2 flow-control windows between the two are
// full, Send blocks until it reads again. What is buffered is thus bounded
// in bytes (a few MiB with tagwired's gRPC defaults), not in articles. The
// server only makes progress if its results are read, so keep calling Recv
// while sending, or Send blocks until ctx ends.
//
// The stream lives until it ends or its context is cancelled; cancel the
// context to abandon it, or its resources stay held.
type Stream struct {
	stream   tagwirev1.TaggingService_TagStreamClient
	defaults []TagOption
}

// TagStream opens a stream of articles to tag. Options given here become the
// stream's defaults, sent once as an options-only first message; the server
// ends the stream with codes.InvalidArgument (reported by Recv) if they are
// invalid. The stream gets no default deadline: ctx bounds its whole life.
//
// codes.ResourceExhausted from Recv right away means the server's cap on
// concurrent streams was reached: retry later with backoff.
func (c *Client) TagStream(ctx context.Context, opts ...TagOption) (*Stream, error) {
	stream, err := c.tagging.TagStream(ctx)
	if err != nil {
		return nil, err
	}
	s := &Stream{stream: stream, defaults: opts}
	if len(opts) > 0 {
		err := stream.Send(&tagwirev1.TagStreamRequest{Options: buildOptions(opts)})
		// io.EOF means the server has already ended the stream; Recv will
		// say why, as for any Send.
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, err
		}
	}
	return s, nil
}

// Send sends one article. Options given here are applied on top of the
// stream's defaults (those given to TagStream), for this article only.
//
// Send blocks while the server is not reading (see Stream). It returns
// io.EOF when the stream has ended: call Recv to learn why. An article whose
// Source, ID, Language or Metadata is not valid UTF-8 is not sent: Send
// returns a codes.InvalidArgument error and the stream stays usable.
func (s *Stream) Send(article Article, opts ...TagOption) error {
	if err := article.checkStrings(); err != nil {
		return err
	}
	req := &tagwirev1.TagStreamRequest{Article: article.Proto()}
	if len(opts) > 0 {
		all := make([]TagOption, 0, len(s.defaults)+len(opts))
		req.Options = buildOptions(append(append(all, s.defaults...), opts...))
	}
	return s.stream.Send(req)
}

// CloseSend tells the server that no more articles follow. The server
// answers the articles still in flight, then Recv returns io.EOF. Call it
// from the goroutine that calls Send.
func (s *Stream) CloseSend() error {
	return s.stream.CloseSend()
}

// Recv returns the next result, io.EOF once every article has been answered
// after CloseSend, or the gRPC status error that ended the stream, e.g.
// codes.Unavailable when the server shut down: the articles without a result
// were not processed and should be resent.
func (s *Stream) Recv() (*Result, error) {
	resp, err := s.stream.Recv()
	if err != nil {
		return nil, err
	}
	result := &Result{
		Sequence: resp.GetSequence(),
		Source:   resp.GetSource(),
		ID:       resp.GetId(),
		Version:  resp.GetVersion(),
	}
	switch answer := resp.GetResult().(type) {
	case *tagwirev1.TagStreamResponse_TaggedArticle:
		result.Tagged = answer.TaggedArticle
	case *tagwirev1.TagStreamResponse_Error:
		result.Err = newArticleError(answer.Error, result.Source, result.ID, result.Version,
			result.Sequence)
	default:
		// Neither (a newer server's answer this client does not know):
		// still exactly one of Tagged and Err.
		result.Err = &ArticleError{
			Code:    codes.Unknown,
			Message: "the server's response holds neither a result nor an error",
			Source:  result.Source, ID: result.ID, Version: result.Version,
			Sequence: result.Sequence,
		}
	}
	return result, nil
}

// TagAll tags every article of articles on one stream and yields the results
// in order, one per article; failed articles come with Result.Err set and do
// not end the iteration. Options are the stream's defaults, as in TagStream.
//
//	for result, err := range client.TagAll(ctx, articles) {
//		if err != nil {
//			return err // the stream failed; later articles were not tagged
//		}
//		...
//	}
//
// A goroutine pulls articles from the sequence and sends them, one at a
// time, as flow control allows: it never reads ahead of what the server
// accepts, so the sequence may be endless or expensive. An error that ends
// the stream is yielded once, as (nil, err), and ends the iteration; so does
// an article the client cannot send (invalid UTF-8 outside Title and Body),
// after the results of the articles before it.
//
// Breaking out of the loop (or ctx ending) cancels the stream; TagAll
// returns only after the sending goroutine has stopped. The articles
// sequence runs on that goroutine, so if it can block for long (say, on a
// channel), it should watch ctx too.
func (c *Client) TagAll(ctx context.Context, articles iter.Seq[Article], opts ...TagOption) iter.Seq2[*Result, error] {
	return func(yield func(*Result, error) bool) {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		stream, err := c.TagStream(ctx, opts...)
		if err != nil {
			yield(nil, err)
			return
		}

		// The sender. sendErr is written before sent is closed and read
		// only after: an article the client refused to send.
		var sendErr error
		sent := make(chan struct{})
		go func() {
			defer close(sent)
			for article := range articles {
				if ctx.Err() != nil {
					return
				}
				if err := stream.Send(article); err != nil {
					if !errors.Is(err, io.EOF) { // io.EOF: Recv reports why
						sendErr = err
						stream.CloseSend() // let the receiver drain what was sent
					}
					return
				}
			}
			stream.CloseSend()
		}()
		stopSender := func() {
			cancel()
			<-sent
		}
		defer stopSender()

		for {
			result, err := stream.Recv()
			if errors.Is(err, io.EOF) {
				stopSender()
				if sendErr != nil {
					yield(nil, sendErr)
				}
				return
			}
			if err != nil {
				yield(nil, err)
				return
			}
			if !yield(result, nil) {
				return
			}
		}
	}
}
