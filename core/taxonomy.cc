#include "core/taxonomy.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "core/strings.h"

#include "core/strings.h"
#include "core/files.h"
#include "core/fold.h"
#include "core/hash.h"
#include "core/status_macros.h"
#include "core/unicode.h"
#include "simdjson.h"

namespace tagwire {

std::string_view ConceptKindName(ConceptKind kind) {
  switch (kind) {
    case ConceptKind::kTopic:
      return "TOPIC";
    case ConceptKind::kPerson:
      return "PERSON";
    case ConceptKind::kOrganization:
      return "ORGANIZATION";
    case ConceptKind::kLocation:
      return "LOCATION";
    case ConceptKind::kOther:
      return "OTHER";
  }
  return "OTHER";
}

std::optional<ConceptKind> ParseConceptKind(std::string_view name) {
  for (int i = 0; i < kConceptKindCount; ++i) {
    const auto kind = static_cast<ConceptKind>(i);
    if (EqualsIgnoreAsciiCase(name, ConceptKindName(kind))) return kind;
  }
  return std::nullopt;
}

std::string_view CasePolicyName(CasePolicy policy) {
  switch (policy) {
    case CasePolicy::kCaseless:
      return "caseless";
    case CasePolicy::kCapitalized:
      return "capitalized";
    case CasePolicy::kExact:
      return "exact";
  }
  return "caseless";
}

std::string_view AliasTypeName(AliasType type) {
  switch (type) {
    case AliasType::kName:
      return "name";
    case AliasType::kShort:
      return "short";
    case AliasType::kDemonym:
      return "demonym";
  }
  return "name";
}

CasePolicy DefaultCasePolicy(std::string_view alias) {
  int upper = 0;
  int lower = 0;
  for (size_t i = 0; i < alias.size();) {
    int length;
    const char32_t c = DecodeUtf8At(alias, i, &length);
    upper += IsUppercaseLetter(c);
    lower += IsLowercaseLetter(c);
    i += length;
  }
  if (upper == 0) return CasePolicy::kCaseless;
  if (lower == 0 && upper >= 2) return CasePolicy::kExact;
  return CasePolicy::kCapitalized;
}

std::string Taxonomy::Describe(SourceLocation location) const {
  const std::string& file = location.file_index < source_files_.size()
                                ? source_files_[location.file_index]
                                : std::string("<unknown>");
  return StrCat(file, ":", location.line);
}

int Taxonomy::FindConcept(std::string_view id) const {
  for (size_t i = 0; i < concepts_.size(); ++i) {
    if (concepts_[i].id == id) return static_cast<int>(i);
  }
  return -1;
}

struct TaxonomyBuilder::State {
  std::vector<Concept> concepts;  // may contain suppressed holes (empty id)
  absl::flat_hash_map<std::string, size_t> index_by_id;
  std::vector<std::string> source_files;
  ContentHasher hasher;
  simdjson::dom::parser parser;
};

namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;
using simdjson::dom::object;

// Accumulates the parse of one line; errors carry the "file:line: " prefix.
class LineParser {
 public:
  LineParser(std::string_view file, uint32_t file_index, uint32_t line)
      : file_(file), file_index_(file_index), line_(line) {}

  absl::Status Error(std::string_view reason) const {
    return absl::InvalidArgumentError(StrCat(file_, ":", line_, ": ", reason));
  }

  absl::StatusOr<std::string_view> String(element value, std::string_view field) const {
    std::string_view out;
    if (value.get_string().get(out) != simdjson::SUCCESS) {
      return Error(StrCat("'", field, "' must be a string"));
    }
    return out;
  }

  absl::StatusOr<double> Number(element value, std::string_view field) const {
    double out;
    if (value.get_double().get(out) != simdjson::SUCCESS || !std::isfinite(out)) {
      return Error(StrCat("'", field, "' must be a finite number"));
    }
    return out;
  }

  absl::StatusOr<int64_t> Integer(element value, std::string_view field) const {
    int64_t out;
    if (value.get_int64().get(out) != simdjson::SUCCESS) {
      return Error(StrCat("'", field, "' must be an integer"));
    }
    return out;
  }

