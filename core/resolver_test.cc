// Resolution by context (resolver.h) through Tagger::Tag, on a small
// gazetteer shaped like the default taxonomy (countries, divisions, cities
// with populations, demonyms, short forms, ordinary words).
#include "core/resolver.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "core/files.h"
#include "core/test_support.h"

namespace tagwire {
namespace {

using test_support::CompileJsonl;
using ::testing::HasSubstr;

constexpr char kGazetteer[] = R"(
{"id":"topic:defence","kind":"TOPIC","name":"defence","rules":[{"keyword":"troops","weight":1}]}
{"id":"geo:US","kind":"LOCATION","name":"United States","aliases":["US"],"attributes":{"country_code":"US","population":330000000,"feature":"country"}}
{"id":"geo:FR","kind":"LOCATION","name":"France","aliases":[{"text":"French","type":"demonym"}],"attributes":{"country_code":"FR","population":67000000,"feature":"country"}}
{"id":"geo:GE","kind":"LOCATION","name":"Georgia","aliases":[{"text":"Georgian","type":"demonym"}],"attributes":{"country_code":"GE","population":3700000,"feature":"country"}}
{"id":"geo:GB","kind":"LOCATION","name":"United Kingdom","aliases":["Britain","England"],"attributes":{"country_code":"GB","population":67000000,"feature":"country"}}
{"id":"geo:PL","kind":"LOCATION","name":"Poland","aliases":[{"text":"Polish","type":"demonym"}],"attributes":{"country_code":"PL","population":38000000,"feature":"country"}}
{"id":"geo:adm1:US.GA","kind":"LOCATION","name":"Georgia","attributes":{"country_code":"US","admin1":"GA","feature":"admin1"}}
{"id":"geo:adm1:US.TX","kind":"LOCATION","name":"Texas","attributes":{"country_code":"US","admin1":"TX","feature":"admin1"}}
{"id":"geo:adm1:US.WA","kind":"LOCATION","name":"Washington","attributes":{"country_code":"US","admin1":"WA","feature":"admin1"}}
{"id":"geo:paris","kind":"LOCATION","name":"Paris","attributes":{"country_code":"FR","admin1":"11","population":2138551,"feature":"city"}}
{"id":"geo:paris-tx","kind":"LOCATION","name":"Paris","attributes":{"country_code":"US","admin1":"TX","population":24782,"feature":"city"}}
{"id":"geo:atlanta","kind":"LOCATION","name":"Atlanta","attributes":{"country_code":"US","admin1":"GA","population":463878,"feature":"city"}}
{"id":"geo:tbilisi","kind":"LOCATION","name":"Tbilisi","attributes":{"country_code":"GE","population":1049498,"feature":"city"}}
{"id":"geo:washington","kind":"LOCATION","name":"Washington","attributes":{"country_code":"US","admin1":"DC","population":689545,"feature":"city"}}
{"id":"geo:seattle","kind":"LOCATION","name":"Seattle","attributes":{"country_code":"US","admin1":"WA","population":737015,"feature":"city"}}
{"id":"geo:nice","kind":"LOCATION","name":"Nice","aliases":[{"text":"Nice","common_word":true}],"attributes":{"country_code":"FR","admin1":"93","population":342669,"feature":"city"}}
{"id":"geo:reading","kind":"LOCATION","name":"Reading","aliases":[{"text":"Reading","common_word":true}],"attributes":{"country_code":"GB","admin1":"ENG","population":318014,"feature":"city"}}
{"id":"geo:police","kind":"LOCATION","name":"Police","aliases":[{"text":"Police","common_word":true}],"attributes":{"country_code":"PL","population":33000,"feature":"city"}}
{"id":"geo:lincoln","kind":"LOCATION","name":"Lincoln","attributes":{"country_code":"GB","admin1":"ENG","population":114879,"feature":"city"}}
{"id":"per:emmanuel-macron","kind":"PERSON","name":"Emmanuel Macron","aliases":[{"text":"Macron","type":"short"}],"attributes":{"country_code":"FR"}}
{"id":"per:george-clooney","kind":"PERSON","name":"George Clooney"}
{"id":"org:apple","kind":"ORGANIZATION","name":"Apple","aliases":[{"text":"Apple","common_word":true}],"implies":["topic:defence"]}
{"id":"org:nato","kind":"ORGANIZATION","name":"NATO","implies":["topic:defence"]}
{"id":"geo:LB","kind":"LOCATION","name":"Lebanon","attributes":{"country_code":"LB","population":6800000,"feature":"country"}}
{"id":"geo:tripoli-ly","kind":"LOCATION","name":"Tripoli","attributes":{"country_code":"LY","population":1150989,"feature":"city"}}
{"id":"geo:tripoli-lb","kind":"LOCATION","name":"Tripoli","attributes":{"country_code":"LB","population":229398,"feature":"city"}}
{"id":"geo:adm1:CH.GE","kind":"LOCATION","name":"Geneva","attributes":{"country_code":"CH","admin1":"GE","feature":"admin1"}}
{"id":"geo:geneva","kind":"LOCATION","name":"Geneva","attributes":{"country_code":"CH","admin1":"GE","population":183981,"feature":"city"}}
{"id":"geo:un-town","kind":"LOCATION","name":"Un","attributes":{"country_code":"IN","population":17000,"feature":"city"}}
{"id":"org:un","kind":"ORGANIZATION","name":"United Nations","aliases":["UN"]}
{"id":"geo:george","kind":"LOCATION","name":"George","attributes":{"country_code":"ZA","population":157394,"feature":"city"}}
{"id":"geo:UA","kind":"LOCATION","name":"Ukraine","attributes":{"country_code":"UA","population":41000000,"feature":"country"}}
{"id":"geo:RU","kind":"LOCATION","name":"Russia","attributes":{"country_code":"RU","population":144000000,"feature":"country"}}
{"id":"geo:orange","kind":"LOCATION","name":"Orange","aliases":[{"text":"Orange","common_word":true}],"attributes":{"country_code":"US","admin1":"CA","population":139969,"feature":"city"}}
)";

class ResolverTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto compiled = CompileJsonl(kGazetteer);
    ASSERT_TRUE(compiled.ok()) << compiled.status();
    taxonomy_ = new std::shared_ptr<const CompiledTaxonomy>(*compiled);
  }
  static void TearDownTestSuite() { delete taxonomy_; }

  // The ids tagged in `body` (title `title`).
  std::set<std::string> Tagged(std::string_view body, std::string_view title = "",
                            bool resolve = true) {
    TagOptions options;
    options.resolve = resolve;
    auto result = tagger_.Tag(*taxonomy_, {.title = title, .body = body}, options);
    EXPECT_TRUE(result.ok()) << result.status();
    std::set<std::string> ids;
    if (!result.ok()) return ids;
    for (const ConceptTag& tag : result->tags) ids.insert(tag.concept_ptr->id);
    return ids;
  }

  static std::shared_ptr<const CompiledTaxonomy>* taxonomy_;
  Tagger tagger_;
};
std::shared_ptr<const CompiledTaxonomy>* ResolverTest::taxonomy_ = nullptr;

