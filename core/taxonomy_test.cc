#include "core/taxonomy.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "core/strings.h"
#include "core/test_support.h"

namespace tagwire {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using test_support::BuildTaxonomy;

constexpr char kParis[] = R"({"id":"geo:paris","kind":"LOCATION","name":"Paris"})";
constexpr char kBerlin[] = R"({"id":"geo:berlin","kind":"LOCATION","name":"Berlin"})";

std::string Message(const absl::Status& status) { return std::string(status.message()); }

std::vector<std::string> AliasTexts(const Concept& concept_value) {
  std::vector<std::string> out;
  for (const Alias& alias : concept_value.aliases) out.push_back(alias.text);
  return out;
}

const Concept* Find(const Taxonomy& taxonomy, std::string_view id) {
  const int index = taxonomy.FindConcept(id);
  return index < 0 ? nullptr : &taxonomy.concepts()[index];
}

// --- A valid layer -------------------------------------------------------------

TEST(TaxonomyTest, ParsesEveryField) {
  const std::string jsonl = StrCat(
      R"({"id":"geo:2988507","kind":"LOCATION","name":"Paris",)",
      R"("aliases":["Paname",{"text":"PARIS","case":"exact"},{"text":"ville lumière","case":"capitalized"}],)",
      R"("attributes":{"country_code":"FR","admin1":"11","geonames_id":2988507,"lat":48.85,)",
      R"("lon":2.35,"population":2138551,"wikidata":"Q90"},"broader":"geo:3017382"})",
      "\n",
      R"({"id":"geo:3017382","kind":"location","name":"France"})", "\n",
      R"({"id":"topic:politics","kind":"TOPIC","name":"politics","aliases":["politics","GDP"],)",
      R"("attributes":{"iptc_code":"medtop:11000000"},)",
      R"("rules":[{"keyword":"election","weight":1.5},{"regex":"parliament(ary)?","weight":0.5},)",
      R"({"keyword":"Brexit","case":"exact","weight":100}]})");
  auto taxonomy = BuildTaxonomy(jsonl, "layer.jsonl");
  ASSERT_TRUE(taxonomy.ok()) << taxonomy.status();
  ASSERT_EQ(taxonomy->concepts().size(), 3u);

  const Concept& paris = taxonomy->concepts()[0];
  EXPECT_EQ(paris.id, "geo:2988507");
  EXPECT_EQ(paris.kind, ConceptKind::kLocation);
  EXPECT_EQ(paris.name, "Paris");
  // The name is the first alias of a non-topic concept.
  EXPECT_THAT(AliasTexts(paris), ElementsAre("Paris", "Paname", "PARIS", "ville lumière"));
  EXPECT_EQ(paris.aliases[0].case_policy, CasePolicy::kCapitalized);
  EXPECT_EQ(paris.aliases[1].case_policy, CasePolicy::kCapitalized);
  EXPECT_EQ(paris.aliases[2].case_policy, CasePolicy::kExact);
  EXPECT_EQ(paris.aliases[3].case_policy, CasePolicy::kCapitalized);
  EXPECT_EQ(paris.attributes.country_code, "FR");
  EXPECT_EQ(paris.attributes.admin1, "11");
  EXPECT_EQ(paris.attributes.geonames_id, 2988507);
  EXPECT_EQ(paris.attributes.population, 2138551);
  EXPECT_DOUBLE_EQ(paris.attributes.latitude.value_or(0), 48.85);
  EXPECT_DOUBLE_EQ(paris.attributes.longitude.value_or(0), 2.35);
  EXPECT_THAT(paris.attributes.extra,
              ElementsAre(std::pair<std::string, std::string>("wikidata", "Q90")));
  EXPECT_EQ(paris.broader, "geo:3017382");
  EXPECT_EQ(taxonomy->Describe(paris.location), "layer.jsonl:1");

  const Concept& france = taxonomy->concepts()[1];
  EXPECT_EQ(france.kind, ConceptKind::kLocation);  // kind is case-insensitive
  EXPECT_FALSE(france.attributes.latitude.has_value());
  EXPECT_EQ(taxonomy->Describe(france.location), "layer.jsonl:2");

  const Concept& politics = taxonomy->concepts()[2];
  EXPECT_EQ(politics.kind, ConceptKind::kTopic);
  EXPECT_EQ(politics.attributes.iptc_code, "medtop:11000000");
  // A topic's aliases become keyword rules of weight 1 (an acronym keeps its
  // exact case); the topic has no aliases of its own.
  EXPECT_TRUE(politics.aliases.empty());
  ASSERT_EQ(politics.rules.size(), 5u);
  EXPECT_EQ(politics.rules[0].pattern, "election");
  EXPECT_DOUBLE_EQ(politics.rules[0].weight, 1.5);
  EXPECT_FALSE(politics.rules[0].is_regex);
  EXPECT_EQ(politics.rules[0].case_policy, CasePolicy::kCaseless);
  EXPECT_EQ(politics.rules[1].pattern, "parliament(ary)?");
  EXPECT_TRUE(politics.rules[1].is_regex);
  EXPECT_EQ(politics.rules[2].pattern, "Brexit");
  EXPECT_EQ(politics.rules[2].case_policy, CasePolicy::kExact);
  EXPECT_DOUBLE_EQ(politics.rules[2].weight, 100);
  EXPECT_EQ(politics.rules[3].pattern, "politics");
  EXPECT_EQ(politics.rules[3].case_policy, CasePolicy::kCaseless);
  EXPECT_DOUBLE_EQ(politics.rules[3].weight, 1.0);
  EXPECT_EQ(politics.rules[4].pattern, "GDP");
  EXPECT_EQ(politics.rules[4].case_policy, CasePolicy::kExact);
  EXPECT_EQ(taxonomy->Describe(politics.rules[1].location), "layer.jsonl:3");
}

TEST(TaxonomyTest, AliasesAreTrimmedAndRepeatsDropped) {
  auto taxonomy = BuildTaxonomy(
      R"({"id":"geo:paris","kind":"LOCATION","name":"Paris","aliases":["  Paname ","Paris","Paname"]})");
  ASSERT_TRUE(taxonomy.ok()) << taxonomy.status();
  EXPECT_THAT(AliasTexts(taxonomy->concepts()[0]), ElementsAre("Paris", "Paname"));
}

TEST(TaxonomyTest, AliasOfExactlyTheLimitIsAccepted) {
  const std::string alias(kMaxAliasBytes, 'a');
  auto taxonomy = BuildTaxonomy(StrCat(R"({"id":"x","kind":"OTHER","name":"X","aliases":[")",
                                       alias, R"("]})"));
  ASSERT_TRUE(taxonomy.ok()) << taxonomy.status();
  EXPECT_EQ(taxonomy->concepts()[0].aliases[1].text, alias);
}

