// Helpers shared by the core unit tests (test-only; nothing in the library
// includes this): build taxonomies from inline JSON Lines, and describe a tag
// result as text so two results can be compared with one EXPECT_EQ.
#ifndef TAGWIRE_CORE_TEST_SUPPORT_H_
#define TAGWIRE_CORE_TEST_SUPPORT_H_

#include <stdlib.h>

#include <filesystem>
#include <iomanip>
#include <system_error>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include "absl/status/statusor.h"
#include "core/compiled_taxonomy.h"
#include "core/status_macros.h"
#include "core/tagger.h"
#include "core/taxonomy.h"

namespace tagwire {
namespace test_support {

// Builds a taxonomy from one inline JSONL layer named `name`.
inline absl::StatusOr<Taxonomy> BuildTaxonomy(std::string_view jsonl,
                                              std::string_view name = "test.jsonl") {
  TaxonomyBuilder builder;
  RETURN_IF_ERROR(builder.AddLayer(name, jsonl));
  return builder.Build();
}

// Builds and compiles a taxonomy from one inline JSONL layer.
inline absl::StatusOr<std::shared_ptr<const CompiledTaxonomy>> CompileJsonl(
    std::string_view jsonl, const CompileOptions& options = {},
    std::string_view name = "test.jsonl") {
  ASSIGN_OR_RETURN(Taxonomy taxonomy, BuildTaxonomy(jsonl, name));
  return CompiledTaxonomy::Compile(std::move(taxonomy), options);
}

// Describes everything a caller can observe in `result`, one line per tag,
// mention and topic, with scores printed exactly.
inline std::string DescribeResult(const TagResult& result) {
  std::ostringstream out;
  out << std::setprecision(17);
  out << "version " << result.taxonomy_version() << "\n";
  for (const ConceptTag& tag : result.tags) {
    out << "tag " << tag.concept_ptr->id << " score=" << tag.score << " count=" << tag.count
        << " in_title=" << tag.in_title << "\n";
    for (const Mention& m : tag.mentions) {
      out << "  mention " << (m.field == Field::kTitle ? "title" : "body") << " [" << m.start
          << "," << m.end << ") cp [" << m.code_point_start << "," << m.code_point_end
          << ") utf16 [" << m.utf16_start << "," << m.utf16_end << ") alias " << m.alias_index
          << " '" << m.text << "'\n";
    }
    if (!tag.explanation.empty()) out << "  explain " << tag.explanation << "\n";
  }
  for (const TopicTag& topic : result.topics) {
    out << "topic " << topic.concept_ptr->id << " score=" << topic.score;
    for (std::string_view keyword : topic.matched_keywords) out << " kw=" << keyword;
    out << "\n";
    if (!topic.explanation.empty()) out << "  explain " << topic.explanation << "\n";
  }
  return out.str();
}

// Returns the tag for concept `id` in `result`, or null.
inline const ConceptTag* FindTag(const TagResult& result, std::string_view id) {
  for (const ConceptTag& tag : result.tags) {
    if (tag.concept_ptr->id == id) return &tag;
  }
  return nullptr;
}

// Returns the topic tag for concept `id` in `result`, or null.
inline const TopicTag* FindTopic(const TagResult& result, std::string_view id) {
  for (const TopicTag& topic : result.topics) {
    if (topic.concept_ptr->id == id) return &topic;
  }
  return nullptr;
}

// A fresh, empty directory under the test temporary directory, removed with
// everything in it when this object goes away. path() is empty if it could
// not be created.
class ScopedTempDir {
 public:
  ScopedTempDir() {
    std::string pattern = ::testing::TempDir();
    if (pattern.empty() || pattern.back() != '/') pattern += '/';
    pattern += "tagwire_test_XXXXXX";
    if (::mkdtemp(pattern.data()) != nullptr) path_ = pattern;
  }
  ~ScopedTempDir() {
    std::error_code ignored;
    if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
  }
  ScopedTempDir(const ScopedTempDir&) = delete;
  ScopedTempDir& operator=(const ScopedTempDir&) = delete;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace test_support
}  // namespace tagwire

#endif  // TAGWIRE_CORE_TEST_SUPPORT_H_
