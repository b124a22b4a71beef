package tagwire

import (
	"context"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"

	tagwirev1 "github.com/tagwire/tagwire/clients/go/tagwire/v1"
)

// A TagOption shapes the answer for an article: which kinds, which scores,
// which offsets. With none, the server's defaults apply: all kinds, no score
// threshold, leftmost-longest overlaps, byte offsets only, mentions included,
// no explanation.
//
// A TagOption edits the TagOptions message sent with the request, so a field
// added to the contract can be set by a func literal before this package
// grows a helper for it.
type TagOption func(*tagwirev1.TagOptions)

// WithKinds keeps only tags and topics of the given kinds. Topics are kept
// only if kinds includes CONCEPT_KIND_TOPIC.
func WithKinds(kinds ...tagwirev1.ConceptKind) TagOption {
	kinds = append([]tagwirev1.ConceptKind(nil), kinds...)
	return func(o *tagwirev1.TagOptions) { o.Kinds = kinds }
}

// WithMinScore keeps only tags and topics scoring at least score. The server
// refuses a score outside [0, 1]: as an ArticleError with
// ERROR_REASON_INVALID_OPTIONS for Tag and for an article sent with it, and
// by ending the stream with codes.InvalidArgument when it is a stream's
// default.
func WithMinScore(score float64) TagOption {
	return func(o *tagwirev1.TagOptions) { o.MinScore = score }
}

// WithOverlap chooses which overlapping alias matches are kept; the default
// is OVERLAP_POLICY_LEFTMOST_LONGEST.
func WithOverlap(policy tagwirev1.OverlapPolicy) TagOption {
	return func(o *tagwirev1.TagOptions) { o.OverlapPolicy = policy }
}

// WithoutMentions leaves Tag.Mentions empty for smaller responses, when only
// the concepts and scores matter (Tag.Count and Tag.InTitle are still set).
func WithoutMentions() TagOption {
	return func(o *tagwirev1.TagOptions) { o.IncludeMentions = proto.Bool(false) }
}

// WithExplain fills Tag.Explanation and Topic.Explanation with a trace of how
// each was resolved and scored. It costs time and space; it is meant for
// debugging a taxonomy.
func WithExplain() TagOption {
	return func(o *tagwirev1.TagOptions) { o.Explain = true }
}

// WithOffsetUnits asks for mention offsets in more units besides bytes:
// OFFSET_UNIT_CODE_POINTS or OFFSET_UNIT_UTF16. Go needs none of them, since
// byte offsets index Go strings: article.Body[m.ByteStart:m.ByteEnd] is the
// mention's text.
func WithOffsetUnits(units ...tagwirev1.OffsetUnit) TagOption {
	units = append([]tagwirev1.OffsetUnit(nil), units...)
	return func(o *tagwirev1.TagOptions) { o.OffsetUnits = units }
}

// buildOptions applies opts in order to an empty TagOptions. It returns nil
// for no options, so that the server (or a stream's defaults) decides.
func buildOptions(opts []TagOption) *tagwirev1.TagOptions {
	if len(opts) == 0 {
		return nil
	}
	msg := &tagwirev1.TagOptions{}
	for _, opt := range opts {
		opt(msg)
	}
	return msg
}

// Tag tags one article.
//
// A refused article (invalid UTF-8, empty body, missing id, too large,
// invalid options) fails with an *ArticleError, whose status code is
// codes.InvalidArgument. An article whose request exceeds the client's
// WithMaxMessageBytes is refused that way without calling the server.
//
// Any other failure is returned as the gRPC status error, untouched:
// inspect it with status.Code. Notably codes.ResourceExhausted means the
// server's cap on Tag calls in flight (its --max_unary_in_flight) was
// reached: retry with backoff, or use TagStream. (It also comes from a
// server whose --max_message_bytes is below the client's
// WithMaxMessageBytes, for an article between the two; retrying does not
// help then: lower the option.) Tag is retried on codes.Unavailable and gets
// the client's default deadline when ctx has none.
func (c *Client) Tag(ctx context.Context, article Article, opts ...TagOption) (*tagwirev1.TaggedArticle, error) {
	if err := article.checkStrings(); err != nil {
		return nil, err
	}
	req := &tagwirev1.TagRequest{Article: article.Proto(), Options: buildOptions(opts)}
	if size := proto.Size(req); c.maxMessageBytes > 0 && size > c.maxMessageBytes {
		return nil, tooLargeError(article, size, c.maxMessageBytes, 0)
	}
	var trailer metadata.MD
	resp, err := c.tagging.Tag(ctx, req, grpc.Trailer(&trailer))
	if err != nil {
		if articleErr := articleErrorFromTrailer(err, trailer, article); articleErr != nil {
			return nil, articleErr
		}
		return nil, err
	}
	return resp.GetTaggedArticle(), nil
}
