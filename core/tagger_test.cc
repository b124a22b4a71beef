#include "core/tagger.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <iterator>
#include <map>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/strings.h"
#include "core/test_support.h"

namespace tagwire {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::Ge;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Le;
using ::testing::UnorderedElementsAre;
using test_support::CompileJsonl;
using test_support::DescribeResult;
using test_support::FindTag;
using test_support::FindTopic;

constexpr char kTaxonomy[] =
    R"({"id":"geo:nice","kind":"LOCATION","name":"Nice"})"
    "\n"
    R"({"id":"geo:us","kind":"LOCATION","name":"United States","aliases":["US"]})"
    "\n"
    R"({"id":"geo:nyc","kind":"LOCATION","name":"New York"})"
    "\n"
    R"({"id":"org:nyt","kind":"ORGANIZATION","name":"New York Times"})"
    "\n"
    R"({"id":"geo:kyiv","kind":"LOCATION","name":"Kyiv","aliases":["Київ"]})"
    "\n"
    R"({"id":"geo:paris","kind":"LOCATION","name":"Paris"})"
    "\n"
    R"({"id":"geo:athens","kind":"LOCATION","name":"Athens","aliases":["Αθήνα"]})"
    "\n"
    R"({"id":"geo:tokyo","kind":"LOCATION","name":"Tokyo","aliases":["東京"]})"
    "\n"
    R"({"id":"org:g20","kind":"ORGANIZATION","name":"G20"})"
    "\n"
    R"({"id":"other:2020","kind":"OTHER","name":"2020"})"
    "\n"
    R"({"id":"person:lt","kind":"PERSON","name":"Lieutenant","aliases":[{"text":"Lt","case":"caseless"}]})"
    "\n"
    R"({"id":"geo:zurich","kind":"LOCATION","name":"Zürich"})"
    "\n"
    R"({"id":"person:obrien","kind":"PERSON","name":"Conan O'Brien"})"
    "\n"
    R"({"id":"other:hauptstrasse","kind":"OTHER","name":"Hauptstraße"})"
    "\n"
    R"({"id":"org:yoshinoya","kind":"ORGANIZATION","name":"𠮷野家"})"  // 𠮷 is U+20BB7
    "\n"
    R"({"id":"topic:politics","kind":"TOPIC","name":"politics",)"
    R"("rules":[{"keyword":"election","weight":2},{"regex":"parliament(ary)?","weight":1}]})"
    "\n"
    R"({"id":"topic:elections","kind":"TOPIC","name":"elections","broader":"topic:politics",)"
    R"("rules":[{"keyword":"ballot","weight":2}]})"
    "\n";

std::string Message(const absl::Status& status) { return std::string(status.message()); }

class TaggerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto compiled = CompileJsonl(kTaxonomy);
    ASSERT_TRUE(compiled.ok()) << compiled.status();
    taxonomy_ = new std::shared_ptr<const CompiledTaxonomy>(*std::move(compiled));
  }
  static void TearDownTestSuite() {
    delete taxonomy_;
    taxonomy_ = nullptr;
  }

  static const std::shared_ptr<const CompiledTaxonomy>& taxonomy() { return *taxonomy_; }

  TagResult Tag(std::string_view title, std::string_view body, const TagOptions& options = {}) {
    auto result = tagger_.Tag(taxonomy(), {title, body}, options);
    EXPECT_TRUE(result.ok()) << result.status();
    return result.ok() ? *std::move(result) : TagResult{taxonomy(), {}, {}};
  }

  // Ids of the concepts tagged in `body` (empty title).
  std::vector<std::string> Ids(std::string_view body, const TagOptions& options = {}) {
    std::vector<std::string> ids;
    for (const ConceptTag& tag : Tag("", body, options).tags) ids.push_back(tag.concept_ptr->id);
    std::sort(ids.begin(), ids.end());
    return ids;
  }

  // Mention texts of concept `id` in `body`.
  std::vector<std::string> MentionsOf(std::string_view body, std::string_view id,
                                      const TagOptions& options = {}) {
    const TagResult result = Tag("", body, options);
    std::vector<std::string> texts;
    if (const ConceptTag* tag = FindTag(result, id)) {
      for (const Mention& m : tag->mentions) texts.emplace_back(m.text);
    }
    return texts;
  }

  std::vector<std::string> TopicIds(std::string_view title, std::string_view body) {
    std::vector<std::string> ids;
    for (const TopicTag& topic : Tag(title, body).topics) ids.push_back(topic.concept_ptr->id);
    std::sort(ids.begin(), ids.end());
    return ids;
  }

  Tagger tagger_;

 private:
  static std::shared_ptr<const CompiledTaxonomy>* taxonomy_;
};

std::shared_ptr<const CompiledTaxonomy>* TaggerTest::taxonomy_ = nullptr;

// --- Word boundaries through the Tagger -------------------------------------------

TEST_F(TaggerTest, CyrillicWordBoundaries) {
  EXPECT_THAT(Ids("Він живе у Києві."), IsEmpty());
  EXPECT_THAT(Ids("Київщина готується до зими."), IsEmpty());
  EXPECT_THAT(MentionsOf("Він приїхав у Київ.", "geo:kyiv"), ElementsAre("Київ"));
  EXPECT_THAT(MentionsOf("Київ", "geo:kyiv"), ElementsAre("Київ"));
}

TEST_F(TaggerTest, LatinLettersWithDiacriticsJoinWords) {
  EXPECT_THAT(Ids("Er erhält den Preis."), IsEmpty());
  EXPECT_THAT(Ids("ER ERHÄLT DEN PREIS."), IsEmpty());
  EXPECT_THAT(MentionsOf("Lt Dan arrived; LT Smith too.", "person:lt"), ElementsAre("Lt", "LT"));
}

TEST_F(TaggerTest, AsciiWordBoundaries) {
  EXPECT_THAT(Ids("A Parisian cafe."), IsEmpty());
  EXPECT_THAT(Ids("Comparisons are odious."), IsEmpty());
  EXPECT_THAT(MentionsOf("Paris, Paris-based and (Paris).", "geo:paris"),
              ElementsAre("Paris", "Paris", "Paris"));
}

TEST_F(TaggerTest, GreekWordBoundaries) {
  EXPECT_THAT(Ids("Αθήναι"), IsEmpty());
  EXPECT_THAT(MentionsOf("Ταξίδι στην Αθήνα σήμερα.", "geo:athens"), ElementsAre("Αθήνα"));
  EXPECT_THAT(MentionsOf("ΑΘΗΝΑ", "geo:athens"), ElementsAre("ΑΘΗΝΑ"));
}

TEST_F(TaggerTest, UnspacedScriptsMatchInsideRuns) {
  EXPECT_THAT(MentionsOf("東京2020オリンピック", "geo:tokyo"), ElementsAre("東京"));
  EXPECT_THAT(MentionsOf("東京都の人口", "geo:tokyo"), ElementsAre("東京"));
}

TEST_F(TaggerTest, DigitsJoinDigits) {
  EXPECT_THAT(Ids("The G200 forum."), IsEmpty());
  EXPECT_THAT(Ids("The G20 forum."), ElementsAre("org:g20"));
  EXPECT_THAT(Ids("Record 12020 and 20201."), IsEmpty());
  EXPECT_THAT(MentionsOf("Since 2020, things changed.", "other:2020"), ElementsAre("2020"));
}

