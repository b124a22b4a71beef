#include "service/nats_ingest.h"

#include <nats/nats.h>

#include <algorithm>
#include <string>
#include <utility>

#include "absl/time/clock.h"
#include "core/status_macros.h"
#include "core/strings.h"
#include "google/protobuf/util/json_util.h"
#include "service/article_pipeline.h"
#include "service/log.h"
#include "service/nats_connect.h"
#include "service/proto_convert.h"

namespace tagwire {
namespace {

// Articles asked for in one fetch, at most; a fetch waits this long for them.
constexpr int kFetchBatch = 64;
constexpr int64_t kFetchWaitMs = 500;
// How soon an article whose result could not be stored is delivered again.
constexpr int64_t kNakDelayMs = 1000;

// Decodes the article a broker message carries; false if it carries none.
bool DecodeArticle(natsMsg* message, v1::Article* article) {
  const char* data = natsMsg_GetData(message);
  const int length = natsMsg_GetDataLength(message);
  const char* content_type = nullptr;
  if (natsMsgHeader_Get(message, "Content-Type", &content_type) == NATS_OK &&
      content_type != nullptr && std::string_view(content_type) == "application/json") {
    google::protobuf::util::JsonParseOptions options;
    options.ignore_unknown_fields = true;
    return google::protobuf::util::JsonStringToMessage(
               std::string(data == nullptr ? "" : data, static_cast<size_t>(length)), article,
               options)
        .ok();
  }
  return article->ParseFromArray(data, length);
}

// Whether a delivery failure will recur however often it is retried (not a
// broker outage or a shutdown).
bool IsPermanent(const absl::Status& status) {
  return status.code() == absl::StatusCode::kResourceExhausted ||
         status.code() == absl::StatusCode::kFailedPrecondition ||
         status.code() == absl::StatusCode::kInternal;
}

}  // namespace

absl::StatusOr<std::unique_ptr<NatsIngest>> NatsIngest::Create(NatsIngestConfig config,
                                                               ServiceEnv* env) {
  if (env->publisher == nullptr) {
    return absl::InvalidArgumentError("ingest needs a broker to publish to: set --nats_url");
  }
  if (config.subject.empty() || config.stream.empty() || config.consumer.empty()) {
    return absl::InvalidArgumentError("ingest needs a subject, a stream and a consumer name");
  }
  if (config.max_in_flight < 1) {
    return absl::InvalidArgumentError("--ingest_max_in_flight must be at least 1");
  }
  std::unique_ptr<NatsIngest> ingest(new NatsIngest(std::move(config), env));
  if (absl::Status status = ingest->Connect(); !status.ok()) return status;
  ingest->fetcher_ = std::thread([raw = ingest.get()] { raw->Run(); });
  return ingest;
}

NatsIngest::NatsIngest(NatsIngestConfig config, ServiceEnv* env)
    : config_(std::move(config)), env_(env), options_(TagOptionsFromProto(v1::TagOptions())) {}

absl::Status NatsIngest::Connect() {
  ASSIGN_OR_RETURN(connection_, ConnectNats(config_.url, "tagwired-ingest", /*log_events=*/false));
  if (const natsStatus status = natsConnection_JetStream(&js_, connection_, nullptr);
      status != NATS_OK) {
    return absl::InvalidArgumentError(
        StrCat("NATS ingest JetStream context: ", NatsErrorText(status)));
  }
  return absl::OkStatus();
}

bool NatsIngest::Subscribe() {
  jsErrCode error = static_cast<jsErrCode>(0);
  jsStreamInfo* info = nullptr;
  natsStatus status = js_GetStreamInfo(&info, js_, config_.stream.c_str(), nullptr, &error);
  if (status == NATS_NOT_FOUND) {
    jsStreamConfig stream;
    jsStreamConfig_Init(&stream);
    const char* subjects[] = {config_.subject.c_str()};
    stream.Name = config_.stream.c_str();
    stream.Subjects = subjects;
    stream.SubjectsLen = 1;
    stream.Retention = js_WorkQueuePolicy;  // an article leaves the stream once acknowledged
    stream.Storage = js_FileStorage;
    status = js_AddStream(&info, js_, &stream, nullptr, &error);
    if (status == NATS_OK) {
      LogInfo("nats_stream_created").Add("stream", config_.stream).Add("subject", config_.subject);
    } else {
      // Another replica may have created it at the same moment.
      status = js_GetStreamInfo(&info, js_, config_.stream.c_str(), nullptr, &error);
    }
  }
  jsStreamInfo_Destroy(info);
  if (status != NATS_OK) return false;

  jsSubOptions options;
  jsSubOptions_Init(&options);
  options.Stream = config_.stream.c_str();
  options.Config.AckPolicy = js_AckExplicit;
  options.Config.AckWait = absl::ToInt64Nanoseconds(config_.ack_wait);
  options.Config.MaxAckPending = -1;  // each replica bounds itself (max_in_flight)
  status = js_PullSubscribe(&subscription_, js_, config_.subject.c_str(),
                            config_.consumer.c_str(), nullptr, &options, &error);
  if (status != NATS_OK) {
    LogWarning("nats_ingest_subscribe_failed")
        .Add("consumer", config_.consumer)
        .Add("error", NatsErrorText(status, error));
    subscription_ = nullptr;
    return false;
  }
  LogInfo("nats_ingest_started")
      .Add("stream", config_.stream)
      .Add("subject", config_.subject)
      .Add("consumer", config_.consumer);
  return true;
}

void NatsIngest::Run() {
  while (true) {
    int room = 0;
    {
      absl::MutexLock lock(&mutex_);
      const auto can_fetch = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
        return stopping_ || in_flight_ < config_.max_in_flight;
      };
      mutex_.AwaitWithTimeout(absl::Condition(&can_fetch), absl::Milliseconds(250));
      if (stopping_) break;
      room = config_.max_in_flight - in_flight_;
    }
    if (room <= 0) continue;
    // Pull only what can be tagged and published now: a fetched article
    // waiting on a broker outage only delays its redelivery elsewhere.
    const bool ready = env_->taxonomy.Get() != nullptr && env_->publisher->Ready() &&
                       natsConnection_Status(connection_) == NATS_CONN_STATUS_CONNECTED;
    if (!ready || (subscription_ == nullptr && !Subscribe())) {
      absl::SleepFor(absl::Milliseconds(200));
      continue;
    }
    natsMsgList list{};
    jsErrCode error = static_cast<jsErrCode>(0);
    const natsStatus status = natsSubscription_Fetch(&list, subscription_, std::min(room, kFetchBatch),
                                                     kFetchWaitMs, &error);
    if (status == NATS_OK) {
      for (int i = 0; i < list.Count; ++i) {
        natsMsg* message = list.Msgs[i];
        list.Msgs[i] = nullptr;  // ours now, not the list's
        Handle(message);
      }
    } else if (status != NATS_TIMEOUT) {
      LogWarning("nats_ingest_fetch_failed").Add("error", NatsErrorText(status));
      if (error == JSConsumerNotFoundErr) {
        // Deleted under us: make it again. Messages fetched through the old
        // subscription still need it for their acks, so it is kept.
        retired_.push_back(subscription_);
        subscription_ = nullptr;
      }
      absl::SleepFor(absl::Milliseconds(200));
    }
    natsMsgList_Destroy(&list);
  }
}

