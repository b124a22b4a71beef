#include "service/metrics.h"

#include <cstdio>

#include "core/strings.h"
#include "service/nats_ingest.h"
#include "service/nats_publisher.h"
#include "service/proto_convert.h"

namespace tagwire {
namespace {

void AppendHeader(std::string* out, const char* name, const char* type, const char* help) {
  StrAppend(out, "# HELP ", name, " ", help, "\n# TYPE ", name, " ", type, "\n");
}

std::string FormatDouble(double value) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.9g", value);
  return text;
}

// Label values escape backslash, quote and newline.
std::string EscapeLabel(std::string_view value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') {
      out.append("\\n");
      continue;
    }
    out.push_back(c);
  }
  return out;
}

}  // namespace

void ServiceMetrics::RecordTagged(uint64_t article_bytes, absl::Duration latency) {
  articles_tagged_.fetch_add(1, kRelaxed);
  bytes_received_.fetch_add(article_bytes, kRelaxed);
  const double seconds = absl::ToDoubleSeconds(latency);
  size_t bucket = 0;
  while (bucket < kLatencyBuckets.size() && seconds > kLatencyBuckets[bucket]) ++bucket;
  latency_counts_[bucket].fetch_add(1, kRelaxed);
  latency_sum_nanos_.fetch_add(static_cast<uint64_t>(absl::ToInt64Nanoseconds(latency)),
                               kRelaxed);
}

void ServiceMetrics::RecordFailed(uint64_t article_bytes, v1::ErrorReason reason) {
  articles_failed_.fetch_add(1, kRelaxed);
  bytes_received_.fetch_add(article_bytes, kRelaxed);
  if (reason < 0 || reason >= kReasonCount) reason = v1::ERROR_REASON_UNSPECIFIED;
  failures_[reason].fetch_add(1, kRelaxed);
}

void ServiceMetrics::RecordReload(bool ok) {
  (ok ? reloads_ : failed_reloads_).fetch_add(1, kRelaxed);
}

std::string ServiceMetrics::RenderPrometheus(const std::string& taxonomy_version) const {
  std::string out;
  out.reserve(4096);
  AppendHeader(&out, "tagwire_articles_tagged_total", "counter", "Articles tagged successfully.");
  StrAppend(&out, "tagwire_articles_tagged_total ", articles_tagged(), "\n");

  AppendHeader(&out, "tagwire_article_errors_total", "counter",
               "Articles answered with an error, by reason.");
  for (int reason = 0; reason < kReasonCount; ++reason) {
    if (!v1::ErrorReason_IsValid(reason)) continue;
    const std::string name = ErrorReasonName(static_cast<v1::ErrorReason>(reason));
    StrAppend(&out, "tagwire_article_errors_total{reason=\"", name, "\"} ",
              failures_[reason].load(kRelaxed), "\n");
  }

  AppendHeader(&out, "tagwire_article_bytes_total", "counter",
               "Bytes of title and body of every article received.");
  StrAppend(&out, "tagwire_article_bytes_total ", bytes_received(), "\n");

  AppendHeader(&out, "tagwire_tag_latency_seconds", "histogram",
               "Time from an article's arrival to its result.");
  uint64_t cumulative = 0;
  for (size_t i = 0; i < kLatencyBuckets.size(); ++i) {
    cumulative += latency_counts_[i].load(kRelaxed);
    StrAppend(&out, "tagwire_tag_latency_seconds_bucket{le=\"", FormatDouble(kLatencyBuckets[i]),
              "\"} ", cumulative, "\n");
  }
  cumulative += latency_counts_[kLatencyBuckets.size()].load(kRelaxed);
  StrAppend(&out, "tagwire_tag_latency_seconds_bucket{le=\"+Inf\"} ", cumulative, "\n");
  StrAppend(&out, "tagwire_tag_latency_seconds_sum ",
            FormatDouble(static_cast<double>(latency_sum_nanos_.load(kRelaxed)) * 1e-9), "\n");
  StrAppend(&out, "tagwire_tag_latency_seconds_count ", cumulative, "\n");

  AppendHeader(&out, "tagwire_active_streams", "gauge", "Streaming calls open now, by RPC.");
  StrAppend(&out, "tagwire_active_streams{rpc=\"TagStream\"} ", active_tag_streams(), "\n");
  StrAppend(&out, "tagwire_active_streams{rpc=\"Subscribe\"} ", active_subscriptions(), "\n");

  AppendHeader(&out, "tagwire_slow_subscribers_dropped_total", "counter",
               "Subscribers ended because their queue was full.");
  StrAppend(&out, "tagwire_slow_subscribers_dropped_total ", slow_subscribers_dropped(), "\n");

  AppendHeader(&out, "tagwire_taxonomy_reloads_total", "counter",
               "Taxonomy reloads after the first load, by result.");
  StrAppend(&out, "tagwire_taxonomy_reloads_total{result=\"ok\"} ", reloads(), "\n");
  StrAppend(&out, "tagwire_taxonomy_reloads_total{result=\"error\"} ", failed_reloads(), "\n");

  AppendHeader(&out, "tagwire_taxonomy_info", "gauge",
               "The taxonomy in use (value 1; absent while none is loaded).");
  if (!taxonomy_version.empty()) {
    StrAppend(&out, "tagwire_taxonomy_info{version=\"", EscapeLabel(taxonomy_version), "\"} 1\n");
  }
  return out;
}

