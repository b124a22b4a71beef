// ServiceMetrics: the counters tagwired keeps, exported two ways: as
// Prometheus text (the /metrics endpoint) and through AdminService.
//
// Thread contract: every Record*/Add* method is lock-free and safe from any
// thread (relaxed atomics: a scrape may see one counter a moment ahead of
// another, never a torn value). RenderPrometheus is safe concurrently too.
#ifndef TAGWIRE_SERVICE_METRICS_H_
#define TAGWIRE_SERVICE_METRICS_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <string>

#include "absl/time/time.h"
#include "tagwire/v1/error.pb.h"

namespace tagwire {

struct NatsPublisherStats;  // service/nats_publisher.h
struct NatsIngestStats;     // service/nats_ingest.h

class ServiceMetrics {
 public:
  // Upper bounds of the latency histogram buckets, in seconds (+Inf implied).
  static constexpr std::array<double, 14> kLatencyBuckets = {
      0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
      0.01,    0.025,  0.05,    0.1,    0.25,  0.5,   1.0};
  static constexpr int kReasonCount = v1::ErrorReason_ARRAYSIZE;

  // An article was tagged; `latency` runs from its arrival to its result.
  void RecordTagged(uint64_t article_bytes, absl::Duration latency);
  // An article was answered with an error.
  void RecordFailed(uint64_t article_bytes, v1::ErrorReason reason);
  void RecordReload(bool ok);
  void RecordSlowSubscriberDropped() { slow_subscribers_dropped_.fetch_add(1, kRelaxed); }

  void AddActiveTagStreams(int delta) { active_tag_streams_.fetch_add(delta, kRelaxed); }
  void AddActiveSubscriptions(int delta) { active_subscriptions_.fetch_add(delta, kRelaxed); }

  uint64_t articles_tagged() const { return articles_tagged_.load(kRelaxed); }
  uint64_t articles_failed() const { return articles_failed_.load(kRelaxed); }
  uint64_t failures(v1::ErrorReason reason) const { return failures_[reason].load(kRelaxed); }
  uint64_t bytes_received() const { return bytes_received_.load(kRelaxed); }
  uint64_t reloads() const { return reloads_.load(kRelaxed); }
  uint64_t failed_reloads() const { return failed_reloads_.load(kRelaxed); }
  uint64_t slow_subscribers_dropped() const { return slow_subscribers_dropped_.load(kRelaxed); }
  int64_t active_tag_streams() const { return active_tag_streams_.load(kRelaxed); }
  int64_t active_subscriptions() const { return active_subscriptions_.load(kRelaxed); }

  // The Prometheus text exposition (version 0.0.4) of every metric, with
  // the taxonomy version in use ("" while none is loaded) as an info metric.
  std::string RenderPrometheus(const std::string& taxonomy_version) const;

 private:
  static constexpr std::memory_order kRelaxed = std::memory_order_relaxed;

  std::atomic<uint64_t> articles_tagged_{0};
  std::atomic<uint64_t> articles_failed_{0};
  std::atomic<uint64_t> bytes_received_{0};
  std::array<std::atomic<uint64_t>, kReasonCount> failures_{};
  std::array<std::atomic<uint64_t>, kLatencyBuckets.size() + 1> latency_counts_{};
  std::atomic<uint64_t> latency_sum_nanos_{0};
  std::atomic<uint64_t> reloads_{0};
  std::atomic<uint64_t> failed_reloads_{0};
  std::atomic<uint64_t> slow_subscribers_dropped_{0};
  std::atomic<int64_t> active_tag_streams_{0};
  std::atomic<int64_t> active_subscriptions_{0};
};

// Appends the NATS publisher's counters (tagwire_nats_*) to Prometheus text.
void AppendNatsMetrics(const NatsPublisherStats& stats, std::string* out);

// Appends the ingest mode's counters (tagwire_ingest_*).
void AppendIngestMetrics(const NatsIngestStats& stats, std::string* out);

}  // namespace tagwire

#endif  // TAGWIRE_SERVICE_METRICS_H_
