#include "service/proto_convert.h"

#include <gtest/gtest.h>

#include "core/test_support.h"

namespace tagwire {
namespace {

std::shared_ptr<const CompiledTaxonomy> Compile(std::string_view jsonl) {
  auto compiled = test_support::CompileJsonl(jsonl);
  EXPECT_TRUE(compiled.ok()) << compiled.status();
  return compiled.ok() ? *compiled : nullptr;
}

TEST(TagOptionsFromProtoTest, DefaultsMatchCoreDefaults) {
  auto options = TagOptionsFromProto(v1::TagOptions());
  ASSERT_TRUE(options.ok());
  EXPECT_EQ(options->kind_mask, kAllKinds);
  EXPECT_EQ(options->overlap, OverlapPolicy::kLeftmostLongest);
  EXPECT_TRUE(options->include_mentions);  // unset means true
  EXPECT_FALSE(options->explain);
  EXPECT_FALSE(options->code_point_offsets);
}

TEST(TagOptionsFromProtoTest, ConvertsEveryField) {
  v1::TagOptions proto;
  proto.add_kinds(v1::CONCEPT_KIND_PERSON);
  proto.add_kinds(v1::CONCEPT_KIND_LOCATION);
  proto.set_min_score(0.25);
  proto.set_overlap_policy(v1::OVERLAP_POLICY_NO_SUBSUMED);
  proto.add_offset_units(v1::OFFSET_UNIT_UTF16);
  proto.set_include_mentions(false);
  proto.set_explain(true);
  auto options = TagOptionsFromProto(proto);
  ASSERT_TRUE(options.ok());
  EXPECT_EQ(options->kind_mask, KindBit(ConceptKind::kPerson) | KindBit(ConceptKind::kLocation));
  EXPECT_EQ(options->min_score, 0.25);
  EXPECT_EQ(options->overlap, OverlapPolicy::kNoSubsumed);
  EXPECT_TRUE(options->utf16_offsets);
  EXPECT_FALSE(options->code_point_offsets);
  EXPECT_FALSE(options->include_mentions);
  EXPECT_TRUE(options->explain);
}

TEST(TagOptionsFromProtoTest, RejectsOutOfRangeValues) {
  v1::TagOptions proto;
  proto.set_min_score(1.5);
  EXPECT_EQ(TagOptionsFromProto(proto).status().code(), absl::StatusCode::kInvalidArgument);
  proto.set_min_score(0);
  proto.add_kinds(static_cast<v1::ConceptKind>(42));
  EXPECT_EQ(TagOptionsFromProto(proto).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(TagOptionsFromProtoTest, IgnoresUnspecifiedKinds) {
  v1::TagOptions proto;
  proto.add_kinds(v1::CONCEPT_KIND_UNSPECIFIED);
  auto options = TagOptionsFromProto(proto);
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->kind_mask, kAllKinds);
  proto.add_kinds(v1::CONCEPT_KIND_PERSON);
  options = TagOptionsFromProto(proto);
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->kind_mask, KindBit(ConceptKind::kPerson));
}

TEST(TaggedArticleToProtoTest, CarriesIdentityTagsMentionsAndTopics) {
  auto taxonomy = Compile(
      R"({"id":"geo:703448","kind":"LOCATION","name":"Kyiv","aliases":["Київ"],"attributes":{"country_code":"UA","geonames_id":703448,"lat":50.45,"lon":30.52,"population":2797553}}
{"id":"topic:medtop:16000000","kind":"TOPIC","name":"conflict, war and peace","attributes":{"iptc_code":"medtop:16000000"},"rules":[{"keyword":"ceasefire","weight":2}]}
)");
  v1::Article article;
  article.set_source("wire");
  article.set_id("a-1");
  article.set_version(3);
  article.set_title("Ceasefire talks");
  article.set_body("Talks in Київ went on.");
  Tagger tagger;
  TagOptions options;
  options.code_point_offsets = true;
  auto result = tagger.Tag(taxonomy, ArticleTextFromProto(article), options);
  ASSERT_TRUE(result.ok()) << result.status();
  v1::TaggedArticle tagged;
  TaggedArticleToProto(article, *result, &tagged);
  EXPECT_EQ(tagged.source(), "wire");
  EXPECT_EQ(tagged.id(), "a-1");
  EXPECT_EQ(tagged.version(), 3);
  EXPECT_EQ(tagged.taxonomy_version(), taxonomy->version());
  ASSERT_EQ(tagged.tags_size(), 1);
  const v1::Tag& tag = tagged.tags(0);
  EXPECT_EQ(tag.concept_id(), "geo:703448");
  EXPECT_EQ(tag.kind(), v1::CONCEPT_KIND_LOCATION);
  EXPECT_EQ(tag.attributes().country_code(), "UA");
  EXPECT_EQ(tag.attributes().geonames_id(), 703448);
  EXPECT_DOUBLE_EQ(tag.attributes().latitude(), 50.45);
  ASSERT_EQ(tag.mentions_size(), 1);
  const v1::Mention& mention = tag.mentions(0);
  EXPECT_EQ(mention.field(), v1::FIELD_BODY);
  EXPECT_EQ(mention.text(), "Київ");
  EXPECT_EQ(mention.alias(), "Київ");
  EXPECT_EQ(mention.byte_start(), 9u);
  EXPECT_EQ(mention.byte_end(), 17u);
  EXPECT_EQ(mention.code_point_start(), 9u);
  EXPECT_EQ(mention.code_point_end(), 13u);
  EXPECT_FALSE(mention.has_utf16_start());
  ASSERT_EQ(tagged.topics_size(), 1);
  EXPECT_EQ(tagged.topics(0).iptc_code(), "medtop:16000000");
  EXPECT_EQ(tagged.topics(0).matched_keywords(0), "ceasefire");
  const std::string json = ToJson(tagged).value();
  EXPECT_NE(json.find("\"conceptId\":\"geo:703448\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"taxonomyVersion\""), std::string::npos);
}

TEST(ErrorReasonFromStatusTest, MapsArticleErrors) {
  auto taxonomy = Compile(R"({"id":"x","kind":"OTHER","name":"X"})");
  Tagger tagger;
  auto bad = tagger.Tag(taxonomy, {"", "\xff"});
  ASSERT_FALSE(bad.ok());
  const v1::ArticleError error = ArticleErrorFromStatus(bad.status());
  EXPECT_EQ(error.reason(), v1::ERROR_REASON_BODY_NOT_UTF8);
  EXPECT_EQ(error.code(), 3);
  EXPECT_EQ(ErrorReasonFromStatus(absl::InternalError("boom")), v1::ERROR_REASON_INTERNAL);
  auto empty = tagger.Tag(taxonomy, {" ", ""});
  EXPECT_EQ(ErrorReasonFromStatus(empty.status()), v1::ERROR_REASON_EMPTY_BODY);
}

}  // namespace
}  // namespace tagwire
