// StreamRegistry: the streaming calls open now, so that a shutdown can reach
// each one and ask it to drain.
//
// A streaming reactor derives from DrainableStream, registers itself when it
// starts and unregisters in OnDone. Its lifetime is reference counted: gRPC
// holds one reference until OnDone, each task in the worker pool holds one,
// and DrainAll holds one while it calls BeginDrain. The last Unref deletes the
// reactor, so no task or drain ever touches a deleted reactor.
//
// gRPC may run a reaction inline on the thread that calls Start*/Finish, so
// nothing here calls into a reactor while holding the registry's lock.
//
// Thread contract: all methods are safe from any thread.
#ifndef TAGWIRE_SERVICE_STREAM_REGISTRY_H_
#define TAGWIRE_SERVICE_STREAM_REGISTRY_H_

#include <atomic>
#include <cstddef>
#include <unordered_set>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace tagwire {

class DrainableStream {
 public:
  void Ref() { references_.fetch_add(1, std::memory_order_relaxed); }
  void Unref() {
    if (references_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
  }

  // Asks the stream to finish the work it has accepted and then end with
  // UNAVAILABLE. Must not block.
  virtual void BeginDrain() = 0;

 protected:
  virtual ~DrainableStream() = default;

 private:
  std::atomic<int> references_{1};  // gRPC's, dropped in OnDone
};

class StreamRegistry {
 public:
  // Registers `stream`. Returns false if DrainAll has already run: the
  // stream is registered (shutdown waits for it) but must drain itself.
  bool Add(DrainableStream* stream);
  void Remove(DrainableStream* stream);
  size_t size() const;

  // Calls BeginDrain on every registered stream; streams added later are
  // told to drain by Add.
  void DrainAll();

  // Blocks until no stream is registered or `deadline` passes; returns
  // whether the registry is empty.
  bool WaitUntilEmpty(absl::Time deadline);

 private:
  mutable absl::Mutex mutex_;
  std::unordered_set<DrainableStream*> streams_ ABSL_GUARDED_BY(mutex_);
  bool draining_ ABSL_GUARDED_BY(mutex_) = false;
};

}  // namespace tagwire

#endif  // TAGWIRE_SERVICE_STREAM_REGISTRY_H_
