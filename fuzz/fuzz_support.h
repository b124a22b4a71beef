// Shared by the fuzz targets: the starter taxonomy, compiled once per
// process, and a reference check of one TagResult against its article.
#ifndef TAGWIRE_FUZZ_FUZZ_SUPPORT_H_
#define TAGWIRE_FUZZ_FUZZ_SUPPORT_H_

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "core/compiled_taxonomy.h"
#include "core/tagger.h"
#include "core/unicode.h"

namespace tagwire::fuzz {

// Aborts with `what` (libFuzzer then records the input as a crash).
[[noreturn]] inline void Fail(const std::string& what) {
  std::fprintf(stderr, "property violated: %s\n", what.c_str());
  std::abort();
}

inline std::shared_ptr<const CompiledTaxonomy> CompileStarter(const CompileOptions& options = {}) {
  const std::string path = TAGWIRE_DATA_DIR "/starter.jsonl";
  absl::StatusOr<Taxonomy> taxonomy = LoadTaxonomyFiles({path});
  if (!taxonomy.ok()) Fail("the starter taxonomy does not load: " + std::string(taxonomy.status().message()));
  auto compiled = CompiledTaxonomy::Compile(*std::move(taxonomy), options);
  if (!compiled.ok()) Fail("the starter taxonomy does not compile");
  return *std::move(compiled);
}

// Every mention's reported text is its slice of the original field, and its
// code point and UTF-16 offsets (when asked for) agree with counting the
// prefix of the field independently.
inline void CheckResult(const TagResult& result, const ArticleText& article,
                        const TagOptions& options) {
  for (const ConceptTag& tag : result.tags) {
    if (tag.score < 0 || tag.score > 1) Fail("a score outside [0, 1]");
    for (const Mention& mention : tag.mentions) {
      const std::string_view field = mention.field == Field::kTitle ? article.title : article.body;
      if (mention.start >= mention.end || mention.end > field.size()) Fail("mention out of range");
      const std::string_view slice = field.substr(mention.start, mention.end - mention.start);
      if (slice != mention.text) Fail("mention text differs from its slice of the article");
      if (options.code_point_offsets) {
        if (mention.code_point_start != CountCodePoints(field.substr(0, mention.start)) ||
            mention.code_point_end != CountCodePoints(field.substr(0, mention.end))) {
          Fail("code point offsets disagree with the reference count");
        }
      }
      if (options.utf16_offsets) {
        if (mention.utf16_start != CountUtf16Units(field.substr(0, mention.start)) ||
            mention.utf16_end != CountUtf16Units(field.substr(0, mention.end))) {
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
