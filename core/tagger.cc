#include "core/tagger.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <tuple>

#include "absl/strings/cord.h"
#include "absl/strings/str_format.h"
#include "core/resolver.h"
#include "core/status_macros.h"
#include "core/strings.h"
#include "core/unicode.h"

namespace tagwire {
namespace {

// Relevance weights of one mention by position.
constexpr double kTitleWeight = 1.0;
constexpr double kLeadWeight = 0.6;
constexpr double kBodyWeight = 0.25;
// The lead is the first paragraph, if it ends within this many bytes…
constexpr size_t kMaxLeadBytes = 2000;
// …otherwise the first this many bytes.
constexpr size_t kDefaultLeadBytes = 600;
// A topic inherits this share of a narrower topic's score.
constexpr double kBroaderTopicShare = 0.9;
constexpr int kMaxBroaderDepth = 8;
// A demonym mention counts this share of a name mention.
constexpr double kDemonymShare = 0.5;
// Topic evidence from each tagged concept that implies the topic.
// Small: an organization says what an article is about less than its words
// do (Microsoft in a story about remote work); at most kMaxImpliedWeight.
constexpr double kImpliedTopicWeight = 0.5;
constexpr double kMaxImpliedWeight = 1.0;
// Resolution notes kept per tag in the explanation.
constexpr size_t kMaxNotes = 3;

absl::Status ArticleError(std::string_view reason, std::string message) {
  absl::Status status = absl::InvalidArgumentError(std::move(message));
  status.SetPayload(kArticleErrorReasonUrl, absl::Cord(std::string(reason)));
  return status;
}

double Round4(double value) { return std::round(value * 1e4) / 1e4; }

bool IsAscii(std::string_view text) {
  for (unsigned char c : text) {
    if (c >= 0x80) return false;
  }
  return true;
}

// Replaces `out` with the cased letters of `text`, diacritics stripped and
// case kept. Spaces, punctuation and uncased scripts do not take part in case
// policies, so "New\nYork" and "New York" compare letter by letter.
void CasedLetters(std::string_view text, std::vector<char32_t>* out) {
  out->clear();
  DecomposeKeepingCase(text, out);
  out->erase(std::remove_if(out->begin(), out->end(),
                            [](char32_t c) { return !IsUppercaseLetter(c) && !IsLowercaseLetter(c); }),
             out->end());
}

// Returns true if the case of `span` (original text) satisfies `policy` for
// `alias`. The two are already known to be equal after folding.
bool CaseMatches(CasePolicy policy, std::string_view alias, std::string_view span,
                 std::vector<char32_t>* alias_letters, std::vector<char32_t>* span_letters) {
  if (policy == CasePolicy::kCaseless) return true;
  if (IsAscii(alias) && IsAscii(span)) {
    // The same comparison without decoding: ASCII letters fold one to one, so
    // both sides hold the same letters in the same order.
    auto is_letter = [](char c) { return (c | 0x20) >= 'a' && (c | 0x20) <= 'z'; };
    auto is_upper = [](char c) { return c >= 'A' && c <= 'Z'; };
    for (size_t i = 0, j = 0;; ++i, ++j) {
      while (i < alias.size() && !is_letter(alias[i])) ++i;
      while (j < span.size() && !is_letter(span[j])) ++j;
      if (i == alias.size() || j == span.size()) return true;
      if (policy == CasePolicy::kExact ? alias[i] != span[j]
                                       : is_upper(alias[i]) && !is_upper(span[j])) {
        return false;
      }
    }
  }
  CasedLetters(alias, alias_letters);
  CasedLetters(span, span_letters);
  if (policy == CasePolicy::kExact) return *alias_letters == *span_letters;
  if (alias_letters->size() == span_letters->size()) {
    for (size_t i = 0; i < alias_letters->size(); ++i) {
      if (IsUppercaseLetter((*alias_letters)[i]) && !IsUppercaseLetter((*span_letters)[i])) {
        return false;
      }
    }
    return true;
  }
  // Folding changed the length (e.g. "ß" against "SS"): require the first
  // letter's case to agree at least.
  return alias_letters->empty() || span_letters->empty() ||
         !IsUppercaseLetter(alias_letters->front()) || IsUppercaseLetter(span_letters->front());
}

struct ScanContext {
  const CompiledTaxonomy* taxonomy;
  const FoldedView* folded;
  std::string_view original;
  Field field;
  size_t max_candidates;
  std::vector<Tagger::Candidate>* candidates;
  std::vector<char32_t>* buffer_a;
  std::vector<char32_t>* buffer_b;
  bool overflow = false;
};

int OnLiteralMatch(unsigned int id, unsigned long long /*from*/, unsigned long long to,
                   unsigned int /*flags*/, void* context) {
  auto& ctx = *static_cast<ScanContext*>(context);
  const size_t folded_start = to - ctx.taxonomy->literal_length(id);
  size_t start;
  size_t end;
  if (!ctx.folded->MapToOriginal(folded_start, to, &start, &end)) return 0;
  // Cheap rejection first: most raw hits of capitalised names are ordinary
  // lower-case words ("nice", "bill"), which no case-sensitive alias accepts.
  const char first = ctx.original[start];
  if (first >= 'a' && first <= 'z' && ctx.taxonomy->needs_capital(id)) return 0;
  if (!IsWholeWord(ctx.original, start, end)) return 0;
  const std::string_view span = ctx.original.substr(start, end - start);
  for (const PatternTarget* t = ctx.taxonomy->targets_begin(id); t != ctx.taxonomy->targets_end(id);
       ++t) {
    if (!CaseMatches(t->case_policy, t->text, span, ctx.buffer_a, ctx.buffer_b)) continue;
    if (ctx.candidates->size() >= ctx.max_candidates) {
      ctx.overflow = true;
      return 1;  // stop scanning
    }
    ctx.candidates->push_back({static_cast<uint32_t>(start), static_cast<uint32_t>(end),
                               t->concept_index, t->item_index, ctx.field, t->is_rule});
  }
  return 0;
}

int OnRegexMatch(unsigned int id, unsigned long long from, unsigned long long to,
                 unsigned int /*flags*/, void* context) {
  auto& ctx = *static_cast<ScanContext*>(context);
  if (!IsWholeWord(ctx.original, from, to)) return 0;
  if (ctx.candidates->size() >= ctx.max_candidates) {
    ctx.overflow = true;
    return 1;
  }
  const auto& [concept_index, rule_index] = ctx.taxonomy->regex_rule(id);
  ctx.candidates->push_back({static_cast<uint32_t>(from), static_cast<uint32_t>(to),
                             concept_index, rule_index, ctx.field, true});
  return 0;
}

bool SameSpan(const Tagger::Candidate& a, const Tagger::Candidate& b) {
  return a.field == b.field && a.start == b.start && a.end == b.end;
}

// Orders by field, start, longest first, then concept.
bool SpanOrder(const Tagger::Candidate& a, const Tagger::Candidate& b) {
  if (a.field != b.field) return a.field < b.field;
  if (a.start != b.start) return a.start < b.start;
  if (a.end != b.end) return a.end > b.end;
  if (a.concept_index != b.concept_index) return a.concept_index < b.concept_index;
  return a.item_index < b.item_index;
}

// Returns the end of the run of candidates sharing the span of candidate `i`
// (candidates sorted by SpanOrder).
size_t SpanGroupEnd(const std::vector<Tagger::Candidate>& candidates, size_t i) {
  size_t end = i + 1;
  while (end < candidates.size() && SameSpan(candidates[i], candidates[end])) ++end;
  return end;
}

// Keeps the span groups (runs of candidates with one span) that `policy` keeps.
void ResolveOverlaps(OverlapPolicy policy, std::vector<Tagger::Candidate>* candidates) {
  std::sort(candidates->begin(), candidates->end(), SpanOrder);
  if (policy == OverlapPolicy::kAll) return;
  std::vector<Tagger::Candidate>& c = *candidates;
  size_t out = 0;
  Field field = Field::kTitle;
  uint32_t last_end = 0;  // leftmost-longest: end of the last kept span
  uint32_t max_end = 0;   // no-subsumed: furthest end of earlier spans
  for (size_t i = 0; i < c.size();) {
    const size_t group_end = SpanGroupEnd(c, i);
    if (c[i].field != field) {
      field = c[i].field;
      last_end = max_end = 0;
    }
    bool keep;
    if (policy == OverlapPolicy::kLeftmostLongest) {
      keep = c[i].start >= last_end;
      if (keep) last_end = c[i].end;
    } else {
      keep = max_end < c[i].end;
      max_end = std::max(max_end, c[i].end);
    }
    if (keep) {
      for (size_t k = i; k < group_end; ++k) c[out++] = c[k];
    }
    i = group_end;
  }
  c.resize(out);
}

size_t LeadEnd(std::string_view body) {
  // Blank lines before the first paragraph do not end it.
  const size_t text_start = body.find_first_not_of(" \t\n\r\f\v");
  if (text_start == std::string_view::npos) return 0;
  for (std::string_view separator : {std::string_view("\n\n"), std::string_view("\r\n\r\n")}) {
    const size_t paragraph = body.find(separator, text_start);
    if (paragraph != std::string_view::npos && paragraph - text_start <= kMaxLeadBytes) {
      return paragraph;
    }
  }
  return std::min(body.size(), text_start + kDefaultLeadBytes);
}

// Fills code point and UTF-16 offsets of `mentions`, sorted by (field, start).
void FillUnitOffsets(const ArticleText& article, const TagOptions& options,
                     std::vector<Mention>* mentions) {
  Field field = Field::kTitle;
  size_t cursor = 0, code_points = 0, utf16 = 0;
  for (Mention& m : *mentions) {
    if (m.field != field) {
      field = m.field;
      cursor = code_points = utf16 = 0;
    }
    const std::string_view text = m.field == Field::kTitle ? article.title : article.body;
    const std::string_view skipped = text.substr(cursor, m.start - cursor);
    code_points += CountCodePoints(skipped);
    utf16 += CountUtf16Units(skipped);
    cursor = m.start;
    if (options.code_point_offsets) {
      m.code_point_start = static_cast<uint32_t>(code_points);
      m.code_point_end = static_cast<uint32_t>(code_points + CountCodePoints(m.text));
    }
    if (options.utf16_offsets) {
      m.utf16_start = static_cast<uint32_t>(utf16);
      m.utf16_end = static_cast<uint32_t>(utf16 + CountUtf16Units(m.text));
    }
  }
}

}  // namespace

std::string ArticleErrorReason(const absl::Status& status) {
  const auto payload = status.GetPayload(kArticleErrorReasonUrl);
  return payload ? std::string(*payload) : std::string();
}

absl::Status ValidateArticle(const ArticleText& article, const TagLimits& limits) {
  const size_t size = article.title.size() + article.body.size();
  if (size > limits.max_article_bytes) {
    return ArticleError("ARTICLE_TOO_LARGE",
                        StrCat("article is ", size, " bytes; the limit is ",
                                     limits.max_article_bytes));
  }
  for (const auto& [field, text, reason] :
       {std::tuple{"title", article.title, "TITLE_NOT_UTF8"},
        std::tuple{"body", article.body, "BODY_NOT_UTF8"}}) {
    if (!IsValidUtf8(text)) {
      return ArticleError(reason, StrCat(field, " is not valid UTF-8 (first bad byte at offset ",
                                               FindInvalidUtf8(text), ")"));
    }
  }
  // A headline-only flash is news; an article with no text at all is not.
  if (StripWhitespace(article.body).empty() && StripWhitespace(article.title).empty()) {
    return ArticleError("EMPTY_BODY", "article has no text: title and body are empty");
  }
  return absl::OkStatus();
}

Tagger::Tagger() = default;
Tagger::~Tagger() = default;

absl::Status Tagger::EnsureScratch(const CompiledTaxonomy& taxonomy) {
  if (scratch_generation_ == taxonomy.generation()) return absl::OkStatus();
  if (taxonomy.prototype_scratch() != nullptr) {
    if (scratch_ == nullptr) {
      hs_scratch_t* clone = nullptr;
      if (hs_clone_scratch(taxonomy.prototype_scratch(), &clone) != HS_SUCCESS) {
        return absl::ResourceExhaustedError("hs_clone_scratch failed");
      }
      scratch_.reset(clone);
    } else {
      // A reloaded taxonomy: grow the existing scratch if its databases need more.
      hs_scratch_t* scratch = scratch_.release();
      for (const hs_database_t* db : {taxonomy.literal_database(), taxonomy.regex_database()}) {
        if (db != nullptr && hs_alloc_scratch(db, &scratch) != HS_SUCCESS) {
          scratch_.reset(scratch);
          return absl::ResourceExhaustedError("hs_alloc_scratch failed");
        }
      }
      scratch_.reset(scratch);
    }
  }
  scratch_generation_ = taxonomy.generation();
  return absl::OkStatus();
}

void Tagger::ScanShortLiterals(const CompiledTaxonomy& taxonomy, void* context) {
  const std::string_view folded = folded_.folded();
  folded_.WordStarts(&word_starts_, &copied_alnum_);
  auto copied = [&](size_t i) { return (copied_alnum_[i >> 6] >> (i & 63)) & 1; };
  for (const uint32_t start : word_starts_) {
    const size_t left = folded.size() - start;
    const unsigned char second = left > 1 ? static_cast<unsigned char>(folded[start + 1]) : 0;
    if (left > 1 &&
        !taxonomy.MayStartShortLiteral(static_cast<unsigned char>(folded[start]), second)) {
      continue;
    }
    const size_t longest = std::min(left, taxonomy.short_literal_bytes());
    for (size_t length = 1; length <= longest; ++length) {
      const bool ascii_end = static_cast<unsigned char>(folded[start + length - 1]) < 0x80;
      if (ascii_end && length < left && copied(start + length)) continue;  // the word goes on
      const int64_t pattern = taxonomy.FindShortLiteral(folded.substr(start, length));
      if (pattern >= 0 &&
          OnLiteralMatch(static_cast<unsigned>(pattern), start, start + length, 0, context) != 0) {
        return;  // too many mentions
      }
    }
  }
}

absl::Status Tagger::ScanField(const CompiledTaxonomy& taxonomy, Field field,
                               std::string_view text, const TagLimits& limits) {
  if (text.empty()) return absl::OkStatus();
  ScanContext context{&taxonomy, &folded_, text, field, limits.max_mentions,
                      &candidates_, &case_buffer_a_, &case_buffer_b_};
  auto scan = [&](const hs_database_t* db, std::string_view bytes, match_event_handler on_match) {
    const hs_error_t error = hs_scan(db, bytes.data(), static_cast<unsigned>(bytes.size()), 0,
                                     scratch_.get(), on_match, &context);
    if (error == HS_SUCCESS || error == HS_SCAN_TERMINATED) return absl::OkStatus();
    return absl::InternalError(StrCat("hs_scan failed (error ", error, ")"));
  };
  if (taxonomy.literal_database() != nullptr || taxonomy.has_short_literals()) {
    folded_.Reset(text);
  }
  if (taxonomy.literal_database() != nullptr) {
    RETURN_IF_ERROR(scan(taxonomy.literal_database(), folded_.folded(), OnLiteralMatch));
  }
  if (!context.overflow && taxonomy.has_short_literals()) ScanShortLiterals(taxonomy, &context);
  if (!context.overflow && taxonomy.regex_database() != nullptr) {
    RETURN_IF_ERROR(scan(taxonomy.regex_database(), text, OnRegexMatch));
  }
  if (context.overflow) {
    return ArticleError("TOO_MANY_MENTIONS",
                        StrCat("article has more than ", limits.max_mentions,
                                     " matches (limit max_mentions)"));
  }
  return absl::OkStatus();
}

absl::StatusOr<TagResult> Tagger::Tag(const std::shared_ptr<const CompiledTaxonomy>& taxonomy_ptr,
                                      const ArticleText& article, const TagOptions& options,
                                      const TagLimits& limits) {
  if (taxonomy_ptr == nullptr) return absl::FailedPreconditionError("no taxonomy loaded");
  RETURN_IF_ERROR(ValidateArticle(article, limits));
  const CompiledTaxonomy& taxonomy = *taxonomy_ptr;
  RETURN_IF_ERROR(EnsureScratch(taxonomy));

  candidates_.clear();
  RETURN_IF_ERROR(ScanField(taxonomy, Field::kTitle, article.title, limits));
  RETURN_IF_ERROR(ScanField(taxonomy, Field::kBody, article.body, limits));

  entities_.clear();
  keywords_.clear();
  for (const Candidate& c : candidates_) (c.is_rule ? keywords_ : entities_).push_back(c);

  TagResult result;
  result.taxonomy = taxonomy_ptr;
  const size_t lead_end = LeadEnd(article.body);
  auto field_text = [&](Field field) { return field == Field::kTitle ? article.title : article.body; };

  // Entities: overlaps, then one concept per span (resolver.h).
  ResolveOverlaps(options.overlap, &entities_);
  notes_.clear();
  if (options.resolve) {
    ResolveEntities(taxonomy, article, &entities_, options.explain ? &notes_ : nullptr);
  } else {
    ResolveByProminence(taxonomy, &entities_);
  }
  std::vector<Mention>& mentions = mentions_;
  mentions.clear();
  for (const Candidate& c : entities_) {
    Mention m;
    m.field = c.field;
    m.start = c.start;
    m.end = c.end;
    m.text = field_text(c.field).substr(c.start, c.end - c.start);
    m.alias_index = c.item_index;
    mentions.push_back(m);
  }
  if (options.include_mentions && (options.code_point_offsets || options.utf16_offsets)) {
    FillUnitOffsets(article, options, &mentions);
  }
  // Group by concept (stable, so mentions stay in text order).
  std::vector<uint32_t>& order = order_;
  order.resize(entities_.size());
  for (uint32_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
    const uint32_t x = entities_[a].concept_index;
    const uint32_t y = entities_[b].concept_index;
    return x != y ? x < y : a < b;  // text order within a concept
  });
  result.tags.reserve(order.size());
  uint32_t max_count = 1;
  std::vector<Evidence>& evidence = evidence_;
  evidence.clear();
  for (size_t i = 0; i < order.size();) {
    const uint32_t concept_index = entities_[order[i]].concept_index;
    ConceptTag& tag = result.tags.emplace_back();
    tag.concept_index = concept_index;
    tag.concept_ptr = &taxonomy.concept_at(concept_index);
    Evidence e;
    for (; i < order.size() && entities_[order[i]].concept_index == concept_index; ++i) {
      const Mention& m = mentions[order[i]];
      ++tag.count;
      // A demonym ("Ukrainian officials") is a weaker mention of its country.
      const double share =
          tag.concept_ptr->aliases[m.alias_index].type == AliasType::kDemonym ? kDemonymShare : 1.0;
      if (m.field == Field::kTitle) {
        tag.in_title = true;
        e.weight += kTitleWeight * share;
        ++e.title;
      } else if (m.start < lead_end) {
        e.weight += kLeadWeight * share;
        ++e.lead;
      } else {
        e.weight += kBodyWeight * share;
        ++e.body;
      }
      if (share < 1) ++e.demonyms;
      if (!notes_.empty() && !notes_[order[i]].empty() && e.notes.size() < kMaxNotes &&
          std::find(e.notes.begin(), e.notes.end(), notes_[order[i]]) == e.notes.end()) {
        e.notes.push_back(notes_[order[i]]);
      }
      if (options.include_mentions) tag.mentions.push_back(m);
    }
    max_count = std::max(max_count, tag.count);
    evidence.push_back(e);
  }
  for (size_t t = 0; t < result.tags.size(); ++t) {
    ConceptTag& tag = result.tags[t];
    const Evidence& e = evidence[t];
    tag.score = Round4(std::clamp(0.75 * (1 - std::exp(-e.weight)) +
                                      0.25 * double(tag.count) / double(max_count),
                                  0.0, 1.0));
    if (options.explain) {
      tag.explanation = absl::StrFormat(
          "%d mention(s): title %d, lead %d, body %d%s; position evidence %.2f; "
          "frequency %d of max %d",
          tag.count, e.title, e.lead, e.body,
          e.demonyms > 0 ? absl::StrFormat(" (%d demonym)", e.demonyms) : "", e.weight,
          tag.count, max_count);
      for (const std::string& note : e.notes) StrAppend(&tag.explanation, "\n  ", note);
    }
  }

