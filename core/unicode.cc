#include "core/unicode.h"

#include <utf8proc.h>

#include "core/strings.h"
#include "simdjson.h"

namespace tagwire {

size_t FindInvalidUtf8(std::string_view text) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  size_t i = 0;
  while (i < n) {
    const unsigned char c = s[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    int length;
    char32_t min;
    char32_t cp;
    if ((c & 0xe0) == 0xc0) {
      length = 2, min = 0x80, cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      length = 3, min = 0x800, cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      length = 4, min = 0x10000, cp = c & 0x07;
    } else {
      return i;  // continuation byte without a lead, or 0xf8..0xff
    }
    if (i + length > n) return i;  // truncated
    for (int k = 1; k < length; ++k) {
      const unsigned char cc = s[i + k];
      if ((cc & 0xc0) != 0x80) return i;
      cp = (cp << 6) | (cc & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += length;
  }
  return n;
}

bool IsValidUtf8(std::string_view text) {
  return simdjson::validate_utf8(text.data(), text.size());
}

char32_t DecodeUtf8At(std::string_view text, size_t pos, int* length) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data()) + pos;
  const unsigned char c = s[0];
  if (c < 0x80) {
    *length = 1;
    return c;
  }
  if ((c & 0xe0) == 0xc0) {
    *length = 2;
    return (char32_t(c & 0x1f) << 6) | (s[1] & 0x3f);
  }
  if ((c & 0xf0) == 0xe0) {
    *length = 3;
    return (char32_t(c & 0x0f) << 12) | (char32_t(s[1] & 0x3f) << 6) | (s[2] & 0x3f);
  }
  *length = 4;
  return (char32_t(c & 0x07) << 18) | (char32_t(s[1] & 0x3f) << 12) |
         (char32_t(s[2] & 0x3f) << 6) | (s[3] & 0x3f);
}

char32_t DecodeUtf8Before(std::string_view text, size_t pos) {
  size_t start = pos - 1;
  while (start > 0 && (static_cast<unsigned char>(text[start]) & 0xc0) == 0x80) --start;
  int length;
  return DecodeUtf8At(text, start, &length);
}

namespace {

inline bool IsAsciiWord(unsigned char c) {
  return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

inline bool IsFormatCharacter(char32_t c) {
  return c >= 0x80 && utf8proc_category(static_cast<utf8proc_int32_t>(c)) == UTF8PROC_CATEGORY_CF;
}

inline bool IsAsciiDigit(char32_t c) { return c >= '0' && c <= '9'; }

// True if the word continues from the mention's edge character `inside` to
// the neighbouring `outside` character. Punctuation at a mention's edge does
// not end a word that goes on with a letter ("U.S." is not in "U.S.A.").
inline bool Joins(char32_t inside, char32_t outside) {
  return IsWordCharacter(outside) && !IsUnspacedScript(outside) && !IsUnspacedScript(inside);
}

// The character after `pos` / before `pos`, skipping invisible format
// characters (soft hyphen, zero-width joiners, bidi marks). Returns false at
// the text's edge. `next` receives the position just past it.
bool NextVisible(std::string_view text, size_t pos, char32_t* c, size_t* next) {
  while (pos < text.size()) {
    int length;
    *c = DecodeUtf8At(text, pos, &length);
    pos += length;
    if (!IsFormatCharacter(*c)) {
      *next = pos;
      return true;
    }
  }
  return false;
}

bool PreviousVisible(std::string_view text, size_t pos, char32_t* c, size_t* previous) {
  while (pos > 0) {
    size_t start = pos - 1;
    while (start > 0 && (static_cast<unsigned char>(text[start]) & 0xc0) == 0x80) --start;
    int length;
    *c = DecodeUtf8At(text, start, &length);
    pos = start;
    if (!IsFormatCharacter(*c)) {
      *previous = pos;
      return true;
    }
  }
  return false;
}

}  // namespace

bool IsWordCharacter(char32_t c) {
  if (c < 0x80) return IsAsciiWord(static_cast<unsigned char>(c));
  switch (utf8proc_category(static_cast<utf8proc_int32_t>(c))) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO:
    case UTF8PROC_CATEGORY_MN:
    case UTF8PROC_CATEGORY_MC:
    case UTF8PROC_CATEGORY_ME:
    case UTF8PROC_CATEGORY_ND:
    case UTF8PROC_CATEGORY_NL:
    case UTF8PROC_CATEGORY_NO:
      return true;
    default:
      return false;
  }
}

bool IsUnspacedScript(char32_t c) {
  return (c >= 0x0e00 && c <= 0x0eff) ||    // Thai, Lao
         (c >= 0x1000 && c <= 0x109f) ||    // Myanmar
         (c >= 0x1780 && c <= 0x17ff) ||    // Khmer
         (c >= 0x3040 && c <= 0x30ff) ||    // Hiragana, Katakana
         (c >= 0x31f0 && c <= 0x31ff) ||    // Katakana phonetic extensions
         (c >= 0x3400 && c <= 0x4dbf) ||    // CJK extension A
         (c >= 0x4e00 && c <= 0x9fff) ||    // CJK unified ideographs
         (c >= 0xf900 && c <= 0xfaff) ||    // CJK compatibility ideographs
         (c >= 0xff66 && c <= 0xff9f) ||    // half-width Katakana
         (c >= 0x20000 && c <= 0x3134f);    // CJK extensions B..G
}

bool IsCombiningMark(char32_t c) {
  if (c < 0x300) return false;
  const auto category = utf8proc_category(static_cast<utf8proc_int32_t>(c));
  return category == UTF8PROC_CATEGORY_MN || category == UTF8PROC_CATEGORY_MC ||
         category == UTF8PROC_CATEGORY_ME;
}

bool IsUppercaseLetter(char32_t c) {
  if (c < 0x80) return c >= 'A' && c <= 'Z';
  const auto category = utf8proc_category(static_cast<utf8proc_int32_t>(c));
  return category == UTF8PROC_CATEGORY_LU || category == UTF8PROC_CATEGORY_LT;
}

bool IsLowercaseLetter(char32_t c) {
  if (c < 0x80) return c >= 'a' && c <= 'z';
  return utf8proc_category(static_cast<utf8proc_int32_t>(c)) == UTF8PROC_CATEGORY_LL;
}

bool IsWholeWord(std::string_view text, size_t start, size_t end) {
  if (start >= end) return false;
  // Fast path: ASCII space or punctuation other than a decimal separator (or
  // the text's edge) on both sides.
  auto ascii_separator = [](unsigned char c) {
    return c < 0x80 && !IsAsciiWord(c) && c != '.' && c != ',';
  };
  const bool clear_before =
      start == 0 || ascii_separator(static_cast<unsigned char>(text[start - 1]));
  const bool clear_after =
      end == text.size() || ascii_separator(static_cast<unsigned char>(text[end]));
  if (clear_before && clear_after) return true;

  int length;
  const char32_t first = DecodeUtf8At(text, start, &length);
  const char32_t last = DecodeUtf8Before(text, end);
  char32_t outside;
  size_t beyond;
  if (PreviousVisible(text, start, &outside, &beyond)) {
    if (Joins(first, outside)) return false;
    // A decimal number goes on: "3M" is not in "3.3M".
    char32_t digit;
    size_t unused;
    if ((outside == '.' || outside == ',') && IsAsciiDigit(first) &&
        PreviousVisible(text, beyond, &digit, &unused) && IsAsciiDigit(digit)) {
      return false;
    }
  }
  if (NextVisible(text, end, &outside, &beyond)) {
    // A combining mark belongs to the character before it.
    if (IsCombiningMark(outside) || Joins(last, outside)) return false;
    char32_t digit;
    size_t unused;
    if ((outside == '.' || outside == ',') && IsAsciiDigit(last) &&
        NextVisible(text, beyond, &digit, &unused) && IsAsciiDigit(digit)) {
      return false;
    }
  }
  return true;
}

namespace {
bool IsWhitespace(char32_t c) {
  if (c < 0x80) return IsAsciiSpace(static_cast<char>(c));
  const auto category = utf8proc_category(static_cast<utf8proc_int32_t>(c));
  return category == UTF8PROC_CATEGORY_ZS || category == UTF8PROC_CATEGORY_ZL ||
         category == UTF8PROC_CATEGORY_ZP || c == 0x85;
}
}  // namespace

std::string_view StripUnicodeWhitespace(std::string_view text) {
  int length;
  while (!text.empty() && IsWhitespace(DecodeUtf8At(text, 0, &length))) {
    text.remove_prefix(static_cast<size_t>(length));
  }
  while (!text.empty()) {
    size_t start = text.size() - 1;
    while (start > 0 && (static_cast<unsigned char>(text[start]) & 0xc0) == 0x80) --start;
    if (!IsWhitespace(DecodeUtf8At(text, start, &length))) break;
    text.remove_suffix(text.size() - start);
  }
  return text;
}

bool HasLetterOrDigit(std::string_view text) {
  for (size_t i = 0; i < text.size();) {
    int length;
    const char32_t c = DecodeUtf8At(text, i, &length);
    if (IsWordCharacter(c) && !IsCombiningMark(c)) return true;
    i += length;
  }
  return false;
}

size_t CountCodePoints(std::string_view text) {
  size_t count = 0;
  for (unsigned char c : text) count += (c & 0xc0) != 0x80;
  return count;
}

size_t CountUtf16Units(std::string_view text) {
  size_t count = 0;
  for (unsigned char c : text) {
    if ((c & 0xc0) != 0x80) count += (c >= 0xf0) ? 2 : 1;
  }
  return count;
}

}  // namespace tagwire