using Ids = std::set<std::string>;

TEST_F(ResolverTest, GeorgiaIsTheCountryWithoutContext) {
  EXPECT_EQ(Tagged("Talks with Georgia resumed on Monday."), (Ids{"geo:GE"}));
}

TEST_F(ResolverTest, GeorgiaIsTheStateNextToItsCities) {
  EXPECT_EQ(Tagged("Storms hit Atlanta. Officials across Georgia said roads were closed."),
            (Ids{"geo:atlanta", "geo:adm1:US.GA"}));
  EXPECT_EQ(Tagged("The plant near Atlanta, Georgia, will close."),
            (Ids{"geo:atlanta", "geo:adm1:US.GA"}));
}

TEST_F(ResolverTest, GeorgiaIsTheCountryNextToItsCapitalOrDemonym) {
  EXPECT_EQ(Tagged("Protesters filled Tbilisi as Georgia voted."), (Ids{"geo:tbilisi", "geo:GE"}));
  EXPECT_EQ(Tagged("Georgian officials said Georgia would not join."), (Ids{"geo:GE"}));
}

TEST_F(ResolverTest, ParisByPopulationUnlessTexasIsThere) {
  EXPECT_EQ(Tagged("Ministers met in Paris."), (Ids{"geo:paris"}));
  EXPECT_EQ(Tagged("A tornado struck Paris, Texas, overnight."),
            (Ids{"geo:paris-tx", "geo:adm1:US.TX"}));
  EXPECT_EQ(Tagged("Ranchers in Texas gathered. Paris saw the worst of it."),
            (Ids{"geo:paris-tx", "geo:adm1:US.TX"}));
}

