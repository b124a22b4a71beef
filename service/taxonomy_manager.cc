#include "service/taxonomy_manager.h"

#include <utility>

#include "absl/time/clock.h"
#include "core/status_macros.h"
#include "core/strings.h"
#include "service/log.h"

namespace tagwire {

TaxonomyManager::TaxonomyManager(std::vector<std::string> files, std::string cache_dir,
                                 TaxonomyHolder* holder, ServiceMetrics* metrics)
    : files_(std::move(files)),
      cache_dir_(std::move(cache_dir)),
      holder_(holder),
      metrics_(metrics),
      thread_([this] { Run(); }) {}

TaxonomyManager::~TaxonomyManager() {
  {
    absl::MutexLock lock(&mutex_);
    stopping_ = true;
  }
  thread_.join();
}

void TaxonomyManager::RequestLoad(std::string trigger, Callback done) {
  absl::MutexLock lock(&mutex_);
  requests_.push_back({std::move(trigger), std::move(done)});
}

absl::Time TaxonomyManager::loaded_time() const {
  absl::MutexLock lock(&mutex_);
  return loaded_time_;
}

absl::StatusOr<TaxonomyManager::LoadOutcome> TaxonomyManager::Load() {
  const absl::Time start = absl::Now();
  const std::shared_ptr<const CompiledTaxonomy> previous = holder_->Get();
  LoadOutcome outcome;
  if (previous != nullptr) outcome.previous_version = previous->version();
  const TaxonomyHolder::Loader load_and_compile =
      [this]() -> absl::StatusOr<std::shared_ptr<const CompiledTaxonomy>> {
    CompileOptions options;
    options.cache_dir = cache_dir_;
    return LoadAndCompileTaxonomy(files_, options);
  };
  ASSIGN_OR_RETURN(outcome.taxonomy, holder_->Reload(load_and_compile));
  outcome.duration = absl::Now() - start;
  return outcome;
}

void TaxonomyManager::Run() {
  while (true) {
    Request request;
    bool first_load = false;
    {
      absl::MutexLock lock(&mutex_);
      const auto has_work = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
        return stopping_ || !requests_.empty();
      };
      mutex_.Await(absl::Condition(&has_work));
      if (stopping_) break;
      request = std::move(requests_.front());
      requests_.pop_front();
      first_load = !loaded_once_;
    }

    absl::StatusOr<LoadOutcome> outcome = Load();
    if (outcome.ok()) {
      const CompiledTaxonomy& taxonomy = *outcome->taxonomy;
      {
        absl::MutexLock lock(&mutex_);
        loaded_once_ = true;
        loaded_time_ = absl::Now();
      }
      if (!first_load) metrics_->RecordReload(true);
      LogInfo(first_load ? "taxonomy_loaded" : "taxonomy_reloaded")
          .Add("trigger", request.trigger)
          .Add("version", taxonomy.version())
          .Add("previous_version", outcome->previous_version)
          .Add("concepts", static_cast<uint64_t>(taxonomy.taxonomy().concepts().size()))
          .Add("literals", static_cast<uint64_t>(taxonomy.literal_count()))
          .Add("regexes", static_cast<uint64_t>(taxonomy.regex_count()))
          .Add("duration_ms", absl::ToDoubleMilliseconds(outcome->duration))
          .Add("cache", taxonomy.cache_status());
    } else {
      if (!first_load) metrics_->RecordReload(false);
      LogError(first_load ? "taxonomy_load_failed" : "reload_failed")
          .Add("trigger", request.trigger)
          .Add("code", absl::StatusCodeToString(outcome.status().code()))
          .Add("error", ToStd(outcome.status().message()));
    }
    if (request.done) request.done(outcome);
  }
  CancelPending();
}

void TaxonomyManager::CancelPending() {
  std::deque<Request> cancelled;
  {
    absl::MutexLock lock(&mutex_);
    cancelled.swap(requests_);
  }
  for (Request& request : cancelled) {
    if (request.done) request.done(absl::CancelledError("the server is shutting down"));
  }
}

}  // namespace tagwire
