#include "service/nats_publisher.h"

#include <nats/nats.h>

#include <algorithm>
#include <set>
#include <utility>
#include <vector>

#include "core/status_macros.h"
#include "core/strings.h"
#include "service/nats_connect.h"
#include "service/log.h"
#include "service/proto_convert.h"

namespace tagwire {
namespace {

// Room left in a message for its headers, below the broker's max_payload.
constexpr int64_t kHeaderRoom = 4096;

// A publish the library refuses this way will be refused every time.
bool IsPermanent(natsStatus status) {
  return status == NATS_MAX_PAYLOAD || status == NATS_INVALID_ARG;
}

absl::Status PermanentError(natsStatus status) {
  if (status == NATS_MAX_PAYLOAD) {
    return absl::ResourceExhaustedError("the message is larger than the broker's max_payload");
  }
  return absl::InternalError(StrCat("NATS publish: ", NatsErrorText(status)));
}

absl::Status ToStatus(natsStatus status, std::string_view what) {
  if (status == NATS_OK) return absl::OkStatus();
  return absl::UnavailableError(StrCat(what, ": ", NatsErrorText(status)));
}

// Names of the concept kinds an article has tags of, for routing headers.
std::string KindsHeader(const v1::TaggedArticle& tagged) {
  std::set<std::string> kinds;
  for (const v1::Tag& tag : tagged.tags()) {
    std::string name = v1::ConceptKind_Name(tag.kind());
    constexpr std::string_view kPrefix = "CONCEPT_KIND_";
    if (name.rfind(kPrefix, 0) == 0) name.erase(0, kPrefix.size());
    kinds.insert(std::move(name));
  }
  if (!tagged.topics().empty()) kinds.insert("TOPIC");
  std::string out;
  for (const std::string& kind : kinds) StrAppend(&out, out.empty() ? "" : ",", kind);
  return out;
}

// IPTC codes (or ids) of the article's three best topics.
std::string TopicsHeader(const v1::TaggedArticle& tagged) {
  std::string out;
  int count = 0;
  for (const v1::Topic& topic : tagged.topics()) {
    if (count++ == 3) break;
    StrAppend(&out, out.empty() ? "" : ",",
              topic.iptc_code().empty() ? topic.concept_id() : topic.iptc_code());
  }
  return out;
}

}  // namespace

// Where the library's acknowledgment callbacks find the publisher. The
// library may run a callback after jsCtx_Destroy returns (nats.h, on
// subscription completion), so the closure is this gate, never the
// publisher: the destructor empties it, and it is never freed (one per
// publisher; see RetireAckGate).
struct NatsAckGate {
  absl::Mutex mutex;
  NatsPublisher* publisher ABSL_GUARDED_BY(mutex) = nullptr;
};

namespace {

// Keeps emptied gates for the life of the process (reachable, so leak
// checkers stay quiet): 16 bytes per publisher ever made.
void RetireAckGate(NatsAckGate* gate) {
  static absl::Mutex mutex(absl::kConstInit);
  static auto* retired = new std::vector<NatsAckGate*>();
  absl::MutexLock lock(&mutex);
  retired->push_back(gate);
}

}  // namespace

// The NATS C client's callbacks, with access to the publisher.
struct NatsCallbacks {
  static void Ack(jsCtx*, natsMsg* message, jsPubAck* ack, jsPubAckErr* error, void* closure) {
    auto* gate = static_cast<NatsAckGate*>(closure);
    absl::ReaderMutexLock lock(&gate->mutex);
    if (gate->publisher == nullptr) {  // shut down: nobody waits for it
      natsMsg_Destroy(message);
      return;
    }
    if (ack != nullptr) {
      gate->publisher->OnAck(message, NatsPublisher::AckOutcome::kStored, ack->Duplicate, "");
      return;
    }
    std::string text = error != nullptr && error->ErrText != nullptr
                           ? std::string(error->ErrText)
                           : (error != nullptr ? NatsErrorText(error->Err) : "no acknowledgment");
    // The broker answered with an error of its own (message too large, wrong
    // stream…): sending it again cannot help. Timeouts, no responders (no
    // stream for the subject yet, or a broker restarting) and a missing
    // stream are worth retrying.
    NatsPublisher::AckOutcome outcome = NatsPublisher::AckOutcome::kRetry;
    if (error != nullptr && error->ErrCode != 0 && error->ErrCode != JSStreamNotFoundErr) {
      outcome = NatsPublisher::AckOutcome::kRejected;
    }
    const bool stream_gone = error != nullptr && (error->Err == NATS_NO_RESPONDERS ||
                                                  error->ErrCode == JSStreamNotFoundErr);
    gate->publisher->OnAck(message, outcome, false, std::move(text), stream_gone);
  }
};

std::string NatsPublisher::MessageId(const v1::TaggedArticle& tagged) {
  return StrCat(tagged.source(), ":", tagged.id(), ":", tagged.version());
}

absl::StatusOr<std::unique_ptr<NatsPublisher>> NatsPublisher::Create(
    NatsPublisherConfig config) {
  if (config.url.empty()) return absl::InvalidArgumentError("NATS url is empty");
  if (config.subject.empty()) return absl::InvalidArgumentError("NATS subject is empty");
  if (config.max_pending < 1) {
    return absl::InvalidArgumentError("NATS max_pending must be at least 1");
  }
  std::unique_ptr<NatsPublisher> publisher(new NatsPublisher(std::move(config)));
  if (absl::Status status = publisher->Start(); !status.ok()) return status;
  return publisher;
}

NatsPublisher::NatsPublisher(NatsPublisherConfig config)
    : config_(std::move(config)), ack_gate_(new NatsAckGate), stream_seen_(config_.stream.empty()) {
  absl::MutexLock lock(&ack_gate_->mutex);
  ack_gate_->publisher = this;
}

absl::Status NatsPublisher::Start() {
  ASSIGN_OR_RETURN(connection_, ConnectNats(config_.url, "tagwired", /*log_events=*/true));
  jsOptions js_options;
  jsOptions_Init(&js_options);
  js_options.Wait = absl::ToInt64Milliseconds(config_.ack_wait);
  js_options.PublishAsync.AckHandler = &NatsCallbacks::Ack;
  js_options.PublishAsync.AckHandlerClosure = ack_gate_;
  // Our own bound (max_pending) applies before the library's; resends must
  // never stall inside the library's callback thread.
  js_options.PublishAsync.MaxPending = static_cast<int64_t>(config_.max_pending) * 4;
  const natsStatus status = natsConnection_JetStream(&js_, connection_, &js_options);
  if (status != NATS_OK) return ToStatus(status, "NATS JetStream context");
  maintainer_ = std::thread([this] { Maintain(); });
  return absl::OkStatus();
}

bool NatsPublisher::Connected() const {
  return connection_ != nullptr && natsConnection_Status(connection_) == NATS_CONN_STATUS_CONNECTED;
}

bool NatsPublisher::Ready() const { return Connected() && stream_seen_.load(); }

NatsPublisherStats NatsPublisher::Stats() const {
  NatsPublisherStats stats;
  stats.published = published_.load();
  stats.duplicates = duplicates_.load();
  stats.retries = retries_.load();
  stats.dead_letters = dead_letters_.load();
  {
    absl::MutexLock lock(&mutex_);
    stats.pending = pending_.size();
  }
  stats.connected = Connected();
  return stats;
}

absl::StatusOr<natsMsg*> NatsPublisher::NewMessage(
    const std::string& subject, const std::string& payload,
    const std::vector<std::pair<const char*, std::string>>& headers) const {
  natsMsg* message = nullptr;
  natsStatus status = natsMsg_Create(&message, subject.c_str(), nullptr, payload.data(),
                                     static_cast<int>(payload.size()));
  for (const auto& [name, value] : headers) {
    if (status != NATS_OK) break;
    if (!value.empty()) status = natsMsgHeader_Set(message, name, value.c_str());
  }
  if (status != NATS_OK) {
    natsMsg_Destroy(message);
    return absl::InternalError(StrCat("building the NATS message: ", NatsErrorText(status)));
  }
  return message;
}

void NatsPublisher::Publish(const v1::TaggedArticle& tagged, Done done) {
  std::string payload;
  if (config_.json) {
    absl::StatusOr<std::string> json = ToJson(tagged);
    if (!json.ok()) {
      std::move(done)(json.status());
      return;
    }
    payload = *std::move(json);
  } else if (!tagged.SerializeToString(&payload)) {
    std::move(done)(absl::InternalError("cannot serialize the tagged article"));
    return;
  }
  const int64_t max_payload = connection_ != nullptr ? natsConnection_GetMaxPayload(connection_) : 0;
  if (max_payload > 0 && static_cast<int64_t>(payload.size()) > max_payload - kHeaderRoom) {
    std::move(done)(absl::ResourceExhaustedError(
        StrCat("the tagged article (", payload.size(),
               " bytes) is larger than the broker's max_payload (", max_payload, ")")));
    return;
  }
  absl::StatusOr<natsMsg*> message = NewMessage(
      config_.subject, payload,
      {{"Tagwire-Kinds", KindsHeader(tagged)},
       {"Tagwire-Topics", TopicsHeader(tagged)},
       {"Tagwire-Taxonomy-Version", tagged.taxonomy_version()},
       {"Content-Type", config_.json ? "application/json" : "application/protobuf"}});
  if (!message.ok()) {
    std::move(done)(message.status());
    return;
  }
  Enqueue(*message, MessageId(tagged), /*dead_letter=*/false, std::move(done));
}

void NatsPublisher::PublishDeadLetter(v1::DeadLetter letter, Done done) {
  if (config_.dead_letter_subject.empty()) {
    std::move(done)(absl::FailedPreconditionError("no dead-letter subject is configured"));
    return;
  }
  const int64_t max_payload = connection_ != nullptr ? natsConnection_GetMaxPayload(connection_) : 0;
  // Before the first connection the broker's limit is unknown: NATS's default.
  const int64_t limit = (max_payload > 0 ? max_payload : int64_t{1} << 20) - kHeaderRoom;
  const auto serialize = [&]() -> absl::StatusOr<std::string> {
    if (config_.json) return ToJson(letter);
    return letter.SerializeAsString();
  };
  absl::StatusOr<std::string> payload = serialize();
  if (payload.ok() && static_cast<int64_t>(payload->size()) > limit) {
    letter.clear_article();
    letter.set_article_omitted(true);
    payload = serialize();
  }
  if (!payload.ok()) {
    std::move(done)(payload.status());
    return;
  }
  absl::StatusOr<natsMsg*> message = NewMessage(
      config_.dead_letter_subject, *payload,
      {{"Tagwire-Error-Reason", v1::ErrorReason_Name(letter.error().reason())},
       {"Content-Type", config_.json ? "application/json" : "application/protobuf"}});
  if (!message.ok()) {
    std::move(done)(message.status());
    return;
  }
  Enqueue(*message, StrCat("dead:", letter.source(), ":", letter.id(), ":", letter.version()),
          /*dead_letter=*/true, std::move(done));
}

void NatsPublisher::Enqueue(natsMsg* message, std::string message_id, bool dead_letter,
                            Done done) {
  absl::Status refused;
  {
    absl::MutexLock lock(&mutex_);
    const auto has_room = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
      return stopping_ || static_cast<int>(pending_.size()) < config_.max_pending;
    };
    const bool room = mutex_.AwaitWithTimeout(absl::Condition(&has_room), config_.publish_wait);
    if (stopping_) {
      refused = absl::CancelledError("the NATS publisher is shutting down");
    } else if (!room) {
      refused = absl::UnavailableError(
          StrCat("the NATS broker has not acknowledged ", config_.max_pending, " publishes for ",
                 absl::FormatDuration(config_.publish_wait)));
    } else {
      // Registered before sending: the acknowledgment can come at once.
      pending_.emplace(message, Pending{std::move(done), message_id, dead_letter});
      ++sending_;  // Shutdown waits for this Send before taking messages back
    }
  }
  if (!refused.ok()) {
    natsMsg_Destroy(message);
    std::move(done)(std::move(refused));
    return;
  }
  natsMsg* to_send = message;
  const auto sent = static_cast<natsStatus>(Send(&to_send, message_id));
  {
    absl::MutexLock lock(&mutex_);
    --sending_;
    // Not taken by the library (not connected yet, its buffer full): keep it
    // and let the maintainer send it again.
    if (sent != NATS_OK && !IsPermanent(sent)) resend_.push_back(message);
  }
  if (IsPermanent(sent)) FailPending(message, PermanentError(sent));
}

