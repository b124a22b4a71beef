// What happens to one article, whichever way it arrived (a Tag call, a
// TagStream, or a NATS ingest message): TagArticle tags it, and Deliver hands
// the outcome downstream — the tagged article to the NATS publisher, an
// article that could not be tagged to the dead-letter subject.
//
// Thread contract: both functions are safe from any thread; Deliver may block
// while the publisher has no room (that is the pipeline's backpressure).
#ifndef TAGWIRE_SERVICE_ARTICLE_PIPELINE_H_
#define TAGWIRE_SERVICE_ARTICLE_PIPELINE_H_

#include <memory>
#include <optional>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "service/service_env.h"
#include "tagwire/v1/article.pb.h"
#include "tagwire/v1/error.pb.h"
#include "tagwire/v1/tagging.pb.h"

namespace tagwire {

// Tags one article: checks its options and id, tags it with `taxonomy`
// (the snapshot current when the article arrived), checks that its identity
// was not sent recently with other content (ERROR_REASON_CONFLICT), and
// records metrics.
// Returns nullopt with the result in `out`, or the article's error.
std::optional<v1::ArticleError> TagArticle(
    ServiceEnv& env, Tagger& tagger, const std::shared_ptr<const CompiledTaxonomy>& taxonomy,
    const v1::Article& article, const absl::StatusOr<TagOptions>& options, absl::Time arrival,
    v1::TaggedArticle* out);

// Delivers the outcome of `article` downstream: `tagged` when it was tagged,
// else `error` as a dead letter. `done` runs exactly once, with OK when the
// broker stored it (at once when no broker is configured, or when not
// `wait_for_ack`: the --nats_ack=none mode), or with the publisher's error (UNAVAILABLE after its wait
// limit, CANCELLED at shutdown, RESOURCE_EXHAUSTED for a result over the
// broker's message size). `article` is read only for a dead letter.
using DeliveryDone = absl::AnyInvocable<void(absl::Status) &&>;
void Deliver(ServiceEnv& env, const v1::Article& article, const v1::TaggedArticle* tagged,
             const v1::ArticleError* error, bool wait_for_ack, DeliveryDone done);

// The dead letter of `article`, which could not be tagged (or delivered)
// because of `error`.
v1::DeadLetter MakeDeadLetter(const v1::Article& article, v1::ArticleError error);

// The error `article` is answered with when it was tagged but its result
// could not be delivered (`status` is Deliver's). Forgets its identity, so a
// resend with other content is not a conflict: the first was never stored.
v1::ArticleError NotDeliveredError(ServiceEnv& env, const v1::Article& article,
                                   const absl::Status& status);

}  // namespace tagwire

#endif  // TAGWIRE_SERVICE_ARTICLE_PIPELINE_H_
