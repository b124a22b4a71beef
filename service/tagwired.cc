// tagwired: the tagwire gRPC server.
//
//   tagwired                                   # default taxonomy on 127.0.0.1:50051
//   tagwired --taxonomy=base.jsonl,overlay.jsonl --listen=0.0.0.0:50051
//            --tls_cert=server.pem --tls_key=server.key --token_file=token
//
// Signals: SIGTERM/SIGINT drain and stop (exit 0); SIGHUP reloads the
// taxonomy files. Logs are JSON lines on stderr; `tagwired --help` lists every
// flag with its default.
#include <signal.h>

#include <cerrno>
#include <cstdlib>
#include <ctime>
#include <memory>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "core/strings.h"
#include "service/defaults.h"
#include "service/log.h"
#include "service/server.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:50051",
          "host:port to serve gRPC on; port 0 picks a free port (logged in the 'listening' event)");
ABSL_FLAG(std::string, metrics_listen, "127.0.0.1:9464",
          "host:port for Prometheus /metrics and /healthz over HTTP; empty disables");
ABSL_FLAG(std::vector<std::string>, taxonomy, {},
          "taxonomy JSONL files, comma-separated, in layer order (default: $TAGWIRE_TAXONOMY or "
          "the taxonomy in the repository's data/)");
ABSL_FLAG(std::string, cache_dir, tagwire::DefaultCacheDir(),
          "directory for the compiled taxonomy cache; empty compiles at every start");
ABSL_FLAG(int, workers, 0, "threads that tag articles; 0 means one per core");
ABSL_FLAG(int, max_streams, 256,
          "streaming calls (TagStream + Subscribe) open at once; more get RESOURCE_EXHAUSTED");
ABSL_FLAG(int, max_in_flight, 32,
          "articles of one stream read but not yet answered; at the bound the server stops "
          "reading that stream (backpressure)");
ABSL_FLAG(int, max_unary_in_flight, 4096,
          "Tag (unary) calls accepted and not yet answered, server-wide; more get "
          "RESOURCE_EXHAUSTED");
ABSL_FLAG(int64_t, max_article_bytes, 1 << 20,
          "largest article (title + body) tagged; larger ones get ARTICLE_TOO_LARGE");
ABSL_FLAG(int, max_message_bytes, 8 << 20,
          "gRPC limit for one received message; a larger message ends its call with "
          "RESOURCE_EXHAUSTED. Must exceed --max_article_bytes by 64 KiB");
ABSL_FLAG(int, subscriber_queue, 1024,
          "results queued per subscriber; a subscriber that falls further behind is ended");
ABSL_FLAG(absl::Duration, conflict_window, absl::Minutes(10),
          "how long an article's source/id/version is remembered: sent again with a different "
          "title or body within it, the article is answered CONFLICT (0 turns this off)");
ABSL_FLAG(int64_t, conflict_window_articles, 100000,
          "at most this many identities are remembered for --conflict_window (about 200 bytes "
          "each)");
ABSL_FLAG(absl::Duration, grace_period, absl::Seconds(10),
          "on SIGTERM, how long open streams get to finish before they are cancelled");
ABSL_FLAG(std::string, tls_cert, "", "PEM certificate chain: serve gRPC over TLS");
ABSL_FLAG(std::string, tls_key, "", "PEM private key of --tls_cert");
ABSL_FLAG(std::string, tls_client_ca, "",
          "PEM CA certificates: require client certificates signed by them (mTLS)");
ABSL_FLAG(std::string, token_file, "",
          "file holding a bearer token that clients must send as 'authorization: Bearer <token>' "
          "(health checks are exempt)");
ABSL_FLAG(bool, reflection, true,
          "serve gRPC server reflection (for grpcurl and ghz); turn off in production");
ABSL_FLAG(bool, allow_insecure_remote, false,
          "allow plaintext gRPC on a non-loopback --listen address");
ABSL_FLAG(std::string, nats_url, "",
          "NATS server(s) to publish every tagged article to (JetStream), e.g. "
          "nats://127.0.0.1:4222; empty: no publishing");
ABSL_FLAG(std::string, nats_subject, "tagwire.tagged", "subject tagged articles are published to");
ABSL_FLAG(std::string, nats_dead_letter_subject, "tagwire.dead",
          "subject articles that could not be tagged are published to (a tagwire.v1.DeadLetter "
          "each, with the reason)");
