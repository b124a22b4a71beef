package tagwire

import (
	"context"
	"errors"
	"io"
	"iter"
	"slices"
	"sync"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	tagwirev1 "github.com/tagwire/tagwire/clients/go/tagwire/v1"
)

// A Result is the answer to one article of a stream: exactly one of Tagged
// and Failure is set. Results come in the order the articles were given to
// the stream.
type Result struct {
	// Sequence is the article's index in the input, from 0: its position
	// among the articles given to the stream (accepted by Send, or pulled
	// from the sequence by TagAll), those the client refused itself
	// included. After the stream fails, resume from the first index without
	// a result. It equals the server's TagStreamResponse.sequence as long as
	// the client refused no earlier article itself (see WithMaxMessageBytes).
	Sequence uint64
	// Source, ID and Version identify the article, whether it succeeded or
	// not.
	Source  string
	ID      string
	Version int64
	// Tagged is the tagged article, or nil if the article failed.
	Tagged *tagwirev1.TaggedArticle
	// Failure is why the article failed, or nil if it was tagged. A failed
	// article does not end the stream. Use Err for an error value.
	Failure *ArticleError
}

// Err returns Failure as an error: nil if the article was tagged, the
// *ArticleError otherwise. Prefer it to converting Failure to error
// yourself, since a nil *ArticleError in an error is a non-nil error:
//
//	return result.Tagged, result.Err()
func (r *Result) Err() error {
	if r.Failure == nil {
		return nil
	}
	return r.Failure
}

// A Stream is one TagStream call: articles go in with Send, results come out
// of Recv, one per article, in order. See TaggingService in
// tagging_service.proto for the conversation it holds.
//
// Send and Recv may be called from different goroutines, one sending and one
// receiving; neither is safe to call from two goroutines at once (gRPC's
// rule). The sender calls CloseSend after its last article; the receiver
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
// context to abandon it, or its resources (and a goroutine that reads the
// server's responses) stay held.
type Stream struct {
	stream          tagwirev1.TaggingService_TagStreamClient
	maxMessageBytes int // see WithMaxMessageBytes; <= 0: no limit

	// The pump goroutine reads the server's responses and hands them to
	// Recv through responses, so that Recv can wait for a response and for
	// a refused article at once. It closes ended when the server's stream
	// ends, having set endErr (io.EOF for OK) before.
	responses chan *tagwirev1.TagStreamResponse
	ended     chan struct{}
	endErr    error
	// refusedSignal (capacity 1) wakes Recv when Send queues a refusal.
	refusedSignal chan struct{}

	// Owned by the sending goroutine (Send, CloseSend).
	given        uint64 // articles accepted by Send so far
	sentToServer uint64 // of those, the ones sent to the server
	closed       bool   // CloseSend was called

	mu      sync.Mutex
	refused []refusal // guarded by mu: refusals not delivered yet, in order

	// Owned by the receiving goroutine (Recv).
	answered          uint64                       // server responses delivered
	refusalsDelivered uint64                       // refusals delivered
	held              *tagwirev1.TagStreamResponse // waits for earlier refusals
	err               error                        // what ended the stream, once seen
}

// A refusal is an article the client refused to send, waiting for its turn
// among the results: right after the answer to the article sent to the
// server before it.
type refusal struct {
	after  uint64 // how many articles were sent to the server before it
	result *Result
}

// TagStream opens a stream of articles to tag. Options given here become the
// stream's defaults, sent once as an options-only first message; the server
// ends the stream with codes.InvalidArgument (reported by Recv) if they are
// invalid. The stream gets no default deadline: ctx bounds its whole life.
//
// codes.ResourceExhausted from Recv before any result means the server's cap
// on concurrent streams (its --max_streams) was reached: retry later with
// backoff. Later on, it means the server refused a message over its
// --max_message_bytes, which is then below the client's WithMaxMessageBytes:
// lower the option, since resending the same article fails again.
func (c *Client) TagStream(ctx context.Context, opts ...TagOption) (*Stream, error) {
	stream, err := c.tagging.TagStream(ctx)
	if err != nil {
		return nil, err
	}
	if len(opts) > 0 {
		err := stream.Send(&tagwirev1.TagStreamRequest{Options: buildOptions(opts)})
		// io.EOF means the server has already ended the stream; Recv will
		// say why, as for any Send.
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, err
		}
	}
	s := &Stream{
		stream:          stream,
		maxMessageBytes: c.maxMessageBytes,
		responses:       make(chan *tagwirev1.TagStreamResponse),
		ended:           make(chan struct{}),
		refusedSignal:   make(chan struct{}, 1),
	}
	go s.pump(ctx)
	return s, nil
}