TEST_F(ResolverTest, WashingtonCityStateAndPerson) {
  EXPECT_EQ(Tagged("Washington said the sanctions would stay."), (Ids{"geo:washington"}));
  EXPECT_EQ(Tagged("Rain fell on Seattle, Washington, all week."),
            (Ids{"geo:seattle", "geo:adm1:US.WA"}));
  EXPECT_EQ(Tagged("Voters in Washington state approved the measure."), (Ids{"geo:adm1:US.WA"}));
  // A person title or a person's given name before it: not a place.
  EXPECT_EQ(Tagged("A portrait of President Washington hangs there."), (Ids{}));
  EXPECT_EQ(Tagged("A film starring George Lincoln was shot there."), (Ids{}));
}

TEST_F(ResolverTest, OrdinaryWordsNeedStrongSupport) {
  EXPECT_EQ(Tagged("We had a nice time reading by the police station."), (Ids{}));
  // Capitalised but only by sentence case, or with nothing but the country.
  EXPECT_EQ(Tagged("Nice weather helped France's farmers."), (Ids{"geo:FR"}));
  EXPECT_EQ(Tagged("Reading the report, the minister frowned."), (Ids{}));
  EXPECT_EQ(Tagged("Polish Police said the border was calm."), (Ids{"geo:PL"}));
  // Adjacency, the dateline or a second, unambiguous mention support it.
  EXPECT_EQ(Tagged("The festival in Nice, France, opened."), (Ids{"geo:nice", "geo:FR"}));
  EXPECT_EQ(Tagged("READING, England (Tagwire News) \xE2\x80\x94 Trains were cancelled."),
            (Ids{"geo:reading", "geo:GB"}));
  EXPECT_EQ(Tagged("POLICE (Tagwire News) \xE2\x80\x94 The port reopened."), (Ids{"geo:police"}));
}

TEST_F(ResolverTest, OneSensePerArticle) {
  // "Tripoli, Lebanon" settles the later, bare "Tripoli" too.
  EXPECT_EQ(Tagged("The port of Tripoli, Lebanon, grew. Traders in Tripoli were pleased."),
            (Ids{"geo:tripoli-lb", "geo:LB"}));
  EXPECT_EQ(Tagged("Fighting in Tripoli eased."), (Ids{"geo:tripoli-ly"}));
}

TEST_F(ResolverTest, CityOverItsNamesakeDivision) {
  EXPECT_EQ(Tagged("Talks resumed in Geneva."), (Ids{"geo:geneva"}));
}

TEST_F(ResolverTest, ExactAcronymOverATownOfThatName) {
  EXPECT_EQ(Tagged("The UN called for calm."), (Ids{"org:un"}));
}

TEST_F(ResolverTest, TwoPlacesInARowAreAPersonsNameThroughoutTheArticle) {
  EXPECT_EQ(Tagged("A letter by George Washington was sold. Washington wrote it in 1783."),
            (Ids{}));
  // Unless the second contains the first.
  EXPECT_EQ(Tagged("Storms hit Atlanta Georgia overnight."),
            (Ids{"geo:atlanta", "geo:adm1:US.GA"}));
}

TEST_F(ResolverTest, CountriesInARowAreNotAPersonsName) {
  EXPECT_EQ(Tagged("Negotiators met.", "Russia Ukraine talks resume"), (Ids{"geo:RU", "geo:UA"}));
}

TEST_F(ResolverTest, ATitleThatEndsASentenceIsNoPersonCue) {
  EXPECT_EQ(Tagged("The deal was signed by the president. Georgia will join the talks."),
            (Ids{"geo:GE"}));
  EXPECT_EQ(Tagged("A portrait by Dr. Washington hangs there."), (Ids{}));
}

TEST_F(ResolverTest, StateOfIsWholeWords) {
  EXPECT_EQ(Tagged("The real estate of Georgia is booming, officials in Tbilisi said."),
            (Ids{"geo:GE", "geo:tbilisi"}));
  EXPECT_EQ(Tagged("Voters in the state of Georgia went to the polls."), (Ids{"geo:adm1:US.GA"}));
}

TEST_F(ResolverTest, ADatelineStartsWithAPlace) {
  EXPECT_EQ(Tagged("UPDATED, Orange juice prices \xE2\x80\x94 traders said futures rose."),
            (Ids{}));
}

TEST_F(ResolverTest, AdjacencyHoldsWhenAllOverlapsAreKept) {
  TagOptions options;
  options.overlap = OverlapPolicy::kAll;
  auto result =
      tagger_.Tag(*taxonomy_, {.body = "A tornado struck Paris, Texas, overnight."}, options);
  ASSERT_TRUE(result.ok());
  std::set<std::string> ids;
  for (const ConceptTag& tag : result->tags) ids.insert(tag.concept_ptr->id);
  EXPECT_EQ(ids, (Ids{"geo:paris-tx", "geo:adm1:US.TX"}));
}