ABSL_FLAG(std::string, nats_stream, "TAGWIRE_TAGGED",
          "JetStream stream holding both subjects; created if missing (file storage), given "
          "missing subjects if it exists");
ABSL_FLAG(std::string, nats_ack, "wait",
          "wait: answer an article only after the broker stored its result (PubAck); none: "
          "answer once the publish is queued (lower latency, a broker failure can lose results)");
ABSL_FLAG(bool, nats_json, false, "publish proto3 JSON instead of protobuf bytes");
ABSL_FLAG(int, nats_max_pending, 1024,
          "publishes awaiting their PubAck, at most; at the bound tagging waits (backpressure)");
ABSL_FLAG(std::string, ingest_subject, "",
          "ingest mode: also tag articles (tagwire.v1.Article, protobuf or JSON) sent to this "
          "NATS subject, e.g. tagwire.articles; replicas with the same --ingest_consumer share "
          "them. Needs --nats_url; empty: off");
ABSL_FLAG(std::string, ingest_stream, "TAGWIRE_ARTICLES",
          "work-queue stream holding --ingest_subject; created if missing");
ABSL_FLAG(std::string, ingest_consumer, "tagwired",
          "durable pull consumer shared by every replica");
ABSL_FLAG(int, ingest_max_in_flight, 256, "ingested articles not yet acknowledged, at most");
ABSL_FLAG(absl::Duration, ingest_ack_wait, absl::Seconds(30),
          "how long the broker waits for an ingested article's acknowledgment before delivering "
          "it again (to any replica): the recovery time after a replica dies");
ABSL_FLAG(absl::Duration, nats_publish_wait, absl::Seconds(30),
          "how long a result may wait for room among the pending publishes before its article "
          "is answered NOT_DELIVERED");

