// The default taxonomy (data/default.jsonl.gz) on the gold articles
// (tests/golden/*.json), in one run: tagging with resolution by context,
// the naive baseline (--naive: no context, no guards) and a raw hs_scan of
// the same folded text with a count-only callback. Prints articles/s and MB/s
// for each and the two ratios (resolution's cost, and tagging vs the scan).
//
//   build/bench/default_taxonomy_bench --benchmark_min_time=2 --benchmark_repetitions=5 \
//       --benchmark_enable_random_interleaving=true --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "core/compiled_taxonomy.h"
#include "core/files.h"
#include "core/fold.h"
#include "core/tagger.h"
#include "simdjson.h"

#ifndef TAGWIRE_DATA_DIR
#define TAGWIRE_DATA_DIR "data"
#endif
#ifndef TAGWIRE_GOLDEN_DIR
#define TAGWIRE_GOLDEN_DIR "tests/golden"
#endif

namespace tagwire::bench {
namespace {

struct Article {
  std::string title, body, folded;
};

struct Fixture {
  std::shared_ptr<const CompiledTaxonomy> taxonomy;
  std::shared_ptr<const CompiledTaxonomy> plain;  // every literal in Hyperscan (BM_RawScan)
  std::vector<Article> articles;
  size_t bytes = 0;
};

[[noreturn]] void Die(const std::string& message) {
  std::fprintf(stderr, "default_taxonomy_bench: %s\n", message.c_str());
  std::exit(2);
}

const Fixture& GetFixture() {
  static Fixture* fixture = [] {
    auto* f = new Fixture;
    const std::string path = std::string(TAGWIRE_DATA_DIR) + "/default.jsonl.gz";
    auto compiled = LoadAndCompileTaxonomy({path});
    if (!compiled.ok()) Die(std::string(compiled.status().message()));
    f->taxonomy = *compiled;
    // The raw scan's databases hold every literal, as a plain Hyperscan
    // matcher's would (tagging looks short ones up at word starts instead).
    CompileOptions every_literal;
    every_literal.short_literal_bytes = 0;
    auto plain = LoadAndCompileTaxonomy({path}, every_literal);
    if (!plain.ok()) Die(std::string(plain.status().message()));
    f->plain = *plain;
    std::vector<std::filesystem::path> paths;
    for (const auto& entry : std::filesystem::directory_iterator(TAGWIRE_GOLDEN_DIR)) {
      if (entry.path().extension() == ".json" && entry.path().filename() != "thresholds.json") {
        paths.push_back(entry.path());
      }
    }
    std::sort(paths.begin(), paths.end());
    simdjson::dom::parser parser;
    for (const auto& path : paths) {
      auto bytes = ReadFileBytes(path.string());
      if (!bytes.ok()) Die(std::string(bytes.status().message()));
      simdjson::dom::element doc;
      std::string_view title, body;
      if (parser.parse(*bytes).get(doc) != simdjson::SUCCESS ||
          doc["title"].get(title) != simdjson::SUCCESS ||
          doc["body"].get(body) != simdjson::SUCCESS) {
        Die(path.string() + ": not a gold article");
      }
      Article& a = f->articles.emplace_back();
      a.title = title;
      a.body = body;
      a.folded = FoldText(a.title) + "\n" + FoldText(a.body);
      f->bytes += a.title.size() + a.body.size();
    }
    if (f->articles.empty()) Die(std::string("no articles in ") + TAGWIRE_GOLDEN_DIR);
    return f;
  }();
  return *fixture;
}

void Report(benchmark::State& state, const Fixture& f) {
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * f.bytes));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * f.articles.size()));
}

void TagAll(benchmark::State& state, bool resolve) {
  const Fixture& f = GetFixture();
  Tagger tagger;
  TagOptions options;
  options.resolve = resolve;
  size_t tags = 0;
  for (auto _ : state) {
    for (const Article& a : f.articles) {
      auto result = tagger.Tag(f.taxonomy, {a.title, a.body}, options);
      if (!result.ok()) {
        state.SkipWithError(std::string(result.status().message()).c_str());
        return;
      }
      tags += result->tags.size();
    }
  }
  Report(state, f);
  state.counters["tags_per_article"] =
      double(tags) / double(state.iterations()) / double(f.articles.size());
}

void BM_Tag(benchmark::State& state) { TagAll(state, true); }
void BM_TagNaive(benchmark::State& state) { TagAll(state, false); }

int CountMatch(unsigned int, unsigned long long, unsigned long long, unsigned int, void* ctx) {
  ++*static_cast<size_t*>(ctx);
  return 0;
}

void BM_RawScan(benchmark::State& state) {
  const Fixture& f = GetFixture();
  hs_scratch_t* scratch = nullptr;
  hs_clone_scratch(f.plain->prototype_scratch(), &scratch);
  size_t matches = 0;
  for (auto _ : state) {
    for (const Article& a : f.articles) {
      hs_scan(f.plain->literal_database(), a.folded.data(),
              static_cast<unsigned>(a.folded.size()), 0, scratch, CountMatch, &matches);
      for (const std::string* text : {&a.title, &a.body}) {
        hs_scan(f.plain->regex_database(), text->data(), static_cast<unsigned>(text->size()),
                0, scratch, CountMatch, &matches);
      }
    }
  }
  hs_free_scratch(scratch);
  Report(state, f);
}

// Run with --benchmark_enable_random_interleaving=true and repetitions to keep
// the three close together in time on a noisy machine.
BENCHMARK(BM_Tag)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_TagNaive)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_RawScan)->Unit(benchmark::kMillisecond);

// Prints the console table, then the ratios of the medians (or single runs).
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& run : runs) {
      if (run.error_occurred) continue;
      const bool median = run.run_type == Run::RT_Aggregate && run.aggregate_name == "median";
      if (run.run_type == Run::RT_Aggregate && !median) continue;
      if (run.run_type == Run::RT_Iteration && run.repetitions > 1) continue;
      seconds_[run.run_name.function_name] = run.GetAdjustedRealTime();
    }
  }
  void Finalize() override {
    ConsoleReporter::Finalize();
    const Fixture& f = GetFixture();
    const double tag = seconds_["BM_Tag"], naive = seconds_["BM_TagNaive"],
                 raw = seconds_["BM_RawScan"];
    std::printf("\ndefault taxonomy: %zu literals, %zu regexes; %zu gold articles, %.1f KB\n",
                f.taxonomy->literal_count(), f.taxonomy->regex_count(), f.articles.size(),
                double(f.bytes) / 1024);
    if (tag > 0 && naive > 0) {
      std::printf("resolution by context costs: tag/naive time = %.2f\n", tag / naive);
    }
    if (tag > 0 && raw > 0) std::printf("raw hs_scan time / tagging time = %.2f\n", raw / tag);
  }

 private:
  std::map<std::string, double> seconds_;
};

}  // namespace
}  // namespace tagwire::bench

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  tagwire::bench::RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  return 0;
}
