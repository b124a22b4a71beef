// Unicode helpers shared by the loader, the folder and the tagger: UTF-8
// validation, decoding, and the one word-boundary rule tagwire uses.
//
// Word boundaries are decided on the ORIGINAL text (Hyperscan's \b is ASCII
// only). A mention [start, end) is a whole word when the visible characters
// just outside it do not continue it (invisible format characters such as the
// soft hyphen, zero-width joiners and bidi marks are looked through, so
// "Berlin" is not found in "Ber\u00ADliner"):
//   * letters (L*), digits (N*) and combining marks (M*) of every script are
//     word characters, so "Lt" is not found inside "erhält" and "Київ" is not
//     found inside "Київщина"; a word character outside the mention continues
//     it even when the mention's edge is punctuation ("U.S." is not in
//     "U.S.A.", "C++" is not in "C++11");
//   * a combining mark right after the mention always continues it;
//   * a decimal number continues through "." or "," between digits ("3M" is
//     not in "3.3M", "G7" is not in "G7.5");
//   * scripts written without spaces (Han, Hiragana, Katakana, Thai, Lao,
//     Khmer, Myanmar) have a boundary on both sides of every character, so
//     "東京" is found in "東京都" and "東京2020"; digits next to digits never
//     split ("G20" is not found in "G200").
// All functions are pure and thread-safe.
#ifndef TAGWIRE_CORE_UNICODE_H_
#define TAGWIRE_CORE_UNICODE_H_

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace tagwire {

// Returns the byte offset of the first invalid UTF-8 sequence in `text`, or
// text.size() if `text` is valid UTF-8 (overlong forms, surrogates, code points
// past U+10FFFF and truncated sequences are invalid).
size_t FindInvalidUtf8(std::string_view text);

// Returns true if `text` is valid UTF-8. Uses SIMD validation (simdjson).
bool IsValidUtf8(std::string_view text);

// Decodes the code point starting at `pos` in valid UTF-8 `text` and stores its
// byte length in `*length`.
char32_t DecodeUtf8At(std::string_view text, size_t pos, int* length);

// Decodes the code point that ends just before `pos` in valid UTF-8 `text`.
char32_t DecodeUtf8Before(std::string_view text, size_t pos);

// Returns true if `[start, end)` of valid UTF-8 `text` is bounded as a whole
// word by the rule in the file comment.
bool IsWholeWord(std::string_view text, size_t start, size_t end);

// Character classes used by the boundary rule and by case policies.
bool IsWordCharacter(char32_t c);
bool IsUnspacedScript(char32_t c);
bool IsCombiningMark(char32_t c);
bool IsUppercaseLetter(char32_t c);  // Lu or Lt
bool IsLowercaseLetter(char32_t c);  // Ll

// Returns `text` (valid UTF-8) without leading and trailing whitespace of any
// script (ASCII spaces, no-break space, ideographic space…).
std::string_view StripUnicodeWhitespace(std::string_view text);

// Returns true if valid UTF-8 `text` contains a letter or digit of any script.
bool HasLetterOrDigit(std::string_view text);

// Counts code points and UTF-16 code units in valid UTF-8 `text`.
size_t CountCodePoints(std::string_view text);
size_t CountUtf16Units(std::string_view text);

}  // namespace tagwire

#endif  // TAGWIRE_CORE_UNICODE_H_
