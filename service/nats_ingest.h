// NatsIngest: tagwired's ingest mode. Articles come from a NATS JetStream
// work-queue stream through a durable pull consumer, are tagged on the worker
// pool, and their results are published (NatsPublisher); an input message is
// acknowledged only after its output's PubAck.
//
// Scale-out: every tagwired started with the same stream and consumer name
// pulls from the same consumer, so the broker shares the articles among
// them. A process that dies leaves its fetched articles unacknowledged; the
// broker delivers them again after `ack_wait`, to whichever replica pulls
// next. Their results are published with the same Nats-Msg-Id as before, so
// the output stream stores each article once (within its duplicate window).
//
// Input: a tagwire.v1.Article per message, as protobuf bytes, or as proto3
// JSON when the message has the header `Content-Type: application/json`. A
// message that is neither, or an article that cannot be tagged, goes to the
// dead-letter subject (v1::DeadLetter) and is acknowledged; so does one whose
// result the broker can never take (too large), with NOT_DELIVERED.
//
// Thread contract: Create, Stop and the destructor from one thread; Stats
// from any. The fetch loop runs on its own thread.
#ifndef TAGWIRE_SERVICE_NATS_INGEST_H_
#define TAGWIRE_SERVICE_NATS_INGEST_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "service/service_env.h"

struct __natsConnection;
struct __jsCtx;
struct __natsSubscription;
struct __natsMsg;

namespace tagwire {

struct NatsIngestConfig {
  // The broker; the same as the publisher's in tagwired.
  std::string url;
  // The subject articles are sent to, e.g. "tagwire.articles"; empty turns
  // ingest off.
  std::string subject;
  // The work-queue stream holding `subject`; created if missing.
  std::string stream = "TAGWIRE_ARTICLES";
  // The durable pull consumer every replica shares.
  std::string consumer = "tagwired";
  // Articles fetched and not yet acknowledged, at most, per process.
  int max_in_flight = 256;
  // How long the broker waits for an acknowledgment before delivering an
  // article again (to any replica): the recovery time after a crash.
  absl::Duration ack_wait = absl::Seconds(30);
};

struct NatsIngestStats {
  uint64_t received = 0;      // messages fetched (including redeliveries)
  uint64_t acknowledged = 0;  // done: result or dead letter stored
  uint64_t dead_letters = 0;  // of those, sent to the dead-letter subject
  uint64_t redeliveries = 0;  // fetched messages the broker had delivered before
  uint64_t dropped = 0;       // could not be stored even as a dead letter (logged)
  uint64_t in_flight = 0;
};

class NatsIngest {
 public:
  // Starts pulling at once (the broker need not be up: the loop waits for
  // it). `env` must have a publisher and outlive this object.
  static absl::StatusOr<std::unique_ptr<NatsIngest>> Create(NatsIngestConfig config,
                                                            ServiceEnv* env);
  ~NatsIngest();  // Stop(absl::ZeroDuration()) if not done yet
  NatsIngest(const NatsIngest&) = delete;
  NatsIngest& operator=(const NatsIngest&) = delete;

  // Stops fetching, waits up to `wait` for the articles in flight to be
  // acknowledged, and disconnects. Articles not acknowledged by then are
  // delivered again by the broker, to this or another replica.
  void Stop(absl::Duration wait);

  NatsIngestStats Stats() const;

 private:
  NatsIngest(NatsIngestConfig config, ServiceEnv* env);
  absl::Status Connect();
  void Run();  // the fetch loop
  bool Subscribe();
  void Handle(__natsMsg* message);
  // Acknowledges `message` once its outcome is stored (then hands `tagged`,
  // null for a dead letter, to subscribers), or has it delivered again.
  void Finish(__natsMsg* message, const absl::Status& delivered,
              const std::shared_ptr<v1::TaggedArticle>& tagged);

  const NatsIngestConfig config_;
  ServiceEnv* const env_;
  const absl::StatusOr<TagOptions> options_;  // the server's defaults, for every article
  __natsConnection* connection_ = nullptr;
  __jsCtx* js_ = nullptr;
  __natsSubscription* subscription_ = nullptr;  // only the fetch thread touches it
  // Subscriptions replaced after their consumer vanished; their messages'
  // acks still use them, so they live until the destructor.
  std::vector<__natsSubscription*> retired_;
  std::thread fetcher_;

  mutable absl::Mutex mutex_;
  int in_flight_ ABSL_GUARDED_BY(mutex_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mutex_) = false;

  std::atomic<uint64_t> received_{0};
  std::atomic<uint64_t> acknowledged_{0};
  std::atomic<uint64_t> dead_letters_{0};
  std::atomic<uint64_t> redeliveries_{0};
  std::atomic<uint64_t> dropped_{0};
};

}  // namespace tagwire

#endif  // TAGWIRE_SERVICE_NATS_INGEST_H_
