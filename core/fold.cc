#include "core/fold.h"

#include <utf8proc.h>

#include <algorithm>
#include <array>
#include <cstring>

#include "core/strings.h"
#include "core/unicode.h"

namespace tagwire {
namespace {

// Case fold, compatibility decomposition (full-width forms, ligatures), strip
// combining marks and default-ignorables (soft hyphen, zero-width joiner), and
// lump punctuation variants (typographic apostrophes and dashes to ASCII).
constexpr utf8proc_option_t kFoldOptions = static_cast<utf8proc_option_t>(
    UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT | UTF8PROC_CASEFOLD | UTF8PROC_STRIPMARK |
    UTF8PROC_IGNORE | UTF8PROC_LUMP);

// The longest folding of one code point: U+FDFA (an Arabic ligature) expands
// to 18 code points, 33 bytes. Leave room.
constexpr int kMaxFoldedCodePoints = 24;
constexpr int kMaxFoldedBytes = 63;

struct FoldedCodePoint {
  uint8_t length;
  char bytes[kMaxFoldedBytes];
};

// Folds one code point with utf8proc. Returns false if the result does not fit
// (the caller then keeps it unfolded).
bool FoldCodePointSlow(char32_t c, FoldedCodePoint* out) {
  utf8proc_int32_t decomposed[kMaxFoldedCodePoints];
  utf8proc_int32_t last_boundclass = 0;
  const utf8proc_ssize_t count =
      utf8proc_decompose_char(static_cast<utf8proc_int32_t>(c), decomposed,
                              kMaxFoldedCodePoints, kFoldOptions, &last_boundclass);
  if (count < 0 || count > kMaxFoldedCodePoints) return false;
  out->length = 0;
  for (utf8proc_ssize_t i = 0; i < count; ++i) {
    utf8proc_uint8_t encoded[4];
    const utf8proc_ssize_t n = utf8proc_encode_char(decomposed[i], encoded);
    if (out->length + n > kMaxFoldedBytes) return false;
    std::memcpy(out->bytes + out->length, encoded, n);
    out->length += static_cast<uint8_t>(n);
  }
  return true;
}

// Folds for all two-byte code points (Latin, Greek, Cyrillic, Hebrew, Arabic…),
// computed once, so most European text never calls into utf8proc. Entries are
// 16 bytes so the whole table (32 KiB) stays in L1/L2 cache.
class TwoByteFoldTable {
 public:
  struct Entry {
    uint8_t length;
    char bytes[15];
  };

  TwoByteFoldTable() {
    for (char32_t c = 0x80; c < 0x800; ++c) {
      FoldedCodePoint folded;
      Entry& entry = table_[c];
      if (FoldCodePointSlow(c, &folded) && folded.length <= sizeof entry.bytes) {
        entry.length = folded.length;
        std::memcpy(entry.bytes, folded.bytes, folded.length);
      } else {  // no two-byte code point folds this long; keep it as it is
        entry.length = 2;
        entry.bytes[0] = static_cast<char>(0xc0 | (c >> 6));
        entry.bytes[1] = static_cast<char>(0x80 | (c & 0x3f));
      }
    }
  }
  const Entry& Get(char32_t c) const { return table_[c]; }

