// engine-bench: tagwire's core on a corpus file, for the side-by-side engine
// comparison of bench/run (bench/engines.py drives it and the peers).
//
//   engine-bench --taxonomy=data/default.jsonl.gz --corpus=bench/out/corpus.jsonl
//                [--modes=tag,naive,scan] [--threads=1,2] [--rounds=3] [--max_seconds=5]
//                [--gazetteer=OUT.tsv] [--spans=OUT.tsv] [--resolved_spans=OUT.tsv]
//
// Compiles the taxonomy (or loads it from --cache_dir) and reports compile time, database size and
// the instruction set Hyperscan chose. Then, for each round, runs every mode
// at every thread count once, interleaved so that the machine's noise falls
// on all of them alike:
//   tag    Tagger::Tag with resolution by context, as tagwired answers;
//   naive  Tagger::Tag without resolution (the most prominent concept per
//          span): the same job as a plain gazetteer matcher does;
//   scan   raw hs_scan with a count-only callback, over text folded
//          beforehand, of every literal in one Hyperscan database and the
//          regex database: what a plain Hyperscan matcher of this taxonomy
//          costs (tagwire itself looks its short literals up at word starts
//          instead: CompileOptions::short_literal_bytes).
// A pass covers the corpus once, or stops after the article during which
// --max_seconds ran out. Each pass prints one JSON line on stdout.
//
// For the peers, --gazetteer writes every literal alias and keyword as
// written, with the concept the naive mode gives it, and --spans (naive) and
// --resolved_spans (tag) write the entity mentions of the first
// --spans_articles articles, as byte offsets into title + "\n" + body
// (the formats of bench/peers.py).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "bench/corpus_file.h"
#include "core/compiled_taxonomy.h"
#include "core/files.h"
#include "core/fold.h"
#include "core/tagger.h"

ABSL_FLAG(std::vector<std::string>, taxonomy, {}, "taxonomy files, layered in order");
ABSL_FLAG(std::string, corpus, "bench/out/corpus.jsonl", "corpus (JSON Lines: title, body)");
ABSL_FLAG(std::vector<std::string>, modes, std::vector<std::string>({"tag", "naive", "scan"}),
          "tag, naive, scan");
ABSL_FLAG(std::vector<std::string>, threads, std::vector<std::string>({"1"}),
          "thread counts to run each mode at");
ABSL_FLAG(int, rounds, 3, "rounds of every mode at every thread count");
ABSL_FLAG(double, max_seconds, 0, "stop a pass after this long (0: the whole corpus)");
ABSL_FLAG(std::string, cache_dir, "",
          "compiled cache directory (empty: always compile); compile_seconds is then the warm load");
ABSL_FLAG(int, short_literal_bytes, -1,
          "tagwire's CompileOptions::short_literal_bytes (-1: its default)");
ABSL_FLAG(std::string, gazetteer, "", "write the peers' gazetteer (TSV) here");
ABSL_FLAG(std::string, spans, "", "write the naive mode's entity spans (TSV) here");
ABSL_FLAG(std::string, resolved_spans, "", "write the tag mode's entity spans (TSV) here");
ABSL_FLAG(int, spans_articles, 500, "articles whose spans are written");

