#include "bench/synthetic.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>

#include "simdjson.h"

namespace tagwire::bench {

const WordLists& Words() {
  static const WordLists* words = [] {
    auto* lists = new WordLists();
    std::ifstream in("/usr/share/dict/words");
    if (!in) {
      std::fprintf(stderr, "bench: /usr/share/dict/words missing (apt-get install wamerican)\n");
      std::exit(2);
    }
    std::string word;
    while (std::getline(in, word)) {
      bool letters = word.size() >= 3;
      for (size_t i = 1; i < word.size(); ++i) letters &= word[i] >= 'a' && word[i] <= 'z';
      if (!letters) continue;
      if (word[0] >= 'A' && word[0] <= 'Z') lists->proper.push_back(word);
      if (word[0] >= 'a' && word[0] <= 'z') lists->common.push_back(word);
    }
    return lists;
  }();
  return *words;
}

namespace {

// Deterministic across standard libraries (std::uniform_int_distribution is not).
class Random {
 public:
  explicit Random(uint64_t seed) : engine_(seed) {}
  size_t Below(size_t n) { return static_cast<size_t>(engine_() % n); }
  template <typename T>
  const T& Pick(const std::vector<T>& items) {
    return items[Below(items.size())];
  }

 private:
  std::mt19937_64 engine_;
};

std::string Name(Random& random, int words) {
  const WordLists& lists = Words();
  std::string name = random.Pick(lists.proper);
  for (int i = 1; i < words; ++i) name += " " + random.Pick(lists.proper);
  return name;
}

}  // namespace

std::string SyntheticTaxonomy(size_t alias_count, uint64_t seed) {
  Random random(seed);
  const WordLists& lists = Words();
  std::string out;
  static const char* kKinds[] = {"PERSON", "ORGANIZATION", "LOCATION"};
  for (int t = 1; t <= 17; ++t) {
    char code[16];
    std::snprintf(code, sizeof code, "%02d000000", t);
    out += "{\"id\":\"topic:medtop:" + std::string(code) + "\",\"kind\":\"TOPIC\",\"name\":\"topic " +
           code + "\",\"rules\":[";
    for (int r = 0; r < 12; ++r) {
      out += (r ? "," : "") + std::string("{\"keyword\":\"") + random.Pick(lists.common) +
             "\",\"weight\":1}";
    }
    out += "]}\n";
  }
  size_t aliases = 0;
  for (size_t concept_index = 0; aliases < alias_count; ++concept_index) {
    const int words = 1 + static_cast<int>(random.Below(3));
    out += "{\"id\":\"syn:" + std::to_string(concept_index) + "\",\"kind\":\"" +
           kKinds[concept_index % 3] + "\",\"name\":\"" + Name(random, words) + "\",\"aliases\":[";
    ++aliases;
    for (int a = 0; a < 3 && aliases < alias_count; ++a, ++aliases) {
      out += (a ? ",\"" : "\"") + Name(random, 1 + static_cast<int>(random.Below(3))) + "\"";
    }
    out += "]}\n";
  }
  return out;
}

std::vector<std::string> AliasesOf(const std::string& jsonl) {
  std::vector<std::string> aliases;
  simdjson::dom::parser parser;
  size_t start = 0;
  while (start < jsonl.size()) {
    size_t end = jsonl.find('\n', start);
    if (end == std::string::npos) end = jsonl.size();
    simdjson::dom::element doc;
    if (end > start && !parser.parse(jsonl.data() + start, end - start).get(doc)) {
      std::string_view kind;
      if (!doc["kind"].get_string().get(kind) && kind != "TOPIC") {
        std::string_view name;
        if (!doc["name"].get_string().get(name)) aliases.emplace_back(name);
        simdjson::dom::array list;
        if (!doc["aliases"].get_array().get(list)) {
          for (auto item : list) {
            std::string_view text;
            if (!item.get_string().get(text)) aliases.emplace_back(text);
          }
        }
      }
    }
    start = end + 1;
  }
  return aliases;
}

std::vector<SyntheticArticle> SyntheticCorpus(const std::vector<std::string>& aliases,
                                              size_t count, size_t article_bytes,
                                              size_t bytes_per_mention, uint64_t seed) {
  Random random(seed);
  const WordLists& lists = Words();
  std::vector<SyntheticArticle> corpus;
  corpus.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    SyntheticArticle article;
    article.title = random.Pick(aliases) + " " + random.Pick(lists.common) + " " +
                    random.Pick(lists.common) + " " + random.Pick(lists.common);
    std::string& body = article.body;
    size_t sentence_words = 0;
    size_t next_paragraph = 400 + random.Below(400);
    while (body.size() < article_bytes) {
      std::string word;
      if (random.Below(bytes_per_mention / 7 + 1) == 0) {
        word = random.Pick(aliases);
      } else {
        word = random.Pick(lists.common);
        if (sentence_words == 0) word[0] = static_cast<char>(word[0] - 'a' + 'A');
      }
      body += word;
      if (++sentence_words >= 8 + random.Below(12)) {
        body += ". ";
        sentence_words = 0;
        if (body.size() > next_paragraph) {
          body += "\n\n";
          next_paragraph = body.size() + 400 + random.Below(400);
        }
      } else {
        body += random.Below(10) == 0 ? ", " : " ";
      }
    }
    corpus.push_back(std::move(article));
  }
  return corpus;
}

}  // namespace tagwire::bench