TEST_F(ResolverTest, BaselineTakesOrdinaryWordsAndTheMostPopulous) {
  EXPECT_EQ(Tagged("Reading the report, officials in Atlanta said Georgia agreed.", "", false),
            (Ids{"geo:reading", "geo:atlanta", "geo:GE"}));
}

TEST_F(ResolverTest, ShortFormsNeedTheFullNameFirst) {
  EXPECT_EQ(Tagged("Macron arrived late."), (Ids{}));
  EXPECT_EQ(Tagged("Emmanuel Macron arrived late. Macron then left."),
            (Ids{"per:emmanuel-macron"}));
  // A headline may use the surname before the body gives the full name.
  EXPECT_EQ(Tagged("President Emmanuel Macron spoke.", "Macron speaks"), (Ids{"per:emmanuel-macron"}));
  // The baseline takes short forms anywhere.
  EXPECT_EQ(Tagged("Macron arrived late.", "", false), (Ids{"per:emmanuel-macron"}));
}

TEST_F(ResolverTest, OrdinaryWordOrganizationsNeedMoreThanSentenceCase) {
  EXPECT_EQ(Tagged("Apple pie was served."), (Ids{}));
  EXPECT_EQ(Tagged("Shares of Apple rose."), (Ids{"org:apple"}));
  EXPECT_EQ(Tagged("Apple said sales rose. Analysts like Apple."), (Ids{"org:apple"}));
}

TEST_F(ResolverTest, ExplainListsEveryCandidateAndTheEvidence) {
  TagOptions options;
  options.explain = true;
  auto result = tagger_.Tag(*taxonomy_, {.body = "Storms hit Atlanta. Georgia closed roads."},
                            options);
  ASSERT_TRUE(result.ok()) << result.status();
  const ConceptTag* georgia = nullptr;
  for (const ConceptTag& tag : result->tags) {
    if (tag.concept_ptr->id == "geo:adm1:US.GA") georgia = &tag;
  }
  ASSERT_NE(georgia, nullptr);
  EXPECT_THAT(georgia->explanation, HasSubstr("alias \"Georgia\""));
  EXPECT_THAT(georgia->explanation, HasSubstr("geo:GE Georgia (LOCATION, prior 3.60 +0.3 own name)"));
  EXPECT_THAT(georgia->explanation, HasSubstr("+2.0 places in it mentioned +0.3 own name) = 5.95"));
}

TEST_F(ResolverTest, DemonymsTagTheCountryMoreWeakly) {
  TagOptions options;
  auto demonym = tagger_.Tag(*taxonomy_, {.body = "French farmers protested."}, options);
  auto name = tagger_.Tag(*taxonomy_, {.body = "Farmers in France protested."}, options);
  ASSERT_TRUE(demonym.ok() && name.ok());
  ASSERT_EQ(demonym->tags.size(), 1u);
  ASSERT_EQ(name->tags.size(), 1u);
  EXPECT_EQ(demonym->tags[0].concept_ptr->id, "geo:FR");
  EXPECT_LT(demonym->tags[0].score, name->tags[0].score);
}

TEST_F(ResolverTest, ConceptsImplyTopics) {
  auto result = tagger_.Tag(*taxonomy_, {.body = "NATO ministers met."}, {.explain = true});
  ASSERT_TRUE(result.ok());
  ASSERT_EQ(result->topics.size(), 1u);
  EXPECT_EQ(result->topics[0].concept_ptr->id, "topic:defence");
  EXPECT_THAT(result->topics[0].explanation, HasSubstr("implied by org:nato"));
}