int NatsPublisher::Send(natsMsg** message, const std::string& message_id) {
  jsPubOptions options;
  jsPubOptions_Init(&options);
  options.MsgId = message_id.c_str();
  options.MaxWait = absl::ToInt64Milliseconds(config_.ack_wait);
  if (!config_.stream.empty()) options.ExpectStream = config_.stream.c_str();
  return js_PublishMsgAsync(js_, message, &options);
}

void NatsPublisher::OnAck(natsMsg* message, AckOutcome outcome, bool duplicate,
                          std::string error, bool stream_gone) {
  if (outcome == AckOutcome::kRetry) {
    // Not stored (or not known to be): send it again with the same id, from
    // the maintainer thread, never from the library's callback thread. If the
    // stream is missing, it is looked for (and made) again first.
    if (stream_gone) stream_seen_.store(config_.stream.empty());
    absl::MutexLock lock(&mutex_);
    if (!stopping_ && pending_.count(message) != 0) {
      retries_.fetch_add(1, std::memory_order_relaxed);
      resend_.push_back(message);
      return;
    }
  }
  Done done;
  bool dead_letter = false;
  {
    absl::MutexLock lock(&mutex_);
    auto found = pending_.find(message);
    if (found == pending_.end()) {
      natsMsg_Destroy(message);
      return;
    }
    done = std::move(found->second.done);
    dead_letter = found->second.dead_letter;
    pending_.erase(found);
  }
  natsMsg_Destroy(message);
  switch (outcome) {
    case AckOutcome::kStored:
      (duplicate ? duplicates_ : published_).fetch_add(1, std::memory_order_relaxed);
      if (dead_letter) dead_letters_.fetch_add(1, std::memory_order_relaxed);
      std::move(done)(absl::OkStatus());
      break;
    case AckOutcome::kRejected:
      LogError("nats_publish_rejected").Add("error", error);
      std::move(done)(absl::FailedPreconditionError(StrCat("the NATS broker refused it: ", error)));
      break;
    case AckOutcome::kRetry:  // shutting down
      std::move(done)(absl::CancelledError(StrCat("NATS publish abandoned at shutdown: ", error)));
      break;
  }
}

