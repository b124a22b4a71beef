#include "service/recent_articles.h"

#include <string>
#include <tuple>

#include "absl/hash/hash.h"

namespace tagwire {
namespace {

// absl::Hash is seeded per process, which is all an in-process table needs.
// Strings hash with their lengths, so ("a:b", "c") and ("a", "b:c") differ.
using Identity = std::tuple<const std::string&, const std::string&, int64_t>;
using Content = std::tuple<const std::string&, const std::string&>;

uint64_t IdentityKey(const v1::Article& article) {
  return absl::Hash<Identity>()(Identity(article.source(), article.id(), article.version()));
}

uint64_t Fingerprint(const v1::Article& article) {
  return absl::Hash<Content>()(Content(article.title(), article.body()));
}

}  // namespace

RecentArticles::RecentArticles(size_t capacity, absl::Duration window)
    : capacity_(capacity), window_(window) {}

RecentArticles::Verdict RecentArticles::Remember(const v1::Article& article, absl::Time now) {
  const uint64_t key = IdentityKey(article);
  const uint64_t fingerprint = Fingerprint(article);
  absl::MutexLock lock(&mutex_);
  EvictLocked(now);
  if (auto it = entries_.find(key); it != entries_.end()) {
    const Entry& entry = it->second;
    return {entry.fingerprint == fingerprint ? Seen::kSame : Seen::kConflict, entry.first_seen};
  }
  const uint64_t serial = next_serial_++;
  entries_.emplace(key, Entry{fingerprint, now, serial});
  arrivals_.push_back({now, key, serial});
  EvictLocked(now);  // over capacity by the one just added
  return {Seen::kNew, now};
}

void RecentArticles::Forget(const v1::Article& article) {
  const uint64_t key = IdentityKey(article);
  const uint64_t fingerprint = Fingerprint(article);
  absl::MutexLock lock(&mutex_);
  // The arrival stays queued; its serial no longer matches, so its eviction
  // leaves a later entry for the same identity alone.
  if (auto it = entries_.find(key); it != entries_.end() && it->second.fingerprint == fingerprint) {
    entries_.erase(it);
  }
}

size_t RecentArticles::size() const {
  absl::MutexLock lock(&mutex_);
  return entries_.size();
}

void RecentArticles::EvictLocked(absl::Time now) {
  while (!arrivals_.empty() &&
         (arrivals_.size() > capacity_ || now - arrivals_.front().time >= window_)) {
    const Arrival& oldest = arrivals_.front();
    if (auto it = entries_.find(oldest.key); it != entries_.end() && it->second.serial == oldest.serial) {
      entries_.erase(it);
    }
    arrivals_.pop_front();
  }
}

}  // namespace tagwire
