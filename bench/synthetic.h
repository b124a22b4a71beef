// Reproducible synthetic taxonomies and news-like corpora for benchmarks,
// built from the system word list (/usr/share/dict/words, Debian wamerican)
// with a fixed seed, so every run on every machine measures the same input.
#ifndef TAGWIRE_BENCH_SYNTHETIC_H_
#define TAGWIRE_BENCH_SYNTHETIC_H_

#include <cstdint>
#include <string>
#include <vector>

namespace tagwire::bench {

struct WordLists {
  std::vector<std::string> proper;  // capitalised entries ("Aberdeen")
  std::vector<std::string> common;  // lower-case entries ("harbour")
};

// Loads the word list; aborts with a message if it is missing.
const WordLists& Words();

// Returns a JSON Lines taxonomy with `alias_count` aliases: people,
// organizations and places named by 1-3 proper words, 4 aliases per concept,
// plus 17 topics with 12 keyword rules each (common words).
std::string SyntheticTaxonomy(size_t alias_count, uint64_t seed = 42);

// The aliases (as written) of a taxonomy produced by SyntheticTaxonomy or any
// JSONL taxonomy: every "name" and string alias.
std::vector<std::string> AliasesOf(const std::string& jsonl);

// Returns `count` articles of about `article_bytes` each: sentences of common
// words with one alias mention per `bytes_per_mention` bytes on average.
struct SyntheticArticle {
  std::string title;
  std::string body;
};
std::vector<SyntheticArticle> SyntheticCorpus(const std::vector<std::string>& aliases,
                                              size_t count, size_t article_bytes,
                                              size_t bytes_per_mention, uint64_t seed = 7);

}  // namespace tagwire::bench

#endif  // TAGWIRE_BENCH_SYNTHETIC_H_
