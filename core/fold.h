// Folding: the one routine that turns text into the form aliases are matched
// in. Folding applies Unicode case folding and strips diacritics (canonical
// decomposition, combining marks removed), with an ASCII fast path; "Zürich",
// "ZURICH" and "zurich" all fold to "zurich", "Straße" to "strasse".
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

 private:
  std::string_view original_;
  std::string folded_;
  bool identity_map_ = true;  // ASCII text: folded offset == original offset
  // For non-ASCII text: origin_[i] is the original byte offset of the code
  // point that produced folded byte i; origin_[folded size] == original size.
  std::vector<uint32_t> origin_;
};

}  // namespace tagwire

#endif  // TAGWIRE_CORE_FOLD_H_