void NatsPublisher::FailPending(natsMsg* message, absl::Status status) {
  Done done;
  {
    absl::MutexLock lock(&mutex_);
    auto found = pending_.find(message);
    if (found == pending_.end()) return;
    done = std::move(found->second.done);
    pending_.erase(found);
  }
  natsMsg_Destroy(message);
  std::move(done)(std::move(status));
}

bool NatsPublisher::EnsureStream() {
  std::vector<const char*> subjects = {config_.subject.c_str()};
  if (!config_.dead_letter_subject.empty()) subjects.push_back(config_.dead_letter_subject.c_str());
  jsStreamInfo* info = nullptr;
  jsErrCode error = static_cast<jsErrCode>(0);
  natsStatus status = js_GetStreamInfo(&info, js_, config_.stream.c_str(), nullptr, &error);
  if (status == NATS_NOT_FOUND) {
    jsStreamConfig stream;
    jsStreamConfig_Init(&stream);
    stream.Name = config_.stream.c_str();
    stream.Subjects = subjects.data();
    stream.SubjectsLen = static_cast<int>(subjects.size());
    stream.Storage = js_FileStorage;
    stream.Duplicates = absl::ToInt64Nanoseconds(config_.duplicate_window);
    status = js_AddStream(&info, js_, &stream, nullptr, &error);
    if (status == NATS_OK) {
      LogInfo("nats_stream_created").Add("stream", config_.stream).Add("subject", config_.subject);
    }
  } else if (status == NATS_OK) {
    // An existing stream (made by an operator, or by an older configuration)
    // must also hold the subjects we publish to, or every publish would fail.
    jsStreamConfig* existing = info->Config;
    std::vector<const char*> all(existing->Subjects, existing->Subjects + existing->SubjectsLen);
    const size_t had = all.size();
    for (const char* subject : subjects) {
      if (std::none_of(all.begin(), all.begin() + had,
                       [&](const char* s) { return std::string_view(s) == subject; })) {
        all.push_back(subject);
      }
    }
    if (all.size() != had) {
      const char** own_subjects = existing->Subjects;
      const int own_length = existing->SubjectsLen;
      existing->Subjects = all.data();
      existing->SubjectsLen = static_cast<int>(all.size());
      jsStreamInfo* updated = nullptr;
      status = js_UpdateStream(&updated, js_, existing, nullptr, &error);
      // Give the library back its own array, which jsStreamInfo_Destroy frees.
      existing->Subjects = own_subjects;
      existing->SubjectsLen = own_length;
      jsStreamInfo_Destroy(updated);
      if (status == NATS_OK) LogInfo("nats_stream_updated").Add("stream", config_.stream);
    }
  }
  if (status != NATS_OK && status != NATS_NOT_FOUND) {
    LogWarning("nats_stream_unavailable")
        .Add("stream", config_.stream)
        .Add("error", NatsErrorText(status, error));
  }
  jsStreamInfo_Destroy(info);
  return status == NATS_OK;
}

