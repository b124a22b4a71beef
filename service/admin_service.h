// AdminServiceImpl: tagwire.v1.AdminService — the taxonomy in use, reloads
// and server counters. Reloads run on the TaxonomyManager's thread; the call
// finishes from there, so no gRPC thread waits for a compile.
//
// Thread contract: as for every gRPC service; shares only ServiceEnv.
#ifndef TAGWIRE_SERVICE_ADMIN_SERVICE_H_
#define TAGWIRE_SERVICE_ADMIN_SERVICE_H_

#include "absl/time/time.h"
#include "service/service_env.h"
#include "tagwire/v1/admin_service.grpc.pb.h"

namespace tagwire {

class AdminServiceImpl final : public v1::AdminService::CallbackService {
 public:
  // `env` must outlive the server; `start_time` is when the server started.
  AdminServiceImpl(ServiceEnv* env, absl::Time start_time) : env_(env), start_time_(start_time) {}

  grpc::ServerUnaryReactor* GetTaxonomy(grpc::CallbackServerContext* context,
                                        const v1::GetTaxonomyRequest* request,
                                        v1::GetTaxonomyResponse* response) override;
  grpc::ServerUnaryReactor* ReloadTaxonomy(grpc::CallbackServerContext* context,
                                           const v1::ReloadTaxonomyRequest* request,
                                           v1::ReloadTaxonomyResponse* response) override;
  grpc::ServerUnaryReactor* GetServerStats(grpc::CallbackServerContext* context,
                                           const v1::GetServerStatsRequest* request,
                                           v1::GetServerStatsResponse* response) override;

 private:
  ServiceEnv* env_;
  absl::Time start_time_;
};

// Describes `taxonomy`, which became current at `loaded_time`.
void TaxonomyInfoToProto(const CompiledTaxonomy& taxonomy,
                         const std::vector<std::string>& source_files, absl::Time loaded_time,
                         v1::TaxonomyInfo* out);

}  // namespace tagwire

#endif  // TAGWIRE_SERVICE_ADMIN_SERVICE_H_