TEST_F(TaggerTest, FoldedMatchesReportOriginalText) {
  EXPECT_THAT(MentionsOf("Flights to ZURICH and Zurich and ZÜRICH.", "geo:zurich"),
              ElementsAre("ZURICH", "Zurich", "ZÜRICH"));
  EXPECT_THAT(MentionsOf("Host Conan O’Brien spoke.", "person:obrien"),
              ElementsAre("Conan O’Brien"));
  EXPECT_THAT(MentionsOf("Ankunft in Pa\xC2\xADris.", "geo:paris"), ElementsAre("Pa\xC2\xADris"));
  EXPECT_THAT(MentionsOf("Die HAUPTSTRASSE und die Hauptstrasse.", "other:hauptstrasse"),
              ElementsAre("HAUPTSTRASSE", "Hauptstrasse"));
  // A no-break space folds to a space.
  EXPECT_THAT(MentionsOf("Back in New\xC2\xA0York.", "geo:nyc"), ElementsAre("New\xC2\xA0York"));
}

// --- Case policies through the Tagger -----------------------------------------------

TEST_F(TaggerTest, CapitalizedAliasNeedsCapitals) {
  EXPECT_THAT(Ids("What nice weather."), IsEmpty());
  EXPECT_THAT(MentionsOf("Nice is sunny.", "geo:nice"), ElementsAre("Nice"));
  EXPECT_THAT(MentionsOf("FLOODS IN NICE", "geo:nice"), ElementsAre("NICE"));
  EXPECT_THAT(Ids("flights to zurich"), IsEmpty());
}

TEST_F(TaggerTest, ExactAliasNeedsExactCase) {
  EXPECT_THAT(Ids("Tell us about it."), IsEmpty());
  EXPECT_THAT(Ids("Us and them."), IsEmpty());
  EXPECT_THAT(MentionsOf("The US economy.", "geo:us"), ElementsAre("US"));
  // The name stays capitalized-only.
  EXPECT_THAT(MentionsOf("UNITED STATES and United States", "geo:us"),
              ElementsAre("UNITED STATES", "United States"));
}

TEST_F(TaggerTest, CaselessKeywordsMatchAnyCase) {
  for (std::string_view body : {"The election is near.", "The Election is near.",
                                "THE ELECTION IS NEAR.", "The eLeCtIoN is near."}) {
    EXPECT_THAT(TopicIds("", body), ElementsAre("topic:politics")) << body;
  }
}

TEST_F(TaggerTest, LongerAliasFailingTheBoundaryLeavesTheShorterOne) {
  EXPECT_THAT(MentionsOf("A New York Timeshare deal.", "geo:nyc"), ElementsAre("New York"));
  EXPECT_THAT(Ids("A New York Timeshare deal."), ElementsAre("geo:nyc"));
}

TEST(TaggerCaseTest, NonAsciiExactAndCapitalizedAliases) {
  auto compiled = CompileJsonl(
      R"({"id":"org:sbu","kind":"ORGANIZATION","name":"Security Service","aliases":["СБУ"]})"
      "\n"
      R"({"id":"geo:odesa","kind":"LOCATION","name":"Одеса"})");
  ASSERT_TRUE(compiled.ok()) << compiled.status();
  Tagger tagger;
  auto count = [&](std::string_view body, std::string_view id) -> int {
    auto result = tagger.Tag(*compiled, {"", body});
    EXPECT_TRUE(result.ok()) << result.status();
    if (!result.ok()) return -1;
    const ConceptTag* tag = FindTag(*result, id);
    return tag == nullptr ? 0 : static_cast<int>(tag->count);
  };
  EXPECT_EQ(count("Заява СБУ.", "org:sbu"), 1);
  EXPECT_EQ(count("Заява Сбу і сбу.", "org:sbu"), 0);
  EXPECT_EQ(count("Одеса та ОДЕСА.", "geo:odesa"), 2);
  EXPECT_EQ(count("одеса", "geo:odesa"), 0);
}

// Topic keywords keep an acronym's exact case whether the acronym comes from
// the topic's own aliases or from a later layer's "add_aliases".
TEST(TaggerCaseTest, TopicAcronymsStayExact) {
  TaxonomyBuilder builder;
  ASSERT_TRUE(builder
                  .AddLayer("base.jsonl",
                            R"({"id":"topic:economy","kind":"TOPIC","name":"economy","aliases":["GDP"]})")
                  .ok());
  ASSERT_TRUE(
      builder.AddLayer("local.jsonl", R"({"id":"topic:economy","add_aliases":["CPI","inflation"]})")
          .ok());
  auto taxonomy = builder.Build();
  ASSERT_TRUE(taxonomy.ok()) << taxonomy.status();
  auto compiled = CompiledTaxonomy::Compile(*std::move(taxonomy));
  ASSERT_TRUE(compiled.ok()) << compiled.status();
  Tagger tagger;
  auto topics = [&](std::string_view body) -> size_t {
    auto result = tagger.Tag(*compiled, {"", body});
    EXPECT_TRUE(result.ok()) << result.status();
    return result.ok() ? result->topics.size() : 99;
  };
  EXPECT_EQ(topics("GDP rose."), 1u);
  EXPECT_EQ(topics("CPI rose."), 1u);
  EXPECT_EQ(topics("Inflation rose."), 1u);
  EXPECT_EQ(topics("Go to gdp.example and cpi.example."), 0u);
}

// --- Overlaps ----------------------------------------------------------------------

constexpr char kNewYorkText[] = "The New York Times reported from New York.";

TEST_F(TaggerTest, LeftmostLongestPrefersTheLongerAlias) {
  const TagResult result = Tag("", kNewYorkText);
  const ConceptTag* nyt = FindTag(result, "org:nyt");
  const ConceptTag* nyc = FindTag(result, "geo:nyc");
  ASSERT_NE(nyt, nullptr);
  ASSERT_NE(nyc, nullptr);
  ASSERT_EQ(nyt->mentions.size(), 1u);
  EXPECT_EQ(nyt->mentions[0].start, 4u);
  EXPECT_EQ(nyt->mentions[0].text, "New York Times");
  EXPECT_EQ(nyc->count, 1u);  // only the second, standalone "New York"
  ASSERT_EQ(nyc->mentions.size(), 1u);
  EXPECT_EQ(nyc->mentions[0].start, 33u);
}

TEST_F(TaggerTest, OverlapAllKeepsEveryMatch) {
  TagOptions options;
  options.overlap = OverlapPolicy::kAll;
  const TagResult result = Tag("", kNewYorkText, options);
  ASSERT_NE(FindTag(result, "org:nyt"), nullptr);
  const ConceptTag* nyc = FindTag(result, "geo:nyc");
  ASSERT_NE(nyc, nullptr);
  EXPECT_EQ(nyc->count, 2u);
  ASSERT_EQ(nyc->mentions.size(), 2u);
  EXPECT_EQ(nyc->mentions[0].start, 4u);
  EXPECT_EQ(nyc->mentions[1].start, 33u);
}

