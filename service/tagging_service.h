// TaggingServiceImpl: tagwire.v1.TaggingService over the gRPC callback API.
//
// Tag hands its article to the worker pool and finishes from there. TagStream
// runs one reactor per call (tagging_service.cc): it reads articles while
// fewer than ServiceLimits::max_in_flight_per_stream are unanswered, tags
// them concurrently on the pool, and writes the answers back in request
// order, one write at a time, paced by OnWriteDone. Reactions never block.
// Each result is published to subscribers just before it is answered, so
// subscribers see the articles of one stream in that stream's order.
//
// Thread contract: gRPC calls the handlers from its threads; the handlers
// share only thread-safe state (ServiceEnv).
#ifndef TAGWIRE_SERVICE_TAGGING_SERVICE_H_
#define TAGWIRE_SERVICE_TAGGING_SERVICE_H_

#include "service/service_env.h"
#include "tagwire/v1/tagging_service.grpc.pb.h"

namespace tagwire {

class TaggingServiceImpl final : public v1::TaggingService::CallbackService {
 public:
  // `env` must outlive the server.
  explicit TaggingServiceImpl(ServiceEnv* env) : env_(env) {}

  grpc::ServerUnaryReactor* Tag(grpc::CallbackServerContext* context,
                                const v1::TagRequest* request,
                                v1::TagResponse* response) override;
  grpc::ServerBidiReactor<v1::TagStreamRequest, v1::TagStreamResponse>* TagStream(
      grpc::CallbackServerContext* context) override;

 private:
  ServiceEnv* env_;
};

}  // namespace tagwire

#endif  // TAGWIRE_SERVICE_TAGGING_SERVICE_H_
