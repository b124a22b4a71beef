// CompiledTaxonomy: a taxonomy turned into Hyperscan databases, ready to scan.
//
// Lifecycle: load a Taxonomy (taxonomy.h) → CompiledTaxonomy::Compile → share
// the result as std::shared_ptr<const CompiledTaxonomy> with every thread that
// tags (tagger.h). A CompiledTaxonomy is immutable and safe for concurrent use
// without external synchronization; each thread brings its own scratch space
// (a Tagger), cloned from the prototype held here.
//
// Databases:
//   * every alias and keyword literal, folded (fold.h) and de-duplicated, in
//     one hs_compile_lit_multi block-mode database;
//   * regex keyword rules, if any, in a second database compiled with
//     HS_FLAG_UTF8 | HS_FLAG_UCP | HS_FLAG_CASELESS | HS_FLAG_SOM_LEFTMOST and
//     scanned over the original text. Hyperscan's rejection of a regex is
//     reported as "file:line: regex /…/: <Hyperscan's message>".
//
// Compiled cache: with CompileOptions::cache_dir set, the serialized databases
// are stored in "<cache_dir>/tagwire-<key>.hsdb", keyed by a hash of exactly
// what was compiled and the Hyperscan version. A warm start deserializes
// instead of compiling. Cache files carry a checksum; a corrupt, truncated or
// foreign file is ignored (and rewritten), never trusted. Failing to write the
// cache (read-only or full disk) is not an error: see cache_status().
#ifndef TAGWIRE_CORE_COMPILED_TAXONOMY_H_
#define TAGWIRE_CORE_COMPILED_TAXONOMY_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "core/hyperscan_handles.h"
#include "core/taxonomy.h"

namespace tagwire {

inline constexpr size_t kMaxShortLiteralBytes = 7;

struct CompileOptions {
  // Directory for the compiled cache. Empty: always compile, write nothing.
  std::string cache_dir;
  // Literals of at most this many folded bytes (up to kMaxShortLiteralBytes)
  // are looked up at word starts instead of going into the Hyperscan
  // database (CompiledTaxonomy::FindShortLiteral). 0 puts every literal in
  // Hyperscan (tests compare the two).
  size_t short_literal_bytes = kMaxShortLiteralBytes;
};

// What a literal pattern stands for: an alias of a concept or a keyword rule
// of a topic. One folded literal may stand for several (shared aliases).
struct PatternTarget {
  std::string_view text;  // the alias or keyword as written (owned by the taxonomy)
  uint32_t concept_index;
  uint32_t item_index;  // index into Concept::aliases, or Concept::rules
  bool is_rule;
  CasePolicy case_policy;
  bool starts_upper;  // the alias's first letter is a capital
};

// What a place is, from its "feature" attribute (the default taxonomy's
// values: continent, region, country, admin1, city).
enum class PlaceFeature : uint8_t { kNone, kContinent, kRegion, kCountry, kAdmin1, kCity };

// What resolution (resolver.h) knows about a concept, computed when compiling.
struct ConceptFacts {
  // The country concept of a place (itself for a country), or of a person or
  // organization by its country_code; -1 if none.
  int32_t country = -1;
  // The first-level division of a city (itself for an admin1); -1 if none.
  int32_t admin1 = -1;
  PlaceFeature feature = PlaceFeature::kNone;
  // Prominence when nothing in the article decides: about log10(population)/2
  // for places (3.5 for 10 million people), fixed values for the rest.
  float prior = 0;
  // Topic concepts this concept implies (Concept::implies, resolved).
  std::vector<uint32_t> implies;
};

class CompiledTaxonomy {
 public:
  // Compiles `taxonomy`. Errors: InvalidArgument for a regex Hyperscan rejects
  // (with file:line) or a taxonomy too large for Hyperscan; Internal for
  // anything else Hyperscan reports.
  static absl::StatusOr<std::shared_ptr<const CompiledTaxonomy>> Compile(
      Taxonomy taxonomy, const CompileOptions& options = {});

  CompiledTaxonomy(const CompiledTaxonomy&) = delete;
  CompiledTaxonomy& operator=(const CompiledTaxonomy&) = delete;

  const Taxonomy& taxonomy() const { return taxonomy_; }
  const Concept& concept_at(uint32_t index) const { return taxonomy_.concepts()[index]; }
  // The taxonomy's content hash; every result carries it.
  const std::string& version() const { return taxonomy_.version(); }
  // Unique per compiled instance in this process (never reused).
  uint64_t generation() const { return generation_; }

  size_t literal_count() const { return patterns_.size(); }
  size_t regex_count() const { return regex_rules_.size(); }
  // Total bytes of the serialized-size of both databases.
  size_t database_bytes() const { return database_bytes_; }
  bool loaded_from_cache() const { return loaded_from_cache_; }
  // True if this compile wrote a fresh cache file.
  bool cache_written() const { return cache_written_; }
  // One line for logs: "compiled in 120 ms; cache written to …", etc.
  const std::string& cache_status() const { return cache_status_; }