namespace tagwire {
namespace {

using Clock = std::chrono::steady_clock;

[[noreturn]] void Die(const std::string& message) {
  std::fprintf(stderr, "engine-bench: %s\n", message.c_str());
  std::exit(2);
}

struct Article {
  std::string title, body;
  std::string folded_title, folded_body;  // for the scan mode
};

std::vector<Article> LoadCorpus(const std::string& path) {
  std::vector<Article> articles;
  const std::string error =
      bench::ReadCorpusFile(path, [&](std::string_view title, std::string_view body) {
        Article& a = articles.emplace_back();
        a.title = title;
        a.body = body;
        a.folded_title = FoldText(a.title);
        a.folded_body = FoldText(a.body);
      });
  if (!error.empty()) Die(error);
  if (articles.empty()) Die(path + ": no articles");
  return articles;
}

double PeakRssMegabytes() {
  std::ifstream status("/proc/self/status");
  std::string key;
  while (status >> key) {
    if (key == "VmHWM:") {
      double kilobytes = 0;
      status >> kilobytes;
      return kilobytes / 1024;
    }
  }
  return 0;
}

std::string JsonString(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\u%04x", c);
      out += escaped;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

// The concept the naive mode gives a literal: its most populous entity (as
// ResolveByProminence), else the first keyword's topic. Empty if none.
const Concept* NaiveConcept(const CompiledTaxonomy& taxonomy, uint32_t pattern) {
  const Concept* best = nullptr;
  const Concept* keyword = nullptr;
  for (const PatternTarget* t = taxonomy.targets_begin(pattern); t != taxonomy.targets_end(pattern);
       ++t) {
    const Concept& c = taxonomy.concept_at(t->concept_index);
    if (t->is_rule) {
      if (keyword == nullptr) keyword = &c;
    } else if (best == nullptr || c.attributes.population > best->attributes.population) {
      best = &c;
    }
  }
  return best != nullptr ? best : keyword;
}

void WriteGazetteer(const CompiledTaxonomy& taxonomy, const std::string& path) {
  std::ofstream out(path);
  absl::flat_hash_set<std::string> written;
  size_t lines = 0;
  for (uint32_t p = 0; p < taxonomy.literal_count(); ++p) {
    const Concept* chosen = NaiveConcept(taxonomy, p);
    if (chosen == nullptr) continue;
    for (const PatternTarget* t = taxonomy.targets_begin(p); t != taxonomy.targets_end(p); ++t) {
      std::string text(t->text);
      if (text.find_first_of("\t\n") != std::string::npos || !written.insert(text).second) continue;
      out << text << '\t' << chosen->id << '\t'
          << (chosen->kind == ConceptKind::kTopic ? "keyword" : "entity") << '\n';
      ++lines;
    }
  }
  if (!out.flush()) Die(path + ": cannot write");
  std::fprintf(stderr, "engine-bench: gazetteer of %zu texts written to %s\n", lines, path.c_str());
}

void WriteSpans(const std::shared_ptr<const CompiledTaxonomy>& taxonomy,
                const std::vector<Article>& articles, bool resolve, const std::string& path) {
  std::ofstream out(path);
  Tagger tagger;
  TagOptions options;
  options.resolve = resolve;
  const size_t count = std::min<size_t>(articles.size(), absl::GetFlag(FLAGS_spans_articles));
  for (size_t i = 0; i < count; ++i) {
    const Article& a = articles[i];
    auto result = tagger.Tag(taxonomy, {a.title, a.body}, options);
    if (!result.ok()) Die("article " + std::to_string(i) + ": " + std::string(result.status().message()));
    for (const ConceptTag& tag : result->tags) {
      if (tag.concept_ptr->kind == ConceptKind::kTopic) continue;
      for (const Mention& m : tag.mentions) {
        const size_t shift = m.field == Field::kBody ? a.title.size() + 1 : 0;
        out << i << '\t' << m.start + shift << '\t' << m.end + shift << '\t' << tag.concept_ptr->id
            << '\n';
      }
    }
  }
  if (!out.flush()) Die(path + ": cannot write");
}

int CountMatch(unsigned int, unsigned long long, unsigned long long, unsigned int, void* ctx) {
  ++*static_cast<uint64_t*>(ctx);
  return 0;
}

struct PassResult {
  uint64_t articles = 0, bytes = 0, matches = 0;
  double seconds = 0;
};

// One thread's share of a pass: articles taken from `next` until the corpus or
// the time runs out.
PassResult Worker(const std::shared_ptr<const CompiledTaxonomy>& taxonomy,
                  const std::vector<Article>& articles, const std::string& mode,
                  std::atomic<size_t>& next, Clock::time_point deadline) {
  PassResult r;
  Tagger tagger;
  TagOptions options;
  options.resolve = mode == "tag";
  hs_scratch_t* scratch = nullptr;
  if (mode == "scan" && hs_clone_scratch(taxonomy->prototype_scratch(), &scratch) != HS_SUCCESS) {
    Die("hs_clone_scratch failed");
  }
  for (size_t i; (i = next.fetch_add(1, std::memory_order_relaxed)) < articles.size();) {
    const Article& a = articles[i];
    if (mode == "scan") {
      for (const std::string* text : {&a.folded_title, &a.folded_body}) {
        if (taxonomy->literal_database() == nullptr) break;
        hs_scan(taxonomy->literal_database(), text->data(), static_cast<unsigned>(text->size()), 0,
                scratch, CountMatch, &r.matches);
      }
      for (const std::string* text : {&a.title, &a.body}) {
        if (taxonomy->regex_database() == nullptr) break;
        hs_scan(taxonomy->regex_database(), text->data(), static_cast<unsigned>(text->size()), 0,
                scratch, CountMatch, &r.matches);
      }
    } else {
      auto result = tagger.Tag(taxonomy, {a.title, a.body}, options);
      if (!result.ok()) Die("article " + std::to_string(i) + ": " + std::string(result.status().message()));
      for (const ConceptTag& tag : result->tags) r.matches += tag.count;
    }
    ++r.articles;
    r.bytes += a.title.size() + 1 + a.body.size();
    if (Clock::now() >= deadline) break;
  }
  if (scratch != nullptr) hs_free_scratch(scratch);
  return r;
}

PassResult RunPass(const std::shared_ptr<const CompiledTaxonomy>& taxonomy,
                   const std::vector<Article>& articles, const std::string& mode, int threads) {
  const double max_seconds = absl::GetFlag(FLAGS_max_seconds);
  const Clock::time_point start = Clock::now();
  const Clock::time_point deadline =
      max_seconds > 0 ? start + std::chrono::duration_cast<Clock::duration>(
                                    std::chrono::duration<double>(max_seconds))
                      : Clock::time_point::max();
  std::atomic<size_t> next{0};
  std::vector<PassResult> shares(threads);
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back(
        [&, t] { shares[t] = Worker(taxonomy, articles, mode, next, deadline); });
  }
  for (std::thread& worker : workers) worker.join();
  PassResult total;
  total.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  for (const PassResult& share : shares) {
    total.articles += share.articles;
    total.bytes += share.bytes;
    total.matches += share.matches;
  }
  return total;
}

std::string HyperscanPlatform(const hs_database_t* database) {
  char* info = nullptr;
  if (hs_database_info(database, &info) != HS_SUCCESS || info == nullptr) return "unknown";
  std::string text(info);
  std::free(info);
  return text;
}

int Main(int argc, char** argv) {
  absl::SetProgramUsageMessage("tagwire's core on a corpus file, beside the peers (bench/run)");
  absl::ParseCommandLine(argc, argv);
  const std::vector<std::string> files = absl::GetFlag(FLAGS_taxonomy);
  if (files.empty()) Die("--taxonomy is required");
  const std::vector<std::string> modes = absl::GetFlag(FLAGS_modes);
  for (const std::string& mode : modes) {
    if (mode != "tag" && mode != "naive" && mode != "scan") Die("unknown mode " + mode);
  }
  std::vector<int> thread_counts;
  for (const std::string& t : absl::GetFlag(FLAGS_threads)) {
    const int n = std::atoi(t.c_str());
    if (n < 1) Die("--threads takes positive numbers, got " + t);
    thread_counts.push_back(n);
  }

  const Clock::time_point compile_start = Clock::now();
  CompileOptions compile_options;
  compile_options.cache_dir = absl::GetFlag(FLAGS_cache_dir);
  if (absl::GetFlag(FLAGS_short_literal_bytes) >= 0) {
    compile_options.short_literal_bytes = absl::GetFlag(FLAGS_short_literal_bytes);
  }
  auto compiled = LoadAndCompileTaxonomy(files, compile_options);
  if (!compiled.ok()) Die(std::string(compiled.status().message()));
  const double compile_seconds =
      std::chrono::duration<double>(Clock::now() - compile_start).count();
  const std::shared_ptr<const CompiledTaxonomy> taxonomy = *compiled;
  // The scan mode's databases: every literal in Hyperscan.
  std::shared_ptr<const CompiledTaxonomy> plain = taxonomy;
  if (std::find(modes.begin(), modes.end(), "scan") != modes.end() &&
      taxonomy->has_short_literals()) {
    CompileOptions all_literals = compile_options;
    all_literals.short_literal_bytes = 0;
    auto compiled_plain = LoadAndCompileTaxonomy(files, all_literals);
    if (!compiled_plain.ok()) Die(std::string(compiled_plain.status().message()));
    plain = *compiled_plain;
  }
  std::string file_list;
  for (const std::string& file : files) file_list += (file_list.empty() ? "" : ",") + JsonString(file);
  std::printf(
      "{\"record\":\"taxonomy\",\"files\":[%s],\"concepts\":%zu,\"literals\":%zu,\"regexes\":%zu,"
      "\"database_bytes\":%zu,\"compile_seconds\":%.3f,\"from_cache\":%s,\"peak_rss_mb\":%.1f,\"hyperscan\":%s,"
      "\"platform\":%s}\n",
      file_list.c_str(), taxonomy->taxonomy().concepts().size(), taxonomy->literal_count(),
      taxonomy->regex_count(), taxonomy->database_bytes(), compile_seconds,
      taxonomy->loaded_from_cache() ? "true" : "false", PeakRssMegabytes(),
      JsonString(hs_version()).c_str(),
      JsonString(HyperscanPlatform(plain->literal_database() != nullptr
                                       ? plain->literal_database()
                                       : plain->regex_database()))
          .c_str());
  std::fflush(stdout);

  if (!absl::GetFlag(FLAGS_gazetteer).empty()) WriteGazetteer(*taxonomy, absl::GetFlag(FLAGS_gazetteer));
  const std::vector<Article> articles = LoadCorpus(absl::GetFlag(FLAGS_corpus));
  if (!absl::GetFlag(FLAGS_spans).empty()) {
    WriteSpans(taxonomy, articles, false, absl::GetFlag(FLAGS_spans));
  }
  if (!absl::GetFlag(FLAGS_resolved_spans).empty()) {
    WriteSpans(taxonomy, articles, true, absl::GetFlag(FLAGS_resolved_spans));
  }

  for (int round = 0; round < absl::GetFlag(FLAGS_rounds); ++round) {
    for (const std::string& mode : modes) {
      for (int threads : thread_counts) {
        const PassResult r = RunPass(mode == "scan" ? plain : taxonomy, articles, mode, threads);
        std::printf(
            "{\"record\":\"pass\",\"engine\":\"tagwire-%s\",\"threads\":%d,\"round\":%d,"
            "\"articles\":%llu,\"bytes\":%llu,\"scan_seconds\":%.4f,\"matches\":%llu}\n",
            mode.c_str(), threads, round, static_cast<unsigned long long>(r.articles),
            static_cast<unsigned long long>(r.bytes), r.seconds,
            static_cast<unsigned long long>(r.matches));
        std::fflush(stdout);
        std::fprintf(stderr, "engine-bench: %-6s x%d round %d: %8.1f MB/s %8.0f articles/s\n",
                     mode.c_str(), threads, round, r.bytes / r.seconds / 1e6,
                     r.articles / r.seconds);
      }
    }
  }
  std::printf("{\"record\":\"memory\",\"peak_rss_mb\":%.1f}\n", PeakRssMegabytes());
  return 0;
}

}  // namespace
}  // namespace tagwire

int main(int argc, char** argv) { return tagwire::Main(argc, argv); }