namespace tagwire {
namespace {

ServerOptions OptionsFromFlags() {
  ServerOptions options;
  options.listen_address = absl::GetFlag(FLAGS_listen);
  options.metrics_address = absl::GetFlag(FLAGS_metrics_listen);
  options.taxonomy_files = absl::GetFlag(FLAGS_taxonomy);
  if (options.taxonomy_files.empty()) options.taxonomy_files = DefaultTaxonomyFiles();
  options.cache_dir = absl::GetFlag(FLAGS_cache_dir);
  options.worker_threads = absl::GetFlag(FLAGS_workers);
  options.limits.max_streams = absl::GetFlag(FLAGS_max_streams);
  options.limits.max_in_flight_per_stream = absl::GetFlag(FLAGS_max_in_flight);
  options.limits.max_unary_in_flight = absl::GetFlag(FLAGS_max_unary_in_flight);
  options.limits.subscriber_queue = static_cast<size_t>(std::max(0, absl::GetFlag(FLAGS_subscriber_queue)));
  options.limits.tag_limits.max_article_bytes =
      static_cast<size_t>(std::max<int64_t>(0, absl::GetFlag(FLAGS_max_article_bytes)));
  options.max_message_bytes = absl::GetFlag(FLAGS_max_message_bytes);
  options.limits.conflict_window = absl::GetFlag(FLAGS_conflict_window);
  options.limits.conflict_window_articles =
      static_cast<size_t>(std::max<int64_t>(0, absl::GetFlag(FLAGS_conflict_window_articles)));
  options.tls_cert_file = absl::GetFlag(FLAGS_tls_cert);
  options.tls_key_file = absl::GetFlag(FLAGS_tls_key);
  options.tls_client_ca_file = absl::GetFlag(FLAGS_tls_client_ca);
  options.token_file = absl::GetFlag(FLAGS_token_file);
  options.reflection = absl::GetFlag(FLAGS_reflection);
  options.allow_insecure_remote = absl::GetFlag(FLAGS_allow_insecure_remote);
  options.nats.url = absl::GetFlag(FLAGS_nats_url);
  options.nats.subject = absl::GetFlag(FLAGS_nats_subject);
  options.nats.dead_letter_subject = absl::GetFlag(FLAGS_nats_dead_letter_subject);
  options.nats.stream = absl::GetFlag(FLAGS_nats_stream);
  options.nats.json = absl::GetFlag(FLAGS_nats_json);
  options.nats.max_pending = absl::GetFlag(FLAGS_nats_max_pending);
  options.nats.publish_wait = absl::GetFlag(FLAGS_nats_publish_wait);
  options.nats_wait_for_ack = absl::GetFlag(FLAGS_nats_ack) != "none";
  options.ingest.subject = absl::GetFlag(FLAGS_ingest_subject);
  options.ingest.stream = absl::GetFlag(FLAGS_ingest_stream);
  options.ingest.consumer = absl::GetFlag(FLAGS_ingest_consumer);
  options.ingest.max_in_flight = absl::GetFlag(FLAGS_ingest_max_in_flight);
  options.ingest.ack_wait = absl::GetFlag(FLAGS_ingest_ack_wait);
  return options;
}

// Waits for signals on this (the main) thread, never in a signal handler:
// SIGHUP reloads, SIGTERM/SIGINT end the loop. Returns the exit code.
int ServeUntilSignalled(TagwireServer& server, const sigset_t& signals) {
  const timespec poll = {0, 200 * 1000 * 1000};
  while (true) {
    if (server.load_state() == TagwireServer::LoadState::kFailed) {
      LogError("shutdown").Add("reason", "the taxonomy could not be loaded");
      server.Shutdown(absl::ZeroDuration());
      std::fprintf(stderr, "tagwired: %s\n",
                   std::string(ToStd(server.load_error().message())).c_str());
      return 2;
    }
    siginfo_t info;
    const int signal = sigtimedwait(&signals, &info, &poll);
    if (signal < 0) continue;  // EAGAIN (timeout) or EINTR
    if (signal == SIGHUP) {
      server.RequestReload("SIGHUP");
      continue;
    }
    // A second SIGTERM/SIGINT during the drain ends the process at once.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    pthread_sigmask(SIG_UNBLOCK, &stop_signals, nullptr);
    const absl::Duration grace = absl::GetFlag(FLAGS_grace_period);
    server.StopAccepting();  // before the log line, so "shutdown" means refusing
    LogInfo("shutdown")
        .Add("signal", signal == SIGTERM ? "SIGTERM" : "SIGINT")
        .Add("grace_period_s", absl::ToDoubleSeconds(grace));
    server.Shutdown(grace);
    return 0;
  }
}

int Main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "the tagwire gRPC server: tags news articles with topics, people, organizations and "
      "places.\nUsage: tagwired [--flag=value]...   (tagwired alone serves the default taxonomy "
      "on 127.0.0.1:50051)");
  const std::vector<char*> positional = absl::ParseCommandLine(argc, argv);
  RouteGrpcLogsToJson();
  // Debian builds abseil with mutex deadlock detection on, which records every
  // lock acquisition in a graph (seen at ~1-2 % of server CPU in perf). Our lock
  // order is simple and reviewed; the unit tests run with detection on.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  if (positional.size() > 1) {
    std::fprintf(stderr, "tagwired: unexpected argument '%s' (flags look like --name=value)\n",
                 positional[1]);
    return 2;
  }

  // Block the signals we wait for before any thread starts, so every thread
  // inherits the mask and only sigtimedwait below ever receives them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);  // a vanished HTTP client must not kill the server

  const std::string nats_ack = absl::GetFlag(FLAGS_nats_ack);
  if (nats_ack != "wait" && nats_ack != "none") {
    std::fprintf(stderr, "tagwired: --nats_ack must be wait or none, not '%s'\n", nats_ack.c_str());
    return 2;
  }
  absl::StatusOr<std::unique_ptr<TagwireServer>> server = TagwireServer::Start(OptionsFromFlags());
  if (!server.ok()) {
    LogError("start_failed").Add("error", ToStd(server.status().message()));
    std::fprintf(stderr, "tagwired: %s\n", std::string(ToStd(server.status().message())).c_str());
    return 2;
  }
  const int exit_code = ServeUntilSignalled(**server, signals);
  server->reset();
  LogInfo("stopped").Add("exit_code", exit_code);
  return exit_code;
}

}  // namespace
}  // namespace tagwire

int main(int argc, char** argv) { return tagwire::Main(argc, argv); }
