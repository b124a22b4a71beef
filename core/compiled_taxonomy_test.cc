#include "core/compiled_taxonomy.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/compiled_cache.h"
#include "core/files.h"
#include "core/strings.h"
#include "core/tagger.h"
#include "core/test_support.h"

namespace tagwire {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;
using test_support::BuildTaxonomy;
using test_support::CompileJsonl;
using test_support::DescribeResult;

constexpr char kTaxonomy[] =
    R"({"id":"geo:paris","kind":"LOCATION","name":"Paris","aliases":["Paname"]})"
    "\n"
    R"({"id":"geo:georgia","kind":"LOCATION","name":"Georgia","attributes":{"population":3700000}})"
    "\n"
    R"({"id":"geo:georgia_us","kind":"LOCATION","name":"Georgia","attributes":{"population":10700000}})"
    "\n"
    R"({"id":"org:nyt","kind":"ORGANIZATION","name":"New York Times"})"
    "\n"
    R"({"id":"topic:politics","kind":"TOPIC","name":"politics",)"
    R"("rules":[{"keyword":"election","weight":2},{"regex":"parliament(ary)?","weight":1}]})"
    "\n";

constexpr ArticleText kArticle = {
    "Paris election",
    "Voters in Georgia and in Paris went to the polls. The parliamentary vote was covered by "
    "the New York Times; Paname was calm."};

std::string Message(const absl::Status& status) { return std::string(status.message()); }

// Tags kArticle with a fresh Tagger and describes the result.
std::string TagDescription(const std::shared_ptr<const CompiledTaxonomy>& taxonomy,
                           const ArticleText& article = kArticle) {
  Tagger tagger;
  auto result = tagger.Tag(taxonomy, article);
  EXPECT_TRUE(result.ok()) << result.status();
  return result.ok() ? DescribeResult(*result) : "";
}

// --- Compile ---------------------------------------------------------------------

TEST(CompileTest, CompilesLiteralsAndRegexes) {
  auto taxonomy = CompileJsonl(kTaxonomy);
  ASSERT_TRUE(taxonomy.ok()) << taxonomy.status();
  const CompiledTaxonomy& compiled = **taxonomy;
  // paris, paname, georgia (shared by two concepts), new york times, election.
  EXPECT_EQ(compiled.literal_count(), 5u);
  EXPECT_EQ(compiled.regex_count(), 1u);
  EXPECT_NE(compiled.literal_database(), nullptr);
  EXPECT_NE(compiled.regex_database(), nullptr);
  EXPECT_NE(compiled.prototype_scratch(), nullptr);
  EXPECT_GT(compiled.database_bytes(), 0u);
  EXPECT_FALSE(compiled.loaded_from_cache());
  EXPECT_THAT(compiled.cache_status(), StartsWith("compiled 5 literals and 1 regexes"));
  EXPECT_EQ(compiled.taxonomy().concepts().size(), 5u);
  EXPECT_EQ(compiled.concept_at(3).id, "org:nyt");
}

TEST(CompileTest, VersionIsTheTaxonomyVersion) {
  auto taxonomy = BuildTaxonomy(kTaxonomy);
  ASSERT_TRUE(taxonomy.ok());
  const std::string version = taxonomy->version();
  auto compiled = CompiledTaxonomy::Compile(*std::move(taxonomy));
  ASSERT_TRUE(compiled.ok()) << compiled.status();
  EXPECT_EQ((*compiled)->version(), version);
  EXPECT_EQ((*compiled)->taxonomy().version(), version);
}

TEST(CompileTest, GenerationIsUniquePerInstance) {
  std::set<uint64_t> generations;
  for (int i = 0; i < 3; ++i) {
    auto compiled = CompileJsonl(kTaxonomy);
    ASSERT_TRUE(compiled.ok());
    generations.insert((*compiled)->generation());
  }
  EXPECT_EQ(generations.size(), 3u);
}

TEST(CompileTest, SharedAliasHasOneLiteralWithBothTargets) {
  auto compiled = CompileJsonl(kTaxonomy);
  ASSERT_TRUE(compiled.ok());
  const CompiledTaxonomy& c = **compiled;
  int georgia_patterns = 0;
  for (uint32_t pattern = 0; pattern < c.literal_count(); ++pattern) {
    std::vector<std::string> ids;
    for (const PatternTarget* t = c.targets_begin(pattern); t != c.targets_end(pattern); ++t) {
      ids.push_back(c.concept_at(t->concept_index).id);
    }
    if (c.literal_length(pattern) == 7 && ids.size() == 2) {
      ++georgia_patterns;
      EXPECT_THAT(ids, ::testing::ElementsAre("geo:georgia", "geo:georgia_us"));
    }
  }
  EXPECT_EQ(georgia_patterns, 1);
}

TEST(CompileTest, BroaderIndex) {
  auto compiled = CompileJsonl(
      R"({"id":"t:politics","kind":"TOPIC","name":"politics","rules":[{"keyword":"vote"}]})"
      "\n"
      R"({"id":"t:elections","kind":"TOPIC","name":"elections","broader":"t:politics","rules":[{"keyword":"ballot"}]})");
  ASSERT_TRUE(compiled.ok()) << compiled.status();
  EXPECT_EQ((*compiled)->broader_index(0), -1);
  EXPECT_EQ((*compiled)->broader_index(1), 0);
}

TEST(CompileTest, EmptyTaxonomyCompilesAndTagsNothing) {
  auto compiled = CompileJsonl("");
  ASSERT_TRUE(compiled.ok()) << compiled.status();
  EXPECT_EQ((*compiled)->literal_count(), 0u);
  EXPECT_EQ((*compiled)->literal_database(), nullptr);
  Tagger tagger;
  auto result = tagger.Tag(*compiled, kArticle);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_TRUE(result->tags.empty());
  EXPECT_TRUE(result->topics.empty());
}

TEST(CompileTest, RegexOnlyTaxonomy) {
  auto compiled = CompileJsonl(
      R"({"id":"t:quake","kind":"TOPIC","name":"quakes","rules":[{"regex":"(earth)?quakes?","weight":3}]})");
  ASSERT_TRUE(compiled.ok()) << compiled.status();
  EXPECT_EQ((*compiled)->literal_database(), nullptr);
  EXPECT_NE((*compiled)->regex_database(), nullptr);
  Tagger tagger;
  auto result = tagger.Tag(*compiled, {"", "A strong earthquake hit."});
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_EQ(result->topics.size(), 1u);
  EXPECT_EQ(result->topics[0].concept_ptr->id, "t:quake");
}

// Returns Hyperscan's own message for `regex` compiled with tagwire's flags.
std::string HyperscanMessage(const char* regex) {
  hs_database_t* db = nullptr;
  hs_compile_error_t* error = nullptr;
  const hs_error_t result =
      hs_compile(regex, HS_FLAG_UTF8 | HS_FLAG_UCP | HS_FLAG_CASELESS | HS_FLAG_SOM_LEFTMOST,
                 HS_MODE_BLOCK, nullptr, &db, &error);
  EXPECT_NE(result, HS_SUCCESS) << regex << " unexpectedly compiled";
  hs_free_database(db);
  std::string message = error != nullptr && error->message != nullptr ? error->message : "";
  hs_free_compile_error(error);
  return message;
}

struct BadRegexCase {
  const char* name;
  const char* json;   // the regex as a JSON string body
  const char* regex;  // the regex itself
};

class BadRegexTest : public ::testing::TestWithParam<BadRegexCase> {};

TEST_P(BadRegexTest, RejectedWithFileLineAndHyperscanMessage) {
  const BadRegexCase& c = GetParam();
  const std::string jsonl = StrCat(
      R"({"id":"t:a","kind":"TOPIC","name":"a","rules":[{"regex":"valid(ity)?"},{"keyword":"x"}]})",
      "\n", R"({"id":"geo:paris","kind":"LOCATION","name":"Paris"})", "\n\n",
      R"({"id":"t:b","kind":"TOPIC","name":"b","rules":[{"keyword":"y"},{"regex":")", c.json,
      R"("}]})", "\n");
  auto compiled = CompileJsonl(jsonl, {}, "rules.jsonl");
  ASSERT_FALSE(compiled.ok());
  EXPECT_EQ(compiled.status().code(), absl::StatusCode::kInvalidArgument);
  const std::string hyperscan = HyperscanMessage(c.regex);
  ASSERT_FALSE(hyperscan.empty());
  EXPECT_EQ(Message(compiled.status()),
            StrCat("rules.jsonl:4: regex /", c.regex, "/ rejected by Hyperscan: ", hyperscan));
}

