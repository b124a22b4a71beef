#include "service/proto_convert.h"

#include <utility>

#include "core/strings.h"
#include "google/protobuf/util/json_util.h"

namespace tagwire {

absl::StatusOr<TagOptions> TagOptionsFromProto(const v1::TagOptions& proto) {
  TagOptions options;
  if (!(proto.min_score() >= 0.0 && proto.min_score() <= 1.0)) {
    return absl::InvalidArgumentError(
        StrCat("min_score ", proto.min_score(), " is outside [0, 1]"));
  }
  options.min_score = proto.min_score();
  if (proto.kinds_size() > 0) {
    options.kind_mask = 0;
    for (int kind : proto.kinds()) {
      switch (kind) {
        case v1::CONCEPT_KIND_UNSPECIFIED:
          break;  // ignored, as the contract says
        case v1::CONCEPT_KIND_TOPIC:
          options.kind_mask |= KindBit(ConceptKind::kTopic);
          break;
        case v1::CONCEPT_KIND_PERSON:
          options.kind_mask |= KindBit(ConceptKind::kPerson);
          break;
        case v1::CONCEPT_KIND_ORGANIZATION:
          options.kind_mask |= KindBit(ConceptKind::kOrganization);
          break;
        case v1::CONCEPT_KIND_LOCATION:
          options.kind_mask |= KindBit(ConceptKind::kLocation);
          break;
        case v1::CONCEPT_KIND_OTHER:
          options.kind_mask |= KindBit(ConceptKind::kOther);
          break;
        default:
          return absl::InvalidArgumentError(StrCat("unknown concept kind ", kind));
      }
    }
    if (options.kind_mask == 0) options.kind_mask = kAllKinds;  // only UNSPECIFIED: no filter
  }
  switch (proto.overlap_policy()) {
    case v1::OVERLAP_POLICY_UNSPECIFIED:
    case v1::OVERLAP_POLICY_LEFTMOST_LONGEST:
      options.overlap = OverlapPolicy::kLeftmostLongest;
      break;
    case v1::OVERLAP_POLICY_ALL:
      options.overlap = OverlapPolicy::kAll;
      break;
    case v1::OVERLAP_POLICY_NO_SUBSUMED:
      options.overlap = OverlapPolicy::kNoSubsumed;
      break;
    default:
      return absl::InvalidArgumentError(
          StrCat("unknown overlap policy ", static_cast<int>(proto.overlap_policy())));
  }
  for (int unit : proto.offset_units()) {
    switch (unit) {
      case v1::OFFSET_UNIT_UNSPECIFIED:
      case v1::OFFSET_UNIT_BYTES:
        break;
      case v1::OFFSET_UNIT_CODE_POINTS:
        options.code_point_offsets = true;
        break;
      case v1::OFFSET_UNIT_UTF16:
        options.utf16_offsets = true;
        break;
      default:
        return absl::InvalidArgumentError(StrCat("unknown offset unit ", unit));
    }
  }
  options.include_mentions = !proto.has_include_mentions() || proto.include_mentions();
  options.explain = proto.explain();
  return options;
}

ArticleText ArticleTextFromProto(const v1::Article& article) {
  return ArticleText{article.title(), article.body()};
}

v1::ConceptKind KindToProto(ConceptKind kind) {
  switch (kind) {
    case ConceptKind::kTopic:
      return v1::CONCEPT_KIND_TOPIC;
    case ConceptKind::kPerson:
      return v1::CONCEPT_KIND_PERSON;
    case ConceptKind::kOrganization:
      return v1::CONCEPT_KIND_ORGANIZATION;
    case ConceptKind::kLocation:
      return v1::CONCEPT_KIND_LOCATION;
    case ConceptKind::kOther:
      return v1::CONCEPT_KIND_OTHER;
  }
  return v1::CONCEPT_KIND_UNSPECIFIED;
}

namespace {

void AttributesToProto(const Attributes& in, v1::Attributes* out) {
  out->set_country_code(in.country_code);
  out->set_admin1(in.admin1);
  out->set_iptc_code(in.iptc_code);
  out->set_geonames_id(in.geonames_id);
  out->set_population(in.population);
  if (in.latitude) out->set_latitude(*in.latitude);
  if (in.longitude) out->set_longitude(*in.longitude);
  for (const auto& [key, value] : in.extra) (*out->mutable_extra())[key] = value;
}

}  // namespace

void TaggedArticleToProto(const v1::Article& article, const TagResult& result,
                          v1::TaggedArticle* out) {
  out->set_source(article.source());
  out->set_id(article.id());
  out->set_version(article.version());
  out->set_taxonomy_version(result.taxonomy_version());
  out->set_title_bytes(static_cast<uint32_t>(article.title().size()));
  out->set_body_bytes(static_cast<uint32_t>(article.body().size()));
  for (const ConceptTag& tag : result.tags) {
    const Concept& concept_value = *tag.concept_ptr;
    v1::Tag* t = out->add_tags();
    t->set_concept_id(concept_value.id);
    t->set_kind(KindToProto(concept_value.kind));
    t->set_name(concept_value.name);
    AttributesToProto(concept_value.attributes, t->mutable_attributes());
    t->set_broader_id(concept_value.broader);
    t->set_count(tag.count);
    t->set_score(tag.score);
    t->set_in_title(tag.in_title);
    t->set_explanation(tag.explanation);
    for (const Mention& m : tag.mentions) {
      v1::Mention* pm = t->add_mentions();
      pm->set_field(m.field == Field::kTitle ? v1::FIELD_TITLE : v1::FIELD_BODY);
      pm->set_text(std::string(m.text));
      pm->set_byte_start(m.start);
      pm->set_byte_end(m.end);
      if (m.code_point_end > 0) {
        pm->set_code_point_start(m.code_point_start);
        pm->set_code_point_end(m.code_point_end);
      }
      if (m.utf16_end > 0) {
        pm->set_utf16_start(m.utf16_start);
        pm->set_utf16_end(m.utf16_end);
      }
      pm->set_alias(concept_value.aliases[m.alias_index].text);
    }
  }
  for (const TopicTag& topic : result.topics) {
    const Concept& concept_value = *topic.concept_ptr;
    v1::Topic* t = out->add_topics();
    t->set_concept_id(concept_value.id);
    t->set_name(concept_value.name);
    t->set_iptc_code(concept_value.attributes.iptc_code);
    t->set_score(topic.score);
    t->set_broader_id(concept_value.broader);
    for (std::string_view keyword : topic.matched_keywords) {
      t->add_matched_keywords(std::string(keyword));
    }
    t->set_explanation(topic.explanation);
  }
}

v1::ErrorReason ErrorReasonFromStatus(const absl::Status& status) {
  const std::string reason = ArticleErrorReason(status);
  v1::ErrorReason out;
  if (!reason.empty() && v1::ErrorReason_Parse(StrCat("ERROR_REASON_", reason), &out)) {
    return out;
  }
  return v1::ERROR_REASON_INTERNAL;
}

std::string ErrorReasonName(v1::ErrorReason reason) {
  std::string name = v1::ErrorReason_Name(reason);
  constexpr std::string_view kPrefix = "ERROR_REASON_";
  if (name.compare(0, kPrefix.size(), kPrefix) == 0) name.erase(0, kPrefix.size());
  return name;
}

void ArticleFromPlainText(std::string_view contents, v1::Article* article) {
  if (contents.substr(0, 3) == "\xEF\xBB\xBF") contents.remove_prefix(3);
  const size_t newline = contents.find('\n');
  std::string_view title = StripWhitespace(contents.substr(0, newline));
  std::string_view body =
      newline == std::string_view::npos ? std::string_view() : contents.substr(newline + 1);
  while (!body.empty() && (body.front() == '\n' || body.front() == '\r')) body.remove_prefix(1);
  article->set_title(std::string(title));
  article->set_body(std::string(body));
}

v1::ArticleError MakeArticleError(v1::ErrorReason reason, absl::StatusCode code,
                                  std::string message) {
  v1::ArticleError error;
  error.set_reason(reason);
  error.set_code(static_cast<int32_t>(code));
  error.set_message(std::move(message));
  return error;
}

v1::ArticleError ArticleErrorFromStatus(const absl::Status& status) {
  return MakeArticleError(ErrorReasonFromStatus(status), status.code(),
                          std::string(status.message()));
}

absl::StatusOr<std::string> ToJson(const google::protobuf::Message& message) {
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = false;
  const auto status = google::protobuf::util::MessageToJsonString(message, &json, options);
  if (!status.ok()) {
    return absl::InternalError(StrCat("cannot print ", message.GetTypeName(), " as JSON: ",
                                      ToStd(absl::string_view(status.message().data(),
                                                              status.message().size()))));
  }
  return json;
}

}  // namespace tagwire
