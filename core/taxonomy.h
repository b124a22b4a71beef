// The taxonomy: what tagwire knows. A taxonomy is a list of concepts (places,
// people, organizations, topics…), each with a stable id, a kind, a canonical
// name, aliases with a case policy, attributes, and for topics weighted
// keyword rules.
//
// Source format: JSON Lines, one concept per line:
//
//   {"id":"geo:2988507","kind":"LOCATION","name":"Paris",
//    "aliases":["Paname",{"text":"PARIS","case":"exact"},
//               {"text":"Parisian","type":"demonym"}],
//    "attributes":{"country_code":"FR","geonames_id":2988507,"lat":48.85,
//                  "lon":2.35,"population":2138551},
//    "broader":"geo:3017382"}
//   {"id":"topic:medtop:11000000","kind":"TOPIC","name":"politics",
//    "attributes":{"iptc_code":"medtop:11000000"},
//    "rules":[{"keyword":"election","weight":1.0},
//             {"regex":"parliament(ary)?","weight":0.5}]}
//
// Alias objects take "text", "case" (auto, caseless, capitalized, exact),
// "type" (name, short, demonym; see AliasType) and "common_word" (bool).
// A non-topic concept may list "implies": [topic ids].
//
// A file whose first bytes are the gzip magic is decompressed first, so a
// large taxonomy can ship as .jsonl.gz; line numbers are the decompressed
// file's.
//
// Layering: several files load in order. A later file may redefine an id
// (replacing the earlier concept), extend one with {"id":…,"add_aliases":[…]},
// or remove one with {"id":…,"suppress":true}. An id defined twice in the same
// file is an error.
//
// Validation: every problem is reported as "file:line: reason" and nothing
// invalid is kept: unknown fields or kinds, missing ids or names, empty,
// NUL-containing or over-long aliases, aliases that fold to nothing, invalid
// UTF-8, duplicate ids, dangling `broader` or `implies` references, bad weights. Regexes
// are checked by Hyperscan when the taxonomy is compiled (compiled_taxonomy.h)
// and reported with the same file:line.
//
// A Taxonomy is a plain value; it is not synchronized.
#ifndef TAGWIRE_CORE_TAXONOMY_H_
#define TAGWIRE_CORE_TAXONOMY_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace tagwire {

enum class ConceptKind : uint8_t { kTopic, kPerson, kOrganization, kLocation, kOther };
inline constexpr int kConceptKindCount = 5;

// Returns "TOPIC", "PERSON", … for `kind`.
std::string_view ConceptKindName(ConceptKind kind);
// Parses "TOPIC", "PERSON", … (case-insensitive).
std::optional<ConceptKind> ParseConceptKind(std::string_view name);

// How the case of a match in the text must relate to the case of the alias.
enum class CasePolicy : uint8_t {
  // Any case: "election" matches "Election" and "ELECTION". Default for
  // keywords and for aliases with no capital letters.
  kCaseless,
  // Every capital in the alias needs a capital in the text: "Nice" matches
  // "Nice" and "NICE" but not "nice". Default for aliases with capitals.
  kCapitalized,
  // Exactly the alias's case: "US" matches "US" but not "us" or "Us". Default
  // for all-capital aliases of two or more letters (acronyms).
  kExact,
};
std::string_view CasePolicyName(CasePolicy policy);

// Returns the policy tagwire picks for an alias when the source says "auto".
CasePolicy DefaultCasePolicy(std::string_view alias);

// Where a concept or rule was defined: the file (index into
// Taxonomy::source_files) and 1-based line.
struct SourceLocation {
  uint32_t file_index = 0;
  uint32_t line = 0;
};

// What an alias is, for resolution (tagger.h).
enum class AliasType : uint8_t {
  kName,     // a full name ("Volodymyr Zelenskyy", "Paris", "NATO")
  kShort,    // a short form (a surname: "Zelenskyy"), tagged only after a full
             // name of the same concept appears earlier in the article
  kDemonym,  // "Ukrainian", "Saudi": a weaker mention of a country, and context
};
std::string_view AliasTypeName(AliasType type);