TEST(TaxonomyTest, WeightOfOneHundredIsAccepted) {
  auto taxonomy = BuildTaxonomy(
      R"({"id":"t","kind":"TOPIC","name":"t","rules":[{"keyword":"k","weight":100}]})");
  ASSERT_TRUE(taxonomy.ok()) << taxonomy.status();
}

TEST(TaxonomyTest, AcceptsBomCrlfBlankLinesAndMissingFinalNewline) {
  const std::string jsonl =
      StrCat("\xEF\xBB\xBF", kParis, "\r\n", "\r\n", "\n", "   \t\r\n", kBerlin);  // no final \n
  auto taxonomy = BuildTaxonomy(jsonl, "crlf.jsonl");
  ASSERT_TRUE(taxonomy.ok()) << taxonomy.status();
  ASSERT_EQ(taxonomy->concepts().size(), 2u);
  EXPECT_EQ(taxonomy->concepts()[0].name, "Paris");  // no "\r" kept anywhere
  EXPECT_EQ(taxonomy->concepts()[1].name, "Berlin");
  // Blank lines still count, so line numbers match an editor's.
  EXPECT_EQ(taxonomy->Describe(taxonomy->concepts()[1].location), "crlf.jsonl:5");
}

TEST(TaxonomyTest, Utf16FileIsRejectedAsUtf16) {
  for (const std::string_view bom : {"\xFF\xFE", "\xFE\xFF"}) {
    auto taxonomy = BuildTaxonomy(StrCat(bom, "{"), "utf16.jsonl");
    ASSERT_FALSE(taxonomy.ok());
    EXPECT_EQ(taxonomy.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(taxonomy.status().message(),
                HasSubstr("utf16.jsonl:1: UTF-16 byte-order mark: taxonomy files must be UTF-8"));
  }
}

TEST(TaxonomyTest, ErrorLineNumbersCountBlankAndCrlfLines) {
  TaxonomyBuilder builder;
  const absl::Status status = builder.AddLayer(
      "crlf.jsonl", StrCat("\xEF\xBB\xBF", kParis, "\r\n\r\n", "{\"id\":\"x\"}\r\n"));
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(status), StartsWith("crlf.jsonl:3: missing 'kind'"));
}

TEST(TaxonomyTest, EmptyLayerBuildsEmptyTaxonomy) {
  auto taxonomy = BuildTaxonomy("\n\n");
  ASSERT_TRUE(taxonomy.ok()) << taxonomy.status();
  EXPECT_TRUE(taxonomy->concepts().empty());
  EXPECT_EQ(taxonomy->version().size(), 16u);
}

// --- Every bad input -------------------------------------------------------------

struct BadLayerCase {
  const char* name;
  std::string line;    // the bad line, placed after a valid first line
  std::string reason;  // expected in the message after "bad.jsonl:2: "
};

class BadLayerTest : public ::testing::TestWithParam<BadLayerCase> {};

TEST_P(BadLayerTest, RejectedWithFileLineAndReason) {
  const BadLayerCase& c = GetParam();
  TaxonomyBuilder builder;
  const absl::Status status = builder.AddLayer("bad.jsonl", StrCat(kParis, "\n", c.line, "\n"));
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  EXPECT_THAT(Message(status), StartsWith("bad.jsonl:2: "));
  EXPECT_THAT(Message(status), HasSubstr(c.reason));
}

std::string Located(std::string_view alias_json) {
  return StrCat(R"({"id":"geo:x","kind":"LOCATION","name":"X","aliases":[)", alias_json, "]}");
}