  // Validates and normalises alias/keyword text; `what` names it in errors.
  absl::StatusOr<std::string> Text(std::string_view raw, std::string_view what) const {
    if (raw.find('\0') != std::string_view::npos) {
      return Error(StrCat(what, " contains a NUL character"));
    }
    if (FindInvalidUtf8(raw) != raw.size()) {
      return Error(StrCat(what, " is not valid UTF-8"));
    }
    const std::string_view text = StripUnicodeWhitespace(raw);
    if (text.empty()) return Error(StrCat(what, " is empty"));
    if (text.size() > kMaxAliasBytes) {
      return Error(StrCat(what, " is ", text.size(), " bytes; the limit is ",
                                kMaxAliasBytes));
    }
    if (!HasLetterOrDigit(text)) {
      return Error(StrCat(what, " \"", text, "\" has no letter or digit"));
    }
    if (StripWhitespace(FoldText(text)).empty()) {
      return Error(StrCat(what, " \"", text, "\" has no matchable characters"));
    }
    return std::string(text);
  }

  absl::StatusOr<CasePolicy> Case(element value, std::string_view text) const {
    ASSIGN_OR_RETURN(std::string_view name, String(value, "case"));
    if (name == "auto") return DefaultCasePolicy(text);
    if (name == "caseless") return CasePolicy::kCaseless;
    if (name == "capitalized") return CasePolicy::kCapitalized;
    if (name == "exact") return CasePolicy::kExact;
    return Error(StrCat("unknown case policy '", name,
                              "' (expected auto, caseless, capitalized or exact)"));
  }

  absl::StatusOr<Alias> ParseAlias(element value) const {
    Alias alias;
    if (value.type() == element_type::STRING) {
      ASSIGN_OR_RETURN(std::string_view raw, String(value, "alias"));
      ASSIGN_OR_RETURN(alias.text, Text(raw, "alias"));
      alias.case_policy = DefaultCasePolicy(alias.text);
      return alias;
    }
    object obj;
    if (value.get_object().get(obj) != simdjson::SUCCESS) {
      return Error("an alias must be a string or an object {\"text\":…, \"case\":…}");
    }
    std::optional<element> case_value;
    bool has_text = false;
    for (auto field : obj) {
      if (field.key == "text") {
        ASSIGN_OR_RETURN(std::string_view raw, String(field.value, "text"));
        ASSIGN_OR_RETURN(alias.text, Text(raw, "alias"));
        has_text = true;
      } else if (field.key == "case") {
        case_value = field.value;
      } else if (field.key == "type") {
        ASSIGN_OR_RETURN(std::string_view type, String(field.value, "type"));
        if (type == "name") {
          alias.type = AliasType::kName;
        } else if (type == "short") {
          alias.type = AliasType::kShort;
        } else if (type == "demonym") {
          alias.type = AliasType::kDemonym;
        } else {
          return Error(StrCat("unknown alias type '", type, "' (expected name, short or demonym)"));
        }
      } else if (field.key == "common_word") {
        if (field.value.get_bool().get(alias.common_word) != simdjson::SUCCESS) {
          return Error("'common_word' must be true or false");
        }
      } else {
        return Error(StrCat("unknown alias field '", field.key, "'"));
      }
    }
    if (!has_text) return Error("alias object has no 'text'");
    alias.case_policy = DefaultCasePolicy(alias.text);
    if (case_value) {
      ASSIGN_OR_RETURN(alias.case_policy, Case(*case_value, alias.text));
    }
    return alias;
  }

  absl::StatusOr<std::vector<Alias>> ParseAliases(element value) const {
    simdjson::dom::array array;
    if (value.get_array().get(array) != simdjson::SUCCESS) {
      return Error("'aliases' must be an array");
    }
    std::vector<Alias> aliases;
    for (element item : array) {
      ASSIGN_OR_RETURN(Alias alias, ParseAlias(item));
      aliases.push_back(std::move(alias));
    }
    return aliases;
  }

