#include "service/article_pipeline.h"

#include <string>
#include <utility>

#include "absl/time/clock.h"
#include "core/strings.h"
#include "service/log.h"
#include "service/nats_publisher.h"
#include "service/proto_convert.h"

namespace tagwire {
namespace {

// Remembers the article's identity (RecentArticles); returns its error if the
// same identity was sent recently with other content.
std::optional<v1::ArticleError> CheckConflict(ServiceEnv& env, const v1::Article& article,
                                              absl::Time arrival) {
  if (env.recent_articles == nullptr) return std::nullopt;
  const RecentArticles::Verdict verdict = env.recent_articles->Remember(article, arrival);
  if (verdict.seen != RecentArticles::Seen::kConflict) return std::nullopt;
  return MakeArticleError(
      v1::ERROR_REASON_CONFLICT, absl::StatusCode::kAlreadyExists,
      StrCat("source '", article.source(), "' id '", article.id(), "' version ",
             article.version(), " was sent ",
             absl::FormatDuration(absl::Trunc(arrival - verdict.first_seen, absl::Milliseconds(1))),
             " ago with a different title or body, which stands; send a correction as version ",
             article.version() + 1));
}

}  // namespace

std::optional<v1::ArticleError> TagArticle(
    ServiceEnv& env, Tagger& tagger, const std::shared_ptr<const CompiledTaxonomy>& taxonomy,
    const v1::Article& article, const absl::StatusOr<TagOptions>& options, absl::Time arrival,
    v1::TaggedArticle* out) {
  const uint64_t bytes = article.title().size() + article.body().size();
  std::optional<v1::ArticleError> error;
  if (!options.ok()) {
    error = MakeArticleError(v1::ERROR_REASON_INVALID_OPTIONS, options.status().code(),
                             std::string(ToStd(options.status().message())));
  } else if (article.id().empty()) {
    error = MakeArticleError(v1::ERROR_REASON_MISSING_ID, absl::StatusCode::kInvalidArgument,
                             "article.id is empty; every article needs an id");
  } else {
    absl::StatusOr<TagResult> result =
        tagger.Tag(taxonomy, ArticleTextFromProto(article), *options, env.limits.tag_limits);
    if (result.ok()) {
      // Checked once the article is known to be valid, so a bad article gets
      // its own reason. Remember() is atomic: of two different contents sent
      // at once, the first to get here stands.
      error = CheckConflict(env, article, arrival);
      if (!error) {
        TaggedArticleToProto(article, *result, out);
        env.metrics.RecordTagged(bytes, absl::Now() - arrival);
        return std::nullopt;
      }
    } else {
      error = ArticleErrorFromStatus(result.status());
    }
    if (error->reason() == v1::ERROR_REASON_INTERNAL) {
      LogError("tag_failed")
          .Add("source", article.source())
          .Add("id", article.id())
          .Add("error", error->message());
    }
  }
  env.metrics.RecordFailed(bytes, error->reason());
  return error;
}

void Deliver(ServiceEnv& env, const v1::Article& article, const v1::TaggedArticle* tagged,
             const v1::ArticleError* error, bool wait_for_ack, DeliveryDone done) {
  NatsPublisher* publisher = env.publisher.get();
  if (publisher == nullptr) {
    std::move(done)(absl::OkStatus());
    return;
  }
  // With --nats_ack=none the article is answered once its publish is queued;
  // a publish that fails later is only logged.
  DeliveryDone on_stored;
  if (wait_for_ack) {
    on_stored = std::move(done);
  } else {
    on_stored = [source = article.source(), id = article.id()](absl::Status status) {
      if (!status.ok()) {
        LogWarning("not_delivered")
            .Add("source", source)
            .Add("id", id)
            .Add("error", ToStd(status.message()));
      }
    };
  }
  if (tagged != nullptr) {
    publisher->Publish(*tagged, std::move(on_stored));
  } else {
    publisher->PublishDeadLetter(MakeDeadLetter(article, *error), std::move(on_stored));
  }
  if (!wait_for_ack) std::move(done)(absl::OkStatus());
}

v1::DeadLetter MakeDeadLetter(const v1::Article& article, v1::ArticleError error) {
  v1::DeadLetter letter;
  letter.set_source(article.source());
  letter.set_id(article.id());
  letter.set_version(article.version());
  *letter.mutable_error() = std::move(error);
  *letter.mutable_article() = article;
  return letter;
}

v1::ArticleError NotDeliveredError(ServiceEnv& env, const v1::Article& article,
                                   const absl::Status& status) {
  // Not stored after all: another content may take its identity.
  if (env.recent_articles != nullptr) env.recent_articles->Forget(article);
  // Too large for the broker will not get better by resending; the rest may.
  if (status.code() == absl::StatusCode::kResourceExhausted) {
    return MakeArticleError(v1::ERROR_REASON_NOT_DELIVERED, status.code(),
                            StrCat("tagged, but not delivered downstream: ", status.message()));
  }
  return MakeArticleError(
      v1::ERROR_REASON_NOT_DELIVERED, absl::StatusCode::kUnavailable,
      StrCat("tagged, but not delivered downstream (", status.message(), "); send it again"));
}

}  // namespace tagwire
