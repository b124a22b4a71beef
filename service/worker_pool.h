// WorkerPool: the threads that tag articles, each with its own Tagger.
//
// gRPC reactions must never block or do heavy work, so every article is
// handed to this pool; a task runs on one worker with that worker's Tagger
// (and so its Hyperscan scratch). Tasks start in submission order but run
// concurrently; callers that need ordered results (TagStream) reorder them.
//
// Thread contract: Submit is safe from any thread, including from a task.
// The destructor runs every task already submitted, then joins the threads;
// submitting after destruction has begun is a bug.
#ifndef TAGWIRE_SERVICE_WORKER_POOL_H_
#define TAGWIRE_SERVICE_WORKER_POOL_H_

#include <deque>
#include <functional>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "core/tagger.h"

namespace tagwire {

class WorkerPool {
 public:
  using Task = std::function<void(Tagger&)>;

  // Starts `threads` workers (at least 1).
  explicit WorkerPool(int threads);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  void Submit(Task task);
  int size() const { return static_cast<int>(threads_.size()); }
  // Tasks submitted and not yet started.
  size_t queued() const;

 private:
  void Run();

  mutable absl::Mutex mutex_;
  std::deque<Task> tasks_ ABSL_GUARDED_BY(mutex_);
  bool stopping_ ABSL_GUARDED_BY(mutex_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace tagwire

#endif  // TAGWIRE_SERVICE_WORKER_POOL_H_
