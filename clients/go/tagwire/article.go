package tagwire

import (
	"fmt"
	"time"
	"unicode/utf8"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	tagwirev1 "github.com/tagwire/tagwire/clients/go/tagwire/v1"
)

// An Article is a news article to tag. (Source, ID, Version) identifies it.
//
// Title and Body travel as bytes, so they may hold invalid UTF-8: the server
// answers such an article with an ArticleError (ERROR_REASON_TITLE_NOT_UTF8,
// ERROR_REASON_BODY_NOT_UTF8) instead of the whole call failing. Source, ID,
// Language and Metadata are protobuf strings and must be valid UTF-8: the
// client refuses to send an article where they are not, with a
// codes.InvalidArgument error of its own (not an ArticleError).
type Article struct {
	// Source is the feed or publisher, e.g. "reuters". May be empty.
	Source string
	// ID identifies the article within Source. Required.
	ID string
	// Version is the article's revision; a correction sends Version+1.
	Version int64
	// Title is the headline. Optional; mentions in it weigh more.
	Title string
	// Body is the article text (plain text, not HTML). Required.
	Body string
	// Language is a BCP 47 tag such as "en" or "pt-BR"; empty if unknown.
	Language string
	// Published is when the article was published; the zero Time means
	// unknown.
	Published time.Time
	// Metadata holds free-form key/value pairs; tagging ignores them.
	Metadata map[string]string
}

// Proto returns the article as the generated message, for use with the raw
// stubs. The message shares a's Metadata map. Proto does not check the
// string fields for valid UTF-8 (protobuf refuses to encode invalid ones).
func (a Article) Proto() *tagwirev1.Article {
	msg := &tagwirev1.Article{
		Source:   a.Source,
		Id:       a.ID,
		Version:  a.Version,
		Title:    []byte(a.Title),
		Body:     []byte(a.Body),
		Language: a.Language,
		Metadata: a.Metadata,
	}
	if !a.Published.IsZero() {
		msg.PublishedTime = timestamppb.New(a.Published)
	}
	return msg
}

// checkStrings reports an article whose string fields are not valid UTF-8.
// The protobuf encoder would refuse it, and on a stream gRPC would end the
// whole stream; checking first keeps the stream usable and names the field.
func (a Article) checkStrings() error {
	bad := func(field string) error {
		return status.Errorf(codes.InvalidArgument,
			"tagwire: article %q: %s is not valid UTF-8 (only Title and Body may be)",
			a.ID, field)
	}
	switch {
	case !utf8.ValidString(a.Source):
		return bad("Source")
	case !utf8.ValidString(a.ID):
		return bad("ID")
	case !utf8.ValidString(a.Language):
		return bad("Language")
	}
	for key, value := range a.Metadata {
		if !utf8.ValidString(key) || !utf8.ValidString(value) {
			return bad(fmt.Sprintf("Metadata[%q]", key))
		}
	}
	return nil
}