INSTANTIATE_TEST_SUITE_P(
    Regexes, BadRegexTest,
    ::testing::Values(BadRegexCase{"Unclosed", "(unclosed", "(unclosed"},
                      BadRegexCase{"Backreference", R"((a)\\1)", R"((a)\1)"},
                      BadRegexCase{"NothingToRepeat", "*a", "*a"},
                      BadRegexCase{"UnknownClass", "[[:nope:]]", "[[:nope:]]"}),
    [](const ::testing::TestParamInfo<BadRegexCase>& param) { return param.param.name; });

TEST(CompileTest, RegexThatMatchesEmptyIsRejected) {
  auto compiled = CompileJsonl(
      R"({"id":"t:a","kind":"TOPIC","name":"a","rules":[{"regex":"x*"}]})", {}, "rules.jsonl");
  ASSERT_FALSE(compiled.ok());
  EXPECT_EQ(compiled.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(compiled.status()), StartsWith("rules.jsonl:1: regex /x*/ rejected"));
}

// Hyperscan 5.4.0 builds a literal database that fails to scan text holding
// "abc" + 34 x "t" (found by fuzz/fuzz_fold). Whatever the Hyperscan version,
// such an alias is either refused with its file:line or tagged: never an
// article failing with INTERNAL.
TEST(CompileTest, AliasHyperscanCannotScanIsRefusedOrTagged) {
  const std::string alias = "abc" + std::string(34, 't');
  auto compiled = CompileJsonl(
      StrCat(R"({"id":"org:paris","kind":"ORGANIZATION","name":"Paris Club"})", "\n",
             R"({"id":"org:x","kind":"ORGANIZATION","name":"X Corp","aliases":[{"text":")", alias,
             R"(","case":"caseless"}]})"),
      {}, "runs.jsonl");
  if (!compiled.ok()) {
    EXPECT_EQ(compiled.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(Message(compiled.status()),
                StartsWith(StrCat("runs.jsonl:2: '", alias, "' cannot be matched: Hyperscan fails")));
    return;
  }
  Tagger tagger;
  const std::string body = StrCat("The ", alias, " case and the Paris Club.");
  auto result = tagger.Tag(*compiled, ArticleText{"", body});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->tags.size(), 2u);
}

