// Fuzz target: article bytes → validate → tag, in process, against the
// starter taxonomy. The first byte picks the options; the rest is the title
// and the body, split at the first NUL (none: all body). Properties: no
// crash or sanitizer report; an article is either tagged (and CheckResult
// holds) or rejected with a reason; invalid UTF-8 is never tagged.
#include <cstddef>
#include <cstdint>

#include "core/unicode.h"
#include "fuzz/fuzz_support.h"

using namespace tagwire;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::shared_ptr<const CompiledTaxonomy> taxonomy = fuzz::CompileStarter();
  static Tagger* tagger = new Tagger();
  if (size == 0) return 0;
  const uint8_t flags = data[0];
  TagOptions options;
  options.overlap = static_cast<OverlapPolicy>(flags % 3);
  options.code_point_offsets = (flags & 0x04) != 0;
  options.utf16_offsets = (flags & 0x08) != 0;
  options.explain = (flags & 0x10) != 0;
  options.include_mentions = (flags & 0x20) == 0;
  const ArticleText article =
      fuzz::SplitArticle({reinterpret_cast<const char*>(data + 1), size - 1}, '\0');
  TagLimits limits;
  limits.max_article_bytes = 64 << 10;
  absl::StatusOr<TagResult> result = tagger->Tag(taxonomy, article, options, limits);
  if (result.ok()) {
    if (!IsValidUtf8(article.title) || !IsValidUtf8(article.body)) {
      fuzz::Fail("an article with invalid UTF-8 was tagged");
    }
    fuzz::CheckResult(*result, article, options);
  } else if (ArticleErrorReason(result.status()).empty()) {
    fuzz::Fail("an article was rejected without a reason: " +
               std::string(result.status().message()));
  }
  return 0;
}
