#include "core/fold.h"

#include <utf8proc.h>

#include <array>
#include <cstring>

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
      utf8proc_decompose_char(static_cast<utf8proc_int32_t>(c), decomposed, kMaxFoldedCodePoints, kFoldOptions,
                              &last_boundclass);
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
// computed once, so most European text never calls into utf8proc.
class TwoByteFoldTable {
 public:
  TwoByteFoldTable() {
    for (char32_t c = 0x80; c < 0x800; ++c) {
      if (!FoldCodePointSlow(c, &table_[c])) {
        table_[c].length = 2;
        table_[c].bytes[0] = static_cast<char>(0xc0 | (c >> 6));
        table_[c].bytes[1] = static_cast<char>(0x80 | (c & 0x3f));
      }
    }
  }
  const FoldedCodePoint& Get(char32_t c) const { return table_[c]; }

 private:
  std::array<FoldedCodePoint, 0x800> table_{};
};

const TwoByteFoldTable& FoldTable() {
  static const TwoByteFoldTable* table = new TwoByteFoldTable();
  return *table;
}

inline char AsciiLower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c | 0x20) : c;
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

// Appends the folding of valid UTF-8 `text` to `out`. When `origin` is not
// null, appends for every folded byte the original offset of its code point.
void FoldInto(std::string_view text, std::string* out, std::vector<uint32_t>* origin) {
  const TwoByteFoldTable& table = FoldTable();
  out->reserve(out->size() + text.size() + text.size() / 4);
  if (origin) origin->reserve(origin->size() + text.size() + text.size() / 4);
  size_t i = 0;
  while (i < text.size()) {
    const size_t run = AsciiRunLength(text.substr(i));
    if (run > 0) {
      const size_t at = out->size();
      out->resize(at + run);
      LowerAscii(text.data() + i, run, out->data() + at);
      if (origin) {
        const size_t origin_at = origin->size();
        origin->resize(origin_at + run);
        uint32_t* o = origin->data() + origin_at;
        for (size_t k = 0; k < run; ++k) o[k] = static_cast<uint32_t>(i + k);
      }
      i += run;
      if (i >= text.size()) break;
    }
    int length;
    const char32_t cp = DecodeUtf8At(text, i, &length);
    FoldedCodePoint slow;
    const FoldedCodePoint* folded = &slow;
    if (cp < 0x800) {
      folded = &table.Get(cp);
    } else if (!FoldCodePointSlow(cp, &slow)) {
      slow.length = static_cast<uint8_t>(length);
      std::memcpy(slow.bytes, text.data() + i, length);
    }
    out->append(folded->bytes, folded->length);
    if (origin) origin->insert(origin->end(), folded->length, static_cast<uint32_t>(i));
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
  origin_.clear();
  if (AsciiRunLength(original) == original.size()) {
    identity_map_ = true;
    folded_.resize(original.size());
    LowerAscii(original.data(), original.size(), folded_.data());
    return;
  }
  identity_map_ = false;
  FoldInto(original, &folded_, &origin_);
  origin_.push_back(static_cast<uint32_t>(original.size()));
}

bool FoldedView::MapToOriginal(size_t folded_start, size_t folded_end, size_t* original_start,
                               size_t* original_end) const {
  if (identity_map_) {
    *original_start = folded_start;
    *original_end = folded_end;
    return true;
  }
  const size_t size = folded_.size();
  if (folded_start > 0 && origin_[folded_start - 1] == origin_[folded_start]) return false;
  if (folded_end < size && origin_[folded_end - 1] == origin_[folded_end]) return false;
  *original_start = origin_[folded_start];
  *original_end = origin_[folded_end];
  return true;
}

}  // namespace tagwire