// --- Compiled cache ------------------------------------------------------------

namespace fs = std::filesystem;

class CompiledCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = temp_.path();
    ASSERT_FALSE(dir_.empty());
    auto reference = CompileJsonl(kTaxonomy);
    ASSERT_TRUE(reference.ok());
    expected_ = TagDescription(*reference);
    // The comparisons below are only meaningful if the article tags richly.
    ASSERT_THAT(expected_, HasSubstr("tag geo:paris"));
    ASSERT_THAT(expected_, HasSubstr("tag geo:georgia_us"));
    ASSERT_THAT(expected_, HasSubstr("tag org:nyt"));
    ASSERT_THAT(expected_, HasSubstr("topic topic:politics"));
    ASSERT_THAT(expected_, HasSubstr("kw=parliament(ary)?"));
  }

  CompileOptions Options() const { return {dir_}; }

  std::vector<std::string> Files(std::string_view suffix = ".hsdb") const {
    std::vector<std::string> out;
    for (const auto& entry : fs::directory_iterator(dir_)) {
      const std::string name = entry.path().filename().string();
      if (name.size() >= suffix.size() &&
          name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
        out.push_back(entry.path().string());
      }
    }
    return out;
  }

  // Compiles kTaxonomy with the cache and returns the only cache file.
  std::string WarmCache() {
    auto compiled = CompileJsonl(kTaxonomy, Options());
    EXPECT_TRUE(compiled.ok()) << compiled.status();
    const std::vector<std::string> files = Files();
    EXPECT_EQ(files.size(), 1u);
    return files.empty() ? "" : files[0];
  }

  test_support::ScopedTempDir temp_;
  std::string dir_;
  std::string expected_;  // kArticle tagged without any cache
};