  // Topics: keyword hits (leftmost-longest among keywords), then broader topics.
  ResolveOverlaps(OverlapPolicy::kLeftmostLongest, &keywords_);
  if (options.resolve) {
    // A keyword that is exactly a tagged name is the name: "Police" the
    // Polish town is not evidence of law enforcement. Both lists are in span
    // order (ResolveOverlaps, resolver.h).
    auto key = [](const Candidate& c) { return std::tuple(c.field, c.start, ~c.end); };
    keywords_.erase(std::remove_if(keywords_.begin(), keywords_.end(),
                                   [&](const Candidate& k) {
                                     return std::binary_search(
                                         entities_.begin(), entities_.end(), k,
                                         [&](const Candidate& a, const Candidate& b) {
                                           return key(a) < key(b);
                                         });
                                   }),
                    keywords_.end());
  }
  struct TopicEvidence {
    uint32_t concept_index;
    double weight = 0;
    std::vector<std::pair<uint32_t, uint32_t>> rule_hits;  // (rule index, hits)
    int32_t inherited_from = -1;  // the narrower topic whose score it took
    std::vector<uint32_t> implied_by;  // tagged concepts that imply it
    double implied_weight = 0;         // their evidence, capped
  };
  std::vector<TopicEvidence> topic_evidence;
  auto topic_slot = [&](uint32_t concept_index) -> TopicEvidence& {
    for (TopicEvidence& t : topic_evidence) {
      if (t.concept_index == concept_index) return t;
    }
    topic_evidence.push_back({concept_index});
    return topic_evidence.back();
  };
  // Concepts that imply topics (NATO → conflict) count like a strong keyword.
  if (options.resolve) {
    for (const ConceptTag& tag : result.tags) {
      for (uint32_t topic_index : taxonomy.facts(tag.concept_index).implies) {
        TopicEvidence& t = topic_slot(topic_index);
        const double implied = kImpliedTopicWeight * (tag.in_title ? 2.0 : 1.0);
        t.implied_weight = std::min(kMaxImpliedWeight, t.implied_weight + implied);
        t.implied_by.push_back(tag.concept_index);
      }
    }
  }
  for (const Candidate& c : keywords_) {
    const uint32_t rule_index = c.item_index;
    const KeywordRule& rule = taxonomy.concept_at(c.concept_index).rules[rule_index];
    TopicEvidence& t = topic_slot(c.concept_index);
    auto hit = std::find_if(t.rule_hits.begin(), t.rule_hits.end(),
                            [&](const auto& h) { return h.first == rule_index; });
    const double position = c.field == Field::kTitle ? 2.0 : 1.0;
    if (hit == t.rule_hits.end()) {
      t.rule_hits.emplace_back(rule_index, 1);
      t.weight += rule.weight * position;
    } else {
      ++hit->second;
      t.weight += 0.5 * rule.weight * position;  // repeats count half
    }
  }
  std::vector<double> topic_scores;
  for (const TopicEvidence& t : topic_evidence) {
    topic_scores.push_back(1 - std::exp(-(t.weight + t.implied_weight) / 3.0));
  }
  const size_t direct_topics = topic_evidence.size();
  for (size_t i = 0; i < direct_topics; ++i) {
    uint32_t child = topic_evidence[i].concept_index;
    double inherited = topic_scores[i] * kBroaderTopicShare;
    for (int depth = 0; depth < kMaxBroaderDepth; ++depth) {
      const int32_t parent = taxonomy.broader_index(child);
      if (parent < 0 || taxonomy.concept_at(parent).kind != ConceptKind::kTopic) break;
      TopicEvidence& p = topic_slot(static_cast<uint32_t>(parent));
      const size_t p_index = &p - topic_evidence.data();
      if (topic_scores.size() <= p_index) topic_scores.resize(p_index + 1, 0.0);
      if (inherited > topic_scores[p_index]) {
        topic_scores[p_index] = inherited;
        p.inherited_from = static_cast<int32_t>(topic_evidence[i].concept_index);
      }
      child = static_cast<uint32_t>(parent);
      inherited *= kBroaderTopicShare;
    }
  }
  if (options.kind_mask & KindBit(ConceptKind::kTopic)) {
    for (size_t i = 0; i < topic_evidence.size(); ++i) {
      const TopicEvidence& t = topic_evidence[i];
      TopicTag topic;
      topic.concept_index = t.concept_index;
      topic.concept_ptr = &taxonomy.concept_at(t.concept_index);
      topic.score = Round4(std::clamp(topic_scores[i], 0.0, 1.0));
      if (topic.score < options.min_score) continue;
      for (const auto& [rule_index, hits] : t.rule_hits) {
        topic.matched_keywords.push_back(topic.concept_ptr->rules[rule_index].pattern);
      }
      if (options.explain) {
        std::string& x = topic.explanation;
        for (const auto& [rule_index, hits] : t.rule_hits) {
          const KeywordRule& rule = topic.concept_ptr->rules[rule_index];
          absl::StrAppendFormat(&x, "%s%s%s%s x%d (weight %.2f)", x.empty() ? "" : "; ",
                                rule.is_regex ? "/" : "\"", rule.pattern,
                                rule.is_regex ? "/" : "\"", hits, rule.weight);
        }
        for (uint32_t concept_index : t.implied_by) {
          StrAppend(&x, x.empty() ? "" : "; ", "implied by ", taxonomy.concept_at(concept_index).id);
        }
        if (t.inherited_from >= 0) {
          StrAppend(&x, x.empty() ? "" : "; ", "inherited from narrower topic ",
                    taxonomy.concept_at(t.inherited_from).id);
        }
      }
      result.topics.push_back(std::move(topic));
    }
  }

