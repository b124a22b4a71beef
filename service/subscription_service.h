// SubscriptionServiceImpl: tagwire.v1.SubscriptionService over the gRPC
// callback API. One write reactor per Subscribe call, fed by the
// SubscriptionHub; each has a bounded queue (ServiceLimits::subscriber_queue)
// and writes are paced by OnWriteDone. A subscriber whose queue overflows is
// ended with RESOURCE_EXHAUSTED; on shutdown, a subscriber is sent what is
// already queued and ended with UNAVAILABLE.
//
// Thread contract: as for every gRPC service; shares only ServiceEnv.
#ifndef TAGWIRE_SERVICE_SUBSCRIPTION_SERVICE_H_
#define TAGWIRE_SERVICE_SUBSCRIPTION_SERVICE_H_

#include "service/service_env.h"
#include "tagwire/v1/subscription_service.grpc.pb.h"

namespace tagwire {

class SubscriptionServiceImpl final : public v1::SubscriptionService::CallbackService {
 public:
  // `env` must outlive the server.
  explicit SubscriptionServiceImpl(ServiceEnv* env) : env_(env) {}

  grpc::ServerWriteReactor<v1::SubscribeResponse>* Subscribe(
      grpc::CallbackServerContext* context, const v1::SubscribeRequest* request) override;

 private:
  ServiceEnv* env_;
};

}  // namespace tagwire

#endif  // TAGWIRE_SERVICE_SUBSCRIPTION_SERVICE_H_