void NatsIngest::Handle(natsMsg* message) {
  received_.fetch_add(1, std::memory_order_relaxed);
  jsMsgMetaData* meta = nullptr;
  uint64_t sequence = 0;
  if (natsMsg_GetMetaData(&meta, message) == NATS_OK) {
    if (meta->NumDelivered > 1) redeliveries_.fetch_add(1, std::memory_order_relaxed);
    sequence = meta->Sequence.Stream;
    jsMsgMetaData_Destroy(meta);
  }
  {
    absl::MutexLock lock(&mutex_);
    ++in_flight_;
  }
  const absl::Time arrival = absl::Now();
  env_->pool->Submit([this, message, sequence, arrival](Tagger& tagger) {
    v1::Article article;
    if (!DecodeArticle(message, &article)) {
      v1::DeadLetter letter;
      letter.set_id(StrCat(config_.stream, ":", sequence));
      *letter.mutable_error() = MakeArticleError(
          v1::ERROR_REASON_UNDECODABLE, absl::StatusCode::kInvalidArgument,
          StrCat("message ", sequence, " of stream ", config_.stream,
                 " is not a tagwire.v1.Article (protobuf, or JSON with Content-Type: "
                 "application/json)"));
      letter.set_article_omitted(true);
      env_->publisher->PublishDeadLetter(std::move(letter), [this, message](absl::Status status) {
        Finish(message, status, nullptr);
      });
      return;
    }
    auto tagged = std::make_shared<v1::TaggedArticle>();
    std::optional<v1::ArticleError> error =
        TagArticle(*env_, tagger, env_->taxonomy.Get(), article, options_, arrival, tagged.get());
    if (error) tagged.reset();
    auto input = std::make_shared<v1::Article>(std::move(article));
    Deliver(*env_, *input, tagged.get(), error ? &*error : nullptr, /*wait_for_ack=*/true,
            [this, message, tagged, input](absl::Status status) {
              if (tagged != nullptr && IsPermanent(status)) {
                // The result can never be stored (too large for the broker):
                // record the article as a dead letter instead of retrying.
                env_->publisher->PublishDeadLetter(
                    MakeDeadLetter(*input, NotDeliveredError(*env_, *input, status)),
                    [this, message](absl::Status dead) { Finish(message, dead, nullptr); });
                return;
              }
              Finish(message, status, tagged);
            });
  });
}

