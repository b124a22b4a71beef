#include "core/resolver.h"

#include <algorithm>
#include <array>
#include <optional>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_format.h"
#include "core/strings.h"
#include "core/unicode.h"

namespace tagwire {
namespace {

using Candidate = Tagger::Candidate;

// Score terms (the prior is about log10(population)/2, so 0.5 is a factor of
// ten in population).
constexpr double kDivisionSupport = 3.0;  // the city's division is mentioned
constexpr double kCountrySupport = 0.75;  // the place's country is mentioned
constexpr double kWeakCountrySupport = 0.25;  // …by a person or organization
constexpr double kSelfSupport = 2.0;      // the place itself is mentioned unambiguously
constexpr double kContainsSupport = 2.0;  // a country or division with places of it mentioned
constexpr double kAdjacency = 5.0;        // "Paris, Texas"
constexpr double kStateWord = 5.0;        // "Washington state", "state of Georgia"
constexpr double kDateline = 1.0;
constexpr double kPersonTitle = 10.0;     // "President Lincoln": a person, not a place
constexpr double kPersonVerb = 4.0;       // "Jordan said"
constexpr double kValidShortForm = 4.0;   // the full name came first
constexpr double kPrimaryName = 0.3;      // matched by the concept's own name, not an alternate
constexpr double kNamesakeCity = 0.5;     // Geneva the city over the canton of Geneva
constexpr double kTheBefore = 1.0;        // "the Amazon": a place, not the company
constexpr double kExactAcronym = 1.5;     // "UN" by an exact-case acronym, not the town "Un"

// Words before a name that make it a person's.
constexpr std::array<std::string_view, 52> kPersonTitles = {
    "mr",         "mrs",        "ms",         "dr",          "president",  "senator",
    "sen",        "governor",   "gov",        "general",     "gen",        "minister",
    "secretary",  "judge",      "justice",    "king",        "queen",      "prince",
    "princess",   "pope",       "chancellor", "premier",     "rep",        "representative",
    "mayor",      "sir",        "lord",       "lady",        "sheikh",     "ayatollah",
    "emir",       "commissioner", "councillor", "councilor", "councilman", "councilwoman",
    "coach",      "captain",    "sergeant",   "detective",   "professor",  "prof",
    "bishop",     "cardinal",   "rabbi",      "imam",        "ambassador", "spokesman",
    "spokeswoman", "chairman",  "chairwoman", "striker"};
// Words after a demonym that make it a language or a sea, not the country.
constexpr std::array<std::string_view, 6> kNotCountryAfterDemonym = {
    "ocean", "language", "speaking", "speaker", "speakers", "subtitles"};
// Words after a name that make it a person's (when a person is a candidate).
constexpr std::array<std::string_view, 10> kSpeechVerbs = {
    "said", "says", "told", "added", "wrote", "argued", "insisted", "tweeted", "posted", "warned"};

template <size_t N>
bool OneOf(const std::array<std::string_view, N>& words, std::string_view word) {
  return std::find(words.begin(), words.end(), word) != words.end();
}

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }
bool IsAsciiLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// Abbreviations that end in a period without ending a sentence.
constexpr std::array<std::string_view, 16> kAbbreviations = {
    "mr", "mrs", "ms", "dr", "sen", "gen", "gov", "rep", "prof", "st", "lt", "col", "maj",
    "capt", "sgt", "rev"};

// The ASCII word ending just before `pos` (skipping spaces, and the period of
// an abbreviation: "Dr. Lincoln"), lowercased; empty if there is none, if it
// ends a sentence ("…the minister. Georgia") or is part of a non-ASCII word.
// `*capitalized` (if given) tells whether it starts with a capital.
std::string WordBefore(std::string_view text, size_t pos, bool* capitalized = nullptr) {
  size_t end = pos;
  while (end > 0 && IsSpace(text[end - 1])) --end;
  if (end == pos) return "";  // not separated by space: part of something else
  const bool period = end > 0 && text[end - 1] == '.';
  if (period) --end;
  size_t start = end;
  while (start > 0 && IsAsciiLetter(text[start - 1])) --start;
  if (start > 0 && static_cast<unsigned char>(text[start - 1]) >= 0x80) return "";
  std::string word;
  for (size_t i = start; i < end; ++i) word.push_back(Lower(text[i]));
  if (capitalized != nullptr) *capitalized = start < end && text[start] >= 'A' && text[start] <= 'Z';
  if (period && std::find(kAbbreviations.begin(), kAbbreviations.end(), word) ==
                    kAbbreviations.end()) {
    return "";
  }
  return word;
}

// The ASCII word starting after `pos` (skipping spaces, or one hyphen:
// "Spanish-speaking"), lowercased.
std::string WordAfter(std::string_view text, size_t pos) {
  size_t start = pos;
  while (start < text.size() && IsSpace(text[start])) ++start;
  if (start == pos && start < text.size() && text[start] == '-') ++start;
  if (start == pos) return "";
  std::string word;
  size_t i = start;
  for (; i < text.size() && IsAsciiLetter(text[i]); ++i) word.push_back(Lower(text[i]));
  if (i < text.size() && static_cast<unsigned char>(text[i]) >= 0x80) return "";
  return word;
}

// True if the span at `start` begins a sentence: only spaces and opening
// quotes since the field start or the end of the previous sentence.
bool AtSentenceStart(std::string_view text, size_t start) {
  size_t i = start;
  while (i > 0 && (IsSpace(text[i - 1]) || text[i - 1] == '"' || text[i - 1] == '\'')) --i;
  if (i == 0) return true;
  const char c = text[i - 1];
  return c == '.' || c == '!' || c == '?' || c == ':' || (i < start && text[i] == '\n');
}

// The end of a dateline at the start of `body` ("KYIV, Ukraine (Agency) — "):
// an all-capital place name, then up to 100 bytes to a dash. 0 if none.
size_t DatelineEnd(std::string_view body) {
  size_t start = 0;
  while (start < body.size() && IsSpace(body[start])) ++start;
  size_t letters = 0;
  size_t i = start;
  for (; i < body.size() && body[i] != ',' && body[i] != '(' && body[i] != '\n'; ++i) {
    const char c = body[i];
    if (c >= 'a' && c <= 'z') return 0;  // not all capitals
    if (c >= 'A' && c <= 'Z') ++letters;
  }
  if (letters < 2 || i >= body.size() || body[i] == '\n') return 0;
  const size_t limit = std::min(body.size(), i + 100);
  for (size_t j = i; j < limit; ++j) {
    if (body[j] == '\n') return 0;
    // U+2014 and U+2013 (em and en dash), or " - " / " -- ".
    if (body.compare(j, 3, "\xE2\x80\x94") == 0 || body.compare(j, 3, "\xE2\x80\x93") == 0 ||
        body.compare(j, 3, " - ") == 0 || body.compare(j, 4, " -- ") == 0) {
      return j;
    }
  }
  return 0;
}

struct Group {
  size_t begin, end;  // candidates [begin, end) share a span
  std::string before, after;  // the ASCII words around it, lowercased
  bool person_title = false;  // a title or given name before it, or a name pattern
  bool sentence_case = false;  // at a sentence start, or in the title
};

// Counts of context anchors by concept.
class Support {
 public:
  void Add(int32_t concept_index, double amount = 1) {
    if (concept_index >= 0) counts_[concept_index] += amount;
  }
  double Get(int32_t concept_index) const {
    if (concept_index < 0) return 0;
    const auto it = counts_.find(concept_index);
    return it == counts_.end() ? 0 : it->second;
  }

