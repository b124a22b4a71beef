#include "core/taxonomy_holder.h"

#include <utility>

namespace tagwire {

TaxonomyHolder::TaxonomyHolder(std::shared_ptr<const CompiledTaxonomy> initial)
    : current_(std::move(initial)) {}

std::shared_ptr<const CompiledTaxonomy> TaxonomyHolder::Get() const {
  return std::atomic_load(&current_);
}

absl::StatusOr<std::shared_ptr<const CompiledTaxonomy>> TaxonomyHolder::Reload(
    const Loader& loader) {
  std::lock_guard<std::mutex> lock(reload_mutex_);
  absl::StatusOr<std::shared_ptr<const CompiledTaxonomy>> next = loader();
  if (!next.ok()) return next.status();
  if (*next == nullptr) return absl::InternalError("taxonomy loader returned nothing");
  std::atomic_store(&current_, *next);
  return next;
}

void TaxonomyHolder::Set(std::shared_ptr<const CompiledTaxonomy> next) {
  std::atomic_store(&current_, std::move(next));
}

}  // namespace tagwire
