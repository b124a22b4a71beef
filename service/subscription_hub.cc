#include "service/subscription_hub.h"

#include <algorithm>
#include <vector>

#include "core/strings.h"

namespace tagwire {
namespace {

template <typename Container, typename Value>
bool Contains(const Container& values, const Value& value) {
  return std::find(values.begin(), values.end(), value) != values.end();
}

}  // namespace

absl::Status ValidateFilter(const v1::SubscriptionFilter& filter) {
  if (!(filter.min_score() >= 0.0 && filter.min_score() <= 1.0)) {
    return absl::InvalidArgumentError(
        StrCat("filter.min_score must be in [0, 1], got ", filter.min_score()));
  }
  for (int kind : filter.kinds()) {
    if (!v1::ConceptKind_IsValid(kind)) {
      return absl::InvalidArgumentError(StrCat("filter.kinds: unknown kind ", kind));
    }
  }
  return absl::OkStatus();
}

bool FilterMatches(const v1::SubscriptionFilter& filter, const v1::TaggedArticle& article) {
  const double min_score = filter.min_score();
  const bool any_condition = !filter.kinds().empty() || !filter.concept_ids().empty() ||
                             !filter.topics().empty() || min_score > 0;
  if (!any_condition) return true;

  if (!filter.kinds().empty()) {
    bool found = false;
    for (const v1::Tag& tag : article.tags()) {
      if (tag.score() >= min_score && Contains(filter.kinds(), tag.kind())) {
        found = true;
        break;
      }
    }
    if (!found && Contains(filter.kinds(), v1::CONCEPT_KIND_TOPIC)) {
      for (const v1::Topic& topic : article.topics()) {
        if (topic.score() >= min_score) {
          found = true;
          break;
        }
      }
    }
    if (!found) return false;
  }
  if (!filter.concept_ids().empty()) {
    bool found = false;
    for (const v1::Tag& tag : article.tags()) {
      if (tag.score() >= min_score && Contains(filter.concept_ids(), tag.concept_id())) {
        found = true;
        break;
      }
    }
    for (const v1::Topic& topic : article.topics()) {
      if (found) break;
      found = topic.score() >= min_score && Contains(filter.concept_ids(), topic.concept_id());
    }
    if (!found) return false;
  }
  if (!filter.topics().empty()) {
    bool found = false;
    for (const v1::Topic& topic : article.topics()) {
      if (topic.score() >= min_score && (Contains(filter.topics(), topic.iptc_code()) ||
                                         Contains(filter.topics(), topic.concept_id()))) {
        found = true;
        break;
      }
    }
    if (!found) return false;
  }
  if (filter.kinds().empty() && filter.concept_ids().empty() && filter.topics().empty()) {
    // Only a minimum score: some tag or topic must reach it.
    for (const v1::Tag& tag : article.tags()) {
      if (tag.score() >= min_score) return true;
    }
    for (const v1::Topic& topic : article.topics()) {
      if (topic.score() >= min_score) return true;
    }
    return false;
  }
  return true;
}

void SubscriptionHub::Add(Subscriber* subscriber) {
  absl::MutexLock lock(&mutex_);
  subscribers_.insert(subscriber);
  count_.store(subscribers_.size(), std::memory_order_relaxed);
}

void SubscriptionHub::Remove(Subscriber* subscriber) {
  absl::MutexLock lock(&mutex_);
  subscribers_.erase(subscriber);
  count_.store(subscribers_.size(), std::memory_order_relaxed);
}

void SubscriptionHub::Publish(const v1::TaggedArticle& article) {
  if (count_.load(std::memory_order_relaxed) == 0) return;
  std::vector<Subscriber*> wanting;
  {
    absl::MutexLock lock(&mutex_);
    for (Subscriber* subscriber : subscribers_) {
      if (FilterMatches(subscriber->filter(), article)) {
        subscriber->Ref();
        wanting.push_back(subscriber);
      }
    }
  }
  if (wanting.empty()) return;
  auto response = std::make_shared<v1::SubscribeResponse>();
  *response->mutable_tagged_article() = article;
  const std::shared_ptr<const v1::SubscribeResponse> shared = std::move(response);
  for (Subscriber* subscriber : wanting) {
    subscriber->Offer(shared);
    subscriber->Unref();
  }
}

}  // namespace tagwire
