// SubscriptionHub: in-process fan-out of tagged articles to Subscribe calls.
//
// Every tagged article is offered to every subscriber whose filter it passes.
// Subscribers own bounded queues (see subscription_service.cc); the hub never
// waits for one, so a slow subscriber cannot slow intake or other
// subscribers. The SubscribeResponse is built at most once per article and
// shared by every subscriber that wants it.
//
// Thread contract: all methods are safe from any thread. Publish calls into
// subscribers without holding the hub's lock (see stream_registry.h).
#ifndef TAGWIRE_SERVICE_SUBSCRIPTION_HUB_H_
#define TAGWIRE_SERVICE_SUBSCRIPTION_HUB_H_

#include <atomic>
#include <memory>
#include <unordered_set>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "service/stream_registry.h"
#include "tagwire/v1/subscription_service.pb.h"
#include "tagwire/v1/tagging.pb.h"

namespace tagwire {

// Returns OK if `filter` is usable; InvalidArgument naming the bad field.
absl::Status ValidateFilter(const v1::SubscriptionFilter& filter);

// Whether `article` passes `filter` (see SubscriptionFilter in the proto).
bool FilterMatches(const v1::SubscriptionFilter& filter, const v1::TaggedArticle& article);

class Subscriber : public DrainableStream {
 public:
  virtual const v1::SubscriptionFilter& filter() const = 0;
  // Queues `response` for sending. Must not block.
  virtual void Offer(const std::shared_ptr<const v1::SubscribeResponse>& response) = 0;
};

class SubscriptionHub {
 public:
  void Add(Subscriber* subscriber);
  void Remove(Subscriber* subscriber);

  // Offers `article` to every subscriber whose filter it passes.
  void Publish(const v1::TaggedArticle& article);

 private:
  absl::Mutex mutex_;
  std::unordered_set<Subscriber*> subscribers_ ABSL_GUARDED_BY(mutex_);
  std::atomic<size_t> count_{0};  // subscribers_.size(), read without the lock
};

}  // namespace tagwire

#endif  // TAGWIRE_SERVICE_SUBSCRIPTION_HUB_H_
