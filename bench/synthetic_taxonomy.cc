// Writes a reproducible synthetic taxonomy (bench/synthetic.h) to stdout, for
// tests and benchmarks that need a large one on disk:
//
//   synthetic-taxonomy ALIASES [SEED] > taxonomy.jsonl
#include <cstdio>
#include <cstdlib>
#include <string>

#include "bench/synthetic.h"

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3) {
    std::fprintf(stderr, "usage: synthetic-taxonomy ALIASES [SEED] > taxonomy.jsonl\n");
    return 2;
  }
  char* end = nullptr;
  const unsigned long long aliases = std::strtoull(argv[1], &end, 10);
  if (*end != '\0' || aliases == 0) {
    std::fprintf(stderr, "synthetic-taxonomy: ALIASES must be a positive number, got '%s'\n",
                 argv[1]);
    return 2;
  }
  uint64_t seed = 42;
  if (argc == 3) seed = std::strtoull(argv[2], nullptr, 10);
  const std::string jsonl = tagwire::bench::SyntheticTaxonomy(aliases, seed);
  return std::fwrite(jsonl.data(), 1, jsonl.size(), stdout) == jsonl.size() ? 0 : 1;
}
