// Folding: the one routine that turns text into the form aliases are matched
// in. Folding applies Unicode case folding and strips diacritics (canonical
// decomposition, combining marks removed), with an ASCII fast path; "Zürich",
// "ZURICH" and "zurich" all fold to "zurich", "Straße" to "strasse". Runs of
// whitespace fold to one space, so "New\nYork" and "New  York" are "new york".
//
// FoldedView keeps an exact map from each folded byte back to the original
// code point it came from, so a match found in the folded text maps back to
// byte offsets of the original.
#ifndef TAGWIRE_CORE_FOLD_H_
#define TAGWIRE_CORE_FOLD_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tagwire {

// Folds valid UTF-8 `text` and returns the folded string (for aliases and
// keywords at compile time).
std::string FoldText(std::string_view text);

// Appends the code points of valid UTF-8 `text` with the same normalisation as
// folding except case folding (diacritics stripped, compatibility forms
// decomposed), so case can be compared position by position.
void DecomposeKeepingCase(std::string_view text, std::vector<char32_t>* out);

// How one non-ASCII code point (or whitespace run) folded: `original_length` bytes at
// `original_start` became `folded_length` bytes (0 for a stripped mark) at
// `folded_start`.
struct FoldSegment {
  uint32_t folded_start;
  uint32_t original_start;
  uint8_t folded_length;
  uint8_t original_length;
};

// A reusable folded view of one text. Not thread-safe; reuse one per thread to
// avoid allocation (buffers keep their capacity across Reset calls).
class FoldedView {
 public:
  FoldedView() = default;
  FoldedView(const FoldedView&) = delete;
  FoldedView& operator=(const FoldedView&) = delete;

  // Folds valid UTF-8 `original`, which must outlive the view's use.
  void Reset(std::string_view original);

  std::string_view folded() const { return folded_; }
  std::string_view original() const { return original_; }

  // Maps a match [folded_start, folded_end) back to the original text. Returns
  // false when either end falls inside the folding of a single original code
  // point (e.g. "s" matching half of the "ss" that "ß" folds to).
  bool MapToOriginal(size_t folded_start, size_t folded_end, size_t* original_start,
                     size_t* original_end) const;

  // For finding whole words without a scan: sets bit i of `copied` (one bit
  // per folded byte) when folded byte i is an ASCII letter or digit copied
  // from the original, and fills `starts` with every offset where a
  // whole-word match may start: each code point's first byte, except an ASCII
  // byte right after a copied letter or digit (it continues the word, so
  // IsWholeWord would reject the match). Likewise a whole-word match whose
  // last byte is ASCII cannot end right before a copied one. Non-ASCII
  // characters may be of scripts written without spaces ("北京2008"), and a
  // letter that came from folding a non-ASCII character ("™" folds to "tm")
  // rules nothing out.
  void WordStarts(std::vector<uint32_t>* starts, std::vector<uint64_t>* copied) const;

 private:
  // Returns the original offset of folded offset `folded_offset` as the start
  // or the end of a match, or false if it falls strictly inside the folding
  // of one original code point.
  bool MapOffset(size_t folded_offset, bool is_end, size_t* original_offset) const;
  // Returns how many segments start at or before `folded_offset`.
  size_t SegmentsStartingAtOrBefore(size_t folded_offset) const;

  std::string_view original_;
  std::string folded_;
  // One per non-ASCII code point and per whitespace run of the original, in
  // order; other ASCII bytes fold one to one, so offsets between segments
  // differ by a constant. Empty when the map is the identity (ASCII text with
  // single spaces). Compact for mostly-ASCII news text.
  std::vector<FoldSegment> segments_;
  // Where the last lookup ended; a cache for in-order lookups (not shared
  // across threads: neither is a FoldedView).
  mutable size_t hint_ = 0;
};

}  // namespace tagwire

#endif  // TAGWIRE_CORE_FOLD_H_
