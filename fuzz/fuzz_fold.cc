// Fuzz target: the folded view's map from folded offsets back to original
// bytes (core/fold.h), and the offsets of the mentions the tagger reports
// through it. The input's first line is an alias, added (caseless) to a small
// taxonomy of aliases that fold in interesting ways ("Zürich", "İstanbul",
// "straße", "ΣΟΦΙΑ", ligatures, emoji…), and is also the article's title; the
// rest of the input is the body. No newline: all body, fixed aliases only.
//
// Properties, for each field that is valid UTF-8 (core's validator decides):
//   * every folded offset that maps back maps, as a start and as an end, to a
//     character boundary within the original; both are non-decreasing along
//     the folded text and do not depend on the order offsets are asked in;
//   * the original between two neighbouring mapped offsets folds to exactly
//     the folded bytes between them, and folded offsets that do not map lie
//     inside the folding of one original code point;
//   * what the map skips (between an offset's end and its start, before the
//     first offset, after the last) folds to nothing;
// and for the tagged article (code point and UTF-16 offsets requested, every
// overlapping mention kept): CheckResult (fuzz_support.h), and every mention
// folds to the alias it matched.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <numeric>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "core/fold.h"
#include "core/unicode.h"
#include "fuzz/fuzz_support.h"

using namespace tagwire;

namespace {

// Aliases whose folding changes length, drops characters or decomposes them,
// so the map back to the original is far from the identity.
constexpr std::string_view kFixedLayer = R"jsonl(
{"id":"loc:zurich","kind":"LOCATION","name":"Zürich"}
{"id":"loc:istanbul","kind":"LOCATION","name":"İstanbul"}
{"id":"other:strasse","kind":"OTHER","name":"straße","aliases":["Strasse"]}
{"id":"other:s","kind":"OTHER","name":"s"}
{"id":"per:sofia","kind":"PERSON","name":"Σοφία","aliases":["ΣΟΦΙΑ"]}
{"id":"per:odysseus","kind":"PERSON","name":"Οδυσσεύς"}
{"id":"loc:koln","kind":"LOCATION","name":"Köln","aliases":[{"text":"Ko\u0308ln","case":"caseless"}]}
{"id":"loc:kyiv","kind":"LOCATION","name":"Київ"}
{"id":"loc:tokyo","kind":"LOCATION","name":"東京"}
{"id":"org:nato","kind":"ORGANIZATION","name":"ＮＡＴＯ"}
{"id":"other:finance","kind":"OTHER","name":"ﬁnance"}
{"id":"other:abc","kind":"OTHER","name":"𝐀𝐁𝐂"}
{"id":"other:cafe","kind":"OTHER","name":"☕ Café"}
{"id":"other:family","kind":"OTHER","name":"👨‍👩‍👧 Family"}
{"id":"other:dz","kind":"OTHER","name":"ǅemal"}
)jsonl";

constexpr size_t kMaxCachedTaxonomies = 256;

