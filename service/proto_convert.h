// The one conversion layer between the core engine and the tagwire.v1
// messages: proto options → core options, core results → TaggedArticle,
// core errors → ErrorReason, and the proto3 JSON mapping used by every JSON
// surface (CLI, logs). Stateless functions; all thread-safe.
#ifndef TAGWIRE_SERVICE_PROTO_CONVERT_H_
#define TAGWIRE_SERVICE_PROTO_CONVERT_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "core/tagger.h"
#include "google/protobuf/message.h"
#include "tagwire/v1/article.pb.h"
#include "tagwire/v1/error.pb.h"
#include "tagwire/v1/tagging.pb.h"

namespace tagwire {

// Converts request options. InvalidArgument for min_score outside [0, 1] or
// unknown enum values.
absl::StatusOr<TagOptions> TagOptionsFromProto(const v1::TagOptions& proto);

// Returns the core view of `article`'s text (no copy; valid while `article` is).
ArticleText ArticleTextFromProto(const v1::Article& article);

// Fills `article`'s title and body from a plain-text article: the first line
// is the title, the rest the body (a one-line text is a headline-only flash).
// A UTF-8 BOM and the title's surrounding whitespace are dropped.
void ArticleFromPlainText(std::string_view contents, v1::Article* article);

// Fills `out` from `result` for `article` (identity fields are copied).
void TaggedArticleToProto(const v1::Article& article, const TagResult& result,
                          v1::TaggedArticle* out);

// Maps a Tagger error to its reason (ERROR_REASON_INTERNAL for non-article
// errors) and builds the per-article error message.
v1::ErrorReason ErrorReasonFromStatus(const absl::Status& status);
v1::ArticleError ArticleErrorFromStatus(const absl::Status& status);

// The ArticleError for `reason` with `code` and `message`.
v1::ArticleError MakeArticleError(v1::ErrorReason reason, absl::StatusCode code,
                                  std::string message);

// The name of `reason` without its prefix, e.g. "BODY_NOT_UTF8": the form used
// in metrics labels, trailing metadata and stats.
std::string ErrorReasonName(v1::ErrorReason reason);

v1::ConceptKind KindToProto(ConceptKind kind);

// Prints `message` in the proto3 JSON mapping on one line. Internal if the
// message cannot be printed (e.g. a string field holding invalid UTF-8).
absl::StatusOr<std::string> ToJson(const google::protobuf::Message& message);

}  // namespace tagwire

#endif  // TAGWIRE_SERVICE_PROTO_CONVERT_H_
