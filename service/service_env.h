// ServiceEnv: what every gRPC handler of tagwired shares — the taxonomy, the
// worker pool, the subscription hub, the metrics, the limits and the
// shutdown state. Owned by TagwireServer (server.h); outlives every call.
//
// Thread contract: the members are thread-safe objects or constants set
// before the server starts; `draining` and the stream count are atomics.
#ifndef TAGWIRE_SERVICE_SERVICE_ENV_H_
#define TAGWIRE_SERVICE_SERVICE_ENV_H_

#include <atomic>
#include <cstddef>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "core/tagger.h"
#include "core/taxonomy_holder.h"
#include "grpcpp/grpcpp.h"
#include "service/metrics.h"
#include "service/nats_publisher.h"
#include "service/recent_articles.h"
#include "service/stream_registry.h"
#include "service/subscription_hub.h"
#include "service/taxonomy_manager.h"
#include "service/worker_pool.h"

namespace tagwire {

struct ServiceLimits {
  // Streaming calls (TagStream and Subscribe) open at once, server-wide.
  // More are refused with RESOURCE_EXHAUSTED.
  int max_streams = 256;
  // Articles of one TagStream read but not yet answered. At the bound the
  // server stops reading that stream, so HTTP/2 flow control pushes back.
  int max_in_flight_per_stream = 32;
  // Tag (unary) calls accepted and not yet answered, server-wide. More are
  // refused with RESOURCE_EXHAUSTED, so a flood of unary calls cannot grow
  // the worker queue without bound.
  int max_unary_in_flight = 4096;
  // Results queued for one subscriber. A full queue ends the subscription
  // with RESOURCE_EXHAUSTED ("subscriber too slow").
  size_t subscriber_queue = 1024;
  // Article size and match limits (core/tagger.h).
  TagLimits tag_limits;
  // How long, and for how many articles, identities are remembered to tell a
  // conflicting resend (same source/id/version, other content) from a retry
  // (RecentArticles). Either 0 turns the check off.
  absl::Duration conflict_window = absl::Minutes(10);
  size_t conflict_window_articles = 100000;
};

// Checks the bearer token of a call. An empty token disables the check.
class Authorizer {
 public:
  explicit Authorizer(std::string token = "") : token_(std::move(token)) {}
  // OK, or UNAUTHENTICATED saying whether the token is missing or wrong.
  grpc::Status Check(const grpc::CallbackServerContext& context) const;

 private:
  std::string token_;
};

struct ServiceEnv {
  ServiceLimits limits;
  Authorizer authorizer;
  TaxonomyHolder taxonomy;
  ServiceMetrics metrics;
  SubscriptionHub hub;
  StreamRegistry tag_streams;
  StreamRegistry subscriptions;
  std::unique_ptr<WorkerPool> pool;
  std::unique_ptr<TaxonomyManager> taxonomy_manager;
  // Identities of recently accepted articles (conflicts); null when off.
  std::unique_ptr<RecentArticles> recent_articles;
  // Publishes results to NATS JetStream (--nats_url); null when not set.
  std::unique_ptr<NatsPublisher> publisher;
  // Answer an article only once the broker has stored its result
  // (--nats_ack=wait); otherwise once its publish is queued.
  bool wait_for_broker = true;

  // Set when shutdown begins: new calls are refused with UNAVAILABLE.
  std::atomic<bool> draining{false};
  // Unary Tag calls submitted to the pool and not yet finished.
  std::atomic<int> unary_in_flight{0};

  // Whether a call brings articles to tag (Tag, TagStream) or not
  // (Subscribe): only the former wait for the broker their results go to.
  enum class Call { kBringsArticles, kOther };

  // Admission() for a streaming call, which also takes one of the
  // max_streams slots (RESOURCE_EXHAUSTED if none is free). On OK the caller
  // must ReleaseStreamSlot() when the call is done.
  grpc::Status AdmitStream(const grpc::CallbackServerContext& context, Call call);
  void ReleaseStreamSlot();

  // The status for a call that arrives when no new work is taken (shutdown)
  // or cannot be served yet (no taxonomy; for kBringsArticles, a NATS broker
  // that cannot take results now); OK otherwise.
  grpc::Status Admission(const grpc::CallbackServerContext& context, Call call) const;

 private:
  std::atomic<int> open_streams_{0};
};

// The gRPC status with the same code and message as `status`.
grpc::Status ToGrpcStatus(const absl::Status& status);

}  // namespace tagwire

#endif  // TAGWIRE_SERVICE_SERVICE_ENV_H_