void NatsIngest::Finish(natsMsg* message, const absl::Status& delivered,
                        const std::shared_ptr<v1::TaggedArticle>& tagged) {
  if (delivered.ok()) {
    // Stored downstream: only now may the broker forget the input.
    natsMsg_Ack(message, nullptr);
    acknowledged_.fetch_add(1, std::memory_order_relaxed);
    if (tagged == nullptr) {
      dead_letters_.fetch_add(1, std::memory_order_relaxed);
    } else {
      env_->hub.Publish(*tagged);
    }
  } else if (IsPermanent(delivered)) {
    // Not even its dead letter can be stored (no dead-letter subject, or the
    // broker refuses it): delivering it again would loop for ever. Said
    // loudly, and counted, since it leaves the pipeline here.
    LogError("nats_ingest_dropped").Add("error", ToStd(delivered.message()));
    natsMsg_Term(message, nullptr);
    dropped_.fetch_add(1, std::memory_order_relaxed);
  } else {
    natsMsg_NakWithDelay(message, kNakDelayMs, nullptr);
  }
  natsMsg_Destroy(message);
  absl::MutexLock lock(&mutex_);
  --in_flight_;
}

void NatsIngest::Stop(absl::Duration wait) {
  {
    absl::MutexLock lock(&mutex_);
    stopping_ = true;
  }
  if (fetcher_.joinable()) fetcher_.join();
  absl::MutexLock lock(&mutex_);
  const auto idle = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) { return in_flight_ == 0; };
  mutex_.AwaitWithTimeout(absl::Condition(&idle), wait);
}

NatsIngest::~NatsIngest() {
  Stop(absl::ZeroDuration());
  {
    // Every fetched message is finished (acknowledged or not) before the
    // connection goes: the owner shuts the publisher and the pool down first.
    absl::MutexLock lock(&mutex_);
    const auto idle = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) { return in_flight_ == 0; };
    mutex_.Await(absl::Condition(&idle));
  }
  // Acks are sent without waiting; make sure the last ones leave before
  // the connection closes (a lost ack only means a redelivery, and the
  // output's dedupe absorbs it, but there is no need for one).
  if (connection_ != nullptr) natsConnection_FlushTimeout(connection_, 2000);
  if (subscription_ != nullptr) natsSubscription_Destroy(subscription_);
  for (natsSubscription* retired : retired_) natsSubscription_Destroy(retired);
  if (js_ != nullptr) jsCtx_Destroy(js_);
  if (connection_ != nullptr) natsConnection_Destroy(connection_);
}

NatsIngestStats NatsIngest::Stats() const {
  NatsIngestStats stats;
  stats.received = received_.load();
  stats.acknowledged = acknowledged_.load();
  stats.dead_letters = dead_letters_.load();
  stats.redeliveries = redeliveries_.load();
  stats.dropped = dropped_.load();
  absl::MutexLock lock(&mutex_);
  stats.in_flight = static_cast<uint64_t>(in_flight_);
  return stats;
}

}  // namespace tagwire
