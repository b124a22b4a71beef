#include "service/stream_registry.h"

namespace tagwire {

bool StreamRegistry::Add(DrainableStream* stream) {
  absl::MutexLock lock(&mutex_);
  streams_.insert(stream);
  return !draining_;
}

void StreamRegistry::Remove(DrainableStream* stream) {
  absl::MutexLock lock(&mutex_);
  streams_.erase(stream);
}

size_t StreamRegistry::size() const {
  absl::MutexLock lock(&mutex_);
  return streams_.size();
}

void StreamRegistry::DrainAll() {
  std::vector<DrainableStream*> streams;
  {
    absl::MutexLock lock(&mutex_);
    draining_ = true;
    streams.reserve(streams_.size());
    for (DrainableStream* stream : streams_) {
      stream->Ref();
      streams.push_back(stream);
    }
  }
  for (DrainableStream* stream : streams) {
    stream->BeginDrain();
    stream->Unref();
  }
}

bool StreamRegistry::WaitUntilEmpty(absl::Time deadline) {
  absl::MutexLock lock(&mutex_);
  const auto empty = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) { return streams_.empty(); };
  mutex_.AwaitWithDeadline(absl::Condition(&empty), deadline);
  return streams_.empty();
}

}  // namespace tagwire