// pump reads the server's responses for Recv until the stream ends or ctx
// does.
func (s *Stream) pump(ctx context.Context) {
	defer close(s.ended)
	for {
		resp, err := s.stream.Recv()
		if err != nil {
			s.endErr = err
			return
		}
		select {
		case s.responses <- resp:
		case <-ctx.Done():
			s.endErr = status.FromContextError(ctx.Err()).Err()
			return
		}
	}
}

// Send gives the stream one article. Options given here replace the
// stream's defaults (those given to TagStream) for this article only; with
// none, the defaults apply.
//
// Send blocks while the server is not reading (see Stream). It returns
// io.EOF when the stream has ended: call Recv to learn why.
//
// An article whose request would exceed the client's WithMaxMessageBytes is
// not sent, since the server would end the whole stream over it: Send
// returns nil, and Recv delivers the article's Result, with Failure of
// reason ERROR_REASON_ARTICLE_TOO_LARGE, in its place among the others.
//
// An article whose Source, ID, Language or Metadata is not valid UTF-8 is
// not sent either, nor given a Sequence: Send returns a
// codes.InvalidArgument error and the stream stays usable.
func (s *Stream) Send(article Article, opts ...TagOption) error {
	if err := article.checkStrings(); err != nil {
		return err
	}
	if s.closed {
		return status.Error(codes.Internal, "tagwire: Send called after CloseSend")
	}
	req := &tagwirev1.TagStreamRequest{Article: article.Proto(), Options: buildOptions(opts)}
	if size := proto.Size(req); s.maxMessageBytes > 0 && size > s.maxMessageBytes {
		select {
		case <-s.ended:
			return io.EOF // as gRPC's Send reports an ended stream
		default:
		}
		s.refuse(article, tooLargeError(article, size, s.maxMessageBytes, s.given))
		return nil
	}
	if err := s.stream.Send(req); err != nil {
		return err
	}
	s.given++
	s.sentToServer++
	return nil
}

// refuse queues the client's refusal of the next article for Recv.
func (s *Stream) refuse(article Article, failure *ArticleError) {
	result := &Result{
		Sequence: s.given,
		Source:   article.Source,
		ID:       article.ID,
		Version:  article.Version,
		Failure:  failure,
	}
	s.given++
	s.mu.Lock()
	s.refused = append(s.refused, refusal{after: s.sentToServer, result: result})
	s.mu.Unlock()
	select {
	case s.refusedSignal <- struct{}{}:
	default: // Recv has a wake-up pending already
	}
}

// CloseSend tells the server that no more articles follow. The server
// answers the articles still in flight, then Recv returns io.EOF. Call it
// from the goroutine that calls Send.
func (s *Stream) CloseSend() error {
	s.closed = true
	return s.stream.CloseSend()
}

// Recv returns the result of the next article, io.EOF once every article
// has been answered after CloseSend, or the gRPC status error that ended the
// stream, e.g. codes.Unavailable when the server shut down: the articles
// without a result were not processed and should be resent, from the first
// Sequence without a result on.
func (s *Stream) Recv() (*Result, error) {
	for {
		if result := s.nextRefusal(); result != nil {
			return result, nil
		}
		if resp := s.held; resp != nil {
			s.held = nil
			return s.serverResult(resp), nil
		}
		if s.err != nil {
			return nil, s.err
		}
		select {
		case s.held = <-s.responses:
		case <-s.ended:
			s.err = s.endErr
		case <-s.refusedSignal:
		}
	}
}

// nextRefusal returns the refused article whose turn it is, if any: one
// that follows only articles answered already.
func (s *Stream) nextRefusal() *Result {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.refused) == 0 || s.refused[0].after > s.answered {
		return nil
	}
	result := s.refused[0].result
	s.refused[0] = refusal{}
	s.refused = s.refused[1:]
	s.refusalsDelivered++
	return result
}

// serverResult converts the server's next response.
func (s *Stream) serverResult(resp *tagwirev1.TagStreamResponse) *Result {
	// The server answers in order, so the response is to the next article
	// sent to it; the refusals before that article have been delivered.
	result := &Result{
		Sequence: s.answered + s.refusalsDelivered,
		Source:   resp.GetSource(),
		ID:       resp.GetId(),
		Version:  resp.GetVersion(),
	}
	s.answered++
	switch answer := resp.GetResult().(type) {
	case *tagwirev1.TagStreamResponse_TaggedArticle:
		result.Tagged = answer.TaggedArticle
	case *tagwirev1.TagStreamResponse_Error:
		result.Failure = newArticleError(answer.Error, result.Source, result.ID, result.Version,
			result.Sequence)
	default:
		// Neither (a newer server's answer this client does not know):
		// still exactly one of Tagged and Failure.
		result.Failure = &ArticleError{
			Code:    codes.Unknown,
			Message: "the server's response holds neither a result nor an error",
			Source:  result.Source, ID: result.ID, Version: result.Version,
			Sequence: result.Sequence,
		}
	}
	return result
}