INSTANTIATE_TEST_SUITE_P(
    AllReasons, BadLayerTest,
    ::testing::Values(
        BadLayerCase{"InvalidJson", R"({"id":"geo:x","kind":)", "invalid JSON"},
        BadLayerCase{"TrailingGarbage", R"({"id":"geo:x"} x)", "invalid JSON"},
        BadLayerCase{"ArrayLine", R"(["geo:x","LOCATION"])", "must be a JSON object"},
        BadLayerCase{"NumberLine", "42", "must be a JSON object"},
        BadLayerCase{"StringLine", R"("geo:x")", "must be a JSON object"},
        BadLayerCase{"EmptyAlias", Located(R"("")"), "alias is empty"},
        BadLayerCase{"WhitespaceOnlyAlias", Located(R"(" \t  ")"), "alias is empty"},
        BadLayerCase{"EmptyAliasObject", Located(R"({"text":""})"), "alias is empty"},
        BadLayerCase{"NulOnlyAlias", Located(R"("\u0000")"), "alias contains a NUL"},
        BadLayerCase{"AliasContainingNul", Located(R"("Par\u0000is")"), "alias contains a NUL"},
        BadLayerCase{"OverLongAlias", Located(StrCat("\"", std::string(257, 'a'), "\"")),
                     "alias is 257 bytes; the limit is 256"},
        BadLayerCase{"AliasOnlyCombiningMark", Located(R"("\u0301")"),
                     "has no letter or digit"},
        BadLayerCase{"AliasOnlyRawCombiningMark", Located("\"\xCC\x81\""),
                     "has no letter or digit"},
        BadLayerCase{"AliasOnlySoftHyphen", Located(R"("\u00ad")"), "has no letter or digit"},
        BadLayerCase{"AliasOnlyPunctuation", Located(R"("-")"), "alias \"-\" has no letter or digit"},
        BadLayerCase{"AliasOnlyUnicodeSpaces", Located(R"("\u00a0\u3000")"), "alias is empty"},
        BadLayerCase{"AliasNotStringOrObject", Located("42"), "must be a string or an object"},
        BadLayerCase{"AliasesNotArray",
                     R"({"id":"geo:x","kind":"LOCATION","name":"X","aliases":"X"})",
                     "'aliases' must be an array"},
        BadLayerCase{"AliasUnknownField", Located(R"({"text":"X","lang":"en"})"),
                     "unknown alias field 'lang'"},
        BadLayerCase{"AliasUnknownCasePolicy", Located(R"({"text":"X","case":"upper"})"),
                     "unknown case policy 'upper'"},
        BadLayerCase{"EmptyName", R"({"id":"geo:x","kind":"LOCATION","name":""})",
                     "name is empty"},
        BadLayerCase{"NameWithNul", R"({"id":"geo:x","kind":"LOCATION","name":"A\u0000"})",
                     "name contains a NUL"},
        BadLayerCase{"UnknownKind", R"({"id":"geo:x","kind":"CITY","name":"X"})",
                     "unknown kind 'CITY'"},
        BadLayerCase{"UnknownField", R"({"id":"geo:x","kind":"LOCATION","name":"X","colour":"red"})",
                     "unknown field 'colour'"},
        BadLayerCase{"RepeatedField", R"({"id":"geo:x","kind":"LOCATION","name":"X","name":"Y"})",
                     "field 'name' repeated"},
        BadLayerCase{"MissingId", R"({"kind":"LOCATION","name":"X"})", "missing 'id'"},
        BadLayerCase{"EmptyId", R"({"id":"","kind":"LOCATION","name":"X"})", "'id' is empty"},
        BadLayerCase{"IdWithSpace", R"({"id":"geo x","kind":"LOCATION","name":"X"})",
                     "contains whitespace"},
        BadLayerCase{"IdNotString", R"({"id":7,"kind":"LOCATION","name":"X"})",
                     "'id' must be a string"},
        BadLayerCase{"MissingKind", R"({"id":"geo:x","name":"X"})", "missing 'kind'"},
        BadLayerCase{"MissingName", R"({"id":"geo:x","kind":"LOCATION"})", "missing 'name'"},
        BadLayerCase{"WeightZero",
                     R"({"id":"t","kind":"TOPIC","name":"t","rules":[{"keyword":"k","weight":0}]})",
                     "weight 0 is outside (0, 100]"},
        BadLayerCase{"WeightNegative",
                     R"({"id":"t","kind":"TOPIC","name":"t","rules":[{"keyword":"k","weight":-1}]})",
                     "weight -1 is outside (0, 100]"},
        BadLayerCase{"WeightTooLarge",
                     R"({"id":"t","kind":"TOPIC","name":"t","rules":[{"keyword":"k","weight":101}]})",
                     "weight 101 is outside (0, 100]"},
        BadLayerCase{"WeightNotNumber",
                     R"({"id":"t","kind":"TOPIC","name":"t","rules":[{"keyword":"k","weight":"2"}]})",
                     "'weight' must be a finite number"},
        BadLayerCase{"RuleWithoutPattern",
                     R"({"id":"t","kind":"TOPIC","name":"t","rules":[{"weight":2}]})",
                     "needs 'keyword' or 'regex'"},
        BadLayerCase{"RuleWithTwoPatterns",
                     R"({"id":"t","kind":"TOPIC","name":"t","rules":[{"keyword":"a","regex":"b"}]})",
                     "exactly one of 'keyword' or 'regex'"},
        BadLayerCase{"EmptyRegex",
                     R"({"id":"t","kind":"TOPIC","name":"t","rules":[{"regex":""}]})",
                     "regex is empty"},
        BadLayerCase{"OverLongRegex",
                     StrCat(R"({"id":"t","kind":"TOPIC","name":"t","rules":[{"regex":")",
                            std::string(1025, 'a'), R"("}]})"),
                     "regex is 1025 bytes; the limit is 1024"},
        BadLayerCase{"CaseOnRegex",
                     R"({"id":"t","kind":"TOPIC","name":"t","rules":[{"regex":"a+","case":"exact"}]})",
                     "'case' applies to keywords"},
        BadLayerCase{"EmptyKeyword",
                     R"({"id":"t","kind":"TOPIC","name":"t","rules":[{"keyword":"  "}]})",
                     "keyword is empty"},
        BadLayerCase{"RulesOnNonTopic",
                     R"({"id":"geo:x","kind":"LOCATION","name":"X","rules":[{"keyword":"k"}]})",
                     "only TOPIC concepts have 'rules'"},
        BadLayerCase{"SuppressUnknownId", R"({"id":"geo:nowhere","suppress":true})",
                     "'geo:nowhere' is not defined in an earlier line or layer"},
        BadLayerCase{"AddAliasesUnknownId", R"({"id":"geo:nowhere","add_aliases":["N"]})",
                     "'geo:nowhere' is not defined"},
        BadLayerCase{"SuppressWithOtherFields",
                     R"({"id":"geo:paris","suppress":true,"name":"Paris"})",
                     "has only 'id' and that field"},
        BadLayerCase{"SuppressNotBool", R"({"id":"geo:paris","suppress":"yes"})",
                     "'suppress' must be true or false"},
        BadLayerCase{"LatitudeOutOfRange",
                     R"({"id":"geo:x","kind":"LOCATION","name":"X","attributes":{"lat":91}})",
                     "'lat' 91 is out of range"},
        BadLayerCase{"NegativePopulation",
                     R"({"id":"geo:x","kind":"LOCATION","name":"X","attributes":{"population":-5}})",
                     "'population' must not be negative"}),
    [](const ::testing::TestParamInfo<BadLayerCase>& param) { return param.param.name; });

