#include "core/compiled_taxonomy.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <new>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_join.h"
#include "core/strings.h"
#include "core/compiled_cache.h"
#include "core/files.h"
#include "core/fold.h"
#include "core/hash.h"
#include "core/status_macros.h"
#include "core/unicode.h"

namespace tagwire {
namespace {

constexpr unsigned kRegexFlags =
    HS_FLAG_UTF8 | HS_FLAG_UCP | HS_FLAG_CASELESS | HS_FLAG_SOM_LEFTMOST;

std::atomic<uint64_t> next_generation{1};

bool StartsWithCapital(std::string_view text) {
  for (size_t i = 0; i < text.size();) {
    int length;
    const char32_t c = DecodeUtf8At(text, i, &length);
    if (IsUppercaseLetter(c)) return true;
    if (IsLowercaseLetter(c)) return false;
    i += length;
  }
  return false;
}

std::string CompileErrorMessage(const hs_compile_error_t* error) {
  return error != nullptr && error->message != nullptr ? error->message : "unknown error";
}

// Hyperscan reports running out of memory as a compile error (HS_COMPILER_ERROR
// with this message) that names no expression of its own.
bool IsOutOfMemory(const hs_compile_error_t* error) {
  return CompileErrorMessage(error) == "Unable to allocate memory.";
}

}  // namespace

absl::StatusOr<std::shared_ptr<const CompiledTaxonomy>> CompiledTaxonomy::Compile(
    Taxonomy taxonomy, const CompileOptions& options) {
  std::shared_ptr<CompiledTaxonomy> compiled(new CompiledTaxonomy());
  compiled->taxonomy_ = std::move(taxonomy);
  compiled->generation_ = next_generation.fetch_add(1);
  RETURN_IF_ERROR(compiled->Build(options));
  return std::shared_ptr<const CompiledTaxonomy>(std::move(compiled));
}

namespace {

// The value of the extra (string) attribute `key`, or "".
std::string_view Extra(const Attributes& attributes, std::string_view key) {
  for (const auto& [k, v] : attributes.extra) {
    if (k == key) return v;
  }
  return "";
}

PlaceFeature ParseFeature(const Attributes& attributes) {
  const std::string_view value = Extra(attributes, "feature");
  if (value == "continent") return PlaceFeature::kContinent;
  if (value == "region") return PlaceFeature::kRegion;
  if (value == "country") return PlaceFeature::kCountry;
  if (value == "admin1") return PlaceFeature::kAdmin1;
  if (value == "city") return PlaceFeature::kCity;
  return PlaceFeature::kNone;
}

}  // namespace

void CompiledTaxonomy::ComputeFacts(
    const absl::flat_hash_map<std::string_view, int32_t>& index_by_id) {
  const std::vector<Concept>& concepts = taxonomy_.concepts();
  facts_.assign(concepts.size(), {});
  absl::flat_hash_map<std::string, int32_t> country_by_code, admin1_by_code;
  for (uint32_t c = 0; c < concepts.size(); ++c) {
    const Concept& concept_value = concepts[c];
    facts_[c].feature = concept_value.kind == ConceptKind::kLocation
                            ? ParseFeature(concept_value.attributes)
                            : PlaceFeature::kNone;
    const std::string& code = concept_value.attributes.country_code;
    if (facts_[c].feature == PlaceFeature::kCountry && !code.empty()) {
      country_by_code.emplace(code, static_cast<int32_t>(c));
    } else if (facts_[c].feature == PlaceFeature::kAdmin1 && !code.empty()) {
      admin1_by_code.emplace(StrCat(code, ".", concept_value.attributes.admin1),
                             static_cast<int32_t>(c));
    }
  }
  for (uint32_t c = 0; c < concepts.size(); ++c) {
    const Concept& concept_value = concepts[c];
    ConceptFacts& f = facts_[c];
    const Attributes& a = concept_value.attributes;
    if (auto it = country_by_code.find(a.country_code); it != country_by_code.end()) {
      f.country = it->second;
    }
    if (!a.admin1.empty()) {
      auto it = admin1_by_code.find(StrCat(a.country_code, ".", a.admin1));
      if (it != admin1_by_code.end()) f.admin1 = it->second;
    }
    if (concept_value.kind == ConceptKind::kLocation) {
      if (a.population > 0) {
        f.prior = static_cast<float>(std::log10(static_cast<double>(a.population) + 1) / 2);
      } else if (f.feature == PlaceFeature::kContinent || f.feature == PlaceFeature::kRegion) {
        f.prior = 3.5f;
      } else if (f.feature == PlaceFeature::kAdmin1) {
        f.prior = 2.9f;  // about a city of 600,000
      } else {
        f.prior = 2.0f;
      }
      // A country outranks its namesakes: "Georgia" the country has fewer
      // people than some cities called after other things, but is what a
      // reader assumes without context.
      if (f.feature == PlaceFeature::kCountry) f.prior = std::max(f.prior, 3.6f);
      // A capital is what a reader assumes: Washington the city over the state.
      if (Extra(a, "capital") == "true") f.prior += 0.5f;
    } else {
      f.prior = 3.0f;
    }
    for (const std::string& topic : concept_value.implies) {
      if (auto it = index_by_id.find(topic); it != index_by_id.end()) {
        f.implies.push_back(static_cast<uint32_t>(it->second));
      }
    }
    if (concept_value.kind == ConceptKind::kPerson) {
      const std::string folded = FoldText(concept_value.name);
      const size_t space = folded.find(' ');
      if (space != std::string::npos && space > 1) given_names_.insert(folded.substr(0, space));
    }
  }
}

absl::Status CompiledTaxonomy::Build(const CompileOptions& options) {
  const auto started = std::chrono::steady_clock::now();
  const std::vector<Concept>& concepts = taxonomy_.concepts();

  // Literal patterns, de-duplicated by folded text, in a deterministic order.
  absl::flat_hash_map<std::string, uint32_t> pattern_by_literal;
  std::vector<std::pair<uint32_t, PatternTarget>> pairs;
  auto add_literal = [&](std::string folded, PatternTarget target) {
    auto [it, inserted] =
        pattern_by_literal.emplace(std::move(folded), static_cast<uint32_t>(literals_.size()));
    if (inserted) literals_.push_back(it->first);
    pairs.emplace_back(it->second, target);
  };
  absl::flat_hash_map<std::string_view, int32_t> index_by_id;
  for (uint32_t c = 0; c < concepts.size(); ++c) {
    const Concept& concept_value = concepts[c];
    index_by_id.emplace(concept_value.id, static_cast<int32_t>(c));
    for (uint32_t a = 0; a < concept_value.aliases.size(); ++a) {
      const Alias& alias = concept_value.aliases[a];
      add_literal(FoldText(alias.text), {alias.text, c, a, false, alias.case_policy,
                                         StartsWithCapital(alias.text)});
    }
    for (uint32_t r = 0; r < concept_value.rules.size(); ++r) {
      const KeywordRule& rule = concept_value.rules[r];
      if (rule.is_regex) {
        regex_rules_.emplace_back(c, r);
      } else {
        add_literal(FoldText(rule.pattern), {rule.pattern, c, r, true, rule.case_policy,
                                             StartsWithCapital(rule.pattern)});
      }
    }
  }
  broader_.assign(concepts.size(), -1);
  for (uint32_t c = 0; c < concepts.size(); ++c) {
    if (auto it = index_by_id.find(concepts[c].broader); it != index_by_id.end()) {
      broader_[c] = it->second;
    }
  }
  ComputeFacts(index_by_id);
  // Group targets by pattern (counting sort keeps source order within a pattern).
  std::vector<uint32_t> offsets(literals_.size() + 1, 0);
  for (const auto& [pattern, target] : pairs) ++offsets[pattern + 1];
  for (size_t i = 1; i < offsets.size(); ++i) offsets[i] += offsets[i - 1];
  targets_.resize(pairs.size());
  std::vector<uint32_t> fill(offsets.begin(), offsets.end() - 1);
  for (const auto& [pattern, target] : pairs) targets_[fill[pattern]++] = target;
  patterns_.reserve(literals_.size());
  for (uint32_t i = 0; i < literals_.size(); ++i) {
    Pattern p;
    p.length = static_cast<uint32_t>(literals_[i].size());
    p.first_target = offsets[i];
    p.target_count = offsets[i + 1] - offsets[i];
    p.needs_capital = 1;
    for (uint32_t t = offsets[i]; t < offsets[i + 1]; ++t) {
      if (targets_[t].case_policy == CasePolicy::kCaseless || !targets_[t].starts_upper) {
        p.needs_capital = 0;
      }
    }
    patterns_.push_back(p);
  }

  // Short literals go to the word-start table, the rest to Hyperscan.
  short_literal_bytes_ = std::min(options.short_literal_bytes, kMaxShortLiteralBytes);
  std::vector<uint32_t> long_literals;
  for (uint32_t i = 0; i < literals_.size(); ++i) {
    const std::string& literal = literals_[i];
    if (literal.size() > short_literal_bytes_) {
      long_literals.push_back(i);
      continue;
    }
    short_literals_.emplace(ShortLiteralKey(literal), i);
    const unsigned char first = static_cast<unsigned char>(literal[0]);
    for (unsigned second = 0; second < 256; ++second) {
      if (literal.size() > 1 && second != static_cast<unsigned char>(literal[1])) continue;
      const uint32_t pair = (uint32_t{first} << 8) | second;
      short_first_bytes_[pair >> 6] |= uint64_t{1} << (pair & 63);
    }
  }

  // The cache key covers exactly what reaches Hyperscan.
  ContentHasher key_hasher;
  key_hasher.Add(hs_version());
  key_hasher.AddNumber(long_literals.size());
  for (uint32_t i : long_literals) key_hasher.Add(literals_[i]);
  key_hasher.AddNumber(regex_rules_.size());
  for (const auto& [c, r] : regex_rules_) key_hasher.Add(concepts[c].rules[r].pattern);
  key_hasher.AddNumber(kRegexFlags);
  const uint64_t key = key_hasher.Digest();
  const std::string cache_path =
      options.cache_dir.empty()
          ? std::string()
          : StrCat(options.cache_dir, "/tagwire-", key_hasher.HexDigest(), ".hsdb");

  std::string cache_problem;
  if (!cache_path.empty()) {
    auto bytes = ReadFileBytes(cache_path);
    if (bytes.ok()) {
      auto cached = ParseCache(*bytes, key);
      if (cached.ok()) {
        literal_db_ = std::move(cached->literal);
        regex_db_ = std::move(cached->regex);
        loaded_from_cache_ = true;
      } else {
        cache_problem = StrCat("ignored ", cache_path, ": ", cached.status().message());
      }
    } else if (!absl::IsNotFound(bytes.status())) {
      cache_problem = std::string(bytes.status().message());
    }
  }
  const bool need_literal_db = !long_literals.empty();
  const bool need_regex_db = !regex_rules_.empty();
  if (loaded_from_cache_ &&
      (need_literal_db != (literal_db_ != nullptr) || need_regex_db != (regex_db_ != nullptr))) {
    literal_db_.reset();
    regex_db_.reset();
    loaded_from_cache_ = false;
    cache_problem = StrCat("ignored ", cache_path, ": databases do not match the taxonomy");
  }

  if (!loaded_from_cache_) {
    if (need_literal_db) {
      std::vector<const char*> expressions;
      std::vector<size_t> lengths;
      std::vector<unsigned> flags(long_literals.size(), 0);
      expressions.reserve(long_literals.size());
      lengths.reserve(long_literals.size());
      for (uint32_t i : long_literals) {
        expressions.push_back(literals_[i].data());
        lengths.push_back(literals_[i].size());
      }
      hs_database_t* db = nullptr;
      hs_compile_error_t* raw_error = nullptr;
      const hs_error_t result = hs_compile_lit_multi(
          expressions.data(), flags.data(), long_literals.data(), lengths.data(),
          static_cast<unsigned>(long_literals.size()), HS_MODE_BLOCK, nullptr, &db, &raw_error);
      CompileErrorPtr error(raw_error);
      if (result != HS_SUCCESS) {
        if (IsOutOfMemory(error.get())) {
          return absl::ResourceExhaustedError(StrCat("Hyperscan ran out of memory compiling ",
                                                     literals_.size(), " literals"));
        }
        std::string where;
        if (error && error->expression >= 0 &&
            static_cast<size_t>(error->expression) < long_literals.size()) {
          const PatternTarget& target = *targets_begin(long_literals[error->expression]);
          where = StrCat(taxonomy_.Describe(concepts[target.concept_index].location), ": ");
        }
        return absl::InvalidArgumentError(StrCat(
            where, "Hyperscan could not compile ", literals_.size(),
            " literals: ", CompileErrorMessage(error.get())));
      }
      literal_db_.reset(db);
    }
    if (need_regex_db) {
      std::vector<const char*> expressions;
      std::vector<unsigned> flags(regex_rules_.size(), kRegexFlags);
      std::vector<unsigned> ids(regex_rules_.size());
      for (uint32_t i = 0; i < regex_rules_.size(); ++i) {
        const auto& [c, r] = regex_rules_[i];
        expressions.push_back(concepts[c].rules[r].pattern.c_str());
        ids[i] = i;
      }
      hs_database_t* db = nullptr;
      hs_compile_error_t* raw_error = nullptr;
      const hs_error_t result =
          hs_compile_multi(expressions.data(), flags.data(), ids.data(),
                           static_cast<unsigned>(regex_rules_.size()), HS_MODE_BLOCK, nullptr, &db,
                           &raw_error);
      CompileErrorPtr error(raw_error);
      if (result != HS_SUCCESS) {
        if (error && error->expression >= 0 &&
            static_cast<size_t>(error->expression) < regex_rules_.size()) {
          const auto& [c, r] = regex_rules_[error->expression];
          const KeywordRule& rule = concepts[c].rules[r];
          return absl::InvalidArgumentError(
              StrCat(taxonomy_.Describe(rule.location), ": regex /", rule.pattern,
                           "/ rejected by Hyperscan: ", CompileErrorMessage(error.get())));
        }
        return absl::InvalidArgumentError(StrCat(
            "Hyperscan could not compile the regex rules: ", CompileErrorMessage(error.get())));
      }
      regex_db_.reset(db);
    }
  }
  hs_scratch_t* scratch = nullptr;
  for (const DatabasePtr* db : {&literal_db_, &regex_db_}) {
    if (*db == nullptr) continue;
    if (hs_alloc_scratch(db->get(), &scratch) != HS_SUCCESS) {
      if (scratch != nullptr) hs_free_scratch(scratch);
      return absl::ResourceExhaustedError("hs_alloc_scratch failed");
    }
    size_t size = 0;
    if (hs_database_size(db->get(), &size) == HS_SUCCESS) database_bytes_ += size;
  }
  prototype_scratch_.reset(scratch);
  if (!loaded_from_cache_) RETURN_IF_ERROR(ProbeLiterals());
  literals_.clear();
  literals_.shrink_to_fit();

  const auto elapsed_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::steady_clock::now() - started)
                              .count();
  if (loaded_from_cache_) {
    cache_status_ = StrCat("loaded from cache ", cache_path, " in ", elapsed_ms, " ms");
    return absl::OkStatus();
  }
  cache_status_ = StrCat("compiled ", patterns_.size(), " literals and ",
                               regex_rules_.size(), " regexes in ", elapsed_ms, " ms");
  if (!cache_problem.empty()) StrAppend(&cache_status_, "; ", cache_problem);
  if (!cache_path.empty()) {
    auto bytes = SerializeCache(key, literal_db_.get(), regex_db_.get());
    absl::Status written = bytes.ok() ? WriteFileAtomically(cache_path, *bytes) : bytes.status();
    if (written.ok()) {
      cache_written_ = true;
      StrAppend(&cache_status_, "; cache written to ", cache_path);
    } else {
      StrAppend(&cache_status_, "; cache not written: ", written.message());
    }
  }
  return absl::OkStatus();
}