 private:
  absl::flat_hash_map<int32_t, double> counts_;
};

class Resolver {
 public:
  Resolver(const CompiledTaxonomy& taxonomy, const ArticleText& article,
           std::vector<Candidate>* candidates, std::vector<std::string>* notes)
      : taxonomy_(taxonomy), article_(article), c_(*candidates), notes_(notes) {}

  void Run() {
    dateline_end_ = DatelineEnd(article_.body);
    MakeGroups();
    DropInvalidShortForms();
    CollectAnchors();
    std::vector<int> best(groups_.size());
    std::vector<double> scores(groups_.size());
    std::vector<std::string> notes(notes_ != nullptr ? groups_.size() : 0);
    for (size_t g = 0; g < groups_.size(); ++g) {
      best[g] = Choose(g, notes_ != nullptr ? &notes[g] : nullptr, &scores[g]);
    }
    OneSensePerArticle(&best, scores, notes_ != nullptr ? &notes : nullptr);
    std::vector<Candidate> kept;
    std::vector<bool> kept_sentence_case;
    std::vector<std::string> kept_notes;
    for (size_t g = 0; g < groups_.size(); ++g) {
      if (best[g] < 0) continue;
      kept.push_back(c_[best[g]]);
      kept_sentence_case.push_back(groups_[g].sentence_case);
      if (notes_ != nullptr) kept_notes.push_back(std::move(notes[g]));
    }
    ApplySentenceCaseGuard(kept_sentence_case, &kept, notes_ != nullptr ? &kept_notes : nullptr);
    c_ = std::move(kept);
    if (notes_ != nullptr) *notes_ = std::move(kept_notes);
  }

