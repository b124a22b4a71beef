// NatsPublisher: publishes tagged articles to a NATS JetStream stream, and
// says when the broker has stored each one.
//
//   NatsPublisherConfig config;
//   config.url = "nats://127.0.0.1:4222";
//   config.subject = "tagwire.tagged";
//   config.stream = "TAGWIRE_TAGGED";           // created if missing
//   auto publisher = NatsPublisher::Create(config);
//   (*publisher)->Publish(tagged_article, [](absl::Status status) {
//     // OK: the broker acknowledged (PubAck); the article is stored once.
//   });
//   (*publisher)->Shutdown(absl::Seconds(5));
//
// Articles that could not be tagged go to `dead_letter_subject` as a
// v1::DeadLetter (PublishDeadLetter), with the same guarantees.
//
// Delivery: every message carries `Nats-Msg-Id: source:id:version`, so the
// broker stores an article once even when a publish is retried (within the
// stream's duplicate window). A publish that is not acknowledged within
// `ack_wait` (broker down, restarting, slow) is sent again with the same id,
// for as long as the publisher runs: `done` is called with OK after the
// PubAck, or with CANCELLED if the publisher shuts down first. Nothing is
// dropped silently. The stream's order follows the publish order except
// around retries (a publish sent before the stream existed, or while the
// broker was away, is stored when its retry gets through).
//
// Back-pressure: at most `max_pending` publishes await their PubAck. Publish
// blocks while that many are pending, up to `publish_wait`; after that it
// calls `done` with UNAVAILABLE at once (the caller decides: retry later, or
// fail the article). So a broker outage stalls the threads that publish
// instead of growing memory.
//
// Starting does not need the broker: the connection is retried in the
// background (and after any disconnect) forever; Connected() says whether it
// is up now.
#ifndef TAGWIRE_SERVICE_NATS_PUBLISHER_H_
#define TAGWIRE_SERVICE_NATS_PUBLISHER_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "tagwire/v1/error.pb.h"
#include "tagwire/v1/tagging.pb.h"

// The NATS C client's types, kept out of this header's users.
struct __natsConnection;
struct __jsCtx;
struct __natsMsg;

namespace tagwire {

struct NatsAckGate;  // nats_publisher.cc

struct NatsPublisherConfig {
  // The broker, e.g. "nats://127.0.0.1:4222" (comma-separated for a cluster).
  std::string url;
  // The subject every tagged article is published to.
  std::string subject = "tagwire.tagged";
  // Where articles that could not be tagged are published (a v1::DeadLetter
  // each); empty disables PublishDeadLetter.
  std::string dead_letter_subject = "tagwire.dead";
  // The JetStream stream that stores `subject` and `dead_letter_subject`.
  // When not empty it is created (file storage, `duplicate_window`) if it does
  // not exist yet, and given the subjects it lacks if it does.
  std::string stream = "TAGWIRE_TAGGED";
  absl::Duration duplicate_window = absl::Minutes(2);
  // Payload: the TaggedArticle as protobuf bytes (default) or proto3 JSON.
  bool json = false;
  // Publishes awaiting their PubAck, at most.
  int max_pending = 1024;
  // How long Publish waits for room among the pending publishes.
  absl::Duration publish_wait = absl::Seconds(30);
  // How long one attempt waits for its PubAck before it is sent again.
  absl::Duration ack_wait = absl::Seconds(2);
};

// Counters, for metrics and tests.
struct NatsPublisherStats {
  uint64_t published = 0;   // acknowledged by the broker
  uint64_t duplicates = 0;  // acknowledged as a duplicate of a stored message
  uint64_t dead_letters = 0;  // dead letters acknowledged (also in published)
  uint64_t retries = 0;     // attempts sent again after a failure or timeout
  uint64_t pending = 0;     // awaiting a PubAck now
  bool connected = false;
};

// Thread contract: every method is thread-safe. `done` callbacks run on a
// NATS library thread (or the caller's thread when Publish fails at once),
// never while the publisher holds its lock; they must not block for long.
class NatsPublisher {
 public:
  using Done = absl::AnyInvocable<void(absl::Status) &&>;