TEST_F(TaggerTest, OverlapNoSubsumedDropsContainedMatches) {
  TagOptions options;
  options.overlap = OverlapPolicy::kNoSubsumed;
  const TagResult result = Tag("", kNewYorkText, options);
  ASSERT_NE(FindTag(result, "org:nyt"), nullptr);
  const ConceptTag* nyc = FindTag(result, "geo:nyc");
  ASSERT_NE(nyc, nullptr);
  EXPECT_EQ(nyc->count, 1u);
}

TEST(TaggerOverlapTest, PartialOverlapsDependOnPolicy) {
  auto compiled = CompileJsonl(
      R"({"id":"x:ab","kind":"OTHER","name":"Alpha Beta"})"
      "\n"
      R"({"id":"x:bc","kind":"OTHER","name":"Beta Gamma"})");
  ASSERT_TRUE(compiled.ok()) << compiled.status();
  Tagger tagger;
  auto ids = [&](OverlapPolicy policy) {
    TagOptions options;
    options.overlap = policy;
    auto result = tagger.Tag(*compiled, {"", "Alpha Beta Gamma"}, options);
    EXPECT_TRUE(result.ok()) << result.status();
    std::vector<std::string> out;
    if (result.ok()) {
      for (const ConceptTag& tag : result->tags) out.push_back(tag.concept_ptr->id);
    }
    std::sort(out.begin(), out.end());
    return out;
  };
  EXPECT_THAT(ids(OverlapPolicy::kLeftmostLongest), ElementsAre("x:ab"));
  EXPECT_THAT(ids(OverlapPolicy::kNoSubsumed), ElementsAre("x:ab", "x:bc"));
  EXPECT_THAT(ids(OverlapPolicy::kAll), ElementsAre("x:ab", "x:bc"));
}

TEST(TaggerOverlapTest, SameSpanGoesToMostPopulousThenFirstConcept) {
  auto compiled = CompileJsonl(
      R"({"id":"geo:georgia","kind":"LOCATION","name":"Georgia","attributes":{"population":3700000}})"
      "\n"
      R"({"id":"geo:georgia_us","kind":"LOCATION","name":"Georgia","attributes":{"population":10700000}})"
      "\n"
      R"({"id":"geo:springfield_il","kind":"LOCATION","name":"Springfield"})"
      "\n"
      R"({"id":"geo:springfield_ma","kind":"LOCATION","name":"Springfield"})");
  ASSERT_TRUE(compiled.ok()) << compiled.status();
  Tagger tagger;
  auto result = tagger.Tag(*compiled, {"", "Georgia and Springfield."});
  ASSERT_TRUE(result.ok()) << result.status();
  std::vector<std::string> ids;
  for (const ConceptTag& tag : result->tags) ids.push_back(tag.concept_ptr->id);
  EXPECT_THAT(ids, UnorderedElementsAre("geo:georgia_us", "geo:springfield_il"));
}

// --- Output --------------------------------------------------------------------------

// Reference: for every character boundary of valid UTF-8 `text`, the number
// of code points and UTF-16 units before it (decoding each code point fully).
struct UnitIndex {
  std::map<size_t, uint32_t> code_points;
  std::map<size_t, uint32_t> utf16;
};

UnitIndex IndexUnits(std::string_view text) {
  UnitIndex index;
  uint32_t code_points = 0, utf16 = 0;
  size_t i = 0;
  while (i < text.size()) {
    index.code_points[i] = code_points;
    index.utf16[i] = utf16;
    const auto lead = static_cast<unsigned char>(text[i]);
    const int length = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
    char32_t value = length == 1 ? lead : length == 2 ? (lead & 0x1F) : length == 3 ? (lead & 0x0F) : (lead & 0x07);
    for (int k = 1; k < length; ++k) value = (value << 6) | (text[i + k] & 0x3F);
    i += length;
    ++code_points;
    utf16 += value >= 0x10000 ? 2 : 1;
  }
  index.code_points[i] = code_points;
  index.utf16[i] = utf16;
  return index;
}

TEST_F(TaggerTest, MentionOffsetsSliceTheOriginalText) {
  const std::string title = "😀 Київ: New York Times on Paris";
  const std::string body =
      "🇺🇦 Прем'єр прибув у Київ. 😀😀 Then Paris, ZÜRICH, 東京都 and the New York "
      "Times.\n\nLater: New York, Αθήνα, Conan O’Brien, US, 😀𠮷野家😀.";
  TagOptions options;
  options.overlap = OverlapPolicy::kAll;
  options.code_point_offsets = true;
  options.utf16_offsets = true;
  const TagResult result = Tag(title, body, options);
  const UnitIndex title_index = IndexUnits(title);
  const UnitIndex body_index = IndexUnits(body);
  int checked = 0;
  for (const ConceptTag& tag : result.tags) {
    for (const Mention& m : tag.mentions) {
      const std::string& text = m.field == Field::kTitle ? title : body;
      const UnitIndex& index = m.field == Field::kTitle ? title_index : body_index;
      ASSERT_LE(m.start, m.end);
      ASSERT_LE(m.end, text.size());
      EXPECT_EQ(text.substr(m.start, m.end - m.start), m.text) << tag.concept_ptr->id;
      EXPECT_EQ(m.text.data(), text.data() + m.start) << "text must point into the article";
      ASSERT_TRUE(index.code_points.count(m.start) && index.code_points.count(m.end))
          << "offsets must fall on character boundaries";
      EXPECT_EQ(m.code_point_start, index.code_points.at(m.start)) << m.text;
      EXPECT_EQ(m.code_point_end, index.code_points.at(m.end)) << m.text;
      EXPECT_EQ(m.utf16_start, index.utf16.at(m.start)) << m.text;
      EXPECT_EQ(m.utf16_end, index.utf16.at(m.end)) << m.text;
      ++checked;
    }
  }
  // kyiv ×2, nyt ×2, nyc ×3, paris ×2, zurich, tokyo, athens, obrien, us, yoshinoya.
  EXPECT_EQ(checked, 15);

  // A mention containing a character outside the BMP: 3 code points, 4 UTF-16 units.
  const ConceptTag* yoshinoya = FindTag(result, "org:yoshinoya");
  ASSERT_NE(yoshinoya, nullptr);
  const Mention& m = yoshinoya->mentions[0];
  EXPECT_EQ(m.text, "𠮷野家");
  EXPECT_EQ(m.code_point_end - m.code_point_start, 3u);
  EXPECT_EQ(m.utf16_end - m.utf16_start, 4u);

  // Spelled out for the title: "😀 Київ" — the emoji is 4 bytes, one code
  // point, two UTF-16 units.
  const ConceptTag* kyiv = FindTag(result, "geo:kyiv");
  ASSERT_NE(kyiv, nullptr);
  const Mention& first = kyiv->mentions[0];
  EXPECT_EQ(first.field, Field::kTitle);
  EXPECT_EQ(first.start, 5u);
  EXPECT_EQ(first.end, 13u);
  EXPECT_EQ(first.code_point_start, 2u);
  EXPECT_EQ(first.code_point_end, 6u);
  EXPECT_EQ(first.utf16_start, 3u);
  EXPECT_EQ(first.utf16_end, 7u);
}