 private:
  const Alias& AliasOf(const Candidate& c) const {
    return taxonomy_.concept_at(c.concept_index).aliases[c.item_index];
  }
  const ConceptFacts& FactsOf(const Candidate& c) const {
    return taxonomy_.facts(c.concept_index);
  }
  std::string_view FieldText(Field field) const {
    return field == Field::kTitle ? article_.title : article_.body;
  }
  static uint64_t Position(const Candidate& c) {
    return (uint64_t{c.field == Field::kBody} << 32) | c.start;
  }

  void MakeGroups() {
    for (size_t i = 0; i < c_.size();) {
      size_t end = i + 1;
      while (end < c_.size() && c_[end].field == c_[i].field && c_[end].start == c_[i].start &&
             c_[end].end == c_[i].end) {
        ++end;
      }
      Group& g = groups_.emplace_back();
      g.begin = i;
      g.end = end;
      i = end;
    }
    // A dateline starts with a place ("KYIV, Ukraine (Agency) —"), not with
    // any capitals and a comma ("UPDATED, Orange juice —").
    if (dateline_end_ > 0) {
      const size_t first = article_.body.find_first_not_of(" \t\r\n");
      bool place_first = false;
      for (const Group& g : groups_) {
        const Candidate& c = c_[g.begin];
        if (c.field == Field::kBody && c.start == first) place_first = AnyPlace(g);
      }
      if (!place_first) dateline_end_ = 0;
    }
    const size_t after_dateline = dateline_end_ > 0 ? FirstWordAfterDateline() : SIZE_MAX;
    for (Group& g : groups_) {
      const Candidate& c = c_[g.begin];
      const std::string_view text = FieldText(c.field);
      bool capitalized = false;
      g.before = WordBefore(text, c.start, &capitalized);
      g.after = WordAfter(text, c.end);
      g.person_title = OneOf(kPersonTitles, g.before) ||
                       (capitalized && !g.before.empty() && taxonomy_.is_given_name(g.before));
      g.sentence_case = c.field == Field::kTitle || AtSentenceStart(text, c.start) ||
                        (c.field == Field::kBody && c.start == after_dateline);
    }
    // A name once shown to be a person's by a title is that person's
    // everywhere in the article: after "President Lincoln", "Lincoln said".
    absl::flat_hash_set<std::string> person_names;
    for (const Group& g : groups_) {
      if (g.person_title) person_names.insert(SpanKey(g));
    }
    // Two cities in a row with one space between ("George Washington") are a
    // person's name, unless the second contains the first ("Atlanta
    // Georgia"); the second word is then his name throughout. Countries and
    // divisions are left out: "Russia Ukraine war" is two places.
    for (size_t g = 0; g + 1 < groups_.size(); ++g) {
      const int n = NextGroup(g);
      if (n < 0) continue;
      const Candidate& here = c_[groups_[g].begin];
      const Candidate& next = c_[groups_[n].begin];
      if (next.start != here.end + 1 || FieldText(here.field)[here.end] != ' ' ||
          !AllCities(groups_[g]) || !AllPlaces(groups_[n]) ||
          SpanKey(groups_[g]) == SpanKey(groups_[n])) {
        continue;
      }
      bool contained = false;
      for (size_t k = groups_[g].begin; k < groups_[g].end; ++k) {
        contained |= GroupHas(&groups_[n], taxonomy_.facts(c_[k].concept_index).admin1) ||
                     GroupHas(&groups_[n], taxonomy_.facts(c_[k].concept_index).country);
      }
      if (contained) continue;
      groups_[g].person_title = groups_[n].person_title = true;
      person_names.insert(SpanKey(groups_[n]));
    }
    if (person_names.empty()) return;
    for (Group& g : groups_) {
      if (!g.person_title && person_names.contains(SpanKey(g))) g.person_title = true;
    }
  }

