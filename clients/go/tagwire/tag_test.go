package tagwire_test

import (
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tagwire/tagwire/clients/go/tagwire"
	tagwirev1 "github.com/tagwire/tagwire/clients/go/tagwire/v1"
)

// checkOffsets fails the test unless every mention's byte offsets slice
// exactly its text out of the title or body.
func checkOffsets(t *testing.T, article tagwire.Article, tagged *tagwirev1.TaggedArticle) {
	t.Helper()
	for _, tag := range tagged.GetTags() {
		for _, m := range tag.GetMentions() {
			field := article.Body
			if m.GetField() == tagwirev1.Field_FIELD_TITLE {
				field = article.Title
			}
			if m.GetByteEnd() > uint32(len(field)) || m.GetByteStart() > m.GetByteEnd() {
				t.Errorf("%s: mention [%d, %d) out of its %v of %d bytes", tag.GetConceptId(),
					m.GetByteStart(), m.GetByteEnd(), m.GetField(), len(field))
				continue
			}
			if got := field[m.GetByteStart():m.GetByteEnd()]; got != m.GetText() {
				t.Errorf("%s: %v[%d:%d] = %q, but the mention's text is %q", tag.GetConceptId(),
					m.GetField(), m.GetByteStart(), m.GetByteEnd(), got, m.GetText())
			}
		}
	}
}

// mentionsOf returns the mentions of concept id in tagged.
func mentionsOf(tagged *tagwirev1.TaggedArticle, id string) []*tagwirev1.Mention {
	for _, tag := range tagged.GetTags() {
		if tag.GetConceptId() == id {
			return tag.GetMentions()
		}
	}
	return nil
}

func TestTagFindsConceptsWithByteOffsets(t *testing.T) {
	client := newClient(t, server.Addr)
	ctx := testContext(t)
	published := time.Date(2026, 11, 23, 15, 0, 0, 0, time.UTC)

	for _, tc := range []struct {
		name    string
		article tagwire.Article
		want    []string
	}{{
		name: "ASCII title and body",
		article: tagwire.Article{
			Source: "wire", ID: "a1", Version: 3, Title: "Ministers gather in Paris",
			Body:     "NATO ministers met in Kyiv on Tuesday.",
			Language: "en", Published: published, Metadata: map[string]string{"desk": "world"},
		},
		want: []string{"org:nato", "geo:703448", "geo:2988507"},
	}, {
		name: "non-ASCII body",
		article: tagwire.Article{
			ID:   "a2",
			Body: "Володимир Зеленський visited Київ, then Zürich. The New York Times reported.",
		},
		want: []string{"per:volodymyr-zelenskyy", "geo:703448", "geo:2657896", "org:new-york-times"},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			tagged, err := client.Tag(ctx, tc.article)
			if err != nil {
				t.Fatalf("Tag: %v", err)
			}
			if tagged.GetSource() != tc.article.Source || tagged.GetId() != tc.article.ID ||
				tagged.GetVersion() != tc.article.Version {
				t.Errorf("tagged identity %q/%q/%d, want %q/%q/%d", tagged.GetSource(), tagged.GetId(),
					tagged.GetVersion(), tc.article.Source, tc.article.ID, tc.article.Version)
			}
			if missing := missingTags(tagged, tc.want...); len(missing) > 0 {
				t.Errorf("missing tags %v; got %v", missing, tagIDs(tagged))
			}
			if tagged.GetBodyBytes() != uint32(len(tc.article.Body)) ||
				tagged.GetTitleBytes() != uint32(len(tc.article.Title)) {
				t.Errorf("title_bytes %d body_bytes %d, want %d and %d", tagged.GetTitleBytes(),
					tagged.GetBodyBytes(), len(tc.article.Title), len(tc.article.Body))
			}
			checkOffsets(t, tc.article, tagged)
		})
	}

	// The title mention is in the title, and in bytes past the Cyrillic
	// text the byte offsets differ from code point offsets.
	article := tagwire.Article{ID: "a3", Title: "Київ", Body: "Zelenskyy returned to Київ."}
	tagged, err := client.Tag(ctx, article)
	if err != nil {
		t.Fatalf("Tag: %v", err)
	}
	mentions := mentionsOf(tagged, "geo:703448")
	if len(mentions) != 2 || mentions[0].GetField() != tagwirev1.Field_FIELD_TITLE ||
		mentions[1].GetField() != tagwirev1.Field_FIELD_BODY {
		t.Fatalf("Kyiv mentions %v, want one in the title then one in the body", mentions)
	}
	if start := uint32(strings.Index(article.Body, "Київ")); mentions[1].GetByteStart() != start ||
		mentions[1].GetByteEnd() != start+uint32(len("Київ")) {
		t.Errorf("body mention at [%d, %d), want [%d, %d)", mentions[1].GetByteStart(),
			mentions[1].GetByteEnd(), start, start+uint32(len("Київ")))
	}
	checkOffsets(t, article, tagged)
}