TEST_F(TaggerTest, UnitOffsetsOnlyWhenAsked) {
  const std::string body = "😀 Paris";
  TagOptions options;
  options.code_point_offsets = true;
  const TagResult with_code_points = Tag("", body, options);
  const ConceptTag* paris = FindTag(with_code_points, "geo:paris");
  ASSERT_NE(paris, nullptr);
  EXPECT_EQ(paris->mentions[0].code_point_start, 2u);
  EXPECT_EQ(paris->mentions[0].utf16_start, 0u);  // not requested

  const TagResult plain = Tag("", body);
  paris = FindTag(plain, "geo:paris");
  ASSERT_NE(paris, nullptr);
  EXPECT_EQ(paris->mentions[0].start, 5u);
  EXPECT_EQ(paris->mentions[0].code_point_start, 0u);
  EXPECT_EQ(paris->mentions[0].utf16_start, 0u);
}

TEST_F(TaggerTest, CountAndInTitle) {
  const TagResult result =
      Tag("Paris talks", "Leaders met in Paris. Paris was calm. Athens watched.");
  const ConceptTag* paris = FindTag(result, "geo:paris");
  const ConceptTag* athens = FindTag(result, "geo:athens");
  ASSERT_NE(paris, nullptr);
  ASSERT_NE(athens, nullptr);
  EXPECT_EQ(paris->count, 3u);
  EXPECT_TRUE(paris->in_title);
  ASSERT_EQ(paris->mentions.size(), 3u);
  EXPECT_EQ(paris->mentions[0].field, Field::kTitle);
  EXPECT_EQ(paris->mentions[1].field, Field::kBody);
  EXPECT_EQ(paris->mentions[1].start, 15u);
  EXPECT_EQ(athens->count, 1u);
  EXPECT_FALSE(athens->in_title);
  EXPECT_EQ(paris->concept_ptr, &taxonomy()->concept_at(paris->concept_index));
  EXPECT_EQ(paris->mentions[0].alias_index, 0u);
}

TEST_F(TaggerTest, IncludeMentionsFalseKeepsCounts) {
  TagOptions options;
  options.include_mentions = false;
  const TagResult result = Tag("Paris", "Paris and Paris.", options);
  const ConceptTag* paris = FindTag(result, "geo:paris");
  ASSERT_NE(paris, nullptr);
  EXPECT_EQ(paris->count, 3u);
  EXPECT_TRUE(paris->in_title);
  EXPECT_THAT(paris->mentions, IsEmpty());
}

std::string Filler(size_t bytes) {
  std::string out;
  while (out.size() < bytes) out += "nothing to see here ";
  return out;
}

TEST_F(TaggerTest, ScoresAreInRangeAndReflectPosition) {
  // Body: Tokyo in the lead paragraph, Athens once far down; Paris in the title.
  const std::string body = StrCat("Tokyo opened the day. ", Filler(300), "\n\n", Filler(3000),
                                  " Athens closed it.");
  const TagResult result = Tag("Paris summit", body);
  const ConceptTag* paris = FindTag(result, "geo:paris");
  const ConceptTag* tokyo = FindTag(result, "geo:tokyo");
  const ConceptTag* athens = FindTag(result, "geo:athens");
  ASSERT_NE(paris, nullptr);
  ASSERT_NE(tokyo, nullptr);
  ASSERT_NE(athens, nullptr);
  for (const ConceptTag& tag : result.tags) {
    EXPECT_THAT(tag.score, AllOf(Ge(0.0), Le(1.0))) << tag.concept_ptr->id;
  }
  EXPECT_GT(paris->score, tokyo->score);
  EXPECT_GT(tokyo->score, athens->score);
  // Highest first.
  ASSERT_EQ(result.tags.size(), 3u);
  EXPECT_EQ(result.tags[0].concept_ptr->id, "geo:paris");
  EXPECT_EQ(result.tags[2].concept_ptr->id, "geo:athens");
}

TEST_F(TaggerTest, BlankLinesBeforeTheFirstParagraphAreNotTheLead) {
  TagOptions options;
  options.explain = true;
  const TagResult result = Tag("", "\n\n  Paris talks began.\n\nLater news.", options);
  const ConceptTag* paris = FindTag(result, "geo:paris");
  ASSERT_NE(paris, nullptr);
  EXPECT_THAT(paris->explanation, HasSubstr("lead 1"));
}

TEST_F(TaggerTest, LeadWithoutParagraphBreakIsTheFirstBytes) {
  const std::string body = StrCat("Tokyo first. ", Filler(3000), " Athens last.");
  const TagResult result = Tag("", body);
  ASSERT_NE(FindTag(result, "geo:tokyo"), nullptr);
  ASSERT_NE(FindTag(result, "geo:athens"), nullptr);
  EXPECT_GT(FindTag(result, "geo:tokyo")->score, FindTag(result, "geo:athens")->score);
}

TEST_F(TaggerTest, MoreMentionsScoreHigher) {
  const std::string body = StrCat(Filler(700), " Paris, Paris, Paris and Athens.");
  const TagResult result = Tag("", body);
  ASSERT_NE(FindTag(result, "geo:paris"), nullptr);
  ASSERT_NE(FindTag(result, "geo:athens"), nullptr);
  EXPECT_GT(FindTag(result, "geo:paris")->score, FindTag(result, "geo:athens")->score);
  EXPECT_LE(FindTag(result, "geo:paris")->score, 1.0);
}

TEST_F(TaggerTest, MinScoreFiltersTagsAndTopics) {
  const std::string body = StrCat(Filler(700), " Athens. The election.");
  const TagResult all = Tag("Paris summit", body);
  const ConceptTag* paris = FindTag(all, "geo:paris");
  const ConceptTag* athens = FindTag(all, "geo:athens");
  const TopicTag* politics = FindTopic(all, "topic:politics");
  ASSERT_NE(paris, nullptr);
  ASSERT_NE(athens, nullptr);
  ASSERT_NE(politics, nullptr);
  ASSERT_GT(paris->score, athens->score);

  TagOptions options;
  options.min_score = (paris->score + athens->score) / 2;
  const TagResult filtered = Tag("Paris summit", body, options);
  ASSERT_EQ(filtered.tags.size(), 1u);
  EXPECT_EQ(filtered.tags[0].concept_ptr->id, "geo:paris");
  EXPECT_EQ(FindTopic(filtered, "topic:politics") != nullptr,
            politics->score >= options.min_score);

  options.min_score = politics->score + 1e-6;
  EXPECT_EQ(FindTopic(Tag("Paris summit", body, options), "topic:politics"), nullptr);
  options.min_score = politics->score;
  EXPECT_NE(FindTopic(Tag("Paris summit", body, options), "topic:politics"), nullptr);
}

TEST_F(TaggerTest, KindMaskFiltersTagsAndTopics) {
  const std::string_view body = "The New York Times on the Paris election.";
  TagOptions options;
  options.kind_mask = KindBit(ConceptKind::kOrganization);
  TagResult result = Tag("", body, options);
  ASSERT_EQ(result.tags.size(), 1u);
  EXPECT_EQ(result.tags[0].concept_ptr->id, "org:nyt");
  EXPECT_THAT(result.topics, IsEmpty());

  options.kind_mask = KindBit(ConceptKind::kTopic);
  result = Tag("", body, options);
  EXPECT_THAT(result.tags, IsEmpty());
  ASSERT_EQ(result.topics.size(), 1u);
  EXPECT_EQ(result.topics[0].concept_ptr->id, "topic:politics");

  options.kind_mask = KindBit(ConceptKind::kLocation) | KindBit(ConceptKind::kOrganization);
  result = Tag("", body, options);
  EXPECT_EQ(result.tags.size(), 2u);
  EXPECT_THAT(result.topics, IsEmpty());
}