  // Starts a publisher; fails only on an invalid configuration (the broker
  // need not be up).
  static absl::StatusOr<std::unique_ptr<NatsPublisher>> Create(NatsPublisherConfig config);

  ~NatsPublisher();  // Shutdown(absl::ZeroDuration()), then disconnects
  NatsPublisher(const NatsPublisher&) = delete;
  NatsPublisher& operator=(const NatsPublisher&) = delete;

  // Publishes `tagged`; `done` runs exactly once (see the top of the file).
  // A result larger than the broker's max_payload fails at once with
  // RESOURCE_EXHAUSTED.
  void Publish(const v1::TaggedArticle& tagged, Done done);

  // Publishes `letter` to the dead-letter subject, with the message id
  // "dead:source:id:version"; `done` as for Publish. If the article makes the
  // message too large for the broker it is left out (article_omitted).
  void PublishDeadLetter(v1::DeadLetter letter, Done done);

  // Whether the connection to the broker is up now.
  bool Connected() const;

  // Whether publishes can be stored now: connected, and the stream exists.
  // False from a failed publish until the stream is seen again.
  bool Ready() const;

  NatsPublisherStats Stats() const;

  // Stops taking publishes, waits up to `wait` for the pending ones to be
  // acknowledged, then ends the others with CANCELLED. Publish afterwards
  // ends at once with CANCELLED; the connection closes in the destructor.
  void Shutdown(absl::Duration wait);

  // The message id an article is published with: "source:id:version".
  static std::string MessageId(const v1::TaggedArticle& tagged);

 private:
  struct Pending {
    Done done;
    std::string message_id;
    bool dead_letter = false;
  };

  explicit NatsPublisher(NatsPublisherConfig config);
  absl::Status Start();
  void Maintain();  // background thread: creates the stream, resends
  bool EnsureStream();
  // Builds a message for `subject` with `headers` (name, value pairs).
  absl::StatusOr<__natsMsg*> NewMessage(
      const std::string& subject, const std::string& payload,
      const std::vector<std::pair<const char*, std::string>>& headers) const;
  // Registers `message` as pending (waiting for room) and sends it; takes
  // ownership of it. `done` runs exactly once.
  void Enqueue(__natsMsg* message, std::string message_id, bool dead_letter, Done done);
  int Send(__natsMsg** message, const std::string& message_id);  // a natsStatus
  enum class AckOutcome { kStored, kRetry, kRejected };
  // An attempt's outcome: stored, worth sending again (timeout, no stream),
  // or refused by the broker for good. `stream_gone` makes the maintainer
  // look for (and make) the stream again.
  void OnAck(__natsMsg* message, AckOutcome outcome, bool duplicate, std::string error,
             bool stream_gone = false);
  // Ends a pending publish with `status` (a permanent failure).
  void FailPending(__natsMsg* message, absl::Status status);

  friend struct NatsCallbacks;  // the C callbacks, in nats_publisher.cc

  const NatsPublisherConfig config_;
  __natsConnection* connection_ = nullptr;
  __jsCtx* js_ = nullptr;
  std::thread maintainer_;
  NatsAckGate* const ack_gate_;  // never freed: see NatsAckGate

  mutable absl::Mutex mutex_;
  std::unordered_map<__natsMsg*, Pending> pending_ ABSL_GUARDED_BY(mutex_);
  // Messages to send again (a resend that failed at once); owned here.
  std::deque<__natsMsg*> resend_ ABSL_GUARDED_BY(mutex_);
  bool stopping_ ABSL_GUARDED_BY(mutex_) = false;
  bool shut_down_ ABSL_GUARDED_BY(mutex_) = false;
  int sending_ ABSL_GUARDED_BY(mutex_) = 0;  // Enqueue calls inside Send

  std::atomic<uint64_t> published_{0};
  std::atomic<uint64_t> duplicates_{0};
  std::atomic<uint64_t> retries_{0};
  std::atomic<uint64_t> dead_letters_{0};
  std::atomic<bool> stream_seen_{false};  // Ready() without the lock
};

}  // namespace tagwire

#endif  // TAGWIRE_SERVICE_NATS_PUBLISHER_H_
