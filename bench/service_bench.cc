// tagwire-bench: drives a running tagwired over gRPC and reports articles/s.
//
//   tagwire-bench --target=127.0.0.1:50051 --mode=both --concurrency=4
//                 --duration=10s --articles=examples
//
// Modes: "unary" (each client thread calls Tag in a closed loop), "stream"
// (each client opens one TagStream and keeps it full; the server's
// per-stream in-flight bound and HTTP/2 flow control pace it), "both" (unary
// then stream, and the ratio). Articles are the *.txt files of --articles
// (first line = title), sent round-robin with unique ids. Each mode warms up
// for --warmup, then counts for --duration. Prints one JSON object per mode
// on stdout and a human summary on stderr. Errors are counted and reported;
// any error makes the exit code 1.
//
// This is the first, throughput-only load generator; latency histograms and
// open-loop load belong to the full bench harness (bench/RESULTS.md).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "core/files.h"
#include "grpcpp/grpcpp.h"
#include "service/proto_convert.h"
#include "tagwire/v1/tagging_service.grpc.pb.h"

ABSL_FLAG(std::string, target, "127.0.0.1:50051", "tagwired address");
ABSL_FLAG(std::string, mode, "both", "unary, stream or both");
ABSL_FLAG(int, concurrency, 2, "client threads (unary) or open streams (stream)");
ABSL_FLAG(absl::Duration, duration, absl::Seconds(5), "measured time per mode");
ABSL_FLAG(absl::Duration, warmup, absl::Seconds(1), "time per mode before measuring");
ABSL_FLAG(std::string, articles, "examples", "directory of *.txt articles (first line = title)");
ABSL_FLAG(double, rate, 0,
          "articles/s to offer in total, spread over the clients (open loop: each sends on a "
          "fixed schedule); 0 sends as fast as the server takes them (closed loop)");