TEST(TaxonomyTest, InvalidUtf8RawBytesReportColumn) {
  const std::string line = "{\"id\":\"geo:x\",\"kind\":\"LOCATION\",\"name\":\"Z\xFCrich\"}";
  const size_t column = line.find('\xFC') + 1;
  TaxonomyBuilder builder;
  const absl::Status status = builder.AddLayer("bad.jsonl", StrCat(kParis, "\n", line, "\n"));
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Message(status), StrCat("bad.jsonl:2: invalid UTF-8 at column ", column));
}

TEST(TaxonomyTest, InvalidUtf8OverlongAndSurrogateRejected) {
  for (std::string_view bad : {std::string_view("\xC0\xAF"), std::string_view("\xED\xA0\x80"),
                               std::string_view("\xE2\x82")}) {
    const std::string prefix = R"({"id":"geo:x","kind":"LOCATION","name":"A)";
    TaxonomyBuilder builder;
    const absl::Status status = builder.AddLayer("bad.jsonl", StrCat(prefix, bad, "\"}"));
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(Message(status),
              StrCat("bad.jsonl:1: invalid UTF-8 at column ", prefix.size() + 1));
  }
}

TEST(TaxonomyTest, RawNulByteReportsColumn) {
  std::string line = R"({"id":"geo:x","kind":"LOCATION","name":"X"})";
  line.insert(3, 1, '\0');
  TaxonomyBuilder builder;
  const absl::Status status = builder.AddLayer("bad.jsonl", StrCat(kParis, "\n", line));
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Message(status), "bad.jsonl:2: NUL byte at column 4");
}

TEST(TaxonomyTest, DuplicateIdNamesFirstDefinition) {
  TaxonomyBuilder builder;
  const absl::Status status = builder.AddLayer(
      "dup.jsonl", StrCat(kBerlin, "\n", kParis, "\n\n",
                          R"({"id":"geo:paris","kind":"LOCATION","name":"Paris, Texas"})", "\n"));
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Message(status), "dup.jsonl:4: duplicate id 'geo:paris' (first defined at dup.jsonl:2)");
}

TEST(TaxonomyTest, BroaderReferringToUnknownIdFailsBuild) {
  TaxonomyBuilder builder;
  ASSERT_TRUE(builder
                  .AddLayer("geo.jsonl",
                            StrCat(kBerlin, "\n",
                                   R"({"id":"geo:paris","kind":"LOCATION","name":"Paris",)"
                                   R"("broader":"geo:france"})"))
                  .ok());
  const auto taxonomy = builder.Build();
  ASSERT_FALSE(taxonomy.ok());
  EXPECT_EQ(taxonomy.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Message(taxonomy.status()),
            "geo.jsonl:2: 'broader' refers to unknown id 'geo:france'");
}

// A failed Build takes nothing from the builder: adding the missing concept
// and building again yields the whole taxonomy.
TEST(TaxonomyTest, FailedBuildLeavesBuilderIntact) {
  TaxonomyBuilder builder;
  ASSERT_TRUE(builder
                  .AddLayer("cities.jsonl",
                            StrCat(kBerlin, "\n",
                                   R"({"id":"geo:paris","kind":"LOCATION","name":"Paris",)"
                                   R"("broader":"geo:france"})"))
                  .ok());
  ASSERT_FALSE(builder.Build().ok());
  ASSERT_TRUE(builder
                  .AddLayer("countries.jsonl",
                            R"({"id":"geo:france","kind":"LOCATION","name":"France"})")
                  .ok());
  auto taxonomy = builder.Build();
  ASSERT_TRUE(taxonomy.ok()) << taxonomy.status();
  EXPECT_THAT(taxonomy->source_files(), ElementsAre("cities.jsonl", "countries.jsonl"));
  ASSERT_EQ(taxonomy->concepts().size(), 3u);
  const Concept* paris = Find(*taxonomy, "geo:paris");
  ASSERT_NE(paris, nullptr);
  EXPECT_EQ(paris->name, "Paris");
  EXPECT_EQ(paris->broader, "geo:france");
  EXPECT_EQ(taxonomy->Describe(paris->location), "cities.jsonl:2");
}