struct Alias {
  std::string text;
  CasePolicy case_policy = CasePolicy::kCapitalized;
  AliasType type = AliasType::kName;
  // Also an ordinary word ("Nice", "Reading", "Split"): a place needs
  // supporting context, any concept a capital that is not just sentence case.
  bool common_word = false;
};

// A topic rule: a keyword (literal) or a regex, with a weight in (0, 100].
struct KeywordRule {
  std::string pattern;
  bool is_regex = false;
  double weight = 1.0;
  CasePolicy case_policy = CasePolicy::kCaseless;  // literals only
  SourceLocation location;
};

struct Attributes {
  std::string country_code;  // ISO 3166-1 alpha-2
  std::string admin1;        // GeoNames admin1 code
  std::string iptc_code;     // e.g. "medtop:11000000"
  int64_t geonames_id = 0;
  int64_t population = 0;
  std::optional<double> latitude;
  std::optional<double> longitude;
  // Any other string-valued attributes, in source order.
  std::vector<std::pair<std::string, std::string>> extra;
};

struct Concept {
  std::string id;  // stable, e.g. "geo:703448", "org:nato"
  ConceptKind kind = ConceptKind::kOther;
  std::string name;  // canonical name
  std::vector<Alias> aliases;  // includes the name for non-topic concepts
  Attributes attributes;
  std::string broader;  // id of the broader concept, or empty
  std::vector<KeywordRule> rules;
  // Topics (ids of TOPIC concepts) that tagging this concept is evidence for:
  // NATO implies "conflict, war and peace".
  std::vector<std::string> implies;
  SourceLocation location;
};

// Limits on taxonomy input, enforced by the loader.
inline constexpr size_t kMaxAliasBytes = 256;
inline constexpr size_t kMaxIdBytes = 256;
inline constexpr size_t kMaxRegexBytes = 1024;

class Taxonomy {
 public:
  const std::vector<Concept>& concepts() const { return concepts_; }
  const std::vector<std::string>& source_files() const { return source_files_; }
  // Content hash of every layer, in order: 16 hex digits.
  const std::string& version() const { return version_; }

  // Returns "file:line" for `location`.
  std::string Describe(SourceLocation location) const;

  // Returns the index of the concept with `id`, or -1.
  int FindConcept(std::string_view id) const;

 private:
  friend class TaxonomyBuilder;
  std::vector<Concept> concepts_;
  std::vector<std::string> source_files_;
  std::string version_;
};

// Builds a Taxonomy from layers. Not thread-safe. Not copyable. Movable.
class TaxonomyBuilder {
 public:
  TaxonomyBuilder();
  ~TaxonomyBuilder();
  TaxonomyBuilder(TaxonomyBuilder&&) noexcept;
  TaxonomyBuilder& operator=(TaxonomyBuilder&&) noexcept;
  TaxonomyBuilder(const TaxonomyBuilder&) = delete;
  TaxonomyBuilder& operator=(const TaxonomyBuilder&) = delete;

  // Parses one layer. `name` is used in messages (usually the file path).
  // On error nothing of this layer is kept; earlier layers are unaffected.
  absl::Status AddLayer(std::string_view name, std::string_view contents);

  // Reads and adds the file at `path`.
  absl::Status AddFile(const std::string& path);

  // Checks cross-references (`broader`) and returns the taxonomy. The builder
  // is empty afterwards.
  absl::StatusOr<Taxonomy> Build();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// Loads `paths` as layers, in order.
absl::StatusOr<Taxonomy> LoadTaxonomyFiles(absl::Span<const std::string> paths);

}  // namespace tagwire

#endif  // TAGWIRE_CORE_TAXONOMY_H_