  // --- For the scanner (tagger.cc) ---
  // Every literal longer than CompileOptions::short_literal_bytes; null if none.
  const hs_database_t* literal_database() const { return literal_db_.get(); }
  const hs_database_t* regex_database() const { return regex_db_.get(); }
  const hs_scratch_t* prototype_scratch() const { return prototype_scratch_.get(); }
  uint32_t literal_length(uint32_t pattern) const { return patterns_[pattern].length; }
  // True if every target of `pattern` needs a capital first letter, so a hit
  // starting with a lower-case ASCII letter can be rejected at once.
  bool needs_capital(uint32_t pattern) const { return patterns_[pattern].needs_capital; }
  // Targets of literal `pattern`: [begin, end).
  const PatternTarget* targets_begin(uint32_t pattern) const {
    return targets_.data() + patterns_[pattern].first_target;
  }
  const PatternTarget* targets_end(uint32_t pattern) const {
    const Pattern& p = patterns_[pattern];
    return targets_.data() + p.first_target + p.target_count;
  }
  // Short literals. Inside ordinary words they match all the time ("of",
  // "un", "ing" are names of places): with a large taxonomy, Hyperscan
  // delivering those hits costs more than the rest of the scan. So the
  // tagger looks them up only where a whole word may start
  // (FoldedView::WordStarts), which finds every hit that IsWholeWord accepts.
  bool has_short_literals() const { return !short_literals_.empty(); }
  size_t short_literal_bytes() const { return short_literal_bytes_; }
  // False if no short literal starts with the folded bytes `a` `b` (or is
  // the single byte `a`): the quick test before FindShortLiteral.
  bool MayStartShortLiteral(unsigned char a, unsigned char b) const {
    const uint32_t pair = (uint32_t{a} << 8) | b;
    return (short_first_bytes_[pair >> 6] >> (pair & 63)) & 1;
  }
  // The pattern of the short literal `folded` (1..short_literal_bytes()
  // bytes), or -1.
  int64_t FindShortLiteral(std::string_view folded) const {
    auto it = short_literals_.find(ShortLiteralKey(folded));
    return it == short_literals_.end() ? -1 : int64_t{it->second};
  }
  // (concept index, rule index) of regex pattern `id`.
  const std::pair<uint32_t, uint32_t>& regex_rule(uint32_t id) const { return regex_rules_[id]; }
  // Index of each concept's broader concept, or -1.
  int32_t broader_index(uint32_t concept_index) const { return broader_[concept_index]; }
  const ConceptFacts& facts(uint32_t concept_index) const { return facts_[concept_index]; }
  // True if `word` (folded) is the first word of some PERSON's name: "George"
  // before "Washington" is a person cue.
  bool is_given_name(std::string_view folded_word) const {
    return given_names_.contains(absl::string_view(folded_word.data(), folded_word.size()));
  }

 private:
  CompiledTaxonomy() = default;
  absl::Status Build(const CompileOptions& options);
  // Scans each literal once with the fresh literal database. Hyperscan 5.4.0
  // (Debian bookworm's) builds databases that fail to scan text containing
  // certain literals (one ending in a long run of one character;
  // intel/hyperscan#303, #353): such an alias is refused here with its
  // file:line instead of failing every article that mentions it.
  absl::Status ProbeLiterals() const;
  // short_literals_'s key of a literal of at most kMaxShortLiteralBytes
  // bytes: its length, then its bytes.
  static uint64_t ShortLiteralKey(std::string_view literal) {
    uint64_t key = uint64_t{literal.size()} << 56;
    for (size_t i = 0; i < literal.size(); ++i) {
      key |= uint64_t{static_cast<unsigned char>(literal[i])} << (8 * i);
    }
    return key;
  }
  // Fills facts_ and given_names_.
  void ComputeFacts(const absl::flat_hash_map<std::string_view, int32_t>& index_by_id);

  Taxonomy taxonomy_;
  uint64_t generation_ = 0;
  std::vector<std::string> literals_;  // folded; dropped after compiling
  // What the scan callback needs of one literal, packed so a hit costs one
  // cache line here and one in targets_.
  struct Pattern {
    uint32_t length;  // folded bytes
    uint32_t first_target;
    uint32_t target_count : 31;
    uint32_t needs_capital : 1;
  };
  std::vector<Pattern> patterns_;
  std::vector<PatternTarget> targets_;
  std::vector<std::pair<uint32_t, uint32_t>> regex_rules_;
  std::vector<int32_t> broader_;
  std::vector<ConceptFacts> facts_;
  absl::flat_hash_set<std::string> given_names_;
  size_t short_literal_bytes_ = 0;
  absl::flat_hash_map<uint64_t, uint32_t> short_literals_;  // FindShortLiteral's key → pattern
  std::vector<uint64_t> short_first_bytes_ = std::vector<uint64_t>(1024);  // bit per byte pair
  DatabasePtr literal_db_;
  DatabasePtr regex_db_;
  ScratchPtr prototype_scratch_;
  size_t database_bytes_ = 0;
  bool loaded_from_cache_ = false;
  bool cache_written_ = false;
  std::string cache_status_;
};

// Loads the taxonomy `files` (LoadTaxonomyFiles) and compiles it. Running out
// of memory on the way is ResourceExhausted naming the files, not a crash:
// at start that is a clear refusal, at reload the old taxonomy keeps serving.
absl::StatusOr<std::shared_ptr<const CompiledTaxonomy>> LoadAndCompileTaxonomy(
    absl::Span<const std::string> files, const CompileOptions& options = {});

}  // namespace tagwire

#endif  // TAGWIRE_CORE_COMPILED_TAXONOMY_H_
