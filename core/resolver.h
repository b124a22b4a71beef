// Resolution: from verified alias matches to one concept per mention, using the
// article as context. Part of Tagger::Tag (tagger.h); separate so its rules
// can be read, tested and explained on their own.
//
// Input: entity candidates sorted by span (field, start, longest first) after
// overlap resolution, so candidates that share a span are adjacent ("a span
// group": "Georgia" → the country and the US state).
//
// Rules, in order:
//   1. Short forms ("Macron", AliasType::kShort) count only after a full name
//      of the same concept earlier in the article (anywhere, for the title).
//   2. Context anchors: spans with one candidate that is not an ordinary word.
//      A place supports itself, its country and its first-level division; a
//      demonym its country; a person or organization (weakly) its country.
//   3. Each candidate of each span is scored: prominence prior (population)
//      + its country, division or itself supported elsewhere in the article
//      + "City, State"/"City, Country" adjacency + the dateline
//      ("KYIV, Ukraine (Agency) —") + "X state" for a division; a person
//      title before it ("President Lincoln", "George Washington") rules out a
//      place; a valid short form or a speech verb after it favours a person.
//      The best candidate wins.
//   4. Guards on ordinary words (Alias::common_word): a place needs support
//      (a co-mentioned country, division or the place itself, adjacency, the
//      dateline); any concept needs a capital that is not just sentence case
//      (sentence start or a title-case headline) unless the same concept is
//      also mentioned elsewhere.
// ResolveByProminence is the naive baseline (no guards, no context).
#ifndef TAGWIRE_CORE_RESOLVER_H_
#define TAGWIRE_CORE_RESOLVER_H_

#include <string>
#include <vector>

#include "core/compiled_taxonomy.h"
#include "core/tagger.h"

namespace tagwire {

// Keeps at most one candidate per span, and drops guarded or unsupported
// ones. With `notes`, appends for each kept candidate, in order, a trace of
// the decision: the alias, every candidate of its span with its score and
// evidence, and guards passed (empty when there was nothing to decide).
void ResolveEntities(const CompiledTaxonomy& taxonomy, const ArticleText& article,
                     std::vector<Tagger::Candidate>* candidates, std::vector<std::string>* notes);

// The naive rule: one candidate per span, the most prominent (largest
// population, then earliest in the taxonomy); nothing dropped.
void ResolveByProminence(const CompiledTaxonomy& taxonomy,
                         std::vector<Tagger::Candidate>* candidates);

}  // namespace tagwire

#endif  // TAGWIRE_CORE_RESOLVER_H_