  // The ASCII-lowercased text of a group's span.
  std::string SpanKey(const Group& g) const {
    const Candidate& c = c_[g.begin];
    std::string key(FieldText(c.field).substr(c.start, c.end - c.start));
    for (char& ch : key) ch = Lower(ch);
    return key;
  }

  // True if every candidate of `group` is a city named by a full name.
  bool AllCities(const Group& group) const {
    if (!AllPlaces(group)) return false;
    for (size_t k = group.begin; k < group.end; ++k) {
      if (taxonomy_.facts(c_[k].concept_index).feature != PlaceFeature::kCity) return false;
    }
    return true;
  }

  bool AnyPlace(const Group& group) const {
    for (size_t k = group.begin; k < group.end; ++k) {
      if (c_[k].concept_index != kDropped &&
          taxonomy_.concept_at(c_[k].concept_index).kind == ConceptKind::kLocation) {
        return true;
      }
    }
    return false;
  }

  bool AllPlaces(const Group& group) const {
    for (size_t k = group.begin; k < group.end; ++k) {
      if (taxonomy_.concept_at(c_[k].concept_index).kind != ConceptKind::kLocation ||
          AliasOf(c_[k]).type != AliasType::kName) {
        return false;
      }
    }
    return true;
  }

  // Rule 1. A dropped candidate gets concept_index UINT32_MAX.
  void DropInvalidShortForms() {
    absl::flat_hash_map<uint32_t, uint64_t> first_full;
    for (const Candidate& c : c_) {
      if (AliasOf(c).type == AliasType::kShort) continue;
      auto [it, inserted] = first_full.emplace(c.concept_index, Position(c));
      if (!inserted) it->second = std::min(it->second, Position(c));
    }
    for (Candidate& c : c_) {
      if (AliasOf(c).type != AliasType::kShort) continue;
      const auto it = first_full.find(c.concept_index);
      const bool valid =
          it != first_full.end() && (c.field == Field::kTitle || it->second < Position(c));
      if (!valid) c.concept_index = kDropped;
    }
  }

  // Rule 2.
  void CollectAnchors() {
    for (const Group& g : groups_) {
      const Candidate* live = nullptr;  // the first live candidate
      bool single = true;
      for (size_t k = g.begin; k < g.end; ++k) {
        if (c_[k].concept_index == kDropped) continue;
        if (live == nullptr) {
          live = &c_[k];
        } else if (live->concept_index != c_[k].concept_index) {
          single = false;
        }
      }
      if (live == nullptr || !single || g.person_title) continue;
      const Candidate& c = *live;
      const int32_t only = static_cast<int32_t>(c.concept_index);
      const ConceptFacts& f = FactsOf(c);
      if (AliasOf(c).common_word && (f.feature != PlaceFeature::kCountry || g.sentence_case)) {
        continue;
      }
      const Concept& concept_value = taxonomy_.concept_at(c.concept_index);
      if (AliasOf(c).type == AliasType::kDemonym && OneOf(kNotCountryAfterDemonym, g.after)) {
        continue;
      }
      if (concept_value.kind == ConceptKind::kLocation) {
        places_.Add(only);
        countries_.Add(f.country);
        divisions_.Add(f.admin1);
      } else {
        weak_countries_.Add(f.country);
      }
    }
  }