TEST(TaxonomyTest, BroaderToSuppressedIdFailsBuild) {
  TaxonomyBuilder builder;
  ASSERT_TRUE(builder
                  .AddLayer("base.jsonl",
                            StrCat(R"({"id":"geo:france","kind":"LOCATION","name":"France"})",
                                   "\n",
                                   R"({"id":"geo:paris","kind":"LOCATION","name":"Paris",)"
                                   R"("broader":"geo:france"})"))
                  .ok());
  ASSERT_TRUE(builder.AddLayer("local.jsonl", R"({"id":"geo:france","suppress":true})").ok());
  const auto taxonomy = builder.Build();
  ASSERT_FALSE(taxonomy.ok());
  EXPECT_THAT(Message(taxonomy.status()), StartsWith("base.jsonl:2: 'broader'"));
}

TEST(TaxonomyTest, BroaderMayReferToLaterLineOrLayer) {
  TaxonomyBuilder builder;
  ASSERT_TRUE(builder
                  .AddLayer("a.jsonl", R"({"id":"geo:paris","kind":"LOCATION","name":"Paris",)"
                                       R"("broader":"geo:france"})")
                  .ok());
  ASSERT_TRUE(
      builder.AddLayer("b.jsonl", R"({"id":"geo:france","kind":"LOCATION","name":"France"})").ok());
  const auto taxonomy = builder.Build();
  ASSERT_TRUE(taxonomy.ok()) << taxonomy.status();
  EXPECT_EQ(Find(*taxonomy, "geo:paris")->broader, "geo:france");
}

// --- Layering ------------------------------------------------------------------

TEST(TaxonomyLayerTest, LaterLayerRedefinesId) {
  TaxonomyBuilder builder;
  ASSERT_TRUE(builder
                  .AddLayer("base.jsonl",
                            StrCat(R"({"id":"geo:paris","kind":"LOCATION","name":"Paris",)"
                                   R"("aliases":["Paname"]})",
                                   "\n", kBerlin))
                  .ok());
  ASSERT_TRUE(builder
                  .AddLayer("local.jsonl",
                            R"({"id":"geo:paris","kind":"ORGANIZATION","name":"Paris SG"})")
                  .ok());
  auto taxonomy = builder.Build();
  ASSERT_TRUE(taxonomy.ok()) << taxonomy.status();
  ASSERT_EQ(taxonomy->concepts().size(), 2u);
  const Concept* paris = Find(*taxonomy, "geo:paris");
  ASSERT_NE(paris, nullptr);
  EXPECT_EQ(paris->kind, ConceptKind::kOrganization);
  EXPECT_EQ(paris->name, "Paris SG");
  EXPECT_THAT(AliasTexts(*paris), ElementsAre("Paris SG"));  // "Paname" is gone
  EXPECT_EQ(taxonomy->Describe(paris->location), "local.jsonl:1");
  EXPECT_THAT(taxonomy->source_files(), ElementsAre("base.jsonl", "local.jsonl"));
}

TEST(TaxonomyLayerTest, SuppressRemovesConcept) {
  TaxonomyBuilder builder;
  ASSERT_TRUE(builder.AddLayer("base.jsonl", StrCat(kParis, "\n", kBerlin)).ok());
  ASSERT_TRUE(builder.AddLayer("local.jsonl", R"({"id":"geo:paris","suppress":true})").ok());
  auto taxonomy = builder.Build();
  ASSERT_TRUE(taxonomy.ok()) << taxonomy.status();
  EXPECT_EQ(taxonomy->FindConcept("geo:paris"), -1);
  ASSERT_EQ(taxonomy->concepts().size(), 1u);
  EXPECT_EQ(taxonomy->concepts()[0].id, "geo:berlin");
}

TEST(TaxonomyLayerTest, SuppressedIdCanBeDefinedAgainLater) {
  TaxonomyBuilder builder;
  ASSERT_TRUE(builder.AddLayer("a.jsonl", kParis).ok());
  ASSERT_TRUE(builder.AddLayer("b.jsonl", R"({"id":"geo:paris","suppress":true})").ok());
  ASSERT_TRUE(builder
                  .AddLayer("c.jsonl",
                            R"({"id":"geo:paris","kind":"LOCATION","name":"Paris, Texas"})")
                  .ok());
  auto taxonomy = builder.Build();
  ASSERT_TRUE(taxonomy.ok()) << taxonomy.status();
  ASSERT_EQ(taxonomy->concepts().size(), 1u);
  EXPECT_EQ(taxonomy->concepts()[0].name, "Paris, Texas");
}

