// tagwire-bench: drives a running tagwired over gRPC and reports articles/s.
//
//   tagwire-bench --target=127.0.0.1:50051 --mode=both --concurrency=4
//                 --duration=10s --articles=examples
//
// Modes: "unary" (each client thread calls Tag), "stream" (each client opens
// one TagStream and keeps it full; the server's per-stream in-flight bound and
// HTTP/2 flow control pace it), "both" (unary then stream, and the ratio).
// Articles are the *.txt files of a directory (first line = title) or the
// lines of a JSON Lines corpus (bench/corpus.py), sent round-robin with
// unique ids.
//
// Load: closed loop by default (each client sends its next article as soon as
// it may: the maximum throughput); with --rate, open loop (every client sends
// on a fixed schedule, and an article's latency is counted from when it was
// due, not from when it was sent, so a slow answer that delays the next send
// is not hidden: no coordinated omission).
//
// Each mode warms up for --warmup (not counted), then measures for --duration
// or until --max_articles answers. Prints one JSON object per mode on stdout
// (articles/s, MB/s, latency percentiles in microseconds: p50, p90, p99,
// p99.9, max) and a human summary on stderr. Errors are counted and
// reported; any error makes the exit code 1.
#include <algorithm>
#include <cmath>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "bench/corpus_file.h"
#include "core/files.h"
#include "grpcpp/grpcpp.h"
#include "service/proto_convert.h"
#include "tagwire/v1/tagging_service.grpc.pb.h"

ABSL_FLAG(std::string, target, "127.0.0.1:50051", "tagwired address");
ABSL_FLAG(std::string, mode, "both", "unary, stream or both");
ABSL_FLAG(int, concurrency, 2, "client threads (unary) or open streams (stream)");
ABSL_FLAG(absl::Duration, duration, absl::Seconds(5), "measured time per mode");
ABSL_FLAG(absl::Duration, warmup, absl::Seconds(1), "time per mode before measuring");
ABSL_FLAG(std::string, articles, "examples",
          "directory of *.txt articles (first line = title), or a JSON Lines corpus "
          "(title, body per line)");
ABSL_FLAG(uint64_t, max_articles, 0, "stop measuring a mode after this many answers (0: no limit)");
ABSL_FLAG(double, rate, 0,
          "articles/s to offer in total, spread over the clients (open loop: each sends on a "
          "fixed schedule); 0 sends as fast as the server takes them (closed loop)");

namespace tagwire {
namespace {

struct Corpus {
  std::vector<v1::Article> articles;
  uint64_t bytes = 0;  // title + body of all articles
};

void AddArticle(v1::Article article, Corpus* corpus) {
  article.set_source("bench");
  corpus->bytes += article.title().size() + article.body().size();
  corpus->articles.push_back(std::move(article));
}

// A JSON Lines corpus: one {"title": ..., "body": ...} per line.
bool LoadJsonLines(const std::string& path, Corpus* corpus) {
  const std::string error =
      bench::ReadCorpusFile(path, [&](std::string_view title, std::string_view body) {
        v1::Article article;
        article.set_title(std::string(title));
        article.set_body(std::string(body));
        AddArticle(std::move(article), corpus);
      });
  if (!error.empty()) std::fprintf(stderr, "tagwire-bench: %s\n", error.c_str());
  return error.empty() && !corpus->articles.empty();
}

bool LoadCorpus(const std::string& location, Corpus* corpus) {
  if (std::filesystem::is_regular_file(location)) return LoadJsonLines(location, corpus);
  std::vector<std::filesystem::path> paths;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(location, error)) {
    if (entry.path().extension() == ".txt") paths.push_back(entry.path());
  }
  std::sort(paths.begin(), paths.end());
  for (const auto& path : paths) {
    absl::StatusOr<std::string> text = ReadFileBytes(path.string());
    if (!text.ok()) return false;
    v1::Article article;
    ArticleFromPlainText(*text, &article);  // as the CLI reads a .txt article
    AddArticle(std::move(article), corpus);
  }
  return !corpus->articles.empty();
}

using Clock = std::chrono::steady_clock;

// Counters shared by the client threads of one mode.
struct Counts {
  std::atomic<bool> measuring{false};
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> articles{0};
  std::atomic<uint64_t> bytes{0};
  std::atomic<uint64_t> errors{0};
  std::atomic<uint64_t> next_id{0};
  std::mutex latency_mutex;
  std::vector<uint32_t> latencies_us;  // of the measured answers, merged from the clients
};

// One client's view of the counts: it keeps its latencies locally and hands
// them over when it ends.
class ClientCounts {
 public:
  explicit ClientCounts(Counts& counts) : counts_(counts) {}
  ~ClientCounts() {
    std::lock_guard<std::mutex> lock(counts_.latency_mutex);
    counts_.latencies_us.insert(counts_.latencies_us.end(), latencies_us_.begin(),
                                latencies_us_.end());
  }
  // Counts one answer to `article`, which was due to be sent at `due`.
  void Count(const v1::Article& article, bool ok, Clock::time_point due) {
    if (!counts_.measuring.load(std::memory_order_relaxed)) return;
    if (!ok) {
      counts_.errors.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    const auto latency = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - due);
    latencies_us_.push_back(static_cast<uint32_t>(std::max<int64_t>(0, latency.count())));
    counts_.articles.fetch_add(1, std::memory_order_relaxed);
    counts_.bytes.fetch_add(article.title().size() + article.body().size(),
                            std::memory_order_relaxed);
  }