void NatsPublisher::Maintain() {
  while (true) {
    bool need_stream = false;
    std::vector<natsMsg*> resend;
    {
      absl::MutexLock lock(&mutex_);
      const auto has_work = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
        return stopping_ || !resend_.empty();
      };
      mutex_.AwaitWithTimeout(absl::Condition(&has_work), absl::Milliseconds(250));
      if (stopping_) return;
      need_stream = !stream_seen_.load();
      resend.assign(resend_.begin(), resend_.end());
      resend_.clear();
    }
    if (need_stream && Connected() && EnsureStream()) stream_seen_.store(true);
    if (!Connected()) {
      // Sent now, they would only pile up in the library's reconnect
      // buffer, again at every timeout: keep them until the broker is back.
      absl::MutexLock lock(&mutex_);
      resend_.insert(resend_.begin(), resend.begin(), resend.end());
      continue;
    }
    for (size_t i = 0; i < resend.size(); ++i) {
      natsMsg* message = resend[i];
      std::string message_id;
      {
        absl::MutexLock lock(&mutex_);
        auto found = pending_.find(message);
        if (found == pending_.end()) {
          natsMsg_Destroy(message);
          continue;
        }
        message_id = found->second.message_id;
      }
      natsMsg* to_send = message;
      const auto sent = static_cast<natsStatus>(Send(&to_send, message_id));
      if (IsPermanent(sent)) {
        FailPending(message, PermanentError(sent));
      } else if (sent != NATS_OK) {
        // Still not taken (e.g. the library's buffer is full): try again on
        // the next round, in order.
        absl::MutexLock lock(&mutex_);
        resend_.insert(resend_.begin(), resend.begin() + i, resend.end());
        break;
      }
    }
  }
}