  absl::StatusOr<KeywordRule> ParseRule(element value) const {
    object obj;
    if (value.get_object().get(obj) != simdjson::SUCCESS) {
      return Error("a rule must be an object {\"keyword\"|\"regex\":…, \"weight\":…}");
    }
    KeywordRule rule;
    rule.location = {file_index_, line_};
    bool has_pattern = false;
    std::optional<element> case_value;
    for (auto field : obj) {
      if (field.key == "keyword" || field.key == "regex") {
        if (has_pattern) return Error("a rule has exactly one of 'keyword' or 'regex'");
        has_pattern = true;
        rule.is_regex = field.key == "regex";
        ASSIGN_OR_RETURN(std::string_view raw, String(field.value, field.key));
        if (rule.is_regex) {
          if (raw.empty()) return Error("regex is empty");
          if (raw.find('\0') != std::string_view::npos) {
            return Error("regex contains a NUL character");
          }
          if (raw.size() > kMaxRegexBytes) {
            return Error(StrCat("regex is ", raw.size(), " bytes; the limit is ",
                                      kMaxRegexBytes));
          }
          if (FindInvalidUtf8(raw) != raw.size()) return Error("regex is not valid UTF-8");
          rule.pattern = std::string(raw);
        } else {
          ASSIGN_OR_RETURN(rule.pattern, Text(raw, "keyword"));
        }
      } else if (field.key == "weight") {
        ASSIGN_OR_RETURN(rule.weight, Number(field.value, "weight"));
        if (!(rule.weight > 0 && rule.weight <= 100)) {
          return Error(StrCat("weight ", rule.weight, " is outside (0, 100]"));
        }
      } else if (field.key == "case") {
        case_value = field.value;
      } else {
        return Error(StrCat("unknown rule field '", field.key, "'"));
      }
    }
    if (!has_pattern) return Error("a rule needs 'keyword' or 'regex'");
    if (case_value) {
      if (rule.is_regex) return Error("'case' applies to keywords, not regexes");
      ASSIGN_OR_RETURN(rule.case_policy, Case(*case_value, rule.pattern));
    }
    return rule;
  }

  absl::Status ParseAttributes(element value, Attributes* out) const {
    object obj;
    if (value.get_object().get(obj) != simdjson::SUCCESS) {
      return Error("'attributes' must be an object");
    }
    for (auto field : obj) {
      const std::string_view key = field.key;
      if (key == "country_code" || key == "admin1" || key == "iptc_code") {
        ASSIGN_OR_RETURN(std::string_view text, String(field.value, key));
        std::string& slot = key == "country_code" ? out->country_code
                            : key == "admin1"     ? out->admin1
                                                  : out->iptc_code;
        slot = std::string(text);
      } else if (key == "geonames_id") {
        ASSIGN_OR_RETURN(out->geonames_id, Integer(field.value, key));
      } else if (key == "population") {
        ASSIGN_OR_RETURN(out->population, Integer(field.value, key));
        if (out->population < 0) return Error("'population' must not be negative");
      } else if (key == "lat" || key == "lon") {
        ASSIGN_OR_RETURN(double degrees, Number(field.value, key));
        const double limit = key == "lat" ? 90 : 180;
        if (std::fabs(degrees) > limit) {
          return Error(StrCat("'", key, "' ", degrees, " is out of range"));
        }
        (key == "lat" ? out->latitude : out->longitude) = degrees;
      } else {
        ASSIGN_OR_RETURN(std::string_view text, String(field.value, key));
        out->extra.emplace_back(std::string(key), std::string(text));
      }
    }
    return absl::OkStatus();
  }