func TestTagRefusesBadArticles(t *testing.T) {
	client := newClient(t, server.Addr)
	ctx := testContext(t)
	for _, tc := range []struct {
		name    string
		article tagwire.Article
		reason  tagwirev1.ErrorReason
	}{
		{"invalid UTF-8 body", tagwire.Article{Source: "s", ID: "b1", Version: 2, Body: "caf\xe9 \xff"},
			tagwirev1.ErrorReason_ERROR_REASON_BODY_NOT_UTF8},
		{"invalid UTF-8 title", tagwire.Article{ID: "b2", Title: "\xffNATO", Body: "NATO met."},
			tagwirev1.ErrorReason_ERROR_REASON_TITLE_NOT_UTF8},
		{"empty body", tagwire.Article{ID: "b3"}, tagwirev1.ErrorReason_ERROR_REASON_EMPTY_BODY},
		{"whitespace only", tagwire.Article{ID: "b4", Title: " ", Body: " \n\t"},
			tagwirev1.ErrorReason_ERROR_REASON_EMPTY_BODY},
		{"missing id", tagwire.Article{Body: "NATO met."}, tagwirev1.ErrorReason_ERROR_REASON_MISSING_ID},
		{"too large", tagwire.Article{ID: "b6", Body: strings.Repeat("NATO met. ", 110_000)},
			tagwirev1.ErrorReason_ERROR_REASON_ARTICLE_TOO_LARGE},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tagged, err := client.Tag(ctx, tc.article)
			if err == nil {
				t.Fatalf("Tag succeeded with %d tags, want %v", len(tagged.GetTags()), tc.reason)
			}
			var articleErr *tagwire.ArticleError
			if !errors.As(err, &articleErr) {
				t.Fatalf("Tag error %T %v is not an *ArticleError", err, err)
			}
			if articleErr.Reason != tc.reason || articleErr.Code != codes.InvalidArgument {
				t.Errorf("reason %v code %v, want %v and InvalidArgument", articleErr.Reason,
					articleErr.Code, tc.reason)
			}
			if articleErr.ID != tc.article.ID || articleErr.Source != tc.article.Source ||
				articleErr.Version != tc.article.Version || articleErr.Message == "" {
				t.Errorf("ArticleError %+v does not name the article or lacks a message", articleErr)
			}
			if code := status.Code(err); code != codes.InvalidArgument {
				t.Errorf("status.Code = %v, want InvalidArgument", code)
			}
		})
	}

	// Protobuf strings cannot carry invalid UTF-8: the client refuses to
	// send such an id, as a plain status error.
	_, err := client.Tag(ctx, tagwire.Article{ID: "bad\xff", Body: "NATO met."})
	var articleErr *tagwire.ArticleError
	if status.Code(err) != codes.InvalidArgument || errors.As(err, &articleErr) {
		t.Errorf("Tag with an invalid UTF-8 id: %T %v, want a plain InvalidArgument status", err, err)
	}
}

