package tagwire

import (
	"fmt"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	tagwirev1 "github.com/tagwire/tagwire/clients/go/tagwire/v1"
)

// Trailing metadata keys of a failed Tag call (see tagging_service.proto).
const (
	articleErrorKey = "tagwire-article-error-bin"
	errorReasonKey  = "tagwire-error-reason"
)

// An ArticleError is the refusal of one article: invalid UTF-8, an empty
// body, a missing id, too large, invalid options… The server decides, except
// for an article too large to send at all (see WithMaxMessageBytes), which
// the client refuses itself with ERROR_REASON_ARTICLE_TOO_LARGE.
//
// Tag returns it as its error, and a stream delivers it in Result.Failure
// (and as Result.Err()). Find it in an error with errors.As:
//
//	var articleErr *tagwire.ArticleError
//	if errors.As(err, &articleErr) && articleErr.Reason == tagwirev1.ErrorReason_ERROR_REASON_BODY_NOT_UTF8 {
//		// skip the article: resending it will not help
//	}
//
// It carries a gRPC code (usually codes.InvalidArgument), which status.Code
// reports, so code that only looks at status codes keeps working.
type ArticleError struct {
	// Reason says why the article failed, for programs to branch on.
	// ERROR_REASON_UNSPECIFIED means a reason this client does not know;
	// look at Code.
	Reason tagwirev1.ErrorReason
	// Message explains the failure to a human. Its wording is not stable.
	Message string
	// Code is the gRPC code that comes with Reason, e.g. codes.InvalidArgument.
	Code codes.Code
	// Source, ID and Version identify the article.
	Source  string
	ID      string
	Version int64
	// Sequence is the article's index among those given to its stream, from
	// 0, as in Result.Sequence; it is 0 for Tag.
	Sequence uint64
}

// Error describes the error, naming the article and the reason.
func (e *ArticleError) Error() string {
	reason := strings.TrimPrefix(e.Reason.String(), "ERROR_REASON_")
	return fmt.Sprintf("tagwire: article source=%q id=%q version=%d: %s: %s",
		e.Source, e.ID, e.Version, reason, e.Message)
}

// GRPCStatus returns the error as a gRPC status with Code, so that
// status.Code and status.FromError work on it.
func (e *ArticleError) GRPCStatus() *status.Status {
	return status.New(e.Code, e.Error())
}

// newArticleError converts the contract's ArticleError for article.
func newArticleError(msg *tagwirev1.ArticleError, source, id string, version int64,
	sequence uint64) *ArticleError {
	code := codes.Code(msg.GetCode())
	if code == codes.OK {
		code = codes.Unknown // the contract says never OK; do not pretend success
	}
	return &ArticleError{
		Reason:   msg.GetReason(),
		Message:  msg.GetMessage(),
		Code:     code,
		Source:   source,
		ID:       id,
		Version:  version,
		Sequence: sequence,
	}
}

// tooLargeError is the client's own refusal of an article whose request
// would be size bytes, over the limit of limit bytes.
func tooLargeError(article Article, size, limit int, sequence uint64) *ArticleError {
	return &ArticleError{
		Reason: tagwirev1.ErrorReason_ERROR_REASON_ARTICLE_TOO_LARGE,
		Message: fmt.Sprintf("article is %d bytes as a request; the server accepts at most %d "+
			"(WithMaxMessageBytes)", size, limit),
		Code:     codes.InvalidArgument,
		Source:   article.Source,
		ID:       article.ID,
		Version:  article.Version,
		Sequence: sequence,
	}
}

// articleErrorFromTrailer returns the ArticleError carried by the trailing
// metadata of a failed Tag call, or nil when the failure is not about the
// article (unavailable, unauthenticated, deadline…).
func articleErrorFromTrailer(err error, trailer metadata.MD, article Article) *ArticleError {
	st, ok := status.FromError(err)
	if !ok || st.Code() == codes.OK {
		return nil
	}
	msg := &tagwirev1.ArticleError{}
	if values := trailer.Get(articleErrorKey); len(values) > 0 {
		if proto.Unmarshal([]byte(values[len(values)-1]), msg) != nil {
			return nil
		}
	} else if values := trailer.Get(errorReasonKey); len(values) > 0 {
		// Only the reason name ("BODY_NOT_UTF8"); the status has the rest.
		name := values[len(values)-1]
		if !strings.HasPrefix(name, "ERROR_REASON_") {
			name = "ERROR_REASON_" + name
		}
		msg.Reason = tagwirev1.ErrorReason(tagwirev1.ErrorReason_value[name])
		msg.Message = st.Message()
	} else {
		return nil
	}
	if msg.GetCode() == 0 {
		msg.Code = int32(st.Code())
	}
	return newArticleError(msg, article.Source, article.ID, article.Version, 0)
}