 private:
  std::array<Entry, 0x800> table_{};
};

const TwoByteFoldTable& FoldTable() {
  static const TwoByteFoldTable* table = new TwoByteFoldTable();
  return *table;
}

// Lower-cases ASCII bytes; written branch-free so the compiler vectorizes it.
void LowerAscii(const char* __restrict src, size_t n, char* __restrict dst) {
  for (size_t i = 0; i < n; ++i) {
    const auto c = static_cast<unsigned char>(src[i]);
    dst[i] = static_cast<char>(c | (static_cast<unsigned char>(c - 'A') < 26 ? 0x20 : 0));
  }
}

// Returns the length of the run of ASCII bytes at the start of `text`.
size_t AsciiRunLength(std::string_view text) {
  size_t i = 0;
  while (i + 8 <= text.size()) {
    uint64_t word;
    std::memcpy(&word, text.data() + i, 8);
    if (word & 0x8080808080808080ULL) break;
    i += 8;
  }
  while (i < text.size() && static_cast<unsigned char>(text[i]) < 0x80) ++i;
  return i;
}

// True if byte `j` of ASCII `text` starts whitespace that does not fold to
// itself: a control character (tab, newline…) or a space followed by more.
inline bool IsIrregularWhitespace(std::string_view text, size_t j) {
  const auto c = static_cast<unsigned char>(text[j]);
  if (c > ' ') return false;
  return c != ' ' || (j + 1 < text.size() && static_cast<unsigned char>(text[j + 1]) <= ' ');
}

// Returns the length of the prefix of ASCII `text` whose whitespace is only
// single spaces (which fold to themselves, one to one).
size_t RegularAsciiLength(std::string_view text) {
  constexpr uint64_t kOnes = 0x0101010101010101ULL;
  constexpr uint64_t kHighBits = 0x8080808080808080ULL;
  const size_t n = text.size();
  size_t j = 0;
  // Eight bytes at a time: a SWAR filter for "a byte below 0x20, or two
  // neighbouring bytes at or below 0x20". It may report false positives
  // (borrows), never false negatives; each hit is checked byte by byte.
  while (j + 9 <= n) {
    uint64_t here;
    uint64_t next;
    std::memcpy(&here, text.data() + j, 8);
    std::memcpy(&next, text.data() + j + 1, 8);
    const uint64_t control = (here - kOnes * 0x20) & ~here & kHighBits;
    const uint64_t space_here = (here - kOnes * 0x21) & ~here & kHighBits;
    const uint64_t space_next = (next - kOnes * 0x21) & ~next & kHighBits;
    if ((control | (space_here & space_next)) != 0) {
      for (size_t k = j; k < j + 8; ++k) {
        if (IsIrregularWhitespace(text, k)) return k;
      }
    }
    j += 8;
  }
  for (; j < n; ++j) {
    if (IsIrregularWhitespace(text, j)) return j;
  }
  return n;
}

// Appends the folding of valid UTF-8 `text` to `out`. When `segments` is not
// null, appends one FoldSegment per non-ASCII code point and per whitespace
// run (other ASCII folds one to one).
void FoldInto(std::string_view text, std::string* out, std::vector<FoldSegment>* segments) {
  const TwoByteFoldTable& table = FoldTable();
  out->reserve(out->size() + text.size() + text.size() / 4);
  size_t i = 0;
  while (i < text.size()) {
    const size_t run_end = i + AsciiRunLength(text.substr(i));
    while (i < run_end) {
      const size_t regular = RegularAsciiLength(text.substr(i, run_end - i));
      const size_t at = out->size();
      out->resize(at + regular);
      LowerAscii(text.data() + i, regular, out->data() + at);
      i += regular;
      if (i == run_end) break;
      // A run of whitespace other than one space ("\n", "  ", "\r\n") folds
      // to one space, so "New\nYork" matches "New York".
      size_t width = 0;
      while (i + width < run_end && IsAsciiSpace(text[i + width]) && width < 255) ++width;
      if (width == 0) {
        // A control character that is not whitespace (NUL, BEL, ESC…) folds
        // to itself, one to one. (Stopping here without consuming it was an
        // endless loop that grew `out` without bound: found by fuzz_tag_article.)
        out->push_back(text[i]);
        ++i;
        continue;
      }
      if (segments) {
        segments->push_back({static_cast<uint32_t>(out->size()), static_cast<uint32_t>(i), 1,
                             static_cast<uint8_t>(width)});
      }
      out->push_back(' ');
      i += width;
    }
    if (i >= text.size()) break;
    int length;
    const char32_t cp = DecodeUtf8At(text, i, &length);
    const char* bytes;
    size_t folded_length;
    FoldedCodePoint slow;
    if (cp < 0x800) {
      const auto& entry = table.Get(cp);
      bytes = entry.bytes;
      folded_length = entry.length;
    } else if (FoldCodePointSlow(cp, &slow)) {
      bytes = slow.bytes;
      folded_length = slow.length;
    } else {
      bytes = text.data() + i;
      folded_length = static_cast<size_t>(length);
    }
    if (segments) {
      segments->push_back({static_cast<uint32_t>(out->size()), static_cast<uint32_t>(i),
                           static_cast<uint8_t>(folded_length), static_cast<uint8_t>(length)});
    }
    out->append(bytes, folded_length);
    i += length;
  }
}

}  // namespace

void DecomposeKeepingCase(std::string_view text, std::vector<char32_t>* out) {
  constexpr auto kOptions = static_cast<utf8proc_option_t>(kFoldOptions & ~UTF8PROC_CASEFOLD);
  for (size_t i = 0; i < text.size();) {
    int length;
    const char32_t cp = DecodeUtf8At(text, i, &length);
    i += length;
    if (cp < 0x80) {
      out->push_back(cp);
      continue;
    }
    utf8proc_int32_t decomposed[kMaxFoldedCodePoints];
    utf8proc_int32_t last_boundclass = 0;
    const utf8proc_ssize_t count = utf8proc_decompose_char(
        static_cast<utf8proc_int32_t>(cp), decomposed, kMaxFoldedCodePoints, kOptions, &last_boundclass);
    if (count < 0 || count > kMaxFoldedCodePoints) {
      out->push_back(cp);
      continue;
    }
    for (utf8proc_ssize_t k = 0; k < count; ++k) out->push_back(static_cast<char32_t>(decomposed[k]));
  }
}

std::string FoldText(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  FoldInto(text, &out, nullptr);
  return out;
}

void FoldedView::Reset(std::string_view original) {
  original_ = original;
  folded_.clear();
  segments_.clear();
  hint_ = 0;
  // Plain ASCII with single spaces produces no segments: the identity map.
  FoldInto(original, &folded_, &segments_);
}

void FoldedView::WordStarts(std::vector<uint32_t>* starts, std::vector<uint64_t>* copied) const {
  starts->clear();
  copied->assign(folded_.size() / 64 + 1, 0);
  size_t segment = 0;  // the first segment that ends after byte `i`
  bool after_copied = false;
  for (size_t i = 0; i < folded_.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(folded_[i]);
    // A non-ASCII character may be of a script written without spaces, which
    // starts a word even after a letter ("2008北京"): always a candidate.
    if ((!after_copied && c < 0x80) || c >= 0xC0) starts->push_back(static_cast<uint32_t>(i));
    after_copied = false;
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
      while (segment < segments_.size() &&
             segments_[segment].folded_start + segments_[segment].folded_length <= i) {
        ++segment;
      }
      after_copied = segment == segments_.size() || segments_[segment].folded_start > i;
      if (after_copied) (*copied)[i >> 6] |= uint64_t{1} << (i & 63);
    }
  }
}