  // The index of the first group after group `g` in the text (same field,
  // starting at or after its end), or -1. With OverlapPolicy::kAll, spans
  // nested in `g` come between the two in order and are skipped.
  int NextGroup(size_t g) const {
    const Candidate& here = c_[groups_[g].begin];
    for (size_t n = g + 1; n < groups_.size(); ++n) {
      const Candidate& next = c_[groups_[n].begin];
      if (next.field != here.field) return -1;
      if (next.start >= here.end) return static_cast<int>(n);
    }
    return -1;
  }

  // The span group starting right after ", " following group `g`, if any.
  const Group* Adjacent(size_t g) const {
    const int n = NextGroup(g);
    if (n < 0) return nullptr;
    const Candidate& here = c_[groups_[g].begin];
    const std::string_view text = FieldText(here.field);
    size_t i = here.end;
    if (i >= text.size() || text[i] != ',') return nullptr;
    ++i;
    while (i < text.size() && IsSpace(text[i])) ++i;
    return i == c_[groups_[n].begin].start ? &groups_[n] : nullptr;
  }
  // The span group ending with ", " right before group `g`, if any (looking
  // back a few groups, past spans nested in it under OverlapPolicy::kAll).
  const Group* AdjacentBefore(size_t g) const {
    for (size_t back = 1; back <= 8 && back <= g; ++back) {
      if (Adjacent(g - back) == &groups_[g]) return &groups_[g - back];
    }
    return nullptr;
  }

  bool GroupHas(const Group* group, int32_t concept_index) const {
    if (group == nullptr || concept_index < 0) return false;
    for (size_t k = group->begin; k < group->end; ++k) {
      if (c_[k].concept_index == static_cast<uint32_t>(concept_index)) return true;
    }
    return false;
  }
  // True if some candidate of `group` lies in `container` (its country or division).
  bool GroupInside(const Group* group, uint32_t container) const {
    if (group == nullptr) return false;
    for (size_t k = group->begin; k < group->end; ++k) {
      if (c_[k].concept_index == kDropped) continue;
      const ConceptFacts& f = taxonomy_.facts(c_[k].concept_index);
      if (c_[k].concept_index != container &&
          (f.admin1 == static_cast<int32_t>(container) ||
           f.country == static_cast<int32_t>(container))) {
        return true;
      }
    }
    return false;
  }

  // Rule 5: one surface form, one sense in an article. Where "Tripoli" is
  // settled by "Tripoli, Lebanon", the other "Tripoli"s are that one too:
  // each span with several candidates takes the concept that won with the
  // highest score anywhere for the same text, if it is among its candidates.
  void OneSensePerArticle(std::vector<int>* best, const std::vector<double>& scores,
                          std::vector<std::string>* notes) {
    absl::flat_hash_map<std::string, std::pair<uint32_t, double>> sense;
    for (size_t g = 0; g < groups_.size(); ++g) {
      if ((*best)[g] < 0 || LiveConcepts(groups_[g]) < 2) continue;
      auto [it, inserted] = sense.try_emplace(SpanKey(groups_[g]), c_[(*best)[g]].concept_index,
                                              scores[g]);
      if (!inserted && scores[g] > it->second.second) {
        it->second = {c_[(*best)[g]].concept_index, scores[g]};
      }
    }
    if (sense.empty()) return;
    for (size_t g = 0; g < groups_.size(); ++g) {
      const int chosen = (*best)[g];
      if (chosen < 0 || LiveConcepts(groups_[g]) < 2) continue;
      const auto it = sense.find(SpanKey(groups_[g]));
      if (it == sense.end() || it->second.first == c_[chosen].concept_index) continue;
      for (size_t k = groups_[g].begin; k < groups_[g].end; ++k) {
        if (c_[k].concept_index != it->second.first) continue;
        (*best)[g] = static_cast<int>(k);
        if (notes != nullptr) {
          absl::StrAppendFormat(&(*notes)[g], "; one sense per article: %s (score %.2f elsewhere)",
                                taxonomy_.concept_at(it->second.first).id, it->second.second);
        }
        break;
      }
    }
  }

