// String helpers that accept std::string_view.
//
// Debian bookworm's abseil is built with ABSL_OPTION_USE_STD_STRING_VIEW=0, so
// absl::string_view is its own type and absl::StrCat/StrAppend do not accept
// std::string_view. tagwire uses std::string_view everywhere and goes through
// these adapters instead of calling absl's string functions directly.
#ifndef TAGWIRE_CORE_STRINGS_H_
#define TAGWIRE_CORE_STRINGS_H_

#include <string>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace tagwire {
namespace strings_internal {
inline absl::string_view Adapt(std::string_view s) { return {s.data(), s.size()}; }
template <typename T>
const T& Adapt(const T& value) {
  return value;
}
}  // namespace strings_internal

// absl::StrCat / absl::StrAppend that also take std::string_view.
template <typename... Args>
std::string StrCat(const Args&... args) {
  return absl::StrCat(strings_internal::Adapt(args)...);
}
template <typename... Args>
void StrAppend(std::string* out, const Args&... args) {
  absl::StrAppend(out, strings_internal::Adapt(args)...);
}

inline std::string_view ToStd(absl::string_view s) { return {s.data(), s.size()}; }

inline bool IsAsciiSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

// Removes ASCII whitespace from both ends.
inline std::string_view StripWhitespace(std::string_view s) {
  while (!s.empty() && IsAsciiSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsAsciiSpace(s.back())) s.remove_suffix(1);
  return s;
}

// True if `a` and `b` are equal ignoring ASCII case.
inline bool EqualsIgnoreAsciiCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x | 0x20);
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y | 0x20);
    if (x != y) return false;
  }
  return true;
}

}  // namespace tagwire

#endif  // TAGWIRE_CORE_STRINGS_H_