func TestTagOptions(t *testing.T) {
	client := newClient(t, server.Addr)
	ctx := testContext(t)
	article := tagwire.Article{
		ID:    "o1",
		Title: "Talks in Paris", // a title mention scores higher than the others
		Body:  "Emmanuel Macron spoke in Paris about Japan, police said, quoting The New York Times.",
	}
	tag := func(t *testing.T, opts ...tagwire.TagOption) *tagwirev1.TaggedArticle {
		t.Helper()
		tagged, err := client.Tag(ctx, article, opts...)
		if err != nil {
			t.Fatalf("Tag: %v", err)
		}
		return tagged
	}

	plain := tag(t)
	kinds := map[tagwirev1.ConceptKind]bool{}
	for _, tag := range plain.GetTags() {
		kinds[tag.GetKind()] = true
		if len(tag.GetMentions()) == 0 {
			t.Errorf("%s has no mentions by default", tag.GetConceptId())
		}
		if tag.GetExplanation() != "" {
			t.Errorf("%s has an explanation without WithExplain", tag.GetConceptId())
		}
		for _, m := range tag.GetMentions() {
			if m.CodePointStart != nil || m.Utf16Start != nil {
				t.Errorf("%s: non-byte offsets filled without WithOffsetUnits", tag.GetConceptId())
			}
		}
	}
	if !kinds[tagwirev1.ConceptKind_CONCEPT_KIND_LOCATION] || !kinds[tagwirev1.ConceptKind_CONCEPT_KIND_PERSON] {
		t.Fatalf("the article should have locations and a person; tags %v", tagIDs(plain))
	}

	t.Run("WithKinds", func(t *testing.T) {
		tagged := tag(t, tagwire.WithKinds(tagwirev1.ConceptKind_CONCEPT_KIND_LOCATION))
		if len(tagged.GetTags()) == 0 {
			t.Fatal("no locations")
		}
		for _, tag := range tagged.GetTags() {
			if tag.GetKind() != tagwirev1.ConceptKind_CONCEPT_KIND_LOCATION {
				t.Errorf("tag %s of kind %v with WithKinds(LOCATION)", tag.GetConceptId(), tag.GetKind())
			}
		}
		if len(tagged.GetTopics()) != 0 {
			t.Errorf("topics %v with WithKinds(LOCATION)", tagged.GetTopics())
		}
	})

	t.Run("WithoutMentions", func(t *testing.T) {
		tagged := tag(t, tagwire.WithoutMentions())
		if len(tagged.GetTags()) != len(plain.GetTags()) {
			t.Fatalf("%d tags, want the %d of the default", len(tagged.GetTags()), len(plain.GetTags()))
		}
		for _, tag := range tagged.GetTags() {
			if len(tag.GetMentions()) != 0 || tag.GetCount() == 0 {
				t.Errorf("%s: %d mentions and count %d, want none and a count", tag.GetConceptId(),
					len(tag.GetMentions()), tag.GetCount())
			}
		}
	})

	t.Run("WithMinScore", func(t *testing.T) {
		// A threshold between the lowest and highest default scores drops
		// some tags and keeps the others.
		scores := plain.GetTags()
		high, low := scores[0].GetScore(), scores[len(scores)-1].GetScore()
		if high == low {
			t.Fatalf("all tags score %v; the test needs different scores", high)
		}
		threshold := (high + low) / 2
		tagged := tag(t, tagwire.WithMinScore(threshold))
		if n := len(tagged.GetTags()); n == 0 || n == len(plain.GetTags()) {
			t.Errorf("WithMinScore(%v) kept %d of %d tags", threshold, n, len(plain.GetTags()))
		}
		for _, tag := range tagged.GetTags() {
			if tag.GetScore() < threshold {
				t.Errorf("%s scores %v < %v", tag.GetConceptId(), tag.GetScore(), threshold)
			}
		}
	})

	t.Run("WithMinScore out of range", func(t *testing.T) {
		for _, score := range []float64{-0.1, 1.5} {
			_, err := client.Tag(ctx, article, tagwire.WithMinScore(score))
			var articleErr *tagwire.ArticleError
			if !errors.As(err, &articleErr) ||
				articleErr.Reason != tagwirev1.ErrorReason_ERROR_REASON_INVALID_OPTIONS ||
				status.Code(err) != codes.InvalidArgument {
				t.Errorf("WithMinScore(%v): %v, want INVALID_OPTIONS / InvalidArgument", score, err)
			}
		}
	})

	t.Run("WithOverlap", func(t *testing.T) {
		// Leftmost-longest keeps "The New York Times" and not the "New York"
		// inside it; ALL keeps both.
		if mentionsOf(plain, "geo:5128581") != nil {
			t.Errorf("New York City tagged under leftmost-longest")
		}
		tagged := tag(t, tagwire.WithOverlap(tagwirev1.OverlapPolicy_OVERLAP_POLICY_ALL))
		if mentionsOf(tagged, "geo:5128581") == nil || mentionsOf(tagged, "org:new-york-times") == nil {
			t.Errorf("OVERLAP_POLICY_ALL: tags %v, want New York City and the NYT", tagIDs(tagged))
		}
	})

	t.Run("WithExplain", func(t *testing.T) {
		for _, tag := range tag(t, tagwire.WithExplain()).GetTags() {
			if tag.GetExplanation() == "" {
				t.Errorf("%s has no explanation", tag.GetConceptId())
			}
		}
	})

	t.Run("WithOffsetUnits", func(t *testing.T) {
		article := tagwire.Article{ID: "o2", Body: "𝕏 says Володимир Зеленський visited Київ."}
		tagged, err := client.Tag(ctx, article, tagwire.WithOffsetUnits(
			tagwirev1.OffsetUnit_OFFSET_UNIT_CODE_POINTS, tagwirev1.OffsetUnit_OFFSET_UNIT_UTF16))
		if err != nil {
			t.Fatalf("Tag: %v", err)
		}
		mentions := mentionsOf(tagged, "geo:703448")
		if len(mentions) != 1 {
			t.Fatalf("Kyiv mentions %v, want 1", mentions)
		}
		m := mentions[0]
		prefix := article.Body[:m.GetByteStart()]
		wantCodePoints := uint32(utf8.RuneCountInString(prefix))
		wantUTF16 := uint32(len(utf16.Encode([]rune(prefix))))
		if m.CodePointStart == nil || m.GetCodePointStart() != wantCodePoints ||
			m.GetCodePointEnd() != wantCodePoints+4 {
			t.Errorf("code points [%v, %v), want [%d, %d)", m.CodePointStart, m.CodePointEnd,
				wantCodePoints, wantCodePoints+4)
		}
		if m.Utf16Start == nil || m.GetUtf16Start() != wantUTF16 || m.GetUtf16End() != wantUTF16+4 {
			t.Errorf("UTF-16 [%v, %v), want [%d, %d)", m.Utf16Start, m.Utf16End, wantUTF16, wantUTF16+4)
		}
	})
}