TEST_F(TaggerTest, TopicsFromKeywordsRegexesAndBroader) {
  // Keyword.
  TagResult result = Tag("", "The election is near.");
  ASSERT_EQ(result.topics.size(), 1u);
  EXPECT_EQ(result.topics[0].concept_ptr->id, "topic:politics");
  EXPECT_THAT(result.topics[0].matched_keywords, ElementsAre("election"));
  EXPECT_THAT(result.topics[0].score, AllOf(Ge(0.0), Le(1.0)));

  // Regex, matched as whole words on the original text.
  result = Tag("", "A parliamentary vote.");
  ASSERT_EQ(result.topics.size(), 1u);
  EXPECT_THAT(result.topics[0].matched_keywords, ElementsAre("parliament(ary)?"));
  EXPECT_THAT(TopicIds("", "Parliamentarians and unparliamentary remarks."), IsEmpty());
  EXPECT_THAT(TopicIds("", "PARLIAMENT met."), ElementsAre("topic:politics"));

  // A subtopic's broader topic also appears, scoring a little less.
  result = Tag("", "Every ballot counts.");
  const TopicTag* elections = FindTopic(result, "topic:elections");
  const TopicTag* politics = FindTopic(result, "topic:politics");
  ASSERT_NE(elections, nullptr);
  ASSERT_NE(politics, nullptr);
  EXPECT_THAT(elections->matched_keywords, ElementsAre("ballot"));
  EXPECT_THAT(politics->matched_keywords, IsEmpty());
  EXPECT_GT(politics->score, 0.0);
  EXPECT_LT(politics->score, elections->score);
  EXPECT_EQ(result.topics[0].concept_ptr->id, "topic:elections");  // highest first
}

TEST(TaggerTopicTest, BroaderChainsCyclesAndNonTopics) {
  auto compiled = CompileJsonl(
      R"({"id":"t:politics","kind":"TOPIC","name":"politics","broader":"geo:world","rules":[{"keyword":"vote"}]})"
      "\n"
      R"({"id":"t:elections","kind":"TOPIC","name":"elections","broader":"t:politics","rules":[{"keyword":"poll"}]})"
      "\n"
      R"({"id":"t:local","kind":"TOPIC","name":"local elections","broader":"t:elections","rules":[{"keyword":"ballot"}]})"
      "\n"
      R"({"id":"geo:world","kind":"LOCATION","name":"World"})"
);
  ASSERT_TRUE(compiled.ok()) << compiled.status();
  Tagger tagger;
  auto result = tagger.Tag(*compiled, {"", "Every ballot counts."});
  ASSERT_TRUE(result.ok()) << result.status();
  // The whole chain appears, each level a little lower; a LOCATION is not a
  // broader topic.
  std::vector<std::string> ids;
  for (const TopicTag& topic : result->topics) ids.push_back(topic.concept_ptr->id);
  EXPECT_THAT(ids, ElementsAre("t:local", "t:elections", "t:politics"));
  EXPECT_GT(result->topics[0].score, result->topics[1].score);
  EXPECT_GT(result->topics[1].score, result->topics[2].score);
  EXPECT_TRUE(result->tags.empty());
}

TEST(TaggerTopicTest, BroaderCyclesAreRejectedWhenLoading) {
  auto cycle = CompileJsonl(
      R"({"id":"t:chicken","kind":"TOPIC","name":"chicken","broader":"t:egg","rules":[{"keyword":"chicken"}]})"
      "\n"
      R"({"id":"t:egg","kind":"TOPIC","name":"egg","broader":"t:chicken","rules":[{"keyword":"egg"}]})");
  ASSERT_FALSE(cycle.ok());
  EXPECT_THAT(Message(cycle.status()), HasSubstr("test.jsonl:1: 'broader' of 't:chicken' leads back to itself"));
  auto self = CompileJsonl(R"({"id":"geo:x","kind":"LOCATION","name":"X","broader":"geo:x"})");
  ASSERT_FALSE(self.ok());
  EXPECT_THAT(Message(self.status()), HasSubstr("leads back to itself"));
}

TEST_F(TaggerTest, TopicScoresGrowWithEvidence) {
  auto score = [&](std::string_view title, std::string_view body) {
    const TagResult result = Tag(title, body);
    const TopicTag* politics = FindTopic(result, "topic:politics");
    return politics == nullptr ? -1.0 : politics->score;
  };
  const double once = score("", "The election.");
  EXPECT_GT(once, 0.0);
  EXPECT_GT(score("", "The election, the election."), once);          // repeats count
  EXPECT_GT(score("", "The election and parliament."), once);         // more rules
  EXPECT_GT(score("Election", "Nothing else here."), once);           // title counts double
  EXPECT_LT(score("", "The election, the election, the election."), 1.0);
}

TEST_F(TaggerTest, ResultCarriesTaxonomyAndVersion) {
  const TagResult result = Tag("Paris", "Paris");
  EXPECT_EQ(result.taxonomy, taxonomy());
  EXPECT_EQ(result.taxonomy_version(), taxonomy()->version());
  EXPECT_EQ(result.taxonomy_version(), taxonomy()->taxonomy().version());
  EXPECT_EQ(result.taxonomy_version().size(), 16u);
}

TEST_F(TaggerTest, ExplainFillsExplanations) {
  const std::string_view title = "Paris ballot";
  const std::string_view body = "Paris votes; the ballot and the election.";
  const TagResult plain = Tag(title, body);
  for (const ConceptTag& tag : plain.tags) EXPECT_THAT(tag.explanation, IsEmpty());
  for (const TopicTag& topic : plain.topics) EXPECT_THAT(topic.explanation, IsEmpty());

  TagOptions options;
  options.explain = true;
  const TagResult explained = Tag(title, body, options);
  const ConceptTag* paris = FindTag(explained, "geo:paris");
  ASSERT_NE(paris, nullptr);
  EXPECT_THAT(paris->explanation, HasSubstr("2 mention(s): title 1, lead 1, body 0"));
  const TopicTag* elections = FindTopic(explained, "topic:elections");
  ASSERT_NE(elections, nullptr);
  EXPECT_THAT(elections->explanation, HasSubstr("\"ballot\" x2"));
  const TopicTag* politics = FindTopic(explained, "topic:politics");
  ASSERT_NE(politics, nullptr);
  EXPECT_THAT(politics->explanation, HasSubstr("\"election\" x1"));
  // Explaining does not change what is found or how it scores.
  ASSERT_EQ(explained.tags.size(), plain.tags.size());
  for (size_t i = 0; i < plain.tags.size(); ++i) {
    EXPECT_EQ(explained.tags[i].score, plain.tags[i].score);
  }
}

