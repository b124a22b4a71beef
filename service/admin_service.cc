#include "service/admin_service.h"

#include <string>

#include "absl/time/clock.h"
#include "google/protobuf/duration.pb.h"
#include "google/protobuf/timestamp.pb.h"
#include "service/proto_convert.h"

namespace tagwire {
namespace {

void SetDuration(absl::Duration duration, google::protobuf::Duration* out) {
  const int64_t nanos = absl::ToInt64Nanoseconds(duration);
  out->set_seconds(nanos / 1000000000);
  out->set_nanos(static_cast<int32_t>(nanos % 1000000000));
}

void SetTimestamp(absl::Time time, google::protobuf::Timestamp* out) {
  const int64_t nanos = absl::ToUnixNanos(time);
  out->set_seconds(nanos / 1000000000);
  out->set_nanos(static_cast<int32_t>(nanos % 1000000000));
}

}  // namespace

void TaxonomyInfoToProto(const CompiledTaxonomy& taxonomy,
                         const std::vector<std::string>& source_files, absl::Time loaded_time,
                         v1::TaxonomyInfo* out) {
  out->set_version(taxonomy.version());
  for (const std::string& file : source_files) out->add_source_files(file);
  const std::vector<Concept>& concepts = taxonomy.taxonomy().concepts();
  out->set_concept_count(static_cast<uint32_t>(concepts.size()));
  auto& by_kind = *out->mutable_concepts_by_kind();
  for (const Concept& concept_value : concepts) {
    by_kind[std::string(ConceptKindName(concept_value.kind))] += 1;
  }
  out->set_literal_count(static_cast<uint32_t>(taxonomy.literal_count()));
  out->set_regex_count(static_cast<uint32_t>(taxonomy.regex_count()));
  out->set_database_bytes(taxonomy.database_bytes());
  out->set_loaded_from_cache(taxonomy.loaded_from_cache());
  if (loaded_time != absl::InfinitePast()) SetTimestamp(loaded_time, out->mutable_loaded_time());
}

grpc::ServerUnaryReactor* AdminServiceImpl::GetTaxonomy(grpc::CallbackServerContext* context,
                                                        const v1::GetTaxonomyRequest* /*request*/,
                                                        v1::GetTaxonomyResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  grpc::Status status = env_->authorizer.Check(*context);
  const std::shared_ptr<const CompiledTaxonomy> taxonomy = env_->taxonomy.Get();
  if (status.ok() && taxonomy == nullptr) {
    status = grpc::Status(grpc::StatusCode::UNAVAILABLE, "the taxonomy is still loading");
  }
  if (status.ok()) {
    TaxonomyInfoToProto(*taxonomy, env_->taxonomy_manager->files(),
                        env_->taxonomy_manager->loaded_time(), response->mutable_taxonomy());
  }
  reactor->Finish(status);
  return reactor;
}

grpc::ServerUnaryReactor* AdminServiceImpl::ReloadTaxonomy(
    grpc::CallbackServerContext* context, const v1::ReloadTaxonomyRequest* /*request*/,
    v1::ReloadTaxonomyResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  grpc::Status status = env_->authorizer.Check(*context);
  if (status.ok() && env_->draining.load()) {
    status = grpc::Status(grpc::StatusCode::UNAVAILABLE, "the server is shutting down");
  }
  if (!status.ok()) {
    reactor->Finish(status);
    return reactor;
  }
  TaxonomyManager* manager = env_->taxonomy_manager.get();
  manager->RequestLoad(
      "admin", [reactor, response, manager](
                   const absl::StatusOr<TaxonomyManager::LoadOutcome>& outcome) {
        if (!outcome.ok()) {
          reactor->Finish(ToGrpcStatus(outcome.status()));
          return;
        }
        response->set_previous_version(outcome->previous_version);
        response->set_changed(outcome->previous_version != outcome->taxonomy->version());
        SetDuration(outcome->duration, response->mutable_duration());
        TaxonomyInfoToProto(*outcome->taxonomy, manager->files(), manager->loaded_time(),
                            response->mutable_taxonomy());
        reactor->Finish(grpc::Status::OK);
      });
  return reactor;
}

grpc::ServerUnaryReactor* AdminServiceImpl::GetServerStats(
    grpc::CallbackServerContext* context, const v1::GetServerStatsRequest* /*request*/,
    v1::GetServerStatsResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  const grpc::Status status = env_->authorizer.Check(*context);
  if (status.ok()) {
    const ServiceMetrics& metrics = env_->metrics;
    SetDuration(absl::Now() - start_time_, response->mutable_uptime());
    response->set_articles_tagged(metrics.articles_tagged());
    response->set_articles_failed(metrics.articles_failed());
    for (int reason = 0; reason < ServiceMetrics::kReasonCount; ++reason) {
      if (!v1::ErrorReason_IsValid(reason)) continue;
      const auto typed = static_cast<v1::ErrorReason>(reason);
      const uint64_t count = metrics.failures(typed);
      if (count == 0) continue;
      (*response->mutable_failures_by_reason())[ErrorReasonName(typed)] = count;
    }
    response->set_bytes_received(metrics.bytes_received());
    response->set_active_tag_streams(static_cast<uint32_t>(metrics.active_tag_streams()));
    response->set_active_subscriptions(static_cast<uint32_t>(metrics.active_subscriptions()));
    response->set_reloads(metrics.reloads());
    response->set_failed_reloads(metrics.failed_reloads());
    response->set_worker_threads(static_cast<uint32_t>(env_->pool->size()));
    response->set_slow_subscribers_dropped(metrics.slow_subscribers_dropped());
    const std::shared_ptr<const CompiledTaxonomy> taxonomy = env_->taxonomy.Get();
    if (taxonomy != nullptr) response->set_taxonomy_version(taxonomy->version());
  }
  reactor->Finish(status);
  return reactor;
}

}  // namespace tagwire
