// TagwireServer: tagwired's gRPC server, its metrics endpoint and their
// lifecycle.
//
//   ASSIGN_OR_RETURN(std::unique_ptr<TagwireServer> server, TagwireServer::Start(options));
//   ...                                  // serve; server->RequestReload("SIGHUP") on SIGHUP
//   server->Shutdown(absl::Seconds(10));  // on SIGTERM
//
// Start binds the ports and begins serving at once: health says NOT_SERVING
// and tagging calls get UNAVAILABLE until the taxonomy, loaded on a
// background thread, is ready (load_state()), and, when results are
// published to NATS, whenever the broker cannot take them. Services: tagwire.v1
// TaggingService, SubscriptionService and AdminService, grpc.health.v1, and
// server reflection when enabled. Prometheus text is served at
// http://<metrics_address>/metrics.
//
// Shutdown, in order: health NOT_SERVING and new calls refused; every open
// TagStream answers the articles it has read and ends with UNAVAILABLE (and
// unary calls finish; with a broker, each answer waits for its PubAck until
// the grace period ends, then the rest are answered NOT_DELIVERED); then
// subscribers are sent what is queued for them and
// end with UNAVAILABLE; then gRPC shuts down, cancelling whatever is still
// open when the grace period runs out. Shutdown never hangs on a client.
//
// Thread contract: Start, Shutdown and the destructor from one thread (the
// main thread); RequestReload and the accessors from any thread.
#ifndef TAGWIRE_SERVICE_SERVER_H_
#define TAGWIRE_SERVICE_SERVER_H_

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "service/nats_ingest.h"
#include "service/service_env.h"

namespace httplib {
class Server;
}

namespace tagwire {

struct ServerOptions {
  // host:port for gRPC. Port 0 picks a free port (see grpc_address()).
  std::string listen_address = "127.0.0.1:50051";
  // host:port for Prometheus /metrics over HTTP; empty disables it.
  std::string metrics_address = "127.0.0.1:9464";
  // Taxonomy JSONL files, in layer order. Required.
  std::vector<std::string> taxonomy_files;
  // Compiled-cache directory; empty compiles every time.
  std::string cache_dir;
  // Threads that tag; 0 means one per core.
  int worker_threads = 0;
  ServiceLimits limits;
  // gRPC transport limit for one received message. Must be larger than
  // limits.tag_limits.max_article_bytes, so an article over the application
  // limit still arrives and gets its own ARTICLE_TOO_LARGE answer.
  int max_message_bytes = 8 << 20;
  // TLS: PEM files. With cert and key, gRPC is served over TLS; with a client
  // CA as well, clients must present a certificate it signed (mTLS).
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string tls_client_ca_file;
  // A file holding the bearer token clients must send; empty: no token.
  std::string token_file;
  // Serve grpc.reflection (for grpcurl and ghz). Turn off in production.
  bool reflection = true;
  // Listening on a non-loopback address without TLS is refused unless set.
  bool allow_insecure_remote = false;
  // Publishing every result to NATS JetStream; an empty url turns it off.
  NatsPublisherConfig nats;
  // Answer an article only after the broker stored its result (PubAck);
  // false answers once the publish is queued (fire and forget).
  bool nats_wait_for_ack = true;
  // Ingest mode: articles pulled from a JetStream work queue (needs
  // nats.url); an empty subject turns it off. `ingest.url` is nats.url.
  NatsIngestConfig ingest;
};

// The health service name that says only "alive": SERVING from start until
// shutdown begins, whatever the taxonomy or the broker, for liveness probes
// (a broker outage must not get a pod restarted). Readiness is "" (overall).
inline constexpr char kLivenessHealthService[] = "liveness";

class TagwireServer {
 public:
  enum class LoadState { kLoading, kLoaded, kFailed };

  // Validates `options`, binds and starts serving, and begins loading the
  // taxonomy. InvalidArgument for bad options, NotFound/PermissionDenied for
  // unreadable TLS or token files, Unavailable if a port cannot be bound.
  static absl::StatusOr<std::unique_ptr<TagwireServer>> Start(const ServerOptions& options);

  ~TagwireServer();  // Shuts down with no grace period if Shutdown was not called.
  TagwireServer(const TagwireServer&) = delete;
  TagwireServer& operator=(const TagwireServer&) = delete;

  // The bound addresses, e.g. "127.0.0.1:50051" ("" if metrics are off).
  const std::string& grpc_address() const { return grpc_address_; }
  const std::string& metrics_address() const { return metrics_address_; }

  LoadState load_state() const;
  // The first load's error when load_state() is kFailed.
  absl::Status load_error() const;

  // Reloads the taxonomy in the background; `trigger` is logged.
  void RequestReload(const std::string& trigger);

  // The first step of Shutdown, on its own: health NOT_SERVING and new calls
  // refused with UNAVAILABLE. Idempotent; returns at once.
  void StopAccepting();

  // Drains and stops (see above), starting with StopAccepting; returns when
  // everything has stopped.
  void Shutdown(absl::Duration grace_period);

 private:
  TagwireServer() = default;
  absl::Status Build(const ServerOptions& options);
  absl::Status StartMetrics(const std::string& address);
  void OnInitialLoad(const absl::Status& status);
  // Sets health (and logs a change) from the taxonomy, the drain and the
  // broker: SERVING only when all three allow it.
  void UpdateHealth();
  // What readiness says now (for /healthz, the same as gRPC health).
  bool Serving();
  // Sets readiness ("" and each service) to `serving`, liveness to SERVING.
  void SetHealth(bool serving);
  void WatchBroker();  // health_thread_: follows the broker's state

  ServiceEnv env_;
  std::vector<std::unique_ptr<grpc::Service>> services_;  // outlive server_
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<httplib::Server> metrics_server_;
  std::thread metrics_thread_;
  // Set by the metrics thread when its listen loop has returned.
  std::atomic<bool> metrics_listen_returned_{false};
  std::string grpc_address_;
  std::string metrics_address_;
  bool shut_down_ = false;
  std::unique_ptr<NatsIngest> ingest_;
  std::thread health_thread_;
  absl::Mutex health_mutex_;
  bool serving_ ABSL_GUARDED_BY(health_mutex_) = false;
  bool broker_ready_ ABSL_GUARDED_BY(health_mutex_) = true;
  bool stop_watching_ ABSL_GUARDED_BY(health_mutex_) = false;

  mutable absl::Mutex load_mutex_;
  LoadState load_state_ ABSL_GUARDED_BY(load_mutex_) = LoadState::kLoading;
  absl::Status load_error_ ABSL_GUARDED_BY(load_mutex_);
};

// Whether `address` ("host:port") names a loopback host.
bool IsLoopbackAddress(std::string_view address);

}  // namespace tagwire

#endif  // TAGWIRE_SERVICE_SERVER_H_
