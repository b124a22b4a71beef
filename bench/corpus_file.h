// Reads a JSON Lines corpus of articles (bench/corpus.py writes one), for the
// bench programs: engine-bench and tagwire-bench.
#ifndef TAGWIRE_BENCH_CORPUS_FILE_H_
#define TAGWIRE_BENCH_CORPUS_FILE_H_

#include <fstream>
#include <functional>
#include <string>
#include <string_view>

#include "simdjson.h"

namespace tagwire::bench {

// Calls `on_article(title, body)` for every non-empty line of `path`. Returns
// "" on success, else what went wrong with its file:line.
inline std::string ReadCorpusFile(
    const std::string& path,
    const std::function<void(std::string_view title, std::string_view body)>& on_article) {
  std::ifstream in(path);
  if (!in) return path + ": cannot open";
  simdjson::dom::parser parser;
  std::string line;
  for (size_t number = 1; std::getline(in, line); ++number) {
    if (line.empty()) continue;
    simdjson::dom::element doc;
    std::string_view title, body;
    if (parser.parse(line).get(doc) != simdjson::SUCCESS ||
        doc["title"].get(title) != simdjson::SUCCESS ||
        doc["body"].get(body) != simdjson::SUCCESS) {
      return path + ":" + std::to_string(number) + ": not an article (JSON with title and body)";
    }
    on_article(title, body);
  }
  return "";
}

}  // namespace tagwire::bench

#endif  // TAGWIRE_BENCH_CORPUS_FILE_H_