 private:
  Counts& counts_;
  std::vector<uint32_t> latencies_us_;
};

// Paces one client at its share of --rate: Wait() returns when the next
// article is due (at once with no rate) and the time it was due. The schedule
// is fixed, so a slow answer is not hidden by sending the next one later.
class Pacer {
 public:
  Pacer() {
    const double rate = absl::GetFlag(FLAGS_rate);
    const int clients = std::max(1, absl::GetFlag(FLAGS_concurrency));
    if (rate > 0) {
      interval_ = std::chrono::duration_cast<Clock::duration>(
          std::chrono::duration<double>(clients / rate));
    }
    next_ = Clock::now();
  }
  Clock::time_point Wait() {
    if (interval_ == Clock::duration::zero()) return Clock::now();
    const Clock::time_point due = next_;
    if (due > Clock::now()) std::this_thread::sleep_until(due);
    next_ += interval_;
    return due;
  }

 private:
  Clock::duration interval_ = Clock::duration::zero();
  Clock::time_point next_;
};

void UnaryClient(v1::TaggingService::Stub& stub, const Corpus& corpus, Counts& counts) {
  ClientCounts mine(counts);
  v1::TagRequest request;
  v1::TagResponse response;
  Pacer pacer;
  while (!counts.stop.load(std::memory_order_relaxed)) {
    const Clock::time_point due = pacer.Wait();
    const uint64_t n = counts.next_id.fetch_add(1, std::memory_order_relaxed);
    const v1::Article& article = corpus.articles[n % corpus.articles.size()];
    *request.mutable_article() = article;
    request.mutable_article()->set_id(std::to_string(n));
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    const grpc::Status status = stub.Tag(&context, request, &response);
    mine.Count(article, status.ok(), due);
  }
}

void StreamClient(v1::TaggingService::Stub& stub, const Corpus& corpus, Counts& counts) {
  ClientCounts mine(counts);
  grpc::ClientContext context;
  auto stream = stub.TagStream(&context);
  std::atomic<uint64_t> sent{0};
  std::mutex due_mutex;
  std::unordered_map<uint64_t, Clock::time_point> due_by_id;  // sent, not yet answered
  std::thread writer([&] {
    v1::TagStreamRequest request;
    Pacer pacer;
    while (!counts.stop.load(std::memory_order_relaxed)) {
      const Clock::time_point due = pacer.Wait();
      const uint64_t n = counts.next_id.fetch_add(1, std::memory_order_relaxed);
      *request.mutable_article() = corpus.articles[n % corpus.articles.size()];
      request.mutable_article()->set_id(std::to_string(n));
      {
        std::lock_guard<std::mutex> lock(due_mutex);
        due_by_id.emplace(n, due);
      }
      if (!stream->Write(request)) break;
      sent.fetch_add(1, std::memory_order_relaxed);
    }
    stream->WritesDone();
  });
  v1::TagStreamResponse response;
  uint64_t received = 0;
  while (stream->Read(&response)) {
    const uint64_t n = std::stoull(response.id());
    Clock::time_point due;
    {
      std::lock_guard<std::mutex> lock(due_mutex);
      auto it = due_by_id.find(n);
      due = it != due_by_id.end() ? it->second : Clock::now();
      if (it != due_by_id.end()) due_by_id.erase(it);
    }
    mine.Count(corpus.articles[n % corpus.articles.size()], response.has_tagged_article(), due);
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

// The q-quantile (0..1) of sorted `values`, nearest rank.
uint32_t Quantile(const std::vector<uint32_t>& values, double q) {
  if (values.empty()) return 0;
  const size_t rank = static_cast<size_t>(std::ceil(q * static_cast<double>(values.size())));
  return values[std::min(values.size() - 1, rank == 0 ? 0 : rank - 1)];
}

ModeResult RunMode(const std::string& mode, const std::shared_ptr<grpc::Channel>& channel,
                   const Corpus& corpus) {
  const int concurrency = std::max(1, absl::GetFlag(FLAGS_concurrency));
  const uint64_t max_articles = absl::GetFlag(FLAGS_max_articles);
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
  const absl::Time end = start + absl::GetFlag(FLAGS_duration);
  while (absl::Now() < end && (max_articles == 0 || counts.articles.load() < max_articles)) {
    absl::SleepFor(std::min(absl::Milliseconds(10), end - absl::Now()));
  }
  counts.measuring.store(false);
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  counts.stop.store(true);
  for (std::thread& client : clients) client.join();

  ModeResult result;
  result.articles_per_second = static_cast<double>(counts.articles.load()) / seconds;
  result.errors = counts.errors.load();
  const double megabytes_per_second = static_cast<double>(counts.bytes.load()) / seconds / 1e6;
  std::vector<uint32_t>& latencies = counts.latencies_us;
  std::sort(latencies.begin(), latencies.end());
  const uint32_t p50 = Quantile(latencies, 0.5), p90 = Quantile(latencies, 0.9),
                 p99 = Quantile(latencies, 0.99), p999 = Quantile(latencies, 0.999),
                 max = latencies.empty() ? 0 : latencies.back();
  std::printf(
      "{\"mode\":\"%s\",\"concurrency\":%d,\"offered_rate\":%.1f,\"seconds\":%.3f,"
      "\"articles\":%llu,\"articles_per_second\":%.1f,\"megabytes_per_second\":%.3f,"
      "\"mean_article_bytes\":%.0f,\"errors\":%llu,\"latency_us\":{\"p50\":%u,\"p90\":%u,"
      "\"p99\":%u,\"p99.9\":%u,\"max\":%u}}\n",
      mode.c_str(), concurrency, absl::GetFlag(FLAGS_rate), seconds,
      static_cast<unsigned long long>(counts.articles.load()), result.articles_per_second,
      megabytes_per_second, static_cast<double>(corpus.bytes) / corpus.articles.size(),
      static_cast<unsigned long long>(result.errors), p50, p90, p99, p999, max);
  std::fflush(stdout);
  std::fprintf(stderr,
               "%-6s x%d: %10.0f articles/s  %8.2f MB/s  errors %llu  latency us p50 %u p90 %u "
               "p99 %u p99.9 %u max %u\n",
               mode.c_str(), concurrency, result.articles_per_second, megabytes_per_second,
               static_cast<unsigned long long>(result.errors), p50, p90, p99, p999, max);
  return result;
}

int Main(int argc, char** argv) {
  absl::SetProgramUsageMessage("drives a running tagwired and reports articles/s and latency percentiles");
  absl::ParseCommandLine(argc, argv);
  Corpus corpus;
  if (!LoadCorpus(absl::GetFlag(FLAGS_articles), &corpus)) {
    std::fprintf(stderr, "tagwire-bench: no articles in %s (a directory of *.txt, or a JSON Lines file)\n",
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