 private:
  std::string_view file_;
  uint32_t file_index_;
  uint32_t line_;
};

// What one line asks the builder to do.
struct LineAction {
  enum Kind { kDefine, kSuppress, kAddAliases } kind = kDefine;
  Concept concept_value;
  std::vector<Alias> added_aliases;
};

absl::StatusOr<LineAction> ParseLine(simdjson::dom::parser& parser, std::string_view line,
                                     const LineParser& p, uint32_t file_index,
                                     uint32_t line_number) {
  element doc;
  if (auto error = parser.parse(line.data(), line.size()).get(doc);
      error != simdjson::SUCCESS) {
    return p.Error(StrCat("invalid JSON: ", simdjson::error_message(error)));
  }
  object obj;
  if (doc.get_object().get(obj) != simdjson::SUCCESS) {
    return p.Error("each line must be a JSON object");
  }
  LineAction action;
  Concept& concept_value = action.concept_value;
  concept_value.location = {file_index, line_number};
  bool has_kind = false;
  bool suppress = false;
  bool has_add = false;
  std::optional<element> aliases;
  absl::flat_hash_set<std::string_view> seen;
  for (auto field : obj) {
    const std::string_view key = field.key;
    if (!seen.insert(key).second) return p.Error(StrCat("field '", key, "' repeated"));
    if (key == "id") {
      ASSIGN_OR_RETURN(std::string_view id, p.String(field.value, key));
      if (id.empty()) return p.Error("'id' is empty");
      if (id.size() > kMaxIdBytes) return p.Error("'id' is too long");
      for (char c : id) {
        if (static_cast<unsigned char>(c) <= ' ') {
          return p.Error(StrCat("'id' \"", id, "\" contains whitespace or control bytes"));
        }
      }
      concept_value.id = std::string(id);
    } else if (key == "kind") {
      ASSIGN_OR_RETURN(std::string_view kind, p.String(field.value, key));
      const auto parsed = ParseConceptKind(kind);
      if (!parsed) {
        return p.Error(StrCat("unknown kind '", kind,
                                    "' (expected TOPIC, PERSON, ORGANIZATION, LOCATION or OTHER)"));
      }
      concept_value.kind = *parsed;
      has_kind = true;
    } else if (key == "name") {
      ASSIGN_OR_RETURN(std::string_view name, p.String(field.value, key));
      ASSIGN_OR_RETURN(concept_value.name, p.Text(name, "name"));
    } else if (key == "aliases") {
      aliases = field.value;
    } else if (key == "add_aliases") {
      ASSIGN_OR_RETURN(action.added_aliases, p.ParseAliases(field.value));
      has_add = true;
    } else if (key == "attributes") {
      RETURN_IF_ERROR(p.ParseAttributes(field.value, &concept_value.attributes));
    } else if (key == "broader") {
      ASSIGN_OR_RETURN(std::string_view broader, p.String(field.value, key));
      concept_value.broader = std::string(broader);
    } else if (key == "rules") {
      simdjson::dom::array array;
      if (field.value.get_array().get(array) != simdjson::SUCCESS) {
        return p.Error("'rules' must be an array");
      }
      for (element item : array) {
        ASSIGN_OR_RETURN(KeywordRule rule, p.ParseRule(item));
        concept_value.rules.push_back(std::move(rule));
      }
    } else if (key == "implies") {
      simdjson::dom::array array;
      if (field.value.get_array().get(array) != simdjson::SUCCESS) {
        return p.Error("'implies' must be an array of topic ids");
      }
      for (element item : array) {
        ASSIGN_OR_RETURN(std::string_view topic, p.String(item, "implies"));
        concept_value.implies.emplace_back(topic);
      }
    } else if (key == "suppress") {
      if (field.value.get_bool().get(suppress) != simdjson::SUCCESS) {
        return p.Error("'suppress' must be true or false");
      }
    } else {
      return p.Error(StrCat("unknown field '", key, "'"));
    }
  }
  if (concept_value.id.empty()) return p.Error("missing 'id'");
  if (suppress || has_add) {
    if (suppress && has_add) return p.Error("'suppress' and 'add_aliases' cannot be combined");
    if (seen.size() != 2) {
      return p.Error(StrCat("a '", suppress ? "suppress" : "add_aliases",
                                  "' line has only 'id' and that field"));
    }
    action.kind = suppress ? LineAction::kSuppress : LineAction::kAddAliases;
    return action;
  }
  if (!has_kind) return p.Error("missing 'kind'");
  if (concept_value.name.empty()) return p.Error("missing 'name'");
  if (aliases) {
    ASSIGN_OR_RETURN(concept_value.aliases, p.ParseAliases(*aliases));
  }
  if (concept_value.kind == ConceptKind::kTopic) {
    if (!concept_value.implies.empty()) return p.Error("a TOPIC cannot have 'implies'");
    // A topic's aliases are caseless keywords of weight 1.
    for (Alias& alias : concept_value.aliases) {
      KeywordRule rule;
      rule.pattern = std::move(alias.text);
      rule.case_policy = alias.case_policy == CasePolicy::kExact ? CasePolicy::kExact
                                                                  : CasePolicy::kCaseless;
      rule.location = concept_value.location;
      concept_value.rules.push_back(std::move(rule));
    }
    concept_value.aliases.clear();
  } else {
    if (!concept_value.rules.empty()) return p.Error("only TOPIC concepts have 'rules'");
    Alias name{concept_value.name, DefaultCasePolicy(concept_value.name)};
    concept_value.aliases.insert(concept_value.aliases.begin(), std::move(name));
  }
  // Drop repeated aliases (same text and policy): they would only repeat hits.
  // The kept one takes the repeat's ordinary-word flag, so the name can be
  // flagged by listing it again as {"text":…, "common_word":true}.
  std::vector<Alias> unique;
  for (Alias& alias : concept_value.aliases) {
    bool repeated = false;
    for (Alias& kept : unique) {
      if (kept.text == alias.text && kept.case_policy == alias.case_policy) {
        repeated = true;
        kept.common_word |= alias.common_word;
      }
    }
    if (!repeated) unique.push_back(std::move(alias));
  }
  concept_value.aliases = std::move(unique);
  return action;
}

}  // namespace

