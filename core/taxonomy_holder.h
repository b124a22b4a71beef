// TaxonomyHolder: the current compiled taxonomy, swapped atomically on reload.
//
// Readers call Get() and keep the returned snapshot for the whole article, so
// an article in flight finishes on the version it started with. Reload builds
// a new snapshot off to the side and publishes it only if it compiled; on
// failure the old snapshot stays current and the error is returned.
//
// Thread contract: all methods are safe to call concurrently. Reloads are
// serialized among themselves; Get() never waits for a reload to finish.
#ifndef TAGWIRE_CORE_TAXONOMY_HOLDER_H_
#define TAGWIRE_CORE_TAXONOMY_HOLDER_H_

#include <functional>
#include <memory>
#include <mutex>

#include "absl/status/statusor.h"
#include "core/compiled_taxonomy.h"

namespace tagwire {

class TaxonomyHolder {
 public:
  using Loader = std::function<absl::StatusOr<std::shared_ptr<const CompiledTaxonomy>>()>;

  // `initial` may be null (nothing loaded yet).
  explicit TaxonomyHolder(std::shared_ptr<const CompiledTaxonomy> initial = nullptr);
  TaxonomyHolder(const TaxonomyHolder&) = delete;
  TaxonomyHolder& operator=(const TaxonomyHolder&) = delete;

  // Returns the current snapshot (null if none was ever loaded).
  std::shared_ptr<const CompiledTaxonomy> Get() const;

  // Runs `loader` and publishes its result. On error, keeps the current
  // snapshot and returns the error. Returns the new snapshot on success.
  absl::StatusOr<std::shared_ptr<const CompiledTaxonomy>> Reload(const Loader& loader);

  // Publishes `next` (must not be null).
  void Set(std::shared_ptr<const CompiledTaxonomy> next);

 private:
  // Serializes Reload; never held by Get(). A std::mutex, not absl::Mutex:
  // ThreadSanitizer sees its ordering (Debian's abseil is not built with TSan).
  std::mutex reload_mutex_;
  // Accessed only with std::atomic_load / std::atomic_store.
  std::shared_ptr<const CompiledTaxonomy> current_;
};

}  // namespace tagwire

#endif  // TAGWIRE_CORE_TAXONOMY_HOLDER_H_