TEST_F(TaggerTest, ExplainNamesInheritedTopic) {
  TagOptions options;
  options.explain = true;
  const TagResult result = Tag("", "Every ballot counts.", options);
  const TopicTag* politics = FindTopic(result, "topic:politics");
  ASSERT_NE(politics, nullptr);
  EXPECT_THAT(politics->explanation, HasSubstr("inherited from narrower topic topic:elections"));
}

TEST_F(TaggerTest, TaggerIsReusableAcrossArticles) {
  const TagResult first = Tag("Paris", "Paris and Athens.");
  const TagResult second = Tag("", "Only Tokyo here.");
  ASSERT_EQ(second.tags.size(), 1u);
  EXPECT_EQ(second.tags[0].concept_ptr->id, "geo:tokyo");
  EXPECT_EQ(second.tags[0].count, 1u);
  // The first result is unaffected by later use of the tagger.
  ASSERT_NE(FindTag(first, "geo:paris"), nullptr);
  EXPECT_EQ(FindTag(first, "geo:paris")->mentions[0].text, "Paris");
}

// --- Limits and rejected articles --------------------------------------------------

TEST_F(TaggerTest, NullTaxonomyIsFailedPrecondition) {
  auto result = tagger_.Tag(nullptr, {"", "Paris"});
  EXPECT_EQ(result.status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(TaggerTest, ArticleTooLarge) {
  TagLimits limits;
  limits.max_article_bytes = 10;
  auto result = tagger_.Tag(taxonomy(), {"Paris", "Athens"}, {}, limits);  // 11 bytes
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ArticleErrorReason(result.status()), "ARTICLE_TOO_LARGE");
  EXPECT_THAT(Message(result.status()), HasSubstr("11 bytes"));
  // Exactly at the limit is fine.
  EXPECT_TRUE(tagger_.Tag(taxonomy(), {"Pari", "Athens"}, {}, limits).ok());
}

TEST_F(TaggerTest, EmptyArticle) {
  for (std::string_view body : {"", " ", " \n\t\r\f\v "}) {
    auto result = tagger_.Tag(taxonomy(), {" ", body});
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(ArticleErrorReason(result.status()), "EMPTY_BODY");
  }
}

TEST_F(TaggerTest, HeadlineOnlyFlashIsTagged) {
  const TagResult result = Tag("FLASH: PARIS HIT BY STRIKES", "");
  const ConceptTag* paris = FindTag(result, "geo:paris");
  ASSERT_NE(paris, nullptr);
  EXPECT_TRUE(paris->in_title);
}

// --- Boundaries around punctuation, numbers, whitespace and invisible characters ---

TEST(TaggerBoundaryTest, PunctuationNumbersWhitespaceAndInvisibles) {
  auto compiled = CompileJsonl(
      R"({"id":"geo:us","kind":"LOCATION","name":"U.S."})"
      "\n"
      R"({"id":"other:cpp","kind":"OTHER","name":"C++"})"
      "\n"
      R"({"id":"org:3m","kind":"ORGANIZATION","name":"3M"})"
      "\n"
      R"({"id":"org:g7","kind":"ORGANIZATION","name":"G7"})"
      "\n"
      R"({"id":"geo:berlin","kind":"LOCATION","name":"Berlin"})"
      "\n"
      R"({"id":"geo:nyc","kind":"LOCATION","name":"New York","aliases":["\u00a0Big Apple\u3000"]})"
      "\n"
      R"({"id":"geo:kyiv","kind":"LOCATION","name":"Kyiv","aliases":["Київ"]})");
  ASSERT_TRUE(compiled.ok()) << compiled.status();
  Tagger tagger;
  auto texts = [&](std::string_view body) {
    std::vector<std::string> out;
    auto result = tagger.Tag(*compiled, {"", body});
    EXPECT_TRUE(result.ok()) << result.status();
    if (!result.ok()) return out;
    for (const ConceptTag& tag : result->tags) {
      for (const Mention& m : tag.mentions) out.push_back(StrCat(tag.concept_ptr->id, "=", m.text));
    }
    std::sort(out.begin(), out.end());
    return out;
  };
  // Punctuation at an alias's edge does not end a word that goes on.
  EXPECT_THAT(texts("Made in the U.S.A. for export."), IsEmpty());
  EXPECT_THAT(texts("The U.S. and the U.S.-led coalition."),
              ElementsAre("geo:us=U.S.", "geo:us=U.S."));
  EXPECT_THAT(texts("Written in C++11, not C++."), ElementsAre("other:cpp=C++"));
  // Decimal numbers continue through their separator.
  EXPECT_THAT(texts("Sales of 3.3M units; 3M shares rose; G7.5 is no summit, G7 is."),
              ElementsAre("org:3m=3M", "org:g7=G7"));
  // Whitespace runs fold to one space; the mention keeps the original bytes.
  EXPECT_THAT(texts("Flights to New\nYork and New  York and New\r\nYork."),
              UnorderedElementsAre("geo:nyc=New\nYork", "geo:nyc=New  York", "geo:nyc=New\r\nYork"));
  // Aliases are trimmed of Unicode spaces.
  EXPECT_THAT(texts("the Big Apple"), ElementsAre("geo:nyc=Big Apple"));
  // Invisible format characters neither end a word nor join a mention.
  EXPECT_THAT(texts("Ber\u00adlin\u00ader Bier. Київ\u200dщина."), IsEmpty());
  EXPECT_THAT(texts("Ber\u00adlin\u00ad is big. \u202bКиїв\u202c."),
              ElementsAre("geo:berlin=Ber\u00adlin", "geo:kyiv=Київ"));
}

struct BadUtf8Case {
  const char* name;
  std::string bytes;
};

class InvalidUtf8ArticleTest : public TaggerTest,
                               public ::testing::WithParamInterface<BadUtf8Case> {};

TEST_P(InvalidUtf8ArticleTest, BodyRejectedWithOffset) {
  const std::string body = StrCat("Paris Київ ", GetParam().bytes, " Athens");
  auto result = tagger_.Tag(taxonomy(), {"Paris", body});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ArticleErrorReason(result.status()), "BODY_NOT_UTF8");
  EXPECT_THAT(Message(result.status()), HasSubstr("offset 15"));
}

TEST_P(InvalidUtf8ArticleTest, TruncatedAtEndOfBody) {
  // The bad bytes end the body (a truncated sequence is then cut short).
  const std::string body = StrCat("Paris ", GetParam().bytes.substr(0, 1));
  auto result = tagger_.Tag(taxonomy(), {"", body});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(ArticleErrorReason(result.status()), "BODY_NOT_UTF8");
  EXPECT_THAT(Message(result.status()), HasSubstr("offset 6"));
}

TEST_P(InvalidUtf8ArticleTest, TitleRejectedWithOffset) {
  const std::string title = StrCat("Ü ", GetParam().bytes);
  auto result = tagger_.Tag(taxonomy(), {title, "Paris"});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ArticleErrorReason(result.status()), "TITLE_NOT_UTF8");
  EXPECT_THAT(Message(result.status()), HasSubstr("offset 3"));
}

