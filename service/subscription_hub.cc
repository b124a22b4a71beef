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
  // Whether some tag or topic scoring at least min_score passes the test.
  const auto any_result = [&](const auto& tag_passes, const auto& topic_passes) {
    for (const v1::Tag& tag : article.tags()) {
      if (tag.score() >= min_score && tag_passes(tag)) return true;
    }
    for (const v1::Topic& topic : article.topics()) {
      if (topic.score() >= min_score && topic_passes(topic)) return true;
    }
    return false;
  };
  const auto& kinds = filter.kinds();
  const auto& ids = filter.concept_ids();
  const auto& topics = filter.topics();
  if (!kinds.empty() &&
      !any_result([&](const v1::Tag& tag) { return Contains(kinds, tag.kind()); },
                  [&](const v1::Topic&) { return Contains(kinds, v1::CONCEPT_KIND_TOPIC); })) {
    return false;
  }
  if (!ids.empty() &&
      !any_result([&](const v1::Tag& tag) { return Contains(ids, tag.concept_id()); },
                  [&](const v1::Topic& topic) { return Contains(ids, topic.concept_id()); })) {
    return false;
  }
  if (!topics.empty() &&
      !any_result([](const v1::Tag&) { return false; },
                  [&](const v1::Topic& topic) {
                    return Contains(topics, topic.iptc_code()) ||
                           Contains(topics, topic.concept_id());
                  })) {
    return false;
  }
  if (kinds.empty() && ids.empty() && topics.empty() && min_score > 0) {
    // Only a minimum score: some tag or topic must reach it.
    const auto any = [](const auto&) { return true; };
    return any_result(any, any);
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