  size_t LiveConcepts(const Group& g) const {
    size_t live = 0;
    for (size_t k = g.begin; k < g.end; ++k) {
      if (c_[k].concept_index != kDropped && !RepeatsConcept(g, k)) ++live;
    }
    return live;
  }

  // True if candidate k's concept already has an earlier live candidate in
  // group g (two aliases of one concept on one span). Candidates of a span
  // are sorted by concept (SpanOrder in tagger.cc), so it is the previous one.
  bool RepeatsConcept(const Group& g, size_t k) const {
    for (size_t j = k; j > g.begin; --j) {
      if (c_[j - 1].concept_index != kDropped) {
        return c_[j - 1].concept_index == c_[k].concept_index;
      }
    }
    return false;
  }

  // Rules 3 and 4 for span group `g`: the index of the chosen candidate, or
  // -1; its score in `*best_score_out`.
  int Choose(size_t g, std::string* note, double* best_score_out) {
    const Group& group = groups_[g];
    const Candidate& first = c_[group.begin];
    const std::string_view text = FieldText(first.field);
    const std::string& before = group.before;
    const std::string& after = group.after;
    const bool title_before = group.person_title;
    const bool speech_after = OneOf(kSpeechVerbs, after);
    const Group* next = Adjacent(g);
    const Group* previous = AdjacentBefore(g);
    const bool in_dateline = first.field == Field::kBody && first.start < dateline_end_;
    const bool state_word = after == "state" || EndsWithStateOf(text.substr(0, first.start));

    // Whether the live candidates are of more than one kind (a company and a place).
    bool mixed_kinds = false;
    std::optional<ConceptKind> first_kind;
    for (size_t k = group.begin; k < group.end; ++k) {
      if (c_[k].concept_index == kDropped) continue;
      const ConceptKind kind = taxonomy_.concept_at(c_[k].concept_index).kind;
      if (!first_kind) first_kind = kind;
      mixed_kinds |= kind != *first_kind;
    }
    int best = -1;
    double best_score = 0;
    size_t live = 0;
    std::string trace;
    for (size_t k = group.begin; k < group.end; ++k) {
      const Candidate& c = c_[k];
      if (c.concept_index == kDropped) continue;
      if (RepeatsConcept(group, k)) continue;  // one entry per concept
      ++live;
      const Concept& concept_value = taxonomy_.concept_at(c.concept_index);
      const ConceptFacts& f = FactsOf(c);
      const Alias& alias = AliasOf(c);
      const int32_t self = static_cast<int32_t>(c.concept_index);
      double score = f.prior;
      bool strong = false;  // support that lets an ordinary word be a place
      bool local = false;   // …even in sentence case: adjacency, dateline, itself
      std::string why;
      auto add = [&](double amount, std::string_view reason, bool is_strong, bool is_local = false) {
        score += amount;
        strong |= is_strong;
        local |= is_local;
        if (note != nullptr) absl::StrAppendFormat(&why, " %+.1f %s", amount, reason);
      };
      if (mixed_kinds && alias.case_policy == CasePolicy::kExact) {
        add(kExactAcronym, "exact-case acronym", false);
      }
      if (concept_value.kind == ConceptKind::kLocation) {
        if (f.admin1 >= 0 && f.admin1 != self && divisions_.Get(f.admin1) > 0) {
          add(kDivisionSupport, "division mentioned", true);
        }
        if (f.country >= 0 && f.country != self) {
          if (countries_.Get(f.country) > 0) {
            add(kCountrySupport, "country mentioned", false);
          } else if (weak_countries_.Get(f.country) > 0) {
            add(kWeakCountrySupport, "country of a person/organization", false);
          }
        }
        if (places_.Get(self) > 0) add(kSelfSupport, "mentioned elsewhere", true, true);
        if ((f.feature == PlaceFeature::kCountry && countries_.Get(self) > places_.Get(self)) ||
            (f.feature == PlaceFeature::kAdmin1 && divisions_.Get(self) > places_.Get(self))) {
          add(kContainsSupport, "places in it mentioned", true);
        }
        if (GroupInside(next, c.concept_index) || GroupHas(next, f.admin1) ||
            GroupHas(next, f.country) ||
            (previous != nullptr && GroupInside(previous, c.concept_index))) {
          add(kAdjacency, "\"Place, Region\" adjacency", true, true);
        }
        if (state_word && f.feature == PlaceFeature::kAdmin1) {
          add(kStateWord, "\"state\"", true, true);
        }
        if (in_dateline) add(kDateline, "dateline", true, true);
        if (c.item_index == 0) add(kPrimaryName, "own name", false);
        // Only when they share the name: "Oklahoma", an alternate name of
        // Oklahoma City, is the state.
        if (f.feature == PlaceFeature::kCity && c.item_index == 0 && GroupHas(&group, f.admin1)) {
          add(kNamesakeCity, "city of its namesake division", false);
        }
        if (before == "the" && mixed_kinds) add(kTheBefore, "\"the\" before", false);
      } else if (concept_value.kind == ConceptKind::kPerson) {
        if (title_before) add(kPersonTitle, StrCat("person cue \"", before, "\""), false);
        if (speech_after) add(kPersonVerb, StrCat("\"", after, "\" after"), false);
        if (alias.type == AliasType::kShort) add(kValidShortForm, "full name earlier", false);
      }
      // A place after a person cue is a person's name; an ordinary word is a
      // place only with strong support, and in sentence case only with
      // adjacency, the dateline or another mention of it. A country that is
      // an ordinary word ("Turkey") is guarded in sentence case only.
      bool guarded = false;
      if (concept_value.kind == ConceptKind::kLocation) {
        if (title_before) {
          guarded = true;
        } else if (alias.common_word) {
          guarded = f.feature == PlaceFeature::kCountry
                        ? group.sentence_case && !strong && countries_.Get(self) == 0 &&
                              weak_countries_.Get(self) == 0
                        : !(local || (strong && !group.sentence_case));
        } else if (alias.type == AliasType::kDemonym) {
          guarded = OneOf(kNotCountryAfterDemonym, after);
        }
      }
      if (note != nullptr) {
        absl::StrAppendFormat(&trace, "%s%s %s (%s, prior %.2f%s) = %.2f%s", trace.empty() ? "" : "; ",
                              concept_value.id, concept_value.name,
                              ConceptKindName(concept_value.kind), f.prior, why, score,
                              !guarded              ? ""
                              : title_before        ? " [person cue]"
                              : alias.common_word   ? " [ordinary word without support]"
                                                    : " [not the country]");
      }
      if (guarded) continue;
      if (best < 0 || score > best_score) {
        best = static_cast<int>(k);
        best_score = score;
      }
    }
    *best_score_out = best_score;
    if (note != nullptr && best >= 0) {
      const Alias& alias = AliasOf(c_[best]);
      *note = StrCat("alias \"", alias.text, "\"",
                     alias.type == AliasType::kName ? "" : StrCat(" (", AliasTypeName(alias.type), ")"),
                     alias.common_word ? " (ordinary word)" : "");
      if (live > 1 || alias.common_word) StrAppend(note, "; candidates: ", trace);
    }
    return best;
  }