void AppendNatsMetrics(const NatsPublisherStats& stats, std::string* out) {
  AppendHeader(out, "tagwire_nats_published_total", "counter",
         "Results and dead letters the NATS broker acknowledged (PubAck), by outcome.");
  StrAppend(out, "tagwire_nats_published_total{outcome=\"stored\"} ", stats.published, "\n");
  StrAppend(out, "tagwire_nats_published_total{outcome=\"duplicate\"} ", stats.duplicates, "\n");
  AppendHeader(out, "tagwire_nats_dead_letters_total", "counter",
         "Articles that could not be tagged, stored on the dead-letter subject.");
  StrAppend(out, "tagwire_nats_dead_letters_total ", stats.dead_letters, "\n");
  AppendHeader(out, "tagwire_nats_retries_total", "counter",
         "Publishes sent again after a failure or a missing PubAck.");
  StrAppend(out, "tagwire_nats_retries_total ", stats.retries, "\n");
  AppendHeader(out, "tagwire_nats_pending", "gauge", "Publishes waiting for their PubAck.");
  StrAppend(out, "tagwire_nats_pending ", stats.pending, "\n");
  AppendHeader(out, "tagwire_nats_connected", "gauge", "1 while connected to the NATS broker.");
  StrAppend(out, "tagwire_nats_connected ", stats.connected ? 1 : 0, "\n");
}

void AppendIngestMetrics(const NatsIngestStats& stats, std::string* out) {
  AppendHeader(out, "tagwire_ingest_messages_total", "counter",
               "Ingest messages, by what happened to them: fetched (received, of which "
               "redelivered), acknowledged once stored downstream (of which dead_letter), and "
               "dropped (not storable even as a dead letter; logged).");
  StrAppend(out, "tagwire_ingest_messages_total{outcome=\"received\"} ", stats.received, "\n");
  StrAppend(out, "tagwire_ingest_messages_total{outcome=\"redelivered\"} ", stats.redeliveries,
            "\n");
  StrAppend(out, "tagwire_ingest_messages_total{outcome=\"acknowledged\"} ", stats.acknowledged,
            "\n");
  StrAppend(out, "tagwire_ingest_messages_total{outcome=\"dead_letter\"} ", stats.dead_letters,
            "\n");
  StrAppend(out, "tagwire_ingest_messages_total{outcome=\"dropped\"} ", stats.dropped, "\n");
  AppendHeader(out, "tagwire_ingest_in_flight", "gauge",
               "Ingest messages fetched and not yet acknowledged.");
  StrAppend(out, "tagwire_ingest_in_flight ", stats.in_flight, "\n");
}

}  // namespace tagwire