size_t FoldedView::SegmentsStartingAtOrBefore(size_t folded_offset) const {
  // Hyperscan reports matches in order of their end, so consecutive queries
  // are close: walk from the last answer, and binary-search only on big jumps.
  size_t i = std::min(hint_, segments_.size());
  if (i > 0 && segments_[i - 1].folded_start > folded_offset) {
    i = static_cast<size_t>(
        std::upper_bound(segments_.begin(), segments_.end(), folded_offset,
                         [](size_t offset, const FoldSegment& s) { return offset < s.folded_start; }) -
        segments_.begin());
  } else {
    for (int steps = 0; i < segments_.size() && segments_[i].folded_start <= folded_offset; ++i) {
      if (++steps == 16) {
        i = static_cast<size_t>(std::upper_bound(segments_.begin() + static_cast<std::ptrdiff_t>(i),
                                                 segments_.end(), folded_offset,
                                                 [](size_t offset, const FoldSegment& s) {
                                                   return offset < s.folded_start;
                                                 }) -
                                segments_.begin());
        break;
      }
    }
  }
  hint_ = i;
  return i;
}

bool FoldedView::MapOffset(size_t folded_offset, bool is_end, size_t* original_offset) const {
  if (is_end) {
    // Right after the folded byte before `folded_offset`…
    size_t first_at_or_after = SegmentsStartingAtOrBefore(folded_offset);
    while (first_at_or_after > 0 &&
           segments_[first_at_or_after - 1].folded_start >= folded_offset) {
      --first_at_or_after;
    }
    auto next = segments_.begin() + static_cast<std::ptrdiff_t>(first_at_or_after);
    size_t end = folded_offset;
    if (next != segments_.begin()) {
      const FoldSegment& segment = *(next - 1);
      const size_t folded_end = segment.folded_start + segment.folded_length;
      if (folded_offset < folded_end) return false;  // inside one code point's folding
      end = segment.original_start + segment.original_length + (folded_offset - folded_end);
    }
    // …plus the combining marks that belong to it (but not invisible format
    // characters such as a soft hyphen, which are not part of the word).
    for (; next != segments_.end() && next->folded_start == folded_offset &&
           next->folded_length == 0 && next->original_start == end;
         ++next) {
      int length;
      if (!IsCombiningMark(DecodeUtf8At(original_, end, &length))) break;
      end += next->original_length;
    }
    *original_offset = end;
    return true;
  }
  // A start: the last segment starting at or before `folded_offset`.
  auto after = segments_.begin() +
               static_cast<std::ptrdiff_t>(SegmentsStartingAtOrBefore(folded_offset));
  if (after == segments_.begin()) {
    *original_offset = folded_offset;  // only regular ASCII before it
    return true;
  }
  const FoldSegment& segment = *(after - 1);
  // Characters that folded to nothing (marks, format characters) at this
  // position are skipped: a mention starts at a visible character.
  if (folded_offset == segment.folded_start && segment.folded_length > 0) {
    *original_offset = segment.original_start;
    return true;
  }
  const size_t folded_end = segment.folded_start + segment.folded_length;
  if (folded_offset < folded_end) return false;  // inside one code point's folding
  *original_offset = segment.original_start + segment.original_length + (folded_offset - folded_end);
  return true;
}

bool FoldedView::MapToOriginal(size_t folded_start, size_t folded_end, size_t* original_start,
                               size_t* original_end) const {
  if (segments_.empty()) {
    *original_start = folded_start;
    *original_end = folded_end;
    return true;
  }
  return MapOffset(folded_start, /*is_end=*/false, original_start) &&
         MapOffset(folded_end, /*is_end=*/true, original_end);
}

}  // namespace tagwire