  // Where the text after the dateline's dash starts.
  size_t FirstWordAfterDateline() const {
    const std::string_view body = article_.body;
    size_t i = dateline_end_;
    while (i < body.size() && (IsSpace(body[i]) || body[i] == '-' ||
                               static_cast<unsigned char>(body[i]) >= 0x80)) {
      if (static_cast<unsigned char>(body[i]) >= 0x80 &&
          !(body.compare(i, 3, "\xE2\x80\x94") == 0 || body.compare(i, 3, "\xE2\x80\x93") == 0)) {
        break;
      }
      i += static_cast<unsigned char>(body[i]) >= 0x80 ? 3 : 1;
    }
    return i;
  }

  // True if `text` ends with the words "state of" (any case), not "estate
  // of" or "head of state of".
  static bool EndsWithStateOf(std::string_view text) {
    size_t end = text.size();
    while (end > 0 && IsSpace(text[end - 1])) --end;
    constexpr std::string_view kStateOf = "state of";
    if (end < kStateOf.size()) return false;
    const size_t start = end - kStateOf.size();
    for (size_t i = 0; i < kStateOf.size(); ++i) {
      if (Lower(text[start + i]) != kStateOf[i]) return false;
    }
    if (start > 0 && IsAsciiLetter(text[start - 1])) return false;
    return WordBefore(text, start) != "of";  // "head of state of"
  }

