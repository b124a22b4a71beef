// TaxonomyManager: loads the taxonomy files, compiles them and publishes the
// result in a TaxonomyHolder, on a thread of its own.
//
// Loading a large taxonomy takes seconds, and gRPC reactions and signal
// handling must not wait for it, so every load (the first one, SIGHUP, the
// admin RPC) is queued here and runs on the manager's thread, one at a time.
// A failed load keeps the current taxonomy; the caller hears the error
// ("file:line: reason") through its callback. Every load is logged.
//
// Thread contract: RequestLoad and the accessors are safe from any thread.
// Callbacks run on the manager's thread and must not block for long.
#ifndef TAGWIRE_SERVICE_TAXONOMY_MANAGER_H_
#define TAGWIRE_SERVICE_TAXONOMY_MANAGER_H_

#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "core/compiled_taxonomy.h"
#include "core/taxonomy_holder.h"
#include "service/metrics.h"

namespace tagwire {

class TaxonomyManager {
 public:
  struct LoadOutcome {
    std::string previous_version;  // empty on the first load
    std::shared_ptr<const CompiledTaxonomy> taxonomy;
    absl::Duration duration;
  };
  using Callback = std::function<void(const absl::StatusOr<LoadOutcome>&)>;

  // `holder` and `metrics` must outlive the manager.
  TaxonomyManager(std::vector<std::string> files, std::string cache_dir, TaxonomyHolder* holder,
                  ServiceMetrics* metrics);
  // Finishes the load in progress (queued ones are answered Cancelled).
  ~TaxonomyManager();
  TaxonomyManager(const TaxonomyManager&) = delete;
  TaxonomyManager& operator=(const TaxonomyManager&) = delete;

  // Queues a load from the files; `done` (may be empty) gets the outcome.
  // `trigger` ("start", "SIGHUP", "admin") is logged.
  void RequestLoad(std::string trigger, Callback done);

  // Answers every queued (not yet started) load with Cancelled. Shutdown
  // calls it so queued admin reloads do not hold the server open.
  void CancelPending();

  const std::vector<std::string>& files() const { return files_; }
  // When the current taxonomy became current (InfinitePast if none).
  absl::Time loaded_time() const;

 private:
  struct Request {
    std::string trigger;
    Callback done;
  };
  void Run();
  absl::StatusOr<LoadOutcome> Load();

  const std::vector<std::string> files_;
  const std::string cache_dir_;
  TaxonomyHolder* const holder_;
  ServiceMetrics* const metrics_;

  mutable absl::Mutex mutex_;
  std::deque<Request> requests_ ABSL_GUARDED_BY(mutex_);
  bool stopping_ ABSL_GUARDED_BY(mutex_) = false;
  bool loaded_once_ ABSL_GUARDED_BY(mutex_) = false;
  absl::Time loaded_time_ ABSL_GUARDED_BY(mutex_) = absl::InfinitePast();
  std::thread thread_;  // last: starts after everything above exists
};

}  // namespace tagwire

#endif  // TAGWIRE_SERVICE_TAXONOMY_MANAGER_H_
