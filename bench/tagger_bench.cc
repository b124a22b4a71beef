// Full tagging vs a raw hs_scan with a count-only callback, on the same
// compiled literal database and the same corpus, in the same run, for
// taxonomies of 1k, 10k and 100k aliases plus the starter taxonomy.
//
// The raw scan reads text that was folded before timing starts (and, when the
// taxonomy has regex rules, scans the original text with the regex database
// too, as tagging does), so it is the floor: Hyperscan alone. Full tagging adds folding, boundary and case
// verification, overlap and ambiguity resolution, scoring and building the
// result. The ratio printed at the end is raw time / tagging time (1.0 means
// tagging costs nothing beyond the scan; the goal is >= 0.8).
//
//   build/bench/tagger_bench [--benchmark_min_time=0.5]
#include <benchmark/benchmark.h>

#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "bench/synthetic.h"
#include "core/compiled_cache.h"
#include "core/files.h"
#include "core/compiled_taxonomy.h"
#include "core/fold.h"
#include "core/tagger.h"
#include "core/taxonomy.h"

#ifndef TAGWIRE_STARTER_TAXONOMY
#define TAGWIRE_STARTER_TAXONOMY "data/starter.jsonl"
#endif

namespace tagwire::bench {
namespace {

constexpr size_t kArticles = 1000;
constexpr size_t kArticleBytes = 4096;
constexpr size_t kBytesPerMention = 150;

struct Fixture {
  std::string label;
  std::shared_ptr<const CompiledTaxonomy> taxonomy;
  std::shared_ptr<const CompiledTaxonomy> plain;  // every literal in Hyperscan (BM_RawScan)
  std::vector<SyntheticArticle> corpus;
  std::vector<std::string> folded;  // folded title + body per article, for the raw scan
  size_t corpus_bytes = 0;
};

// Fixtures by alias count (0 = the starter taxonomy), built once on first use.
const Fixture& GetFixture(int64_t aliases) {
  static std::map<int64_t, std::unique_ptr<Fixture>> fixtures;
  auto& slot = fixtures[aliases];
  if (slot) return *slot;
  slot = std::make_unique<Fixture>();
  Fixture& f = *slot;
  std::string jsonl;
  if (aliases == 0) {
    f.label = "starter";
    auto bytes = ReadFileBytes(TAGWIRE_STARTER_TAXONOMY);
    if (!bytes.ok()) {
      std::fprintf(stderr, "bench: %s\n", std::string(bytes.status().message()).c_str());
      std::exit(2);
    }
    jsonl = *bytes;
  } else {
    f.label = std::to_string(aliases);
    jsonl = SyntheticTaxonomy(static_cast<size_t>(aliases));
  }
  TaxonomyBuilder builder;
  auto added = builder.AddLayer(f.label, jsonl);
  auto taxonomy = added.ok() ? builder.Build() : absl::StatusOr<Taxonomy>(added);
  if (!taxonomy.ok()) {
    std::fprintf(stderr, "bench: %s\n", std::string(taxonomy.status().message()).c_str());
    std::exit(2);
  }
  // The raw scan's databases hold every literal, as a plain Hyperscan
  // matcher's would (tagging looks short ones up at word starts instead).
  CompileOptions every_literal;
  every_literal.short_literal_bytes = 0;
  auto plain = CompiledTaxonomy::Compile(*taxonomy, every_literal);
  auto compiled = CompiledTaxonomy::Compile(*std::move(taxonomy));
  for (const auto* result : {&plain, &compiled}) {
    if (!result->ok()) {
      std::fprintf(stderr, "bench: %s\n", std::string(result->status().message()).c_str());
      std::exit(2);
    }
  }
  f.taxonomy = *compiled;
  f.plain = *plain;
  f.corpus = SyntheticCorpus(AliasesOf(jsonl), kArticles, kArticleBytes, kBytesPerMention);
  for (const SyntheticArticle& a : f.corpus) {
    f.folded.push_back(FoldText(a.title) + "\n" + FoldText(a.body));
    f.corpus_bytes += a.title.size() + a.body.size();
  }
  return f;
}

int CountMatch(unsigned int, unsigned long long, unsigned long long, unsigned int, void* ctx) {
  ++*static_cast<size_t*>(ctx);
  return 0;
}

void BM_RawScan(benchmark::State& state) {
  const Fixture& f = GetFixture(state.range(0));
  hs_scratch_t* scratch = nullptr;
  hs_clone_scratch(f.plain->prototype_scratch(), &scratch);
  size_t matches = 0;
  for (auto _ : state) {
    for (size_t i = 0; i < f.folded.size(); ++i) {
      const std::string& text = f.folded[i];
      hs_scan(f.plain->literal_database(), text.data(), static_cast<unsigned>(text.size()), 0,
              scratch, CountMatch, &matches);
      if (f.plain->regex_database() != nullptr) {  // regex rules scan the original text
        const SyntheticArticle& a = f.corpus[i];
        hs_scan(f.plain->regex_database(), a.title.data(), static_cast<unsigned>(a.title.size()),
                0, scratch, CountMatch, &matches);
        hs_scan(f.plain->regex_database(), a.body.data(), static_cast<unsigned>(a.body.size()),
                0, scratch, CountMatch, &matches);
      }
    }
  }
  hs_free_scratch(scratch);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * f.corpus_bytes));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * f.corpus.size()));
  state.counters["matches_per_KB"] =
      double(matches) / double(state.iterations()) / (double(f.corpus_bytes) / 1024.0);
  state.SetLabel(f.label);
}