  // Rule 4, second half: an ordinary-word alias whose only capital may be
  // sentence case ("Reading the report…", a title-case headline) stays only
  // if the concept is also mentioned elsewhere in the article.
  // `sentence_case[i]`: whether kept candidate i is in sentence case (its group's).
  void ApplySentenceCaseGuard(const std::vector<bool>& sentence_case,
                              std::vector<Candidate>* kept, std::vector<std::string>* notes) {
    absl::flat_hash_map<uint32_t, int> firm;  // mentions not in sentence case
    // Places are exempt: they already needed support (rule 4).
    auto guarded = [&](size_t i) {
      const Candidate& c = (*kept)[i];
      return AliasOf(c).common_word && sentence_case[i] &&
             taxonomy_.concept_at(c.concept_index).kind != ConceptKind::kLocation;
    };
    for (size_t i = 0; i < kept->size(); ++i) {
      if (!guarded(i)) ++firm[(*kept)[i].concept_index];
    }
    size_t out = 0;
    for (size_t i = 0; i < kept->size(); ++i) {
      const Candidate& c = (*kept)[i];
      if (guarded(i) && firm[c.concept_index] == 0) continue;
      if (out != i) {
        (*kept)[out] = c;
        if (notes != nullptr) (*notes)[out] = std::move((*notes)[i]);
      }
      ++out;
    }
    kept->resize(out);
    if (notes != nullptr) notes->resize(out);
  }

  static constexpr uint32_t kDropped = UINT32_MAX;

  const CompiledTaxonomy& taxonomy_;
  const ArticleText& article_;
  std::vector<Candidate>& c_;
  std::vector<std::string>* notes_;
  std::vector<Group> groups_;
  Support places_, countries_, divisions_, weak_countries_;
  size_t dateline_end_ = 0;
};

}  // namespace

void ResolveEntities(const CompiledTaxonomy& taxonomy, const ArticleText& article,
                     std::vector<Candidate>* candidates, std::vector<std::string>* notes) {
  Resolver(taxonomy, article, candidates, notes).Run();
}

void ResolveByProminence(const CompiledTaxonomy& taxonomy, std::vector<Candidate>* candidates) {
  std::vector<Candidate>& c = *candidates;
  auto population = [&](size_t k) {
    return taxonomy.concept_at(c[k].concept_index).attributes.population;
  };
  size_t out = 0;
  for (size_t i = 0; i < c.size();) {
    size_t end = i + 1;
    size_t best = i;
    for (; end < c.size() && c[end].field == c[i].field && c[end].start == c[i].start &&
           c[end].end == c[i].end;
         ++end) {
      if (population(end) > population(best)) best = end;
    }
    c[out++] = c[best];
    i = end;
  }
  c.resize(out);
}

}  // namespace tagwire