TEST_F(CompiledCacheTest, SecondCompileLoadsFromCacheWithIdenticalResults) {
  auto cold = CompileJsonl(kTaxonomy, Options());
  ASSERT_TRUE(cold.ok()) << cold.status();
  EXPECT_FALSE((*cold)->loaded_from_cache());
  ASSERT_EQ(Files().size(), 1u);
  EXPECT_THAT((*cold)->cache_status(), HasSubstr(StrCat("cache written to ", Files()[0])));
  EXPECT_THAT(Files()[0], HasSubstr("/tagwire-"));

  auto warm = CompileJsonl(kTaxonomy, Options());
  ASSERT_TRUE(warm.ok()) << warm.status();
  EXPECT_TRUE((*warm)->loaded_from_cache());
  EXPECT_THAT((*warm)->cache_status(), StartsWith("loaded from cache "));
  EXPECT_EQ((*warm)->literal_count(), (*cold)->literal_count());
  EXPECT_EQ((*warm)->regex_count(), (*cold)->regex_count());
  EXPECT_EQ((*warm)->database_bytes(), (*cold)->database_bytes());
  EXPECT_EQ(TagDescription(*cold), expected_);
  EXPECT_EQ(TagDescription(*warm), expected_);
  for (const auto& entry : fs::directory_iterator(dir_)) {
    EXPECT_THAT(entry.path().filename().string(), Not(HasSubstr(".tmp."))) << "left behind";
  }
}

TEST_F(CompiledCacheTest, DifferentTaxonomiesGetDifferentFiles) {
  ASSERT_TRUE(CompileJsonl(kTaxonomy, Options()).ok());
  ASSERT_TRUE(CompileJsonl(StrCat(kTaxonomy, R"({"id":"geo:rome","kind":"LOCATION","name":"Roma Capitale"})"),
                           Options())
                  .ok());
  EXPECT_EQ(Files().size(), 2u);
}

// Short literals (CompileOptions::short_literal_bytes) never reach Hyperscan:
// adding one keeps the databases, so the cache is reused, and it is found.
TEST_F(CompiledCacheTest, ShortLiteralsDoNotChangeTheCache) {
  ASSERT_TRUE(CompileJsonl(kTaxonomy, Options()).ok());
  auto compiled =
      CompileJsonl(StrCat(kTaxonomy, R"({"id":"geo:rome","kind":"LOCATION","name":"Rome"})"), Options());
  ASSERT_TRUE(compiled.ok()) << compiled.status();
  EXPECT_TRUE((*compiled)->loaded_from_cache());
  EXPECT_EQ(Files().size(), 1u);
  Tagger tagger;
  auto result = tagger.Tag(*compiled, {"", "Talks in Rome and Paris."});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_THAT(DescribeResult(*result), HasSubstr("tag geo:rome"));
}

// The key covers what reaches Hyperscan, not concept ids: a taxonomy that only
// renames ids reuses the cache and still reports its own ids.
TEST_F(CompiledCacheTest, RenamedIdsReuseTheCache) {
  ASSERT_TRUE(CompileJsonl(kTaxonomy, Options()).ok());
  std::string renamed = kTaxonomy;
  renamed.replace(renamed.find("geo:paris"), 9, "geo:lutece");
  auto compiled = CompileJsonl(renamed, Options());
  ASSERT_TRUE(compiled.ok()) << compiled.status();
  EXPECT_TRUE((*compiled)->loaded_from_cache());
  EXPECT_THAT(TagDescription(*compiled), HasSubstr("tag geo:lutece"));
  EXPECT_EQ(Files().size(), 1u);
}