// Returns `text` as a JSON string literal.
std::string JsonString(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (byte < 0x20) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\u%04x", byte);
      out += escaped;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

// Compiles one JSONL layer, or returns null if it does not load or compile.
std::shared_ptr<const CompiledTaxonomy> CompileLayer(std::string_view layer) {
  TaxonomyBuilder builder;
  if (!builder.AddLayer("fuzz_fold.jsonl", layer).ok()) return nullptr;
  absl::StatusOr<Taxonomy> taxonomy = builder.Build();
  if (!taxonomy.ok()) return nullptr;
  auto compiled = CompiledTaxonomy::Compile(*std::move(taxonomy));
  return compiled.ok() ? *std::move(compiled) : nullptr;
}

// Returns the fixed taxonomy plus caseless `alias`, compiled once per distinct
// alias (a bounded cache); the fixed taxonomy alone when `alias` is empty or
// refused by the loader.
std::shared_ptr<const CompiledTaxonomy> TaxonomyFor(std::string_view alias) {
  static auto* cache = new std::map<std::string, std::shared_ptr<const CompiledTaxonomy>, std::less<>>();
  if (auto it = cache->find(alias); it != cache->end()) return it->second;
  if (cache->size() >= kMaxCachedTaxonomies) cache->clear();
  std::shared_ptr<const CompiledTaxonomy> compiled;
  if (alias.empty()) {
    compiled = CompileLayer(kFixedLayer);
    if (compiled == nullptr) fuzz::Fail("the fixed taxonomy does not compile");
  } else {
    const std::string quoted = JsonString(alias);
    compiled = CompileLayer(std::string(kFixedLayer) + R"({"id":"other:fuzzed","kind":"OTHER","name":)" +
                            quoted + R"(,"aliases":[{"text":)" + quoted + R"(,"case":"caseless"}]})" + "\n");
    if (compiled == nullptr) compiled = TaxonomyFor("");
  }
  cache->emplace(alias, compiled);
  return compiled;
}

// Returns how many code points of UTF-8 `text` fold to something (are not
// stripped marks or ignorable format characters).
size_t VisibleCodePoints(std::string_view text) {
  size_t visible = 0;
  for (size_t i = 0; i < text.size();) {
    size_t length = 1;
    while (i + length < text.size() && !fuzz::IsCharacterBoundary(text, i + length)) ++length;
    visible += !FoldText(text.substr(i, length)).empty();
    i += length;
  }
  return visible;
}

// Where one folded offset maps in the original: as the start of a match and
// as its end. `mapped` is false when the offset falls inside the folding of
// one code point.
struct MappedOffset {
  bool mapped = false;
  size_t start = 0;
  size_t end = 0;
  bool operator==(const MappedOffset& other) const {
    return mapped == other.mapped && (!mapped || (start == other.start && end == other.end));
  }
};

// Checks the fold map of valid UTF-8 `original` (the properties in the file
// comment); `seed` picks the order of the out-of-order lookups.
void CheckFoldMap(std::string_view original, uint64_t seed, FoldedView* view) {
  view->Reset(original);
  const std::string_view folded = view->folded();
  const auto fail = [&](const std::string& what, size_t folded_offset) {
    fuzz::Fail(what + " (folded offset " + std::to_string(folded_offset) + " of " +
               std::to_string(folded.size()) + ", original " + std::to_string(original.size()) +
               " bytes)");
  };

  // Every offset, in ascending order (the tagger's usual order).
  std::vector<MappedOffset> map(folded.size() + 1);
  for (size_t p = 0; p < map.size(); ++p) {
    map[p].mapped = view->MapToOriginal(p, p, &map[p].start, &map[p].end);
  }
  if (!map.front().mapped || !map.back().mapped) fail("an end of the folded text does not map", 0);
  if (map.front().start > original.size() || map.back().end > original.size()) {
    fail("an end of the folded text maps outside the original", 0);
  }
  if (!FoldText(original.substr(0, map.front().start)).empty() ||
      !FoldText(original.substr(map.back().end)).empty()) {
    fail("the map skips original text that folds to something at an end", 0);
  }
  size_t previous = 0;  // the last mapped offset before p
  for (size_t p = 0; p < map.size(); ++p) {
    const MappedOffset& here = map[p];
    if (!here.mapped) continue;
    if (here.start > original.size() || here.end > original.size()) {
      fail("maps outside the original", p);
    }
    if (!fuzz::IsCharacterBoundary(original, here.start) ||
        !fuzz::IsCharacterBoundary(original, here.end)) {
      fail("maps inside a UTF-8 character", p);
    }
    if (here.end > here.start) fail("maps as an end after where it maps as a start", p);
    if (!FoldText(original.substr(here.end, here.start - here.end)).empty()) {
      fail("skips original text that folds to something", p);
    }
    if (p == 0) continue;
    const MappedOffset& before = map[previous];
    if (here.start < before.start || here.end < before.end) fail("the map goes backwards", p);
    if (before.start > here.end) fail("a non-empty folded span maps to an empty original span", p);
    const std::string_view piece = original.substr(before.start, here.end - before.start);
    if (FoldText(piece) != folded.substr(previous, p - previous)) {
      fail("the original between two mapped offsets does not fold to the folded bytes between them",
           p);
    }
    if (p - previous > 1 && VisibleCodePoints(piece) != 1) {
      fail("unmapped offsets outside the folding of one code point", p);
    }
    previous = p;
  }

  // Descending, then pairs in a shuffled order: the lookup hint must not
  // change any answer, and a span maps to its start's start and its end's end.
  for (size_t p = map.size(); p-- > 0;) {
    MappedOffset again;
    again.mapped = view->MapToOriginal(p, p, &again.start, &again.end);
    if (!(again == map[p])) fail("a descending lookup maps differently", p);
  }
  std::vector<size_t> order(map.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::shuffle(order.begin(), order.end(), std::mt19937_64(seed));
  for (size_t k = 0; k < order.size(); ++k) {
    const size_t a = std::min(order[k], order[order.size() - 1 - k]);
    const size_t b = std::max(order[k], order[order.size() - 1 - k]);
    size_t start = 0;
    size_t end = 0;
    const bool mapped = view->MapToOriginal(a, b, &start, &end);
    if (mapped != (map[a].mapped && map[b].mapped) ||
        (mapped && (start != map[a].start || end != map[b].end))) {
      fail("a span maps differently from its two ends", a);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Tagger* tagger = new Tagger();
  static FoldedView* view = new FoldedView();
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const ArticleText article = fuzz::SplitArticle(input, '\n');
  const bool title_valid = IsValidUtf8(article.title);
  const bool body_valid = IsValidUtf8(article.body);
  const uint64_t seed = std::hash<std::string_view>()(input);
  if (title_valid) CheckFoldMap(article.title, seed, view);
  if (body_valid) CheckFoldMap(article.body, seed + 1, view);
  if (!ValidateArticle(article, TagLimits()).ok()) return 0;  // fuzz_tag_article's subject

  TagOptions options;
  options.overlap = OverlapPolicy::kAll;
  options.code_point_offsets = true;
  options.utf16_offsets = true;
  absl::StatusOr<TagResult> result = tagger->Tag(TaxonomyFor(article.title), article, options);
  if (!result.ok()) {
    // Only the match limit can refuse an article that validates.
    if (ArticleErrorReason(result.status()) != "TOO_MANY_MENTIONS") {
      fuzz::Fail("a valid article was refused: " + std::string(result.status().message()));
    }
    return 0;
  }
  fuzz::CheckResult(*result, article, options);
  for (const ConceptTag& tag : result->tags) {
    for (const Mention& mention : tag.mentions) {
      const std::string_view alias = tag.concept_ptr->aliases[mention.alias_index].text;
      if (FoldText(mention.text) != FoldText(alias)) {
        fuzz::Fail("mention '" + std::string(mention.text) + "' does not fold to its alias '" +
                   std::string(alias) + "'");
      }
    }
  }
  return 0;
}