TaxonomyBuilder::TaxonomyBuilder() : state_(std::make_unique<State>()) {}
TaxonomyBuilder::~TaxonomyBuilder() = default;
TaxonomyBuilder::TaxonomyBuilder(TaxonomyBuilder&&) noexcept = default;
TaxonomyBuilder& TaxonomyBuilder::operator=(TaxonomyBuilder&&) noexcept = default;

absl::Status TaxonomyBuilder::AddLayer(std::string_view name, std::string_view contents) {
  State& s = *state_;
  const auto file_index = static_cast<uint32_t>(s.source_files.size());
  // Parse the whole layer first so a failing layer changes nothing.
  std::vector<std::pair<uint32_t, LineAction>> actions;
  absl::flat_hash_map<std::string, uint32_t> defined_here;
  absl::flat_hash_set<std::string> suppressed_here;  // until defined again
  std::string_view rest = contents;
  if (rest.substr(0, 3) == "\xEF\xBB\xBF") rest.remove_prefix(3);  // UTF-8 BOM
  if (rest.substr(0, 2) == "\xFF\xFE" || rest.substr(0, 2) == "\xFE\xFF") {
    // Otherwise reported as a NUL byte, which hides the cause.
    return LineParser(name, file_index, 1)
        .Error("UTF-16 byte-order mark: taxonomy files must be UTF-8 "
               "(convert with: iconv -f UTF-16 -t UTF-8)");
  }
  // One SIMD pass over the whole layer; the line-by-line search only finds
  // the column when something is wrong.
  const bool contents_valid = IsValidUtf8(contents);
  uint32_t line_number = 0;
  while (!rest.empty()) {
    ++line_number;
    const size_t newline = rest.find('\n');
    std::string_view line = rest.substr(0, newline);
    rest.remove_prefix(newline == std::string_view::npos ? rest.size() : newline + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    const LineParser p(name, file_index, line_number);
    if (const size_t nul = line.find('\0'); nul != std::string_view::npos) {
      return p.Error(StrCat("NUL byte at column ", nul + 1));
    }
    if (const size_t bad = contents_valid ? line.size() : FindInvalidUtf8(line);
        bad != line.size()) {
      return p.Error(StrCat("invalid UTF-8 at column ", bad + 1));
    }
    if (StripWhitespace(line).empty()) continue;
    ASSIGN_OR_RETURN(LineAction action, ParseLine(s.parser, line, p, file_index, line_number));
    const std::string& id = action.concept_value.id;
    if (action.kind == LineAction::kDefine) {
      auto [it, inserted] = defined_here.emplace(id, line_number);
      if (!inserted) {
        return p.Error(StrCat("duplicate id '", id, "' (first defined at ", name, ":",
                                    it->second, ")"));
      }
      suppressed_here.erase(id);
    } else if ((!s.index_by_id.contains(id) && !defined_here.contains(id)) ||
               suppressed_here.contains(id)) {
      return p.Error(StrCat("'", id, "' is not defined in an earlier line or layer"));
    } else if (action.kind == LineAction::kSuppress) {
      suppressed_here.insert(id);
    }
    actions.emplace_back(line_number, std::move(action));
  }
  // Apply.
  s.source_files.emplace_back(name);
  s.hasher.Add(contents);
  for (auto& [line, action] : actions) {
    const std::string id = action.concept_value.id;
    auto it = s.index_by_id.find(id);
    switch (action.kind) {
      case LineAction::kDefine:
        if (it != s.index_by_id.end()) {
          s.concepts[it->second] = std::move(action.concept_value);
        } else {
          s.index_by_id.emplace(id, s.concepts.size());
          s.concepts.push_back(std::move(action.concept_value));
        }
        break;
      case LineAction::kSuppress:
        s.concepts[it->second].id.clear();
        s.index_by_id.erase(it);
        break;
      case LineAction::kAddAliases: {
        Concept& target = s.concepts[it->second];
        for (Alias& alias : action.added_aliases) {
          if (target.kind == ConceptKind::kTopic) {
            KeywordRule rule;
            rule.pattern = std::move(alias.text);
            rule.case_policy = alias.case_policy == CasePolicy::kExact ? CasePolicy::kExact
                                                                        : CasePolicy::kCaseless;
            rule.location = {file_index, line};
            target.rules.push_back(std::move(rule));
          } else {
            // A repeat only adds its ordinary-word flag, as in a definition.
            auto same = std::find_if(target.aliases.begin(), target.aliases.end(),
                                     [&](const Alias& a) {
                                       return a.text == alias.text &&
                                              a.case_policy == alias.case_policy;
                                     });
            if (same == target.aliases.end()) {
              target.aliases.push_back(std::move(alias));
            } else {
              same->common_word |= alias.common_word;
            }
          }
        }
        break;
      }
    }
  }
  return absl::OkStatus();
}

absl::Status TaxonomyBuilder::AddFile(const std::string& path) {
  ASSIGN_OR_RETURN(std::string contents, ReadFileBytes(path));
  if (IsGzip(contents)) {
    ASSIGN_OR_RETURN(contents, Gunzip(path, contents));
  }
  return AddLayer(path, contents);
}

absl::StatusOr<Taxonomy> TaxonomyBuilder::Build() {
  State& s = *state_;
  // Check cross-references before taking anything from the state, so a failed
  // Build leaves the builder as it was (the caller may add a layer and retry).
  for (const Concept& concept_value : s.concepts) {
    if (concept_value.id.empty()) continue;  // suppressed
    if (!concept_value.broader.empty() && !s.index_by_id.contains(concept_value.broader)) {
      return absl::InvalidArgumentError(
          StrCat(s.source_files[concept_value.location.file_index], ":",
                 concept_value.location.line, ": 'broader' refers to unknown id '",
                 concept_value.broader, "'"));
    }
  }
  for (const Concept& concept_value : s.concepts) {
    if (concept_value.id.empty()) continue;  // suppressed
    for (const std::string& topic : concept_value.implies) {
      const auto it = s.index_by_id.find(topic);
      if (it == s.index_by_id.end() || s.concepts[it->second].kind != ConceptKind::kTopic) {
        return absl::InvalidArgumentError(
            StrCat(s.source_files[concept_value.location.file_index], ":",
                   concept_value.location.line, ": 'implies' refers to '", topic,
                   it == s.index_by_id.end() ? "', an unknown id" : "', which is not a TOPIC"));
      }
    }
  }
  // `broader` must not loop: topic scores propagate along it.
  for (const Concept& concept_value : s.concepts) {
    if (concept_value.id.empty()) continue;
    const Concept* walk = &concept_value;
    for (size_t steps = 0; !walk->broader.empty(); ++steps) {
      walk = &s.concepts[s.index_by_id.at(walk->broader)];
      if (walk == &concept_value || steps > s.concepts.size()) {
        return absl::InvalidArgumentError(
            StrCat(s.source_files[concept_value.location.file_index], ":",
                   concept_value.location.line, ": 'broader' of '", concept_value.id,
                   "' leads back to itself"));
      }
    }
  }
  Taxonomy taxonomy;
  taxonomy.source_files_ = std::move(s.source_files);
  taxonomy.version_ = s.hasher.HexDigest();
  for (Concept& concept_value : s.concepts) {
    if (concept_value.id.empty()) continue;  // suppressed
    taxonomy.concepts_.push_back(std::move(concept_value));
  }
  state_ = std::make_unique<State>();
  return taxonomy;
}

absl::StatusOr<Taxonomy> LoadTaxonomyFiles(absl::Span<const std::string> paths) {
  if (paths.empty()) return absl::InvalidArgumentError("no taxonomy files given");
  TaxonomyBuilder builder;
  for (const std::string& path : paths) RETURN_IF_ERROR(builder.AddFile(path));
  return builder.Build();
}

}  // namespace tagwire
