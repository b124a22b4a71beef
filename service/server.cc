#include "service/server.h"

#include <algorithm>
#include <chrono>
#include <thread>
#include <utility>

#include "absl/time/clock.h"
#include "core/files.h"
#include "core/status_macros.h"
#include "core/strings.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "httplib.h"
#include "service/admin_service.h"
#include "service/log.h"
#include "service/subscription_service.h"
#include "service/tagging_service.h"

namespace tagwire {
namespace {

// Room for the other fields of a TagStreamRequest around an article at the
// size limit.
constexpr int kMessageOverheadBytes = 64 << 10;

// Removes gRPC's reflection plugin from one ServerBuilder. Linking
// grpc++_reflection registers the plugin for every builder at static
// initialization, so not calling InitProtoReflectionServerBuilderPlugin is not
// enough to turn reflection off.
class WithoutReflection final : public grpc::ServerBuilderOption {
 public:
  void UpdateArguments(grpc::ChannelArguments* /*arguments*/) override {}
  void UpdatePlugins(std::vector<std::unique_ptr<grpc::ServerBuilderPlugin>>* plugins) override {
    plugins->erase(std::remove_if(plugins->begin(), plugins->end(),
                                  [](const std::unique_ptr<grpc::ServerBuilderPlugin>& plugin) {
                                    return plugin->name() == "proto_server_reflection";
                                  }),
                   plugins->end());
  }
};

struct HostPort {
  std::string host;
  int port = -1;
};

absl::StatusOr<HostPort> SplitHostPort(std::string_view address) {
  HostPort out;
  size_t colon;
  if (!address.empty() && address.front() == '[') {
    const size_t close = address.find(']');
    if (close == std::string_view::npos || close + 1 >= address.size() ||
        address[close + 1] != ':') {
      return absl::InvalidArgumentError(StrCat("bad address '", address, "': want [host]:port"));
    }
    out.host = std::string(address.substr(1, close - 1));
    colon = close + 1;
  } else {
    colon = address.rfind(':');
    if (colon == std::string_view::npos) {
      return absl::InvalidArgumentError(StrCat("bad address '", address, "': want host:port"));
    }
    out.host = std::string(address.substr(0, colon));
  }
  const std::string_view port = address.substr(colon + 1);
  int value = 0;
  if (port.empty() || port.size() > 5) {
    return absl::InvalidArgumentError(StrCat("bad port in '", address, "'"));
  }
  for (char c : port) {
    if (c < '0' || c > '9') return absl::InvalidArgumentError(StrCat("bad port in '", address, "'"));
    value = value * 10 + (c - '0');
  }
  if (value > 65535) return absl::InvalidArgumentError(StrCat("bad port in '", address, "'"));
  out.port = value;
  return out;
}

std::string JoinHostPort(const std::string& host, int port) {
  if (host.find(':') != std::string::npos) return StrCat("[", host, "]:", port);
  return StrCat(host, ":", port);
}

absl::StatusOr<std::string> ReadPemFile(const std::string& path, std::string_view what) {
  absl::StatusOr<std::string> bytes = ReadFileBytes(path);
  if (!bytes.ok()) {
    return absl::Status(bytes.status().code(),
                        StrCat(what, ": ", bytes.status().message()));
  }
  if (bytes->find("-----BEGIN") == std::string::npos) {
    return absl::InvalidArgumentError(StrCat(what, ": ", path, " is not a PEM file"));
  }
  return bytes;
}

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeCredentials(
    const ServerOptions& options) {
  if (options.tls_cert_file.empty() && options.tls_key_file.empty()) {
    if (!options.tls_client_ca_file.empty()) {
      return absl::InvalidArgumentError("--tls_client_ca needs --tls_cert and --tls_key");
    }
    return grpc::InsecureServerCredentials();
  }
  if (options.tls_cert_file.empty() || options.tls_key_file.empty()) {
    return absl::InvalidArgumentError("TLS needs both --tls_cert and --tls_key");
  }
  ASSIGN_OR_RETURN(std::string cert, ReadPemFile(options.tls_cert_file, "--tls_cert"));
  ASSIGN_OR_RETURN(std::string key, ReadPemFile(options.tls_key_file, "--tls_key"));
  grpc::SslServerCredentialsOptions ssl(GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  if (!options.tls_client_ca_file.empty()) {
    ASSIGN_OR_RETURN(ssl.pem_root_certs,
                     ReadPemFile(options.tls_client_ca_file, "--tls_client_ca"));
    ssl.client_certificate_request = GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
  }
  ssl.pem_key_cert_pairs.push_back({std::move(key), std::move(cert)});
  return grpc::SslServerCredentials(ssl);
}

absl::StatusOr<std::string> ReadToken(const std::string& path) {
  if (path.empty()) return std::string();
  absl::StatusOr<std::string> bytes = ReadFileBytes(path);
  if (!bytes.ok()) {
    return absl::Status(bytes.status().code(), StrCat("--token_file: ", bytes.status().message()));
  }
  const std::string_view token = StripWhitespace(*bytes);
  if (token.empty()) return absl::InvalidArgumentError(StrCat("--token_file: ", path, " is empty"));
  return std::string(token);
}

absl::Status ValidateOptions(const ServerOptions& options) {
  if (options.taxonomy_files.empty()) {
    return absl::InvalidArgumentError("no taxonomy files given");
  }
  const ServiceLimits& limits = options.limits;
  if (limits.max_streams < 1) return absl::InvalidArgumentError("--max_streams must be >= 1");
  if (limits.max_unary_in_flight < 1) {
    return absl::InvalidArgumentError("--max_unary_in_flight must be >= 1");
  }
  if (limits.max_in_flight_per_stream < 1) {
    return absl::InvalidArgumentError("--max_in_flight must be >= 1");
  }
  if (limits.conflict_window < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--conflict_window must be >= 0 (0 turns it off)");
  }
  if (limits.subscriber_queue < 1) {
    return absl::InvalidArgumentError("--subscriber_queue must be >= 1");
  }
  if (limits.tag_limits.max_article_bytes < 1) {
    return absl::InvalidArgumentError("--max_article_bytes must be >= 1");
  }
  if (options.max_message_bytes <= 0 ||
      static_cast<uint64_t>(options.max_message_bytes) <
          limits.tag_limits.max_article_bytes + kMessageOverheadBytes) {
    return absl::InvalidArgumentError(
        StrCat("--max_message_bytes (", options.max_message_bytes,
               ") must exceed --max_article_bytes (", limits.tag_limits.max_article_bytes,
               ") by at least ", kMessageOverheadBytes,
               ", so an oversized article gets its own ARTICLE_TOO_LARGE answer"));
  }
  const bool tls = !options.tls_cert_file.empty();
  if (!tls && !options.allow_insecure_remote && !IsLoopbackAddress(options.listen_address)) {
    return absl::InvalidArgumentError(
        StrCat("refusing to serve plaintext gRPC on non-loopback address ",
               options.listen_address,
               ": give --tls_cert and --tls_key, or --allow_insecure_remote on a trusted network"));
  }
  return absl::OkStatus();
}

}  // namespace

bool IsLoopbackAddress(std::string_view address) {
  if (address.rfind("unix:", 0) == 0) return true;
  absl::StatusOr<HostPort> parsed = SplitHostPort(address);
  if (!parsed.ok()) return false;
  const std::string& host = parsed->host;
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

absl::StatusOr<std::unique_ptr<TagwireServer>> TagwireServer::Start(
    const ServerOptions& options) {
  RETURN_IF_ERROR(ValidateOptions(options));
  std::unique_ptr<TagwireServer> server(new TagwireServer());
  RETURN_IF_ERROR(server->Build(options));
  return server;
}

absl::Status TagwireServer::Build(const ServerOptions& options) {
  ASSIGN_OR_RETURN(std::shared_ptr<grpc::ServerCredentials> credentials,
                   MakeCredentials(options));
  ASSIGN_OR_RETURN(std::string token, ReadToken(options.token_file));
  ASSIGN_OR_RETURN(HostPort listen, SplitHostPort(options.listen_address));

  env_.limits = options.limits;
  env_.authorizer = Authorizer(std::move(token));
  int workers = options.worker_threads;
  if (workers <= 0) workers = std::max(1u, std::thread::hardware_concurrency());
  env_.pool = std::make_unique<WorkerPool>(workers);
  if (options.limits.conflict_window > absl::ZeroDuration() &&
      options.limits.conflict_window_articles > 0) {
    env_.recent_articles = std::make_unique<RecentArticles>(
        options.limits.conflict_window_articles, options.limits.conflict_window);
  }
  env_.taxonomy_manager = std::make_unique<TaxonomyManager>(
      options.taxonomy_files, options.cache_dir, &env_.taxonomy, &env_.metrics);

  if (!options.ingest.subject.empty() && options.nats.url.empty()) {
    return absl::InvalidArgumentError("--ingest_subject needs --nats_url");
  }
  if (!options.nats.url.empty()) {
    ASSIGN_OR_RETURN(env_.publisher, NatsPublisher::Create(options.nats));
    env_.wait_for_broker = options.nats_wait_for_ack;
  }

  grpc::EnableDefaultHealthCheckService(true);
  if (options.reflection) grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  services_.push_back(std::make_unique<TaggingServiceImpl>(&env_));
  services_.push_back(std::make_unique<SubscriptionServiceImpl>(&env_));
  services_.push_back(std::make_unique<AdminServiceImpl>(&env_, absl::Now()));

  grpc::ServerBuilder builder;
  int selected_port = 0;
  builder.AddListeningPort(options.listen_address, credentials, &selected_port);
  for (const auto& service : services_) builder.RegisterService(service.get());
  if (!options.reflection) builder.SetOption(std::make_unique<WithoutReflection>());
  builder.SetMaxReceiveMessageSize(options.max_message_bytes);
  // Ping idle connections so a client that vanished without closing its
  // socket is noticed (and its streams cancelled) within ~40 s; refuse
  // clients that ping more often than every 10 s.
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, 30000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 10000);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 10000);
  server_ = builder.BuildAndStart();
  if (server_ == nullptr || selected_port == 0) {
    return absl::UnavailableError(
        StrCat("cannot listen on ", options.listen_address,
               " (address in use, or not an address of this machine?)"));
  }
  grpc_address_ = JoinHostPort(listen.host, selected_port);
  SetHealth(false);