struct CorruptionCase {
  const char* name;
  void (*corrupt)(std::string* bytes);
};

class CorruptCacheTest : public CompiledCacheTest,
                         public ::testing::WithParamInterface<CorruptionCase> {};

TEST_P(CorruptCacheTest, DetectedIgnoredAndRewritten) {
  const std::string path = WarmCache();
  ASSERT_FALSE(path.empty());
  auto bytes = ReadFileBytes(path);
  ASSERT_TRUE(bytes.ok());
  std::string corrupted = *bytes;
  GetParam().corrupt(&corrupted);
  ASSERT_NE(corrupted, *bytes);
  ASSERT_TRUE(WriteFileAtomically(path, corrupted).ok());

  auto compiled = CompileJsonl(kTaxonomy, Options());
  ASSERT_TRUE(compiled.ok()) << compiled.status();
  EXPECT_FALSE((*compiled)->loaded_from_cache());
  EXPECT_THAT((*compiled)->cache_status(), HasSubstr(StrCat("ignored ", path)));
  EXPECT_THAT((*compiled)->cache_status(), HasSubstr("cache written to"));
  EXPECT_EQ(TagDescription(*compiled), expected_);

  // The file was rewritten: byte for byte what a clean compile writes, and
  // the next start is warm again.
  auto rewritten = ReadFileBytes(path);
  ASSERT_TRUE(rewritten.ok());
  EXPECT_EQ(*rewritten, *bytes);
  auto warm = CompileJsonl(kTaxonomy, Options());
  ASSERT_TRUE(warm.ok());
  EXPECT_TRUE((*warm)->loaded_from_cache());
  EXPECT_EQ(TagDescription(*warm), expected_);
}

INSTANTIATE_TEST_SUITE_P(
    Corruptions, CorruptCacheTest,
    ::testing::Values(
        CorruptionCase{"FlipMiddleByte", [](std::string* b) { (*b)[b->size() / 2] ^= 0x01; }},
        CorruptionCase{"FlipHeaderSize", [](std::string* b) { (*b)[16] ^= 0x40; }},
        CorruptionCase{"FlipChecksum", [](std::string* b) { b->back() ^= 0x80; }},
        CorruptionCase{"TruncateToHalf", [](std::string* b) { b->resize(b->size() / 2); }},
        CorruptionCase{"TruncateOneByte", [](std::string* b) { b->pop_back(); }},
        CorruptionCase{"TruncateToHeader", [](std::string* b) { b->resize(20); }},
        CorruptionCase{"Empty", [](std::string* b) { b->clear(); }},
        CorruptionCase{"ExtraByte", [](std::string* b) { b->push_back('x'); }},
        CorruptionCase{"Garbage",
                       [](std::string* b) {
                         for (size_t i = 0; i < b->size(); ++i) (*b)[i] = static_cast<char>(i * 7 + 3);
                       }},
        CorruptionCase{"WrongMagic", [](std::string* b) { (*b)[0] = 'X'; }}),
    [](const ::testing::TestParamInfo<CorruptionCase>& param) { return param.param.name; });

TEST_F(CompiledCacheTest, ForeignCacheFileIsIgnored) {
  // A valid cache file for another taxonomy, under this taxonomy's name.
  const std::string mine = WarmCache();
  ASSERT_FALSE(mine.empty());
  const test_support::ScopedTempDir other_temp;
  const std::string& other_dir = other_temp.path();
  ASSERT_TRUE(CompileJsonl(R"({"id":"geo:rome","kind":"LOCATION","name":"Rome"})",
                           CompileOptions{other_dir})
                  .ok());
  std::vector<std::string> other;
  for (const auto& entry : fs::directory_iterator(other_dir)) {
    other.push_back(entry.path().string());
  }
  ASSERT_EQ(other.size(), 1u);
  fs::copy_file(other[0], mine, fs::copy_options::overwrite_existing);

  auto compiled = CompileJsonl(kTaxonomy, Options());
  ASSERT_TRUE(compiled.ok()) << compiled.status();
  EXPECT_FALSE((*compiled)->loaded_from_cache());
  EXPECT_THAT((*compiled)->cache_status(), HasSubstr("different taxonomy"));
  EXPECT_EQ(TagDescription(*compiled), expected_);
  auto warm = CompileJsonl(kTaxonomy, Options());
  ASSERT_TRUE(warm.ok());
  EXPECT_TRUE((*warm)->loaded_from_cache());
}