TEST_P(InvalidUtf8ArticleTest, ValidateArticleAgrees) {
  const absl::Status status = ValidateArticle({"", StrCat("ab", GetParam().bytes)}, {});
  EXPECT_EQ(ArticleErrorReason(status), "BODY_NOT_UTF8");
  EXPECT_THAT(Message(status), HasSubstr("offset 2"));
}

INSTANTIATE_TEST_SUITE_P(
    Sequences, InvalidUtf8ArticleTest,
    ::testing::Values(BadUtf8Case{"OverlongSlash", "\xC0\xAF"},
                      BadUtf8Case{"Surrogate", "\xED\xA0\x80"},
                      BadUtf8Case{"ByteFF", "\xFF"},
                      BadUtf8Case{"TruncatedSequence", "\xE2\x82"},
                      BadUtf8Case{"LoneContinuation", "\x80"},
                      BadUtf8Case{"PastMaxCodePoint", "\xF4\x90\x80\x80"}),
    [](const ::testing::TestParamInfo<BadUtf8Case>& param) { return param.param.name; });

TEST_F(TaggerTest, TruncatedSequenceAtVeryEnd) {
  // "€" is E2 82 AC; the body stops after two of its three bytes.
  auto result = tagger_.Tag(taxonomy(), {"", "Price: \xE2\x82"});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(ArticleErrorReason(result.status()), "BODY_NOT_UTF8");
  EXPECT_THAT(Message(result.status()), HasSubstr("offset 7"));
}

TEST_F(TaggerTest, TooManyMentions) {
  TagLimits limits;
  limits.max_mentions = 3;
  auto result = tagger_.Tag(taxonomy(), {"", "Paris Paris Paris Paris"}, {}, limits);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ArticleErrorReason(result.status()), "TOO_MANY_MENTIONS");
  // Keyword hits count too, and title mentions count with body mentions.
  result = tagger_.Tag(taxonomy(), {"election", "election election election"}, {}, limits);
  EXPECT_EQ(ArticleErrorReason(result.status()), "TOO_MANY_MENTIONS");
  result = tagger_.Tag(taxonomy(), {"", "parliament parliament parliament parliament"}, {}, limits);
  EXPECT_EQ(ArticleErrorReason(result.status()), "TOO_MANY_MENTIONS");
  // Exactly the limit is fine, and the tagger is not poisoned by the error.
  result = tagger_.Tag(taxonomy(), {"", "Paris Paris Paris"}, {}, limits);
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_EQ(result->tags.size(), 1u);
  EXPECT_EQ(result->tags[0].count, 3u);
}

TEST(ArticleErrorReasonTest, EmptyForOtherErrors) {
  EXPECT_EQ(ArticleErrorReason(absl::OkStatus()), "");
  EXPECT_EQ(ArticleErrorReason(absl::InvalidArgumentError("x")), "");
}

TEST(ValidateArticleTest, AcceptsValidArticles) {
  EXPECT_TRUE(ValidateArticle({"", "x"}, {}).ok());
  EXPECT_TRUE(ValidateArticle({"Київ 😀", "東京"}, {}).ok());
}

// --- Concurrency and taxonomy switches -----------------------------------------------

std::vector<std::pair<std::string, std::string>> MakeArticles(int count, uint32_t seed) {
  static const char* const kWords[] = {
      "Paris", "Nice", "nice", "US", "us", "New York", "New York Times", "Київ", "Києві",
      "Київщина", "Αθήνα", "Αθήναι", "東京都", "東京2020", "G20", "G200", "2020", "12020",
      "election", "ELECTION", "parliamentary", "parliamentarians", "ballot", "Zürich",
      "ZURICH", "Conan O’Brien", "Lt", "erhält", "HAUPTSTRASSE", "the", "and", "weather",
      "😀", "—", ",", ".", "\n\n", "Pa\xC2\xADris", "Athens", "Tokyo"};
  std::mt19937 random(seed);
  std::uniform_int_distribution<size_t> word(0, std::size(kWords) - 1);
  std::uniform_int_distribution<int> title_length(0, 6);
  std::uniform_int_distribution<int> body_length(1, 120);
  std::vector<std::pair<std::string, std::string>> articles;
  for (int i = 0; i < count; ++i) {
    std::string title;
    std::string body = "News: ";  // never blank
    for (int n = title_length(random); n > 0; --n) StrAppend(&title, kWords[word(random)], " ");
    for (int n = body_length(random); n > 0; --n) StrAppend(&body, kWords[word(random)], " ");
    articles.emplace_back(std::move(title), std::move(body));
  }
  return articles;
}

TagOptions RichOptions() {
  TagOptions options;
  options.code_point_offsets = true;
  options.utf16_offsets = true;
  options.explain = true;
  return options;
}

TEST_F(TaggerTest, ConcurrentTaggersAgreeWithSingleThread) {
  const auto articles = MakeArticles(200, 42);
  std::vector<std::string> expected;
  {
    Tagger tagger;
    for (const auto& [title, body] : articles) {
      auto result = tagger.Tag(taxonomy(), {title, body}, RichOptions());
      ASSERT_TRUE(result.ok()) << result.status();
      expected.push_back(DescribeResult(*result));
    }
  }
  int with_tags = 0;
  for (const std::string& e : expected) with_tags += e.find("\ntag ") != std::string::npos;
  ASSERT_GT(with_tags, 150);  // the articles really exercise the tagger

  constexpr int kThreads = 8;
  std::atomic<int> mismatches{0};
  std::atomic<int> failures{0};
  std::atomic<int> tagged{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      Tagger tagger;  // one per thread
      for (size_t k = 0; k < articles.size(); ++k) {
        const size_t i = (k + static_cast<size_t>(t) * 25) % articles.size();
        auto result =
            tagger.Tag(taxonomy(), {articles[i].first, articles[i].second}, RichOptions());
        if (!result.ok()) {
          ++failures;
          continue;
        }
        if (DescribeResult(*result) != expected[i]) ++mismatches;
        ++tagged;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(mismatches.load(), 0);
  EXPECT_EQ(tagged.load(), kThreads * 200);
}

// A taxonomy much bigger than the first one: many literals and regex rules
// (which need a larger Hyperscan scratch).
std::string BigTaxonomy() {
  std::string jsonl = kTaxonomy;
  for (int i = 0; i < 300; ++i) {
    StrAppend(&jsonl, R"({"id":"org:company)", i, R"(","kind":"ORGANIZATION","name":"Company)",
              i, R"( Holdings"})", "\n");
  }
  for (int i = 0; i < 40; ++i) {
    StrAppend(&jsonl, R"({"id":"topic:t)", i, R"(","kind":"TOPIC","name":"t)", i,
              R"(","rules":[{"regex":"(foo|bar)[a-z]{0,)", i % 7 + 1, R"(}baz)", i,
              R"(","weight":1},{"regex":"q[0-9]+x)", i, R"(end"}]})", "\n");
  }
  return jsonl;
}

