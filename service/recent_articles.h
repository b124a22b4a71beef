// RecentArticles: the content fingerprints of recently accepted articles, by
// identity (source, id, version), so that the same identity sent again with
// different content is answered as a conflict (ERROR_REASON_CONFLICT) instead
// of being silently dropped as a duplicate by the broker, or silently
// replacing the first result for subscribers. A correction is a new version.
//
// "Content" is what is tagged: the title and the body. Metadata, language and
// published time may change between resends without a conflict.
//
// Bounded in both time (`window`) and count (`capacity`): an identity older
// than the window, or pushed out by `capacity` newer ones, is forgotten, and
// its next sending counts as new. In-process: with several replicas, a
// conflict is seen only when both sendings reach the same replica.
//
// Memory: identities are kept as 64-bit hashes (absl::Hash, seeded per
// process), about 200 bytes each in all (21 MB measured for 100,000). Two
// identities colliding (a false conflict) has a probability of about
// capacity / 2^64 per new article.
//
// Thread contract: all methods are safe to call concurrently.
#ifndef TAGWIRE_SERVICE_RECENT_ARTICLES_H_
#define TAGWIRE_SERVICE_RECENT_ARTICLES_H_

#include <cstddef>
#include <cstdint>
#include <deque>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "tagwire/v1/article.pb.h"

namespace tagwire {

class RecentArticles {
 public:
  RecentArticles(size_t capacity, absl::Duration window);

  enum class Seen {
    kNew,       // not seen within the window: remembered now
    kSame,      // seen with the same content: a resend
    kConflict,  // seen with different content: the first content is kept
  };
  struct Verdict {
    Seen seen;
    absl::Time first_seen;  // when the remembered content arrived
  };

  // Remembers `article` (its id must not be empty) unless its identity is
  // already remembered, and says how it compares.
  Verdict Remember(const v1::Article& article, absl::Time now);

  // Forgets `article`'s identity if it is remembered with this content: it
  // was not accepted after all (it failed, or was not delivered), so a
  // different content may take its place.
  void Forget(const v1::Article& article);

  size_t size() const;

 private:
  struct Entry {
    uint64_t fingerprint;
    absl::Time first_seen;
    uint64_t serial;  // tells a re-remembered identity from its evicted past
  };
  struct Arrival {
    absl::Time time;
    uint64_t key;
    uint64_t serial;
  };
  void EvictLocked(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);

  const size_t capacity_;
  const absl::Duration window_;
  mutable absl::Mutex mutex_;
  absl::flat_hash_map<uint64_t, Entry> entries_ ABSL_GUARDED_BY(mutex_);
  std::deque<Arrival> arrivals_ ABSL_GUARDED_BY(mutex_);  // oldest first
  uint64_t next_serial_ ABSL_GUARDED_BY(mutex_) = 0;
};

}  // namespace tagwire

#endif  // TAGWIRE_SERVICE_RECENT_ARTICLES_H_