  if (!options.ingest.subject.empty()) {  // before /metrics, which reads ingest_
    NatsIngestConfig ingest = options.ingest;
    ingest.url = options.nats.url;
    ASSIGN_OR_RETURN(ingest_, NatsIngest::Create(std::move(ingest), &env_));
  }
  if (!options.metrics_address.empty()) RETURN_IF_ERROR(StartMetrics(options.metrics_address));

  LogInfo("listening")
      .Add("grpc_address", grpc_address_)
      .Add("metrics_address", metrics_address_)
      .Add("tls", !options.tls_cert_file.empty())
      .Add("mtls", !options.tls_client_ca_file.empty())
      .Add("token", !options.token_file.empty())
      .Add("reflection", options.reflection)
      .Add("workers", env_.pool->size())
      .Add("nats_url", options.nats.url)
      .Add("nats_ack", options.nats_wait_for_ack ? "wait" : "none");
  if (env_.publisher != nullptr) {
    {
      absl::MutexLock lock(&health_mutex_);
      broker_ready_ = false;  // until the watcher sees it ready
    }
    health_thread_ = std::thread([this] { WatchBroker(); });
  }

  env_.taxonomy_manager->RequestLoad(
      "start", [this](const absl::StatusOr<TaxonomyManager::LoadOutcome>& outcome) {
        OnInitialLoad(outcome.status());
      });
  return absl::OkStatus();
}

absl::Status TagwireServer::StartMetrics(const std::string& address) {
  ASSIGN_OR_RETURN(HostPort bind, SplitHostPort(address));
  metrics_server_ = std::make_unique<httplib::Server>();
  metrics_server_->Get("/metrics", [this](const httplib::Request&, httplib::Response& response) {
    const std::shared_ptr<const CompiledTaxonomy> taxonomy = env_.taxonomy.Get();
    std::string text =
        env_.metrics.RenderPrometheus(taxonomy != nullptr ? taxonomy->version() : "");
    if (env_.publisher != nullptr) AppendNatsMetrics(env_.publisher->Stats(), &text);
    if (ingest_ != nullptr) AppendIngestMetrics(ingest_->Stats(), &text);
    response.set_content(std::move(text), "text/plain; version=0.0.4; charset=utf-8");
  });
  // For probes that cannot speak gRPC: 200 while serving, 503 otherwise.
  metrics_server_->Get("/healthz", [this](const httplib::Request&, httplib::Response& response) {
    const bool serving = Serving();
    response.status = serving ? 200 : 503;
    response.set_content(serving ? "SERVING\n" : "NOT_SERVING\n", "text/plain");
  });
  int port = bind.port;
  if (port == 0) {
    port = metrics_server_->bind_to_any_port(bind.host);
  } else if (!metrics_server_->bind_to_port(bind.host, port)) {
    port = -1;
  }
  if (port <= 0) {
    return absl::UnavailableError(StrCat("cannot listen for metrics on ", address));
  }
  metrics_address_ = JoinHostPort(bind.host, port);
  httplib::Server* server = metrics_server_.get();
  metrics_thread_ = std::thread([this, server] {
    server->listen_after_bind();
    metrics_listen_returned_.store(true);
  });
  return absl::OkStatus();
}

void TagwireServer::OnInitialLoad(const absl::Status& status) {
  {
    absl::MutexLock lock(&load_mutex_);
    load_state_ = status.ok() ? LoadState::kLoaded : LoadState::kFailed;
    load_error_ = status;
  }
  UpdateHealth();
}

void TagwireServer::SetHealth(bool serving) {
  grpc::HealthCheckServiceInterface* health = server_->GetHealthCheckService();
  health->SetServingStatus(serving);  // "" and every service
  health->SetServingStatus(kLivenessHealthService, true);
}

bool TagwireServer::Serving() {
  absl::MutexLock lock(&health_mutex_);
  return serving_ && !env_.draining.load();
}

void TagwireServer::UpdateHealth() {
  absl::MutexLock lock(&health_mutex_);
  const bool serving = env_.taxonomy.Get() != nullptr && !env_.draining.load() && broker_ready_;
  if (serving == serving_ || env_.draining.load()) return;  // draining: StopAccepting has it
  serving_ = serving;
  SetHealth(serving);
  if (serving) {
    LogInfo("serving").Add("grpc_address", grpc_address_);
  } else {
    LogWarning("not_serving").Add("reason", "the NATS broker is unavailable");
  }
}

void TagwireServer::WatchBroker() {
  absl::MutexLock lock(&health_mutex_);
  while (!stop_watching_) {
    // Polled: the NATS client's connection callbacks do not cover a broker
    // that is connected but has lost its stream.
    health_mutex_.AwaitWithTimeout(absl::Condition(&stop_watching_), absl::Milliseconds(100));
    if (stop_watching_) break;
    const bool ready = env_.publisher->Ready();
    if (ready == broker_ready_) continue;
    broker_ready_ = ready;
    if (!ready) LogWarning("broker_unavailable");
    if (ready) LogInfo("broker_available");
    health_mutex_.Unlock();
    UpdateHealth();
    health_mutex_.Lock();
  }
}

TagwireServer::LoadState TagwireServer::load_state() const {
  absl::MutexLock lock(&load_mutex_);
  return load_state_;
}

absl::Status TagwireServer::load_error() const {
  absl::MutexLock lock(&load_mutex_);
  return load_error_;
}

void TagwireServer::RequestReload(const std::string& trigger) {
  if (env_.draining.load()) return;
  env_.taxonomy_manager->RequestLoad(trigger, nullptr);
}

void TagwireServer::StopAccepting() {
  env_.draining.store(true);
  if (health_thread_.joinable()) {
    {
      absl::MutexLock lock(&health_mutex_);
      stop_watching_ = true;
    }
    health_thread_.join();
  }
  server_->GetHealthCheckService()->Shutdown();  // NOT_SERVING from now on
}

void TagwireServer::Shutdown(absl::Duration grace_period) {
  if (shut_down_) return;
  shut_down_ = true;
  const absl::Time deadline = absl::Now() + grace_period;
  StopAccepting();

  // Producers first, so every article they were answered for has been
  // offered to subscribers before the subscribers are drained. Ingest stops
  // pulling and finishes what it has; the rest is delivered again elsewhere.
  const size_t streams = env_.tag_streams.size();
  env_.tag_streams.DrainAll();
  if (ingest_ != nullptr) ingest_->Stop(std::max(absl::ZeroDuration(), deadline - absl::Now()));
  const bool streams_drained = env_.tag_streams.WaitUntilEmpty(deadline);
  while (env_.unary_in_flight.load() > 0 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(2));
  }
  const size_t subscriptions = env_.subscriptions.size();
  env_.subscriptions.DrainAll();
  const bool subscriptions_drained = env_.subscriptions.WaitUntilEmpty(deadline);
  LogInfo("drained")
      .Add("tag_streams", static_cast<uint64_t>(streams))
      .Add("subscriptions", static_cast<uint64_t>(subscriptions))
      .Add("complete", streams_drained && subscriptions_drained);

