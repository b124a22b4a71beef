#include "service/subscription_service.h"

#include <deque>
#include <memory>
#include <optional>

#include "absl/synchronization/mutex.h"
#include "core/strings.h"
#include "service/log.h"

namespace tagwire {
namespace {

// The reactor of one Subscribe call. As in TagStreamReactor, decisions are
// taken under mutex_ and carried out after releasing it.
class SubscribeReactor final : public grpc::ServerWriteReactor<v1::SubscribeResponse>,
                               public Subscriber {
 public:
  SubscribeReactor(ServiceEnv* env, grpc::CallbackServerContext* context,
                   const v1::SubscribeRequest& request)
      : env_(env), filter_(request.filter()) {
    // Admission first: an unauthenticated caller learns nothing about its filter.
    grpc::Status admission = env_->AdmitStream(*context, ServiceEnv::Call::kOther);
    if (admission.ok()) {
      if (const absl::Status valid = ValidateFilter(filter_); !valid.ok()) {
        env_->ReleaseStreamSlot();
        admission = ToGrpcStatus(valid);
      }
    }
    if (!admission.ok()) {
      finish_called_ = true;
      Finish(admission);
      return;
    }
    // Sends the response headers now, so the client knows it is subscribed
    // before the first article arrives.
    StartSendInitialMetadata();
    holds_slot_ = true;
    peer_ = context->peer();
    opened_ = absl::Now();
    env_->metrics.AddActiveSubscriptions(1);
    if (!env_->subscriptions.Add(this)) {  // shutdown began while this call was admitted
      Update([&] { draining_ = true; });
      return;
    }
    env_->hub.Add(this);
  }

  const v1::SubscriptionFilter& filter() const override { return filter_; }

  void Offer(const std::shared_ptr<const v1::SubscribeResponse>& response) override {
    Update([&] {
      if (finish_called_ || too_slow_) return;
      if (queue_.size() >= env_->limits.subscriber_queue) {
        too_slow_ = true;
        queue_.clear();
      } else {
        queue_.push_back(response);
      }
    });
  }

  void OnWriteDone(bool ok) override {
    Update([&] {
      write_in_flight_ = false;
      writing_.reset();
      if (!ok) broken_ = true;
    });
  }

  void OnCancel() override {
    Update([&] { broken_ = true; });
  }

  void BeginDrain() override {
    Update([&] { draining_ = true; });
  }

  void OnDone() override {
    if (holds_slot_) {
      {
        absl::MutexLock lock(&mutex_);
        LogInfo("stream_ended")
            .Add("rpc", "Subscribe")
            .Add("peer", peer_)
            .Add("articles_sent", sent_)
            .Add("status", absl::StatusCodeToString(static_cast<absl::StatusCode>(finish_code_)))
            .Add("duration_ms", absl::ToDoubleMilliseconds(absl::Now() - opened_));
      }
      env_->hub.Remove(this);
      env_->subscriptions.Remove(this);
      env_->metrics.AddActiveSubscriptions(-1);
      env_->ReleaseStreamSlot();
    }
    Unref();
  }

 private:
  struct Actions {
    const v1::SubscribeResponse* write = nullptr;
    std::optional<grpc::Status> finish;
  };

  // As in TagStreamReactor: Finish is decided only when no other thread is
  // between deciding a write and starting it, so nothing starts after Finish.
  Actions NextActionsLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
    Actions actions;
    if (finish_called_ || ops_starting_ > 0) return actions;
    if (too_slow_) {
      // At once, even with a write in flight: a client that stopped reading
      // may never complete it. The status follows the write, so the client
      // sees it after what it has not read yet; the call's last resources
      // go when it reads on or disconnects (keepalive notices a dead peer).
      env_->metrics.RecordSlowSubscriberDropped();
      actions.finish = grpc::Status(
          grpc::StatusCode::RESOURCE_EXHAUSTED,
          StrCat("subscriber too slow: more than ", env_->limits.subscriber_queue,
                 " results were waiting to be sent; read faster or narrow the filter"));
    } else if (write_in_flight_) {
      return actions;
    } else if (broken_) {
      queue_.clear();
      actions.finish = grpc::Status(grpc::StatusCode::CANCELLED, "the call was cancelled");
    } else if (!queue_.empty()) {
      writing_ = std::move(queue_.front());
      queue_.pop_front();
      write_in_flight_ = true;
      ++ops_starting_;
      ++sent_;
      actions.write = writing_.get();
    } else if (draining_) {
      actions.finish = grpc::Status(grpc::StatusCode::UNAVAILABLE,
                                    "the server is shutting down; subscribe again later");
    }
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

  void Perform(Actions actions) {
    while (actions.write != nullptr) {
      StartWrite(actions.write);
      absl::MutexLock lock(&mutex_);
      --ops_starting_;
      actions = NextActionsLocked();
    }
    if (actions.finish) Finish(*actions.finish);
  }

  ServiceEnv* const env_;
  const v1::SubscriptionFilter filter_;
  bool holds_slot_ = false;

  absl::Mutex mutex_;
  std::deque<std::shared_ptr<const v1::SubscribeResponse>> queue_ ABSL_GUARDED_BY(mutex_);
  std::shared_ptr<const v1::SubscribeResponse> writing_ ABSL_GUARDED_BY(mutex_);
  bool write_in_flight_ ABSL_GUARDED_BY(mutex_) = false;
  bool too_slow_ ABSL_GUARDED_BY(mutex_) = false;
  bool broken_ ABSL_GUARDED_BY(mutex_) = false;
  bool draining_ ABSL_GUARDED_BY(mutex_) = false;
  bool finish_called_ ABSL_GUARDED_BY(mutex_) = false;
  // Threads between deciding a write and starting it (0 or 1).
  int ops_starting_ ABSL_GUARDED_BY(mutex_) = 0;
  // For the stream_ended log line.
  std::string peer_;
  absl::Time opened_;
  uint64_t sent_ ABSL_GUARDED_BY(mutex_) = 0;
  grpc::StatusCode finish_code_ ABSL_GUARDED_BY(mutex_) = grpc::StatusCode::OK;
};

}  // namespace

grpc::ServerWriteReactor<v1::SubscribeResponse>* SubscriptionServiceImpl::Subscribe(
    grpc::CallbackServerContext* context, const v1::SubscribeRequest* request) {
  return new SubscribeReactor(env_, context, *request);
}

}  // namespace tagwire