TEST(TaggerTaxonomySwitchTest, ScratchIsRegrownForABiggerTaxonomy) {
  auto small = CompileJsonl(R"({"id":"geo:paris","kind":"LOCATION","name":"Paris"})");
  auto big = CompileJsonl(BigTaxonomy());
  ASSERT_TRUE(small.ok()) << small.status();
  ASSERT_TRUE(big.ok()) << big.status();
  ASSERT_GT((*big)->regex_count(), 0u);
  const ArticleText article = {"Paris election",
                               "Company7 Holdings and Company299 Holdings met in Paris; "
                               "foobaz0 and barxyzbaz3, q12x5end. Київ 😀"};
  auto fresh = [&](const std::shared_ptr<const CompiledTaxonomy>& taxonomy) {
    Tagger tagger;
    auto result = tagger.Tag(taxonomy, article, RichOptions());
    EXPECT_TRUE(result.ok()) << result.status();
    return result.ok() ? DescribeResult(*result) : "";
  };
  const std::string expected_small = fresh(*small);
  const std::string expected_big = fresh(*big);
  ASSERT_THAT(expected_big, HasSubstr("tag org:company299"));
  ASSERT_THAT(expected_big, HasSubstr("topic topic:t0"));

  Tagger tagger;
  for (int round = 0; round < 3; ++round) {
    for (const auto* taxonomy : {&*small, &*big, &*small}) {
      auto result = tagger.Tag(*taxonomy, article, RichOptions());
      ASSERT_TRUE(result.ok()) << result.status();
      EXPECT_EQ(DescribeResult(*result), taxonomy == &*small ? expected_small : expected_big);
      EXPECT_EQ(result->taxonomy, *taxonomy);
    }
  }
}

TEST(TaggerTaxonomySwitchTest, EmptyTaxonomyThenRealOne) {
  auto empty = CompileJsonl("");
  auto real = CompileJsonl(kTaxonomy);
  ASSERT_TRUE(empty.ok());
  ASSERT_TRUE(real.ok());
  Tagger tagger;
  auto nothing = tagger.Tag(*empty, {"Paris", "Paris"});
  ASSERT_TRUE(nothing.ok()) << nothing.status();
  EXPECT_THAT(nothing->tags, IsEmpty());
  auto something = tagger.Tag(*real, {"Paris", "Paris"});
  ASSERT_TRUE(something.ok()) << something.status();
  ASSERT_NE(FindTag(*something, "geo:paris"), nullptr);
  EXPECT_EQ(FindTag(*something, "geo:paris")->count, 2u);
}

TEST(TaggerTaxonomySwitchTest, ResultKeepsItsTaxonomyAlive) {
  TagResult result;
  {
    auto compiled = CompileJsonl(R"({"id":"geo:paris","kind":"LOCATION","name":"Paris"})");
    ASSERT_TRUE(compiled.ok());
    Tagger tagger;
    auto tagged = tagger.Tag(*compiled, {"", "Paris"});
    ASSERT_TRUE(tagged.ok());
    result = *std::move(tagged);
  }
  // Every other reference is gone; the result's concept pointers still work.
  ASSERT_EQ(result.tags.size(), 1u);
  EXPECT_EQ(result.tags[0].concept_ptr->id, "geo:paris");
  EXPECT_EQ(result.taxonomy.use_count(), 1);
}

// Short literals are found by a word-start lookup instead of Hyperscan
// (CompiledTaxonomy::FindShortLiteral): every result must be exactly what
// putting every literal in Hyperscan gives, on text built to stress the
// boundary rule (letters from folding "™", "ß" and "ﬁ", combining marks, a
// soft hyphen, "_", digits, unspaced scripts, whitespace runs).
TEST(ShortLiteralTest, WordStartLookupFindsWhatHyperscanFinds) {
  constexpr std::string_view kShortTaxonomy = R"(
{"id":"geo:of","kind":"LOCATION","name":"Of","attributes":{"population":10}}
{"id":"geo:un-town","kind":"LOCATION","name":"Un","attributes":{"population":5}}
{"id":"org:un","kind":"ORGANIZATION","name":"United Nations","aliases":[{"text":"UN","case":"exact"}]}
{"id":"geo:ga","kind":"LOCATION","name":"Georgia","aliases":["Ga."]}
{"id":"org:tm","kind":"ORGANIZATION","name":"TM Corp","aliases":["tm","Apple"]}
{"id":"geo:tokyo","kind":"LOCATION","name":"Tokyo","aliases":["東京"]}
{"id":"geo:x","kind":"LOCATION","name":"X","aliases":["3M","G7","Öl","ss","fi","a b"]}
{"id":"topic:t","kind":"TOPIC","name":"t","rules":[{"keyword":"of","weight":1},{"keyword":"ai","weight":1},{"keyword":"ing","weight":1}]}
)";
  CompileOptions all_in_hyperscan;
  all_in_hyperscan.short_literal_bytes = 0;
  auto reference = CompileJsonl(kShortTaxonomy, all_in_hyperscan);
  auto split = CompileJsonl(kShortTaxonomy);
  ASSERT_TRUE(reference.ok()) << reference.status();
  ASSERT_TRUE(split.ok()) << split.status();
  ASSERT_TRUE((*split)->has_short_literals());
  EXPECT_FALSE((*reference)->has_short_literals());

  const std::vector<std::string> pieces = {
      "Of",  "of",    "OF",     "Un",  "UN",  "un",  "Ga.", "ga.",  "tm",     "Apple", "™",
      "東京", "都",    "3M",     "3.",  "G7",  "Öl",  "öl",  "ß",    "ss",     "ﬁ",     "fi",
      "a b", "a  b",  "a\nb",   "2008", "_",   "\u00AD", "e\u0301", "x",  "1",  " ",      " ",     ",",
      ".",   "-",     "(",      "“",   "\u200D", "ai", "ing", "ring", "Ofis",   "Mr.",   "\t"};
  std::mt19937 random(20261124);
  Tagger tagger_a, tagger_b;
  TagOptions options;
  options.explain = true;
  std::map<std::string, int> found;  // concept → rounds it was tagged in: the test is not vacuous
  for (int round = 0; round < 5000; ++round) {
    std::string body;
    const int count = 1 + static_cast<int>(random() % 14);
    for (int i = 0; i < count; ++i) body += pieces[random() % pieces.size()];
    auto a = tagger_a.Tag(*reference, {"", body}, options);
    auto b = tagger_b.Tag(*split, {"", body}, options);
    ASSERT_EQ(a.ok(), b.ok()) << body;
    if (!a.ok()) continue;
    ASSERT_EQ(DescribeResult(*b), DescribeResult(*a)) << "text: " << body;
    for (const ConceptTag& tag : a->tags) ++found[tag.concept_ptr->id];
  }
  for (const char* id : {"geo:of", "geo:un-town", "org:un", "geo:ga", "org:tm", "geo:tokyo", "geo:x"}) {
    EXPECT_GT(found[id], 20) << id;
  }
}

TEST(ShortLiteralTest, OnlyShortLiteralsNeedNoHyperscanDatabase) {
  auto compiled = CompileJsonl(R"({"id":"geo:of","kind":"LOCATION","name":"Of"})");
  ASSERT_TRUE(compiled.ok()) << compiled.status();
  EXPECT_EQ((*compiled)->literal_database(), nullptr);
  Tagger tagger;
  auto result = tagger.Tag(*compiled, {"", "Of, the town on the Black Sea coast. Of again."});
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_EQ(result->tags.size(), 1u);
  EXPECT_EQ(result->tags[0].count, 2u);
}

}  // namespace
}  // namespace tagwire