  if (env_.publisher != nullptr) {
    // Whatever still waits for a PubAck gets until the deadline, then is
    // answered NOT_DELIVERED, so that no call waits on the broker for ever.
    env_.publisher->Shutdown(std::max(absl::ZeroDuration(), deadline - absl::Now()));
  }

  // What is left open now holds no work (health watches, reflection), unless
  // the drain ran out of time: cancel it at once, or at the deadline, and wait
  // for every call to finish.
  env_.taxonomy_manager->CancelPending();  // a reload already running still finishes
  const bool drained = streams_drained && subscriptions_drained;
  // When drained, what is open is only health watches: a moment (they never
  // end by themselves, so it is all they get) lets the NOT_SERVING already
  // sent to them reach the wire before they are cancelled.
  const absl::Time cancel_at = drained ? std::min(deadline, absl::Now() + absl::Milliseconds(200))
                                       : deadline;
  server_->Shutdown(absl::ToChronoTime(cancel_at));
  if (metrics_server_ != nullptr) {
    // cpp-httplib ignores stop() until its listen loop runs, and a shutdown
    // right after start (a taxonomy that fails to load) can come first: the
    // join then hung for ever. Wait for the loop to run (or to have ended).
    while (!metrics_server_->is_running() && !metrics_listen_returned_.load()) {
      absl::SleepFor(absl::Milliseconds(1));
    }
    metrics_server_->stop();
    if (metrics_thread_.joinable()) metrics_thread_.join();
  }
  env_.taxonomy_manager.reset();
  env_.pool.reset();
  ingest_.reset();         // every fetched message is finished by now
  env_.publisher.reset();  // after the workers, which may still be in Publish
}

TagwireServer::~TagwireServer() {
  if (server_ != nullptr) Shutdown(absl::ZeroDuration());
}

}  // namespace tagwire