absl::Status CompiledTaxonomy::ProbeLiterals() const {
  if (literal_db_ == nullptr) return absl::OkStatus();
  const auto ignore_matches = [](unsigned, unsigned long long, unsigned long long, unsigned,
                                 void*) -> int { return 0; };
  for (uint32_t i = 0; i < literals_.size(); ++i) {
    const hs_error_t result =
        hs_scan(literal_db_.get(), literals_[i].data(), static_cast<unsigned>(literals_[i].size()),
                0, prototype_scratch_.get(), ignore_matches, nullptr);
    if (result == HS_SUCCESS) continue;
    const PatternTarget& target = *targets_begin(i);
    const Concept& owner = taxonomy_.concepts()[target.concept_index];
    const SourceLocation& where =
        target.is_rule ? owner.rules[target.item_index].location : owner.location;
    return absl::InvalidArgumentError(StrCat(
        taxonomy_.Describe(where), ": '", target.text, "' cannot be matched: Hyperscan fails (error ",
        result, ") to scan text that contains it. Hyperscan 5.4.0 does so for a literal ending in "
        "a run of 34 or more of one character; change or remove it"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<const CompiledTaxonomy>> LoadAndCompileTaxonomy(
    absl::Span<const std::string> files, const CompileOptions& options) {
  absl::StatusOr<std::shared_ptr<const CompiledTaxonomy>> compiled;
  // Every allocation of a load is owned by this call, so unwinding frees them
  // and the caller has memory to report the failure with.
  try {
    absl::StatusOr<Taxonomy> taxonomy = LoadTaxonomyFiles(files);
    if (!taxonomy.ok()) return taxonomy.status();
    compiled = CompiledTaxonomy::Compile(*std::move(taxonomy), options);
  } catch (const std::bad_alloc&) {
    compiled = absl::ResourceExhaustedError("out of memory");
  }
  if (compiled.status().code() != absl::StatusCode::kResourceExhausted) return compiled;
  return absl::ResourceExhaustedError(StrCat(compiled.status().message(),
                                             " loading and compiling the taxonomy (",
                                             absl::StrJoin(files, ", "),
                                             "): give it more memory, or use fewer aliases"));
}

}  // namespace tagwire
