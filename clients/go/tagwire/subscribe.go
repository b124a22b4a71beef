package tagwire

import (
	"context"
	"errors"
	"io"
	"iter"

	tagwirev1 "github.com/tagwire/tagwire/clients/go/tagwire/v1"
)

// A Filter selects the articles a subscription receives. All its conditions
// must hold; the zero Filter passes every article.
type Filter struct {
	// Kinds keeps articles with a tag or topic of one of these kinds.
	Kinds []tagwirev1.ConceptKind
	// ConceptIDs keeps articles that mention one of these concepts, e.g.
	// "org:nato".
	ConceptIDs []string
	// Topics keeps articles about one of these topics, by IPTC code
	// ("medtop:11000000") or concept id ("topic:medtop:11000000").
	Topics []string
	// MinScore is the score, in [0, 1], that the tags and topics counted by
	// the conditions above must reach.
	MinScore float64
}

// proto returns the filter as the generated message.
func (f Filter) proto() *tagwirev1.SubscriptionFilter {
	return &tagwirev1.SubscriptionFilter{
		Kinds:      f.Kinds,
		ConceptIds: f.ConceptIDs,
		Topics:     f.Topics,
		MinScore:   f.MinScore,
	}
}

// A Subscription receives the articles tagged by the server, by any client,
// after it subscribed, that pass its filter. There is no replay.
//
// Read it promptly: the server queues a bounded number of articles per
// subscriber and ends one that falls further behind with
// codes.ResourceExhausted. On server shutdown it ends with
// codes.Unavailable. Recv must not be called from two goroutines at once;
// Close may be called from any goroutine.
type Subscription struct {
	stream tagwirev1.SubscriptionService_SubscribeClient
	cancel context.CancelFunc
}

// Subscribe subscribes to the tagged articles that pass filter, until ctx is
// cancelled or Close is called. It gets no default deadline.
//
// Subscribe returns before the server has registered the subscription
// (server streams send their headers with the first article), so an
// article tagged right after it returns may be missed, and a refusal such as
// codes.Unauthenticated is reported by the first Recv. When that matters
// (tests), wait until Stats reports the subscription in
// ActiveSubscriptions.
func (c *Client) Subscribe(ctx context.Context, filter Filter) (*Subscription, error) {
	ctx, cancel := context.WithCancel(ctx)
	stream, err := c.subscriptions.Subscribe(ctx, &tagwirev1.SubscribeRequest{Filter: filter.proto()})
	if err != nil {
		cancel()
		return nil, err
	}
	return &Subscription{stream: stream, cancel: cancel}, nil
}

// Recv returns the next tagged article, blocking until one arrives. It
// returns the gRPC status error that ended the subscription, which is
// codes.Canceled after Close or the context's cancellation; once it has,
// the subscription's resources are released, as by Close.
func (s *Subscription) Recv() (*tagwirev1.TaggedArticle, error) {
	resp, err := s.stream.Recv()
	if err != nil {
		s.cancel() // the call is over: release the context Subscribe derived
		return nil, err
	}
	return resp.GetTaggedArticle(), nil
}

// All iterates over the subscription's articles until it ends; the error
// that ended it is yielded once, as (nil, err). Breaking out of the loop
// leaves the subscription open (a later All or Recv continues it); call
// Close to end it.
func (s *Subscription) All() iter.Seq2[*tagwirev1.TaggedArticle, error] {
	return func(yield func(*tagwirev1.TaggedArticle, error) bool) {
		for {
			article, err := s.Recv()
			if errors.Is(err, io.EOF) {
				return // the server ended the call with OK
			}
			if err != nil {
				yield(nil, err)
				return
			}
			if !yield(article, nil) {
				return
			}
		}
	}
}

// Close ends the subscription; a blocked Recv returns codes.Canceled. It
// always returns nil.
func (s *Subscription) Close() error {
	s.cancel()
	return nil
}