TEST_F(CompiledCacheTest, UnwritableCacheDirStillCompiles) {
  const std::string file = StrCat(dir_, "/regular-file");
  std::ofstream(file) << "not a directory";
  const std::string cache_dir = StrCat(file, "/cache");
  auto compiled = CompileJsonl(kTaxonomy, CompileOptions{cache_dir});
  ASSERT_TRUE(compiled.ok()) << compiled.status();
  EXPECT_FALSE((*compiled)->loaded_from_cache());
  EXPECT_THAT((*compiled)->cache_status(), HasSubstr("cache not written"));
  EXPECT_THAT((*compiled)->cache_status(), HasSubstr(cache_dir));
  EXPECT_EQ(TagDescription(*compiled), expected_);
}

TEST_F(CompiledCacheTest, MissingCacheDirIsCreated) {
  const std::string cache_dir = StrCat(dir_, "/new");
  auto cold = CompileJsonl(kTaxonomy, CompileOptions{cache_dir});
  ASSERT_TRUE(cold.ok()) << cold.status();
  EXPECT_THAT((*cold)->cache_status(), HasSubstr("cache written to"));
  auto warm = CompileJsonl(kTaxonomy, CompileOptions{cache_dir});
  ASSERT_TRUE(warm.ok());
  EXPECT_TRUE((*warm)->loaded_from_cache());
}

// --- The cache format --------------------------------------------------------------

DatabasePtr CompileDatabase(const char* pattern) {
  hs_database_t* db = nullptr;
  hs_compile_error_t* error = nullptr;
  if (hs_compile(pattern, HS_FLAG_SOM_LEFTMOST, HS_MODE_BLOCK, nullptr, &db, &error) !=
      HS_SUCCESS) {
    hs_free_compile_error(error);
    return nullptr;
  }
  return DatabasePtr(db);
}

int CountMatches(const hs_database_t* db, std::string_view text) {
  hs_scratch_t* scratch = nullptr;
  if (hs_alloc_scratch(db, &scratch) != HS_SUCCESS) return -1;
  int count = 0;
  hs_scan(
      db, text.data(), static_cast<unsigned>(text.size()), 0, scratch,
      [](unsigned, unsigned long long, unsigned long long, unsigned, void* context) {
        ++*static_cast<int*>(context);
        return 0;
      },
      &count);
  hs_free_scratch(scratch);
  return count;
}

class CacheFormatTest : public ::testing::Test {
 protected:
  void SetUp() override {
    literal_ = CompileDatabase("paris");
    regex_ = CompileDatabase("x+y");
    ASSERT_NE(literal_, nullptr);
    ASSERT_NE(regex_, nullptr);
    auto bytes = SerializeCache(kKey, literal_.get(), regex_.get());
    ASSERT_TRUE(bytes.ok()) << bytes.status();
    bytes_ = *bytes;
  }

  static constexpr uint64_t kKey = 0x1234567890abcdefULL;
  DatabasePtr literal_;
  DatabasePtr regex_;
  std::string bytes_;
};

TEST_F(CacheFormatTest, RoundTripsWorkingDatabases) {
  EXPECT_EQ(bytes_.substr(0, 8), "TWHSDB01");
  auto parsed = ParseCache(bytes_, kKey);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_NE(parsed->literal, nullptr);
  ASSERT_NE(parsed->regex, nullptr);
  EXPECT_EQ(CountMatches(parsed->literal.get(), "paris, paris"), 2);
  EXPECT_EQ(CountMatches(parsed->regex.get(), "xxy"), 1);
}