void NatsPublisher::Shutdown(absl::Duration wait) {
  {
    absl::MutexLock lock(&mutex_);
    if (shut_down_) return;
    const auto drained = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
      return pending_.empty();
    };
    mutex_.AwaitWithTimeout(absl::Condition(&drained), wait);
    stopping_ = true;  // Enqueue refuses from now on
    const auto not_sending = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
      return sending_ == 0;
    };
    mutex_.Await(absl::Condition(&not_sending));
    shut_down_ = true;
  }
  if (maintainer_.joinable()) maintainer_.join();
  // Take back what the library still holds, so that every `done` runs.
  if (js_ != nullptr) {
    natsMsgList unacknowledged{};
    if (js_PublishAsyncGetPendingList(&unacknowledged, js_) == NATS_OK) {
      natsMsgList_Destroy(&unacknowledged);
    }
  }
  std::vector<Pending> abandoned;
  {
    absl::MutexLock lock(&mutex_);
    for (auto& [message, pending] : pending_) abandoned.push_back(std::move(pending));
    pending_.clear();
    for (natsMsg* message : resend_) natsMsg_Destroy(message);
    resend_.clear();
  }
  for (Pending& pending : abandoned) {
    std::move(pending.done)(absl::CancelledError("the NATS publisher shut down first"));
  }
}

NatsPublisher::~NatsPublisher() {
  Shutdown(absl::ZeroDuration());
  // Only now, with no caller left (the owner's contract), do the connection
  // and the JetStream context go; a late acknowledgment finds the gate empty.
  if (js_ != nullptr) jsCtx_Destroy(js_);
  {
    absl::MutexLock lock(&ack_gate_->mutex);
    ack_gate_->publisher = nullptr;
  }
  if (connection_ != nullptr) natsConnection_Destroy(connection_);
  RetireAckGate(ack_gate_);
}

}  // namespace tagwire
