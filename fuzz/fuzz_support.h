// Shared by the fuzz targets: the starter taxonomy, compiled once per
// process, and a reference check of one TagResult against its article. The
// reference counts here are written independently of core/unicode.cc (which
// computes the offsets under test), so they check it rather than repeat it.
#ifndef TAGWIRE_FUZZ_FUZZ_SUPPORT_H_
#define TAGWIRE_FUZZ_FUZZ_SUPPORT_H_

#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "core/compiled_taxonomy.h"
#include "core/tagger.h"

namespace tagwire::fuzz {

// Aborts with `what` (libFuzzer then records the input as a crash).
[[noreturn]] inline void Fail(const std::string& what) {
  std::fprintf(stderr, "property violated: %s\n", what.c_str());
  std::abort();
}

// Returns true if byte offset `offset` of `text` starts a UTF-8 character or
// is the end of `text`.
inline bool IsCharacterBoundary(std::string_view text, size_t offset) {
  return offset == text.size() ||
         (offset < text.size() && (static_cast<unsigned char>(text[offset]) & 0xc0) != 0x80);
}

// Returns the number of code points in UTF-8 `text`: its lead bytes.
inline size_t ReferenceCodePoints(std::string_view text) {
  size_t count = 0;
  for (const char byte : text) count += (static_cast<unsigned char>(byte) & 0xc0) != 0x80;
  return count;
}

// Returns the number of UTF-16 code units of UTF-8 `text`: one per code point,
// two for a code point at or above U+10000 (a surrogate pair). Decodes each
// code point's value rather than trusting its lead byte.
inline size_t ReferenceUtf16Units(std::string_view text) {
  size_t units = 0;
  for (size_t i = 0; i < text.size();) {
    const auto lead = static_cast<unsigned char>(text[i]);
    const size_t length = lead < 0x80 ? 1 : lead < 0xe0 ? 2 : lead < 0xf0 ? 3 : 4;
    char32_t value = length == 1 ? lead : lead & (0x7f >> length);
    for (size_t k = 1; k < length && i + k < text.size(); ++k) {
      value = (value << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3f);
    }
    units += value >= 0x10000 ? 2 : 1;
    i += length;
  }
  return units;
}

// Splits fuzz input into an article: the title before the first `separator`,
// the body after it (all of it the body when there is none).
inline ArticleText SplitArticle(std::string_view input, char separator) {
  const size_t at = input.find(separator);
  if (at == std::string_view::npos) return ArticleText{{}, input};
  return ArticleText{input.substr(0, at), input.substr(at + 1)};
}

inline std::shared_ptr<const CompiledTaxonomy> CompileStarter(const CompileOptions& options = {}) {
  const std::string path = TAGWIRE_DATA_DIR "/starter.jsonl";
  absl::StatusOr<Taxonomy> taxonomy = LoadTaxonomyFiles({path});
  if (!taxonomy.ok()) Fail("the starter taxonomy does not load: " + std::string(taxonomy.status().message()));
  auto compiled = CompiledTaxonomy::Compile(*std::move(taxonomy), options);
  if (!compiled.ok()) Fail("the starter taxonomy does not compile");
  return *std::move(compiled);
}

// Every mention's reported text is its slice of the original field, both ends
// on character boundaries, and its code point and UTF-16 offsets (when asked
// for) agree with the reference counts of the field's prefix.
inline void CheckResult(const TagResult& result, const ArticleText& article,
                        const TagOptions& options) {
  for (const ConceptTag& tag : result.tags) {
    if (tag.score < 0 || tag.score > 1) Fail("a score outside [0, 1]");
    for (const Mention& mention : tag.mentions) {
      const std::string_view field = mention.field == Field::kTitle ? article.title : article.body;
      if (mention.start >= mention.end || mention.end > field.size()) Fail("mention out of range");
      if (!IsCharacterBoundary(field, mention.start) || !IsCharacterBoundary(field, mention.end)) {
        Fail("a mention starts or ends inside a UTF-8 character");
      }
      const std::string_view slice = field.substr(mention.start, mention.end - mention.start);
      if (slice != mention.text) Fail("mention text differs from its slice of the article");
      if (options.code_point_offsets) {
        if (mention.code_point_start != ReferenceCodePoints(field.substr(0, mention.start)) ||
            mention.code_point_end != ReferenceCodePoints(field.substr(0, mention.end))) {
          Fail("code point offsets disagree with the reference count");
        }
      }
      if (options.utf16_offsets) {
        if (mention.utf16_start != ReferenceUtf16Units(field.substr(0, mention.start)) ||
            mention.utf16_end != ReferenceUtf16Units(field.substr(0, mention.end))) {
          Fail("UTF-16 offsets disagree with the reference count");
        }
      }
    }
  }
  for (const TopicTag& topic : result.topics) {
    if (topic.score < 0 || topic.score > 1) Fail("a topic score outside [0, 1]");
  }
}

}  // namespace tagwire::fuzz

#endif  // TAGWIRE_FUZZ_FUZZ_SUPPORT_H_