TEST_F(CacheFormatTest, MissingDatabasesStayMissing) {
  for (auto [literal, regex] : {std::pair{true, false}, std::pair{false, true},
                                std::pair{false, false}}) {
    auto bytes = SerializeCache(kKey, literal ? literal_.get() : nullptr,
                                regex ? regex_.get() : nullptr);
    ASSERT_TRUE(bytes.ok());
    auto parsed = ParseCache(*bytes, kKey);
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_EQ(parsed->literal != nullptr, literal);
    EXPECT_EQ(parsed->regex != nullptr, regex);
  }
}

TEST_F(CacheFormatTest, WrongKeyIsFailedPrecondition) {
  auto parsed = ParseCache(bytes_, kKey + 1);
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(CacheFormatTest, EveryFlippedByteIsDataLoss) {
  for (size_t i = 0; i < bytes_.size(); ++i) {
    std::string corrupted = bytes_;
    corrupted[i] ^= 0x10;
    auto parsed = ParseCache(corrupted, kKey);
    ASSERT_FALSE(parsed.ok()) << "byte " << i;
    ASSERT_EQ(parsed.status().code(), absl::StatusCode::kDataLoss) << "byte " << i;
  }
}

TEST_F(CacheFormatTest, EveryTruncationIsDataLoss) {
  for (size_t size = 0; size < bytes_.size(); ++size) {
    auto parsed = ParseCache(std::string_view(bytes_).substr(0, size), kKey);
    ASSERT_FALSE(parsed.ok()) << "size " << size;
    ASSERT_EQ(parsed.status().code(), absl::StatusCode::kDataLoss) << "size " << size;
  }
}

TEST_F(CacheFormatTest, GarbageAndTrailingBytesAreDataLoss) {
  EXPECT_EQ(ParseCache("", kKey).status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(ParseCache(std::string(200, '\xAB'), kKey).status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(ParseCache(StrCat(bytes_, "x"), kKey).status().code(), absl::StatusCode::kDataLoss);
  // Valid magic and sizes that claim more than the file holds.
  std::string lying = bytes_;
  lying[16] = '\xFF';
  lying[23] = '\x7F';
  EXPECT_EQ(ParseCache(lying, kKey).status().code(), absl::StatusCode::kDataLoss);
}

TEST(CacheFileTest, WriteAtomicallyAndReadBack) {
  const test_support::ScopedTempDir temp;
  const std::string& dir = temp.path();
  ASSERT_FALSE(dir.empty());
  const std::string path = StrCat(dir, "/sub/file.bin");
  const std::string bytes("a\0b\xFF", 4);
  ASSERT_TRUE(WriteFileAtomically(path, bytes).ok());
  auto read = ReadFileBytes(path);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(*read, bytes);
  ASSERT_TRUE(WriteFileAtomically(path, "second").ok());
  EXPECT_EQ(ReadFileBytes(path).value_or(""), "second");
  size_t entries = 0;
  for ([[maybe_unused]] const auto& entry : fs::directory_iterator(StrCat(dir, "/sub"))) ++entries;
  EXPECT_EQ(entries, 1u);  // no temporary files left
}

TEST(CacheFileTest, ReadMissingIsNotFound) {
  const test_support::ScopedTempDir temp;
  const std::string& dir = temp.path();
  auto read = ReadFileBytes(StrCat(dir, "/missing"));
  EXPECT_EQ(read.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(Message(read.status()), HasSubstr(StrCat(dir, "/missing")));
}

TEST(CacheFileTest, WriteUnderRegularFileFails) {
  const test_support::ScopedTempDir temp;
  const std::string& dir = temp.path();
  const std::string file = StrCat(dir, "/file");
  std::ofstream(file) << "x";
  const absl::Status status = WriteFileAtomically(StrCat(file, "/cache/x.hsdb"), "bytes");
  EXPECT_FALSE(status.ok());
  EXPECT_THAT(Message(status), HasSubstr(file));
}

}  // namespace
}  // namespace tagwire