TEST(TaxonomyLayerTest, SuppressInSameLayerAsDefinition) {
  auto taxonomy =
      BuildTaxonomy(StrCat(kParis, "\n", kBerlin, "\n", R"({"id":"geo:paris","suppress":true})"));
  ASSERT_TRUE(taxonomy.ok()) << taxonomy.status();
  ASSERT_EQ(taxonomy->concepts().size(), 1u);
  EXPECT_EQ(taxonomy->concepts()[0].id, "geo:berlin");
}

// Once a line has suppressed an id, later lines of the same layer cannot
// suppress or extend it again: it no longer exists.
TEST(TaxonomyLayerTest, SuppressedIdCannotBeUsedAgainInSameLayer) {
  for (std::string_view second :
       {R"({"id":"geo:paris","suppress":true})", R"({"id":"geo:paris","add_aliases":["P"]})"}) {
    TaxonomyBuilder builder;
    ASSERT_TRUE(builder.AddLayer("base.jsonl", StrCat(kParis, "\n", kBerlin)).ok());
    const absl::Status status = builder.AddLayer(
        "local.jsonl", StrCat(R"({"id":"geo:paris","suppress":true})", "\n", second));
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << second;
    EXPECT_THAT(Message(status),
                StartsWith("local.jsonl:2: 'geo:paris' is not defined in an earlier line or layer"));
    // The failed layer changed nothing.
    auto taxonomy = builder.Build();
    ASSERT_TRUE(taxonomy.ok()) << taxonomy.status();
    EXPECT_EQ(taxonomy->concepts().size(), 2u);
  }
}

TEST(TaxonomyLayerTest, AddAliasesExtendsConcept) {
  TaxonomyBuilder builder;
  ASSERT_TRUE(builder.AddLayer("base.jsonl", kParis).ok());
  ASSERT_TRUE(builder
                  .AddLayer("local.jsonl",
                            R"({"id":"geo:paris","add_aliases":["Lutèce",{"text":"PAR","case":"exact"}]})")
                  .ok());
  auto taxonomy = builder.Build();
  ASSERT_TRUE(taxonomy.ok()) << taxonomy.status();
  const Concept& paris = taxonomy->concepts()[0];
  EXPECT_THAT(AliasTexts(paris), ElementsAre("Paris", "Lutèce", "PAR"));
  EXPECT_EQ(paris.aliases[2].case_policy, CasePolicy::kExact);
  EXPECT_EQ(paris.name, "Paris");
}

// An alias added to a topic becomes a keyword rule exactly like one given in
// the topic's own "aliases": caseless, unless it is an acronym.
TEST(TaxonomyLayerTest, AddAliasesToTopicAddsKeywordsLikeAliases) {
  TaxonomyBuilder builder;
  ASSERT_TRUE(builder
                  .AddLayer("base.jsonl",
                            R"({"id":"topic:economy","kind":"TOPIC","name":"economy",)"
                            R"("aliases":["economy","GDP"]})")
                  .ok());
  ASSERT_TRUE(builder
                  .AddLayer("local.jsonl",
                            StrCat("\n", R"({"id":"topic:economy","add_aliases":["Inflation","CPI"]})"))
                  .ok());
  auto taxonomy = builder.Build();
  ASSERT_TRUE(taxonomy.ok()) << taxonomy.status();
  const Concept& economy = taxonomy->concepts()[0];
  ASSERT_EQ(economy.rules.size(), 4u);
  EXPECT_EQ(economy.rules[1].pattern, "GDP");
  EXPECT_EQ(economy.rules[1].case_policy, CasePolicy::kExact);
  EXPECT_EQ(economy.rules[2].pattern, "Inflation");
  EXPECT_EQ(economy.rules[2].case_policy, CasePolicy::kCaseless);
  EXPECT_EQ(economy.rules[3].pattern, "CPI");
  EXPECT_EQ(economy.rules[3].case_policy, CasePolicy::kExact);
  EXPECT_DOUBLE_EQ(economy.rules[3].weight, 1.0);
  EXPECT_EQ(taxonomy->Describe(economy.rules[3].location), "local.jsonl:2");
}

TEST(TaxonomyLayerTest, FailingLayerLeavesBuilderAsBefore) {
  TaxonomyBuilder builder;
  ASSERT_TRUE(builder.AddLayer("base.jsonl", StrCat(kParis, "\n", kBerlin)).ok());
  // This layer's first lines are valid (a redefinition, a suppression, a new
  // concept, an alias extension); its last line is not.
  const absl::Status bad = builder.AddLayer(
      "bad.jsonl",
      StrCat(R"({"id":"geo:paris","kind":"ORGANIZATION","name":"PSG"})", "\n",
             R"({"id":"geo:berlin","suppress":true})", "\n",
             R"({"id":"geo:rome","kind":"LOCATION","name":"Rome"})", "\n",
             R"({"id":"geo:paris","add_aliases":["Paname"]})", "\n",
             R"({"id":"geo:oops","kind":"LOCATION"})"));
  ASSERT_EQ(bad.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(bad), StartsWith("bad.jsonl:5: missing 'name'"));
  ASSERT_TRUE(builder.AddLayer("good.jsonl", R"({"id":"geo:madrid","kind":"LOCATION","name":"Madrid"})").ok());
  auto taxonomy = builder.Build();
  ASSERT_TRUE(taxonomy.ok()) << taxonomy.status();
  EXPECT_THAT(taxonomy->source_files(), ElementsAre("base.jsonl", "good.jsonl"));
  ASSERT_EQ(taxonomy->concepts().size(), 3u);
  const Concept* paris = Find(*taxonomy, "geo:paris");
  ASSERT_NE(paris, nullptr);
  EXPECT_EQ(paris->kind, ConceptKind::kLocation);
  EXPECT_THAT(AliasTexts(*paris), ElementsAre("Paris"));
  EXPECT_NE(Find(*taxonomy, "geo:berlin"), nullptr);
  EXPECT_EQ(Find(*taxonomy, "geo:rome"), nullptr);
  const Concept* madrid = Find(*taxonomy, "geo:madrid");
  ASSERT_NE(madrid, nullptr);
  EXPECT_EQ(taxonomy->Describe(madrid->location), "good.jsonl:1");

  // The failed layer does not count towards the version either.
  TaxonomyBuilder clean;
  ASSERT_TRUE(clean.AddLayer("base.jsonl", StrCat(kParis, "\n", kBerlin)).ok());
  ASSERT_TRUE(clean.AddLayer("good.jsonl", R"({"id":"geo:madrid","kind":"LOCATION","name":"Madrid"})").ok());
  auto expected = clean.Build();
  ASSERT_TRUE(expected.ok());
  EXPECT_EQ(taxonomy->version(), expected->version());
}