void BM_Tag(benchmark::State& state) {
  const Fixture& f = GetFixture(state.range(0));
  Tagger tagger;
  TagOptions options;
  size_t mentions = 0;
  size_t failures = 0;
  for (auto _ : state) {
    for (const SyntheticArticle& a : f.corpus) {
      auto result = tagger.Tag(f.taxonomy, {a.title, a.body}, options);
      if (!result.ok()) {
        ++failures;
        continue;
      }
      for (const ConceptTag& tag : result->tags) mentions += tag.count;
      benchmark::DoNotOptimize(result);
    }
  }
  if (failures > 0) state.SkipWithError("tagging failed");
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * f.corpus_bytes));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * f.corpus.size()));
  state.counters["mentions_per_KB"] =
      double(mentions) / double(state.iterations()) / (double(f.corpus_bytes) / 1024.0);
  state.SetLabel(f.label);
}

// Each raw scan runs right before tagging of the same size, so the two sides
// of a ratio are measured as close together in time as possible.
void RegisterPairs() {
  for (int64_t aliases : {1000, 10000, 100000, 0}) {
    benchmark::RegisterBenchmark("BM_RawScan", BM_RawScan)
        ->Arg(aliases)
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark("BM_Tag", BM_Tag)->Arg(aliases)->Unit(benchmark::kMillisecond);
  }
}

// Prints the usual console table, then tagging's ratio to the raw scan.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& run : runs) {
      // With --benchmark_repetitions, use the median; otherwise the single run.
      const bool median = run.run_type == Run::RT_Aggregate && run.aggregate_name == "median";
      if (run.error_occurred || (run.run_type != Run::RT_Iteration && !median)) continue;
      if (run.run_type == Run::RT_Iteration && run.repetitions > 1) continue;
      const std::string name = run.run_name.str();
      const std::string size = name.substr(name.find('/') + 1);
      const double seconds_per_iteration = run.GetAdjustedRealTime();
      (name.rfind("BM_Tag", 0) == 0 ? tag_ : raw_)[size] = seconds_per_iteration;
      labels_[size] = run.report_label;
    }
  }
  void Finalize() override {
    ConsoleReporter::Finalize();
    std::printf("\n%-10s %14s %14s %10s\n", "taxonomy", "raw scan MB/s", "tagging MB/s",
                "ratio");
    for (const auto& [size, tag_time] : tag_) {
      auto raw = raw_.find(size);
      if (raw == raw_.end()) continue;
      const Fixture& f = GetFixture(std::stoll(size));
      const double megabytes = double(f.corpus_bytes) / 1e6;
      // Both times are in the same unit (milliseconds), so units cancel.
      std::printf("%-10s %14.1f %14.1f %10.2f\n", labels_[size].c_str(),
                  megabytes / (raw->second / 1e3), megabytes / (tag_time / 1e3),
                  raw->second / tag_time);
    }
  }

 private:
  std::map<std::string, double> tag_, raw_;
  std::map<std::string, std::string> labels_;
};

}  // namespace
}  // namespace tagwire::bench

int main(int argc, char** argv) {
  tagwire::bench::RegisterPairs();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  tagwire::bench::RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  return 0;
}