namespace tagwire {
namespace {

struct Corpus {
  std::vector<v1::Article> articles;
  uint64_t bytes = 0;  // title + body of all articles
};

bool LoadCorpus(const std::string& directory, Corpus* corpus) {
  std::vector<std::filesystem::path> paths;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(directory, error)) {
    if (entry.path().extension() == ".txt") paths.push_back(entry.path());
  }
  std::sort(paths.begin(), paths.end());
  for (const auto& path : paths) {
    absl::StatusOr<std::string> text = ReadFileBytes(path.string());
    if (!text.ok()) return false;
    v1::Article article;
    article.set_source("bench");
    ArticleFromPlainText(*text, &article);  // as the CLI reads a .txt article
    corpus->bytes += article.title().size() + article.body().size();
    corpus->articles.push_back(std::move(article));
  }
  return !corpus->articles.empty();
}

// Counters shared by the client threads of one mode.
struct Counts {
  std::atomic<bool> measuring{false};
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> articles{0};
  std::atomic<uint64_t> bytes{0};
  std::atomic<uint64_t> errors{0};
  std::atomic<uint64_t> next_id{0};
};

void CountOne(Counts& counts, const v1::Article& article, bool ok) {
  if (!counts.measuring.load(std::memory_order_relaxed)) return;
  if (!ok) {
    counts.errors.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  counts.articles.fetch_add(1, std::memory_order_relaxed);
  counts.bytes.fetch_add(article.title().size() + article.body().size(),
                         std::memory_order_relaxed);
}

// Paces one client at its share of --rate: Wait() returns when the next
// article is due (at once with no rate). The schedule is fixed, so a slow
// answer is not hidden by sending the next one later.
class Pacer {
 public:
  Pacer() {
    const double rate = absl::GetFlag(FLAGS_rate);
    const int clients = std::max(1, absl::GetFlag(FLAGS_concurrency));
    if (rate > 0) interval_ = absl::Seconds(clients / rate);
    next_ = absl::Now();
  }
  void Wait() {
    if (interval_ == absl::ZeroDuration()) return;
    const absl::Duration ahead = next_ - absl::Now();
    if (ahead > absl::ZeroDuration()) absl::SleepFor(ahead);
    next_ += interval_;
  }

 private:
  absl::Duration interval_ = absl::ZeroDuration();
  absl::Time next_;
};

void UnaryClient(v1::TaggingService::Stub& stub, const Corpus& corpus, Counts& counts) {
  v1::TagRequest request;
  v1::TagResponse response;
  Pacer pacer;
  while (!counts.stop.load(std::memory_order_relaxed)) {
    pacer.Wait();
    const uint64_t n = counts.next_id.fetch_add(1, std::memory_order_relaxed);
    const v1::Article& article = corpus.articles[n % corpus.articles.size()];
    *request.mutable_article() = article;
    request.mutable_article()->set_id(std::to_string(n));
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    const grpc::Status status = stub.Tag(&context, request, &response);
    CountOne(counts, article, status.ok());
  }
}

void StreamClient(v1::TaggingService::Stub& stub, const Corpus& corpus, Counts& counts) {
  grpc::ClientContext context;
  auto stream = stub.TagStream(&context);
  std::atomic<uint64_t> sent{0};
  std::thread writer([&] {
    v1::TagStreamRequest request;
    Pacer pacer;
    while (!counts.stop.load(std::memory_order_relaxed)) {
      pacer.Wait();
      const uint64_t n = counts.next_id.fetch_add(1, std::memory_order_relaxed);
      *request.mutable_article() = corpus.articles[n % corpus.articles.size()];
      request.mutable_article()->set_id(std::to_string(n));
      if (!stream->Write(request)) break;
      sent.fetch_add(1, std::memory_order_relaxed);
    }
    stream->WritesDone();
  });
  v1::TagStreamResponse response;
  uint64_t received = 0;
  while (stream->Read(&response)) {
    const v1::Article& article = corpus.articles[std::stoull(response.id()) % corpus.articles.size()];
    CountOne(counts, article, response.has_tagged_article());
    ++received;
  }
  writer.join();
  const grpc::Status status = stream->Finish();
  if (!status.ok()) {
    std::fprintf(stderr, "tagwire-bench: stream ended with %d: %s\n",
                 static_cast<int>(status.error_code()), status.error_message().c_str());
    counts.errors.fetch_add(1);
  }
  if (received != sent.load()) {
    std::fprintf(stderr, "tagwire-bench: stream answered %llu of %llu articles\n",
                 static_cast<unsigned long long>(received),
                 static_cast<unsigned long long>(sent.load()));
    counts.errors.fetch_add(1);
  }
}

struct ModeResult {
  double articles_per_second = 0;
  uint64_t errors = 0;
};

ModeResult RunMode(const std::string& mode, const std::shared_ptr<grpc::Channel>& channel,
                   const Corpus& corpus) {
  const int concurrency = std::max(1, absl::GetFlag(FLAGS_concurrency));
  Counts counts;
  std::vector<std::thread> clients;
  std::vector<std::unique_ptr<v1::TaggingService::Stub>> stubs;
  for (int i = 0; i < concurrency; ++i) {
    stubs.push_back(v1::TaggingService::NewStub(channel));
    v1::TaggingService::Stub* stub = stubs.back().get();
    clients.emplace_back([&, stub] {
      if (mode == "unary") {
        UnaryClient(*stub, corpus, counts);
      } else {
        StreamClient(*stub, corpus, counts);
      }
    });
  }
  absl::SleepFor(absl::GetFlag(FLAGS_warmup));
  counts.measuring.store(true);
  const absl::Time start = absl::Now();
  absl::SleepFor(absl::GetFlag(FLAGS_duration));
  counts.measuring.store(false);
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  counts.stop.store(true);
  for (std::thread& client : clients) client.join();

  ModeResult result;
  result.articles_per_second = static_cast<double>(counts.articles.load()) / seconds;
  result.errors = counts.errors.load();
  const double megabytes_per_second = static_cast<double>(counts.bytes.load()) / seconds / 1e6;
  std::printf(
      "{\"mode\":\"%s\",\"concurrency\":%d,\"seconds\":%.3f,\"articles\":%llu,"
      "\"articles_per_second\":%.1f,\"megabytes_per_second\":%.3f,\"errors\":%llu}\n",
      mode.c_str(), concurrency, seconds, static_cast<unsigned long long>(counts.articles.load()),
      result.articles_per_second, megabytes_per_second,
      static_cast<unsigned long long>(result.errors));
  std::fflush(stdout);
  std::fprintf(stderr, "%-6s x%d: %10.0f articles/s  %8.2f MB/s  errors %llu\n", mode.c_str(),
               concurrency, result.articles_per_second, megabytes_per_second,
               static_cast<unsigned long long>(result.errors));
  return result;
}

int Main(int argc, char** argv) {
  absl::SetProgramUsageMessage("drives a running tagwired and reports articles/s");
  absl::ParseCommandLine(argc, argv);
  Corpus corpus;
  if (!LoadCorpus(absl::GetFlag(FLAGS_articles), &corpus)) {
    std::fprintf(stderr, "tagwire-bench: no *.txt articles in %s\n",
                 absl::GetFlag(FLAGS_articles).c_str());
    return 2;
  }
  const std::string mode = absl::GetFlag(FLAGS_mode);
  if (mode != "unary" && mode != "stream" && mode != "both") {
    std::fprintf(stderr, "tagwire-bench: --mode must be unary, stream or both\n");
    return 2;
  }
  std::fprintf(stderr, "tagwire-bench: %zu articles, %.1f KB on average, target %s\n",
               corpus.articles.size(),
               static_cast<double>(corpus.bytes) / corpus.articles.size() / 1000.0,
               absl::GetFlag(FLAGS_target).c_str());
  // One channel per mode run: every stub shares its HTTP/2 connection, as an
  // application's client would.
  auto channel = grpc::CreateChannel(absl::GetFlag(FLAGS_target), grpc::InsecureChannelCredentials());
  if (!channel->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(10))) {
    std::fprintf(stderr, "tagwire-bench: cannot connect to %s\n", absl::GetFlag(FLAGS_target).c_str());
    return 2;
  }
  uint64_t errors = 0;
  ModeResult unary, stream;
  if (mode != "stream") {
    unary = RunMode("unary", channel, corpus);
    errors += unary.errors;
  }
  if (mode != "unary") {
    stream = RunMode("stream", channel, corpus);
    errors += stream.errors;
  }
  if (mode == "both" && unary.articles_per_second > 0) {
    std::printf("{\"ratio\":\"stream/unary\",\"value\":%.2f}\n",
                stream.articles_per_second / unary.articles_per_second);
    std::fprintf(stderr, "stream/unary: %.2fx\n",
                 stream.articles_per_second / unary.articles_per_second);
  }
  return errors == 0 ? 0 : 1;
}

}  // namespace
}  // namespace tagwire

int main(int argc, char** argv) { return tagwire::Main(argc, argv); }