TEST(TaxonomyLayerTest, BuildEmptiesTheBuilder) {
  TaxonomyBuilder builder;
  ASSERT_TRUE(builder.AddLayer("a.jsonl", kParis).ok());
  ASSERT_TRUE(builder.Build().ok());
  ASSERT_TRUE(builder.AddLayer("b.jsonl", kBerlin).ok());
  auto second = builder.Build();
  ASSERT_TRUE(second.ok());
  ASSERT_EQ(second->concepts().size(), 1u);
  EXPECT_EQ(second->concepts()[0].id, "geo:berlin");
  EXPECT_THAT(second->source_files(), ElementsAre("b.jsonl"));
}

// --- Version ---------------------------------------------------------------------

std::string VersionOf(std::vector<std::string> layers) {
  TaxonomyBuilder builder;
  for (size_t i = 0; i < layers.size(); ++i) {
    const absl::Status status = builder.AddLayer(StrCat("layer", i), layers[i]);
    EXPECT_TRUE(status.ok()) << status;
  }
  auto taxonomy = builder.Build();
  EXPECT_TRUE(taxonomy.ok()) << taxonomy.status();
  return taxonomy.ok() ? taxonomy->version() : "";
}

TEST(TaxonomyVersionTest, SixteenHexDigits) {
  const std::string version = VersionOf({kParis});
  ASSERT_EQ(version.size(), 16u);
  EXPECT_EQ(version.find_first_not_of("0123456789abcdef"), std::string::npos) << version;
}

TEST(TaxonomyVersionTest, StableForSameContent) {
  EXPECT_EQ(VersionOf({kParis}), VersionOf({kParis}));
  EXPECT_EQ(VersionOf({kParis, kBerlin}), VersionOf({kParis, kBerlin}));
}

TEST(TaxonomyVersionTest, ChangesWhenContentChanges) {
  const std::string base = VersionOf({kParis});
  EXPECT_NE(base, VersionOf({R"({"id":"geo:paris","kind":"LOCATION","name":"Pariz"})"}));
  EXPECT_NE(base, VersionOf({StrCat(kParis, "\n", kBerlin)}));
  EXPECT_NE(base, VersionOf({kParis, kBerlin}));
  // Layer order and layer boundaries are part of the content.
  EXPECT_NE(VersionOf({kParis, kBerlin}), VersionOf({kBerlin, kParis}));
  EXPECT_NE(VersionOf({kParis, kBerlin}), VersionOf({StrCat(kParis, "\n", kBerlin)}));
}

// --- Case policies ---------------------------------------------------------------

TEST(DefaultCasePolicyTest, PicksPolicyFromTheAliasShape) {
  EXPECT_EQ(DefaultCasePolicy("US"), CasePolicy::kExact);
  EXPECT_EQ(DefaultCasePolicy("NATO"), CasePolicy::kExact);
  EXPECT_EQ(DefaultCasePolicy("UK2"), CasePolicy::kExact);
  EXPECT_EQ(DefaultCasePolicy("G20"), CasePolicy::kCapitalized);  // one letter: not an acronym
  EXPECT_EQ(DefaultCasePolicy("Nice"), CasePolicy::kCapitalized);
  EXPECT_EQ(DefaultCasePolicy("New York"), CasePolicy::kCapitalized);
  EXPECT_EQ(DefaultCasePolicy("iPhone"), CasePolicy::kCapitalized);
  EXPECT_EQ(DefaultCasePolicy("A"), CasePolicy::kCapitalized);  // one capital: not an acronym
  EXPECT_EQ(DefaultCasePolicy("Київ"), CasePolicy::kCapitalized);
  EXPECT_EQ(DefaultCasePolicy("СБУ"), CasePolicy::kExact);
  EXPECT_EQ(DefaultCasePolicy("election"), CasePolicy::kCaseless);
  EXPECT_EQ(DefaultCasePolicy("東京"), CasePolicy::kCaseless);
  EXPECT_EQ(DefaultCasePolicy("2020"), CasePolicy::kCaseless);
}

