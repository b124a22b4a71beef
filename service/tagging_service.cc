#include "service/tagging_service.h"

#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "core/strings.h"
#include "service/article_pipeline.h"
#include "service/log.h"
#include "service/proto_convert.h"

namespace tagwire {
namespace {

// Trailing metadata of a failed Tag call: the reason name, and the whole
// ArticleError for clients that want it typed.
constexpr char kErrorReasonKey[] = "tagwire-error-reason";
constexpr char kArticleErrorKey[] = "tagwire-article-error-bin";

// The reactor of one TagStream call; see tagging_service.h. Every decision
// about the stream (read, write, finish) is taken under mutex_ and carried
// out after releasing it, because gRPC may run a reaction inline inside
// Start*/Finish.
class TagStreamReactor final
    : public grpc::ServerBidiReactor<v1::TagStreamRequest, v1::TagStreamResponse>,
      public DrainableStream {
 public:
  TagStreamReactor(ServiceEnv* env, grpc::CallbackServerContext* context) : env_(env) {
    const grpc::Status admission = env_->AdmitStream(*context, ServiceEnv::Call::kBringsArticles);
    if (!admission.ok()) {
      finish_called_ = true;
      Finish(admission);
      return;
    }
    holds_slot_ = true;
    peer_ = context->peer();
    opened_ = absl::Now();
    env_->metrics.AddActiveTagStreams(1);
    Actions actions;
    {
      absl::MutexLock lock(&mutex_);
      read_in_flight_ = true;
      ++ops_starting_;
      actions.read = true;
    }
    if (!env_->tag_streams.Add(this)) {  // shutdown began while this call was admitted
      absl::MutexLock lock(&mutex_);
      draining_ = true;
    }
    Perform(actions);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      Update([&] {
        read_in_flight_ = false;
        reads_done_ = true;
      });
      return;
    }
    if (!request_.has_article()) {
      HandleOptionsOnly();
      return;
    }

    auto slot = std::make_shared<Slot>();
    slot->arrival = absl::Now();
    slot->taxonomy = env_->taxonomy.Get();
    slot->article = std::move(*request_.mutable_article());
    if (request_.has_options()) {
      slot->options = TagOptionsFromProto(request_.options());
    } else {
      slot->options = stream_options_;
    }
    request_.Clear();
    v1::TagStreamResponse& response = slot->response;
    response.set_source(slot->article.source());
    response.set_id(slot->article.id());
    response.set_version(slot->article.version());

    bool submit = false;
    Actions actions;
    {
      absl::MutexLock lock(&mutex_);
      read_in_flight_ = false;
      if (!finish_called_) {  // else the stream is over: the article was never acknowledged
        response.set_sequence(next_sequence_++);
        pending_.push_back(slot);
        submit = true;
        Ref();  // the task's reference
      }
      actions = NextActionsLocked();
    }
    if (submit) {
      env_->pool->Submit([this, slot](Tagger& tagger) { Process(tagger, slot); });
    }
    Perform(actions);
  }

  void OnWriteDone(bool ok) override {
    Update([&] {
      write_in_flight_ = false;
      writing_.reset();
      if (!ok) broken_ = true;  // the client is gone; nothing more can be sent
    });
  }

  void OnCancel() override {
    cancelled_.store(true, std::memory_order_relaxed);
    Update([] {});
  }

  void BeginDrain() override {
    Update([&] { draining_ = true; });
  }

  void OnDone() override {
    if (holds_slot_) {
      {
        absl::MutexLock lock(&mutex_);
        LogInfo("stream_ended")
            .Add("rpc", "TagStream")
            .Add("peer", peer_)
            .Add("articles_answered", answered_)
            .Add("articles_failed", failed_)
            .Add("status", absl::StatusCodeToString(static_cast<absl::StatusCode>(finish_code_)))
            .Add("duration_ms", absl::ToDoubleMilliseconds(absl::Now() - opened_));
      }
      env_->tag_streams.Remove(this);
      env_->metrics.AddActiveTagStreams(-1);
      env_->ReleaseStreamSlot();
    }
    Unref();
  }

 private:
  // One article of the stream, from its read to its answer.
  struct Slot {
    v1::Article article;
    absl::StatusOr<TagOptions> options;  // the article's own, or the stream's defaults
    absl::Time arrival;
    std::shared_ptr<const CompiledTaxonomy> taxonomy;  // current when the article was read
    v1::TagStreamResponse response;
    bool done = false;  // guarded by the reactor's mutex_ once queued
  };

  // What to do on the stream after releasing mutex_.
  struct Actions {
    const v1::TagStreamResponse* write = nullptr;
    bool read = false;
    std::optional<grpc::Status> finish;
  };