// TagAll tags every article of articles on one stream and yields the results
// in order, one per article; failed articles come with Result.Failure set
// and do not end the iteration. Options are the stream's defaults, as in
// TagStream.
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
// accepts, so the sequence may be endless, expensive or slow to produce (a
// channel, a network feed). An article too large to send (see
// WithMaxMessageBytes) is not sent; its Result comes in its place, with
// Failure set. An error that ends the stream is yielded once, as (nil, err),
// and ends the iteration; so does an article the client cannot send at all
// (invalid UTF-8 outside Title and Body), after the results of the articles
// before it. The articles from the first Sequence without a result on were
// not tagged: to resume, resend them.
//
// When the iteration ends normally, the sequence has returned. When it ends
// early (a break, an error, ctx ending), TagAll cancels the stream and
// returns without waiting for the sequence, in which the goroutine may be
// blocked waiting for an article. The goroutine sends nothing more: it stops
// pulling as soon as the sequence yields its next article (or returns), so
// the sequence may run until then after TagAll has returned. If it can wait
// indefinitely, end it from outside (close its channel, watch the caller's
// ctx) to release the goroutine.
func (c *Client) TagAll(ctx context.Context, articles iter.Seq[Article], opts ...TagOption) iter.Seq2[*Result, error] {
	opts = slices.Clone(opts) // the iteration may start after the caller reuses the slice
	return func(yield func(*Result, error) bool) {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		stream, err := c.TagStream(ctx, opts...)
		if err != nil {
			yield(nil, err)
			return
		}
		sender := &tagAllSender{stream: stream, done: make(chan struct{})}
		go sender.run(articles)
		defer func() {
			cancel() // unblocks a Send
			sender.abandon()
		}()

		for {
			result, err := stream.Recv()
			if errors.Is(err, io.EOF) {
				if err := sender.finish(); err != nil {
					yield(nil, err)
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

// A tagAllSender is the goroutine of one TagAll that pulls articles from
// the sequence and sends them. TagAll never waits for it while it is in the
// sequence, which may block for as long as it likes; only while it is in
// Send, which cancelling the stream ends.
type tagAllSender struct {
	stream *Stream
	done   chan struct{} // closed when run returns

	mu        sync.Mutex
	sending   chan struct{} // guarded by mu: while in Send, closed after it
	abandoned bool          // guarded by mu: TagAll has returned early
	finished  bool          // guarded by mu: the sequence has returned
	err       error         // guarded by mu: the article it could not send
}

// run sends the articles, then closes the stream's sending side.
func (s *tagAllSender) run(articles iter.Seq[Article]) {
	defer close(s.done)
	for article := range articles {
		sending := make(chan struct{})
		s.mu.Lock()
		if s.abandoned {
			s.mu.Unlock()
			return
		}
		s.sending = sending
		s.mu.Unlock()

		err := s.stream.Send(article)

		s.mu.Lock()
		s.sending = nil
		close(sending)
		abandoned := s.abandoned
		if err != nil && !errors.Is(err, io.EOF) { // io.EOF: Recv reports why
			s.err = err
		}
		s.mu.Unlock()
		if abandoned {
			return
		}
		if err != nil {
			break // and close, so that the receiver gets the results before it
		}
	}
	s.mu.Lock()
	s.finished = true
	s.mu.Unlock()
	s.stream.CloseSend()
}

// finish returns, once the stream has ended with OK, the error of an article
// the sender could not send, if any. The server ends the stream only after
// the sender has closed it, past the sequence; but should it end it early,
// finish reports that instead of waiting for the sequence.
func (s *tagAllSender) finish() error {
	s.mu.Lock()
	finished, err := s.finished, s.err
	s.mu.Unlock()
	if !finished {
		return status.Error(codes.Internal,
			"tagwire: the server ended the stream before the client had sent every article")
	}
	<-s.done // only CloseSend is left to run
	return err
}

// abandon tells the sender to stop, and waits for it to leave Send if it is
// in it. The stream must be cancelled first, so that Send returns.
func (s *tagAllSender) abandon() {
	s.mu.Lock()
	s.abandoned = true
	sending := s.sending
	s.mu.Unlock()
	if sending != nil {
		<-sending
	}
}
