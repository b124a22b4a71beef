#include "service/service_env.h"

#include <utility>

#include "core/strings.h"

namespace tagwire {
namespace {

// Compares without an early exit, so the time taken does not reveal how much
// of a guessed token was right.
bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  unsigned char difference = a.size() == b.size() ? 0 : 1;
  const size_t n = a.size() < b.size() ? a.size() : b.size();
  for (size_t i = 0; i < n; ++i) {
    difference |= static_cast<unsigned char>(a[i] ^ b[i]);
  }
  return difference == 0;
}

}  // namespace

grpc::Status Authorizer::Check(const grpc::CallbackServerContext& context) const {
  if (token_.empty()) return grpc::Status::OK;
  const auto& metadata = context.client_metadata();
  const auto found = metadata.find("authorization");
  if (found == metadata.end()) {
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                        "missing bearer token: send metadata 'authorization: Bearer <token>'");
  }
  const std::string_view value(found->second.data(), found->second.size());
  constexpr std::string_view kPrefix = "Bearer ";
  if (value.size() < kPrefix.size() ||
      !EqualsIgnoreAsciiCase(value.substr(0, kPrefix.size()), kPrefix) ||
      !ConstantTimeEquals(value.substr(kPrefix.size()), token_)) {
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "invalid bearer token");
  }
  return grpc::Status::OK;
}

grpc::Status ServiceEnv::AdmitStream(const grpc::CallbackServerContext& context, Call call) {
  grpc::Status status = Admission(context, call);
  if (!status.ok()) return status;
  int open = open_streams_.load(std::memory_order_relaxed);
  while (open < limits.max_streams) {
    if (open_streams_.compare_exchange_weak(open, open + 1, std::memory_order_relaxed)) {
      return grpc::Status::OK;
    }
  }
  return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                      StrCat("too many open streams (the limit is ", limits.max_streams,
                             "); retry later with backoff, or raise --max_streams"));
}

void ServiceEnv::ReleaseStreamSlot() { open_streams_.fetch_sub(1, std::memory_order_relaxed); }

grpc::Status ServiceEnv::Admission(const grpc::CallbackServerContext& context,
                                   Call call) const {
  grpc::Status status = authorizer.Check(context);
  if (!status.ok()) return status;
  if (draining.load(std::memory_order_acquire)) {
    return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                        "the server is shutting down; send to another instance or retry");
  }
  if (taxonomy.Get() == nullptr) {
    return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                        "the taxonomy is still loading; retry shortly");
  }
  if (call == Call::kBringsArticles && publisher != nullptr && !publisher->Ready()) {
    return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                        "the NATS broker that results are published to is unavailable; retry "
                        "with backoff (health says NOT_SERVING until it is back)");
  }
  return grpc::Status::OK;
}

grpc::Status ToGrpcStatus(const absl::Status& status) {
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()),
                      std::string(ToStd(status.message())));
}

}  // namespace tagwire