  void HandleOptionsOnly() {
    std::optional<grpc::Status> invalid;
    if (request_.has_options()) {
      absl::StatusOr<TagOptions> options = TagOptionsFromProto(request_.options());
      if (options.ok()) {
        stream_options_ = *options;
      } else {
        invalid = grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                               StrCat("invalid stream options: ", options.status().message()));
      }
    }
    request_.Clear();
    Update([&] {
      read_in_flight_ = false;
      if (invalid && !stream_error_) stream_error_ = std::move(invalid);
    });
  }

  // Runs on a worker thread. The article is answered once its outcome is
  // delivered downstream (Deliver), so the task's reference is released by
  // the delivery's callback.
  void Process(Tagger& tagger, std::shared_ptr<Slot> slot) {
    if (cancelled_.load(std::memory_order_relaxed)) {
      Complete(*slot, absl::OkStatus());
      return;
    }
    std::optional<v1::ArticleError> error =
        TagArticle(*env_, tagger, slot->taxonomy, slot->article, slot->options, slot->arrival,
                   slot->response.mutable_tagged_article());
    if (error) *slot->response.mutable_error() = std::move(*error);
    const v1::TagStreamResponse& response = slot->response;
    Deliver(*env_, slot->article,
            response.has_tagged_article() ? &response.tagged_article() : nullptr,
            response.has_error() ? &response.error() : nullptr, env_->wait_for_broker,
            [this, slot](absl::Status delivered) { Complete(*slot, delivered); });
  }

  // The article of `slot` is done; `delivered` is the delivery's outcome.
  void Complete(Slot& slot, const absl::Status& delivered) {
    std::optional<v1::ArticleError> undelivered;
    if (!delivered.ok()) undelivered = NotDeliveredError(*env_, slot.article, delivered);
    slot.article.Clear();
    slot.taxonomy.reset();
    Update([&] {
      if (undelivered && slot.response.has_tagged_article()) {
        *slot.response.mutable_error() = *std::move(undelivered);
      }
      slot.done = true;
    });
    Unref();
  }

  // Decides what to do next. Finish is decided only when no other thread is
  // between deciding a read or write and starting it (ops_starting_ == 0),
  // so nothing is ever started after Finish; that thread decides again once
  // its operations are started (Perform).
  Actions NextActionsLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
    Actions actions;
    if (finish_called_) return actions;
    const bool cancelled = cancelled_.load(std::memory_order_relaxed) || broken_;
    if (cancelled) {
      if (!write_in_flight_ && ops_starting_ == 0) {
        pending_.clear();
        actions.finish = grpc::Status(grpc::StatusCode::CANCELLED, "the call was cancelled");
      }
    } else {
      if (!write_in_flight_ && !pending_.empty() && pending_.front()->done) {
        writing_ = std::move(pending_.front());
        pending_.pop_front();
        write_in_flight_ = true;
        actions.write = &writing_->response;
        ++answered_;
        if (writing_->response.has_error()) ++failed_;
      }
      const bool finish_due = !write_in_flight_ && pending_.empty() &&
                              (stream_error_ || reads_done_ || draining_);
      if (finish_due) {
        if (ops_starting_ == 0) {
          if (stream_error_) {
            actions.finish = *stream_error_;
          } else if (reads_done_) {
            actions.finish = grpc::Status::OK;
          } else {
            actions.finish = grpc::Status(grpc::StatusCode::UNAVAILABLE,
                                          "the server is shutting down: every article answered "
                                          "on this stream is done; resend the others");
          }
        }
      } else if (!read_in_flight_ && !reads_done_ && !draining_ && !stream_error_ &&
                 pending_.size() < static_cast<size_t>(env_->limits.max_in_flight_per_stream)) {
        read_in_flight_ = true;
        actions.read = true;
      }
    }
    if (actions.read || actions.write != nullptr) ++ops_starting_;
    if (actions.finish) {
      finish_called_ = true;
      finish_code_ = actions.finish->error_code();
    }
    return actions;
  }

  // Runs `change` on the state under the lock, decides what follows, and
  // carries it out after releasing the lock.
  template <typename Change>
  void Update(Change&& change) {
    Actions actions;
    {
      absl::MutexLock lock(&mutex_);
      change();
      actions = NextActionsLocked();
    }
    Perform(actions);
  }

  // Carries out `actions` outside the lock (see NextActionsLocked).
  void Perform(Actions actions) {
    while (actions.read || actions.write != nullptr) {
      if (actions.read) StartRead(&request_);
      if (actions.write != nullptr) {
        // Writes happen one at a time in stream order, so publishing here
        // keeps that order for subscribers, and they have the article
        // before its producer has the answer.
        if (actions.write->has_tagged_article()) env_->hub.Publish(actions.write->tagged_article());
        StartWrite(actions.write);
      }
      absl::MutexLock lock(&mutex_);
      --ops_starting_;
      actions = NextActionsLocked();
    }
    if (actions.finish) Finish(*actions.finish);
  }

  ServiceEnv* const env_;
  bool holds_slot_ = false;
  std::atomic<bool> cancelled_{false};
  // Touched only by the read path (one read at a time).
  v1::TagStreamRequest request_;
  TagOptions stream_options_;

  absl::Mutex mutex_;
  std::deque<std::shared_ptr<Slot>> pending_ ABSL_GUARDED_BY(mutex_);  // read, not yet written
  std::shared_ptr<Slot> writing_ ABSL_GUARDED_BY(mutex_);
  uint64_t next_sequence_ ABSL_GUARDED_BY(mutex_) = 0;
  bool read_in_flight_ ABSL_GUARDED_BY(mutex_) = false;
  bool reads_done_ ABSL_GUARDED_BY(mutex_) = false;
  bool write_in_flight_ ABSL_GUARDED_BY(mutex_) = false;
  bool draining_ ABSL_GUARDED_BY(mutex_) = false;
  bool broken_ ABSL_GUARDED_BY(mutex_) = false;
  bool finish_called_ ABSL_GUARDED_BY(mutex_) = false;
  // Threads between deciding a read or write and starting it.
  int ops_starting_ ABSL_GUARDED_BY(mutex_) = 0;
  // For the stream_ended log line.
  std::string peer_;
  absl::Time opened_;
  uint64_t answered_ ABSL_GUARDED_BY(mutex_) = 0;
  uint64_t failed_ ABSL_GUARDED_BY(mutex_) = 0;
  grpc::StatusCode finish_code_ ABSL_GUARDED_BY(mutex_) = grpc::StatusCode::OK;
  std::optional<grpc::Status> stream_error_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace

grpc::ServerUnaryReactor* TaggingServiceImpl::Tag(grpc::CallbackServerContext* context,
                                                  const v1::TagRequest* request,
                                                  v1::TagResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  const absl::Time arrival = absl::Now();
  ServiceEnv* env = env_;
  // Counted before the draining check, so a shutdown that begins now waits
  // for this call or this call sees the shutdown.
  const int in_flight = env->unary_in_flight.fetch_add(1) + 1;
  grpc::Status admission = env->Admission(*context, ServiceEnv::Call::kBringsArticles);
  if (admission.ok() && in_flight > env->limits.max_unary_in_flight) {
    admission = grpc::Status(
        grpc::StatusCode::RESOURCE_EXHAUSTED,
        StrCat("too many Tag calls in flight (the limit is ", env->limits.max_unary_in_flight,
               "); retry with backoff, or send articles on a TagStream"));
  }
  if (!admission.ok()) {
    env->unary_in_flight.fetch_sub(1);
    reactor->Finish(admission);
    return reactor;
  }
  std::shared_ptr<const CompiledTaxonomy> taxonomy = env->taxonomy.Get();
  env->pool->Submit([env, context, request, response, reactor, arrival,
                     taxonomy = std::move(taxonomy)](Tagger& tagger) {
    if (context->IsCancelled()) {
      reactor->Finish(grpc::Status(grpc::StatusCode::CANCELLED, "the call was cancelled"));
      env->unary_in_flight.fetch_sub(1);
      return;
    }
    std::optional<v1::ArticleError> error =
        TagArticle(*env, tagger, taxonomy, request->article(),
                   TagOptionsFromProto(request->options()), arrival,
                   response->mutable_tagged_article());
    const v1::TaggedArticle* tagged = error ? nullptr : &response->tagged_article();
    const v1::ArticleError* failure = error ? &*error : nullptr;
    Deliver(*env, request->article(), tagged, failure, env->wait_for_broker,
            [env, context, request, response, reactor, error](absl::Status delivered) mutable {
              if (!error && !delivered.ok()) {
                error = NotDeliveredError(*env, request->article(), delivered);
              }
              if (error) {
                context->AddTrailingMetadata(kErrorReasonKey, ErrorReasonName(error->reason()));
                context->AddTrailingMetadata(kArticleErrorKey, error->SerializeAsString());
                reactor->Finish(
                    grpc::Status(static_cast<grpc::StatusCode>(error->code()), error->message()));
              } else {
                env->hub.Publish(response->tagged_article());
                reactor->Finish(grpc::Status::OK);
              }
              env->unary_in_flight.fetch_sub(1);
            });
  });
  return reactor;
}

grpc::ServerBidiReactor<v1::TagStreamRequest, v1::TagStreamResponse>*
TaggingServiceImpl::TagStream(grpc::CallbackServerContext* context) {
  return new TagStreamReactor(env_, context);
}

}  // namespace tagwire
