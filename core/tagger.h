// Tagger: tags one article at a time against a shared CompiledTaxonomy.
//
// Usage, one Tagger per thread:
//
//   std::shared_ptr<const CompiledTaxonomy> taxonomy = …;  // shared, immutable
//   Tagger tagger;                                           // per thread
//   absl::StatusOr<TagResult> result =
//       tagger.Tag(taxonomy, {.title = title, .body = body}, options);
//
// What Tag does, in order: validate (UTF-8, size, empty body) → fold each
// field (fold.h) → scan the folded text with the literal database and the
// original text with the regex database → verify every hit (whole word on the
// original text, alias case policy) → resolve overlaps (leftmost-longest by
// default), then ambiguity, short forms and ordinary words by document context
// (resolver.h) → score concepts (frequency and position; demonyms count half)
// and topics (keyword rules and topics implied by tagged concepts, propagated
// to broader topics) → filter by kind and minimum score.
//
// Errors (InvalidArgument, each with a reason payload, see ArticleErrorReason):
// TITLE_NOT_UTF8 / BODY_NOT_UTF8 (with the byte offset), EMPTY_BODY,
// ARTICLE_TOO_LARGE, TOO_MANY_MENTIONS. Invalid text is never scanned.
//
// Thread contract: a Tagger is NOT thread-safe; it owns a Hyperscan scratch
// (cloned once from the taxonomy's prototype, grown only when a reloaded
// taxonomy needs more) and reusable buffers, so the scan path does not
// allocate. Results hold a reference to the taxonomy that produced them.
#ifndef TAGWIRE_CORE_TAGGER_H_
#define TAGWIRE_CORE_TAGGER_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "core/compiled_taxonomy.h"
#include "core/fold.h"
#include "core/hyperscan_handles.h"

namespace tagwire {

enum class Field : uint8_t { kTitle, kBody };

enum class OverlapPolicy : uint8_t {
  kLeftmostLongest,  // "New York Times" wins over "New York" (default)
  kAll,              // every verified match, overlapping or not
  kNoSubsumed,       // drop matches inside a longer one; keep partial overlaps
};

struct ArticleText {
  std::string_view title;
  std::string_view body;
};

inline constexpr uint32_t KindBit(ConceptKind kind) { return 1u << static_cast<int>(kind); }
inline constexpr uint32_t kAllKinds = (1u << kConceptKindCount) - 1;

struct TagOptions {
  uint32_t kind_mask = kAllKinds;  // KindBit(...) of the kinds wanted
  double min_score = 0.0;          // drop tags and topics scoring below this
  OverlapPolicy overlap = OverlapPolicy::kLeftmostLongest;
  bool include_mentions = true;
  bool code_point_offsets = false;  // fill Mention::code_point_*
  bool utf16_offsets = false;       // fill Mention::utf16_*
  bool explain = false;             // fill explanation strings
  // Resolve by context with guards (resolver.h). False is the naive
  // baseline: the most prominent concept per span, no guards, short forms
  // taken anywhere, no implied topics. For measurement (bench/eval).
  bool resolve = true;
};

struct TagLimits {
  // Title plus body, in bytes. Larger articles get ARTICLE_TOO_LARGE.
  size_t max_article_bytes = 1 << 20;
  // Verified matches (entity mentions and keyword hits, before overlap
  // resolution). More gets TOO_MANY_MENTIONS: such text is not news.
  size_t max_mentions = 50000;
};

struct Mention {
  Field field = Field::kBody;
  uint32_t start = 0;  // byte offsets into the original field, half-open
  uint32_t end = 0;
  uint32_t code_point_start = 0, code_point_end = 0;  // with code_point_offsets
  uint32_t utf16_start = 0, utf16_end = 0;            // with utf16_offsets
  std::string_view text;  // the original bytes; valid while the article is
  uint32_t alias_index = 0;  // into Concept::aliases
};

struct ConceptTag {
  uint32_t concept_index = 0;
  const Concept* concept_ptr = nullptr;  // owned by TagResult::taxonomy
  double score = 0;                      // relevance in [0, 1]
  uint32_t count = 0;                    // mentions
  bool in_title = false;
  std::vector<Mention> mentions;  // empty unless include_mentions
  std::string explanation;        // empty unless explain
};

struct TopicTag {
  uint32_t concept_index = 0;
  const Concept* concept_ptr = nullptr;
  double score = 0;
  std::vector<std::string_view> matched_keywords;  // rule patterns, distinct
  std::string explanation;
};

struct TagResult {
  std::shared_ptr<const CompiledTaxonomy> taxonomy;
  std::vector<ConceptTag> tags;    // by score, highest first
  std::vector<TopicTag> topics;    // by score, highest first
  const std::string& taxonomy_version() const { return taxonomy->version(); }
};

// The reason an article was rejected ("BODY_NOT_UTF8", …), stored as a status
// payload under this type URL; empty for other errors.
inline constexpr char kArticleErrorReasonUrl[] = "type.tagwire.dev/tagwire.v1.ErrorReason";
std::string ArticleErrorReason(const absl::Status& status);

// Validates `article` against `limits` without tagging it.
absl::Status ValidateArticle(const ArticleText& article, const TagLimits& limits);

class Tagger {
 public:
  Tagger();
  ~Tagger();
  Tagger(const Tagger&) = delete;
  Tagger& operator=(const Tagger&) = delete;

  absl::StatusOr<TagResult> Tag(const std::shared_ptr<const CompiledTaxonomy>& taxonomy,
                                const ArticleText& article, const TagOptions& options = {},
                                const TagLimits& limits = {});

  // A verified match, before resolution. Public for the scan callback only.
  struct Candidate {
    uint32_t start, end;
    uint32_t concept_index;
    uint32_t item_index;
    Field field;
    bool is_rule;
  };

 private:
  absl::Status EnsureScratch(const CompiledTaxonomy& taxonomy);
  absl::Status ScanField(const CompiledTaxonomy& taxonomy, Field field, std::string_view text,
                         const TagLimits& limits);
  // Finds the short literals (CompiledTaxonomy::FindShortLiteral) of the
  // folded field at its word starts, through the same callback as Hyperscan's
  // hits; `context` is the scan's.
  void ScanShortLiterals(const CompiledTaxonomy& taxonomy, void* context);

  // Relevance evidence of one concept in one article.
  struct Evidence {
    double weight = 0;
    uint32_t title = 0, lead = 0, body = 0, demonyms = 0;
    std::vector<std::string> notes;  // resolution notes, with explain
  };

  ScratchPtr scratch_;
  uint64_t scratch_generation_ = 0;
  FoldedView folded_;
  std::vector<Candidate> candidates_;
  std::vector<Candidate> entities_;
  std::vector<Candidate> keywords_;
  std::vector<char32_t> case_buffer_a_, case_buffer_b_;
  std::vector<Mention> mentions_;
  std::vector<uint32_t> order_;
  std::vector<uint32_t> word_starts_;   // ScanShortLiterals
  std::vector<uint64_t> copied_alnum_;  // ScanShortLiterals
  std::vector<Evidence> evidence_;
  std::vector<std::string> notes_;  // per entity candidate, with explain
};

}  // namespace tagwire

#endif  // TAGWIRE_CORE_TAGGER_H_