  // Filter by kind and score; order by score.
  result.tags.erase(std::remove_if(result.tags.begin(), result.tags.end(),
                                   [&](const ConceptTag& tag) {
                                     return !(options.kind_mask & KindBit(tag.concept_ptr->kind)) ||
                                            tag.score < options.min_score;
                                   }),
                    result.tags.end());
  // Ties break by concept id, so output is deterministic. Sorts indices, then
  // moves each tag once: ConceptTag is large.
  std::vector<uint32_t>& by_score = order_;
  by_score.resize(result.tags.size());
  for (uint32_t i = 0; i < by_score.size(); ++i) by_score[i] = i;
  std::sort(by_score.begin(), by_score.end(), [&](uint32_t a, uint32_t b) {
    const ConceptTag& x = result.tags[a];
    const ConceptTag& y = result.tags[b];
    if (x.score != y.score) return x.score > y.score;
    return x.concept_ptr->id < y.concept_ptr->id;
  });
  std::vector<ConceptTag> sorted;
  sorted.reserve(result.tags.size());
  for (uint32_t i : by_score) sorted.push_back(std::move(result.tags[i]));
  result.tags = std::move(sorted);
  std::sort(result.topics.begin(), result.topics.end(), [](const TopicTag& a, const TopicTag& b) {
    if (a.score != b.score) return a.score > b.score;
    return a.concept_ptr->id < b.concept_ptr->id;
  });
  return result;
}

}  // namespace tagwire
