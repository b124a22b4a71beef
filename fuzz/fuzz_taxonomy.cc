// Fuzz target: a taxonomy JSONL layer → load → compile → tag one article.
// Properties: no crash or sanitizer report; a layer that does not load is
// refused with a message naming the file (file:line), and one that loads
// either compiles or is refused with a message; a compiled taxonomy tags.
#include <cstddef>
#include <cstdint>

#include "absl/strings/match.h"
#include "core/strings.h"
#include "fuzz/fuzz_support.h"

using namespace tagwire;

namespace {
constexpr char kName[] = "fuzz.jsonl";
constexpr std::string_view kArticle =
    "NATO leaders met in Brussels. The European Central Bank held rates; "
    "floods in Pakistan; Apple shares rose. Zürich, Kyiv, São Paulo.";
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Tagger* tagger = new Tagger();
  const std::string_view layer(reinterpret_cast<const char*>(data), size);
  TaxonomyBuilder builder;
  if (absl::Status added = builder.AddLayer(kName, layer); !added.ok()) {
    if (!absl::StrContains(added.message(), kName)) {
      fuzz::Fail("a load error that does not name the file: " + std::string(added.message()));
    }
    return 0;
  }
  absl::StatusOr<Taxonomy> taxonomy = builder.Build();
  if (!taxonomy.ok()) {
    if (taxonomy.status().message().empty()) fuzz::Fail("a build error without a message");
    return 0;
  }
  auto compiled = CompiledTaxonomy::Compile(*std::move(taxonomy));
  if (!compiled.ok()) {
    if (compiled.status().message().empty()) fuzz::Fail("a compile error without a message");
    return 0;
  }
  TagOptions options;
  options.code_point_offsets = true;
  options.utf16_offsets = true;
  ArticleText article;
  article.body = kArticle;
  absl::StatusOr<TagResult> result = tagger->Tag(*compiled, article, options);
  if (!result.ok()) {
    // Only the match limit can refuse valid text.
    if (ArticleErrorReason(result.status()) != "TOO_MANY_MENTIONS") {
      fuzz::Fail("a valid article was refused: " + std::string(result.status().message()));
    }
    return 0;
  }
  fuzz::CheckResult(*result, article, options);
  return 0;
}