TEST(CasePolicyNameTest, Names) {
  EXPECT_EQ(CasePolicyName(CasePolicy::kCaseless), "caseless");
  EXPECT_EQ(CasePolicyName(CasePolicy::kCapitalized), "capitalized");
  EXPECT_EQ(CasePolicyName(CasePolicy::kExact), "exact");
}

TEST(ConceptKindTest, NamesRoundTripCaseInsensitively) {
  for (int i = 0; i < kConceptKindCount; ++i) {
    const auto kind = static_cast<ConceptKind>(i);
    EXPECT_EQ(ParseConceptKind(ConceptKindName(kind)), kind);
  }
  EXPECT_EQ(ConceptKindName(ConceptKind::kOrganization), "ORGANIZATION");
  EXPECT_EQ(ParseConceptKind("person"), ConceptKind::kPerson);
  EXPECT_EQ(ParseConceptKind("Location"), ConceptKind::kLocation);
  EXPECT_EQ(ParseConceptKind("CITY"), std::nullopt);
  EXPECT_EQ(ParseConceptKind(""), std::nullopt);
}

TEST(TaxonomyTest, FindConceptAndDescribe) {
  auto taxonomy = BuildTaxonomy(StrCat(kParis, "\n", kBerlin), "x.jsonl");
  ASSERT_TRUE(taxonomy.ok());
  EXPECT_EQ(taxonomy->FindConcept("geo:paris"), 0);
  EXPECT_EQ(taxonomy->FindConcept("geo:berlin"), 1);
  EXPECT_EQ(taxonomy->FindConcept("geo:rome"), -1);
  EXPECT_EQ(taxonomy->Describe({0, 2}), "x.jsonl:2");
  EXPECT_EQ(taxonomy->Describe({7, 1}), "<unknown>:1");
}

// --- Files -------------------------------------------------------------------------

std::string WriteFile(const std::string& dir, const std::string& name, std::string_view contents) {
  const std::string path = StrCat(dir, "/", name);
  std::ofstream out(path, std::ios::binary);
  out << contents;
  return path;
}

TEST(LoadTaxonomyFilesTest, LoadsLayersInOrder) {
  const test_support::ScopedTempDir temp;
  const std::string& dir = temp.path();
  ASSERT_FALSE(dir.empty());
  const std::string base = WriteFile(dir, "base.jsonl", StrCat(kParis, "\n", kBerlin, "\n"));
  const std::string local = WriteFile(dir, "local.jsonl", R"({"id":"geo:berlin","suppress":true})");
  auto taxonomy = LoadTaxonomyFiles({base, local});
  ASSERT_TRUE(taxonomy.ok()) << taxonomy.status();
  ASSERT_EQ(taxonomy->concepts().size(), 1u);
  EXPECT_EQ(taxonomy->concepts()[0].id, "geo:paris");
  EXPECT_THAT(taxonomy->source_files(), ElementsAre(base, local));
  EXPECT_EQ(taxonomy->Describe(taxonomy->concepts()[0].location), StrCat(base, ":1"));
  // Same bytes, same version, whether loaded from files or from memory.
  TaxonomyBuilder builder;
  ASSERT_TRUE(builder.AddLayer("a", StrCat(kParis, "\n", kBerlin, "\n")).ok());
  ASSERT_TRUE(builder.AddLayer("b", R"({"id":"geo:berlin","suppress":true})").ok());
  auto in_memory = builder.Build();
  ASSERT_TRUE(in_memory.ok());
  EXPECT_EQ(taxonomy->version(), in_memory->version());
}

TEST(LoadTaxonomyFilesTest, ErrorNamesTheFilePath) {
  const test_support::ScopedTempDir temp;
  const std::string& dir = temp.path();
  ASSERT_FALSE(dir.empty());
  const std::string base = WriteFile(dir, "base.jsonl", kParis);
  const std::string bad = WriteFile(dir, "bad.jsonl", StrCat(kBerlin, "\n{oops\n"));
  auto taxonomy = LoadTaxonomyFiles({base, bad});
  ASSERT_FALSE(taxonomy.ok());
  EXPECT_EQ(taxonomy.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(taxonomy.status()), StartsWith(StrCat(bad, ":2: invalid JSON")));
}

TEST(LoadTaxonomyFilesTest, MissingFileIsNotFound) {
  const test_support::ScopedTempDir temp;
  const std::string& dir = temp.path();
  ASSERT_FALSE(dir.empty());
  const std::string base = WriteFile(dir, "base.jsonl", kParis);
  const std::string missing = StrCat(dir, "/missing.jsonl");
  auto taxonomy = LoadTaxonomyFiles({base, missing});
  ASSERT_FALSE(taxonomy.ok());
  EXPECT_EQ(taxonomy.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(Message(taxonomy.status()), HasSubstr(missing));
}

TEST(LoadTaxonomyFilesTest, DirectoryIsRejected) {
  const test_support::ScopedTempDir temp;
  const std::string& dir = temp.path();
  ASSERT_FALSE(dir.empty());
  WriteFile(dir, "base.jsonl", kParis);
  auto taxonomy = LoadTaxonomyFiles({dir});
  ASSERT_FALSE(taxonomy.ok()) << "a directory loaded as an empty taxonomy";
  EXPECT_EQ(taxonomy.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(taxonomy.status()), HasSubstr(dir));
}

TEST(LoadTaxonomyFilesTest, NoFilesIsAnError) {
  auto taxonomy = LoadTaxonomyFiles({});
  EXPECT_EQ(taxonomy.status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace tagwire