TEST(TaxonomyFormatTest, AliasTypesCommonWordsAndImpliesAreValidated) {
  auto bad_type = CompileJsonl(R"({"id":"a","kind":"PERSON","name":"A","aliases":[{"text":"B","type":"nick"}]})");
  EXPECT_THAT(bad_type.status().message(), HasSubstr("test.jsonl:1: unknown alias type 'nick'"));
  auto bad_flag = CompileJsonl(R"({"id":"a","kind":"PERSON","name":"A","aliases":[{"text":"B","common_word":1}]})");
  EXPECT_THAT(bad_flag.status().message(), HasSubstr("'common_word' must be true or false"));
  auto dangling = CompileJsonl("{\"id\":\"t\",\"kind\":\"TOPIC\",\"name\":\"t\"}\n"
                               "{\"id\":\"a\",\"kind\":\"ORGANIZATION\",\"name\":\"A\",\"implies\":[\"x\"]}");
  EXPECT_THAT(dangling.status().message(), HasSubstr("test.jsonl:2: 'implies' refers to 'x', an unknown id"));
  // A suppressed concept's `implies` is not checked; add_aliases can flag an
  // existing alias as an ordinary word.
  TaxonomyBuilder builder;
  ASSERT_TRUE(builder
                  .AddLayer("base.jsonl",
                            "{\"id\":\"t\",\"kind\":\"TOPIC\",\"name\":\"t\"}\n"
                            "{\"id\":\"x\",\"kind\":\"ORGANIZATION\",\"name\":\"Nice\","
                            "\"implies\":[\"t\"]}\n"
                            "{\"id\":\"y\",\"kind\":\"LOCATION\",\"name\":\"Nice\"}\n")
                  .ok());
  ASSERT_TRUE(builder
                  .AddLayer("overlay.jsonl",
                            "{\"id\":\"x\",\"suppress\":true}\n{\"id\":\"t\",\"suppress\":true}\n"
                            "{\"id\":\"y\",\"add_aliases\":[{\"text\":\"Nice\",\"common_word\":true}]}\n")
                  .ok());
  auto layered = builder.Build();
  ASSERT_TRUE(layered.ok()) << layered.status();
  ASSERT_EQ(layered->concepts().size(), 1u);
  ASSERT_EQ(layered->concepts()[0].aliases.size(), 1u);
  EXPECT_TRUE(layered->concepts()[0].aliases[0].common_word);
  auto not_topic = CompileJsonl("{\"id\":\"b\",\"kind\":\"PERSON\",\"name\":\"B\"}\n"
                                "{\"id\":\"a\",\"kind\":\"ORGANIZATION\",\"name\":\"A\",\"implies\":[\"b\"]}");
  EXPECT_THAT(not_topic.status().message(), HasSubstr("'b', which is not a TOPIC"));
}

TEST(GzipTest, GzipTaxonomyFilesAreReadAndCorruptOnesRefused) {
  const std::string dir = ::testing::TempDir() + "/tagwire-gzip-test";
  ASSERT_TRUE(WriteFileAtomically(dir + "/plain.jsonl",
                                  "{\"id\":\"a\",\"kind\":\"PERSON\",\"name\":\"Ada Lovelace\"}\n")
                  .ok());
  ASSERT_EQ(std::system(("gzip -kf " + dir + "/plain.jsonl").c_str()), 0);
  auto taxonomy = LoadTaxonomyFiles({dir + "/plain.jsonl.gz"});
  ASSERT_TRUE(taxonomy.ok()) << taxonomy.status();
  EXPECT_EQ(taxonomy->concepts().at(0).name, "Ada Lovelace");
  auto bytes = ReadFileBytes(dir + "/plain.jsonl.gz");
  ASSERT_TRUE(bytes.ok());
  ASSERT_TRUE(WriteFileAtomically(dir + "/cut.jsonl.gz", bytes->substr(0, bytes->size() - 6)).ok());
  auto cut = LoadTaxonomyFiles({dir + "/cut.jsonl.gz"});
  EXPECT_EQ(cut.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(cut.status().message(), HasSubstr("cut.jsonl.gz: corrupt or truncated gzip data"));
  auto bomb = Gunzip("big.gz", *bytes, 10);
  EXPECT_EQ(bomb.status().code(), absl::StatusCode::kResourceExhausted);
  // Concatenated members are one file (cat a.gz b.gz, pigz); trailing junk is an error.
  ASSERT_TRUE(WriteFileAtomically(dir + "/two.jsonl",
                                  "{\"id\":\"b\",\"kind\":\"PERSON\",\"name\":\"Alan Turing\"}\n")
                  .ok());
  ASSERT_EQ(std::system(("gzip -kf " + dir + "/two.jsonl").c_str()), 0);
  auto second = ReadFileBytes(dir + "/two.jsonl.gz");
  ASSERT_TRUE(second.ok());
  ASSERT_TRUE(WriteFileAtomically(dir + "/both.jsonl.gz", *bytes + *second).ok());
  auto both = LoadTaxonomyFiles({dir + "/both.jsonl.gz"});
  ASSERT_TRUE(both.ok()) << both.status();
  EXPECT_EQ(both->concepts().size(), 2u);
  auto junk = Gunzip("junk.gz", *bytes + "junk");
  EXPECT_EQ(junk.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(junk.status().message(), HasSubstr("4 bytes of trailing garbage"));
}

}  // namespace
}  // namespace tagwire
