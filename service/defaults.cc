#include "service/defaults.h"

#include <cstdlib>

#include "core/strings.h"

namespace tagwire {

std::vector<std::string> DefaultTaxonomyFiles() {
  const char* env = std::getenv("TAGWIRE_TAXONOMY");
  return {env != nullptr && *env != '\0' ? env : TAGWIRE_DEFAULT_TAXONOMY};
}

std::string DefaultCacheDir() {
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg != nullptr && *xdg != '\0') {
    return StrCat(xdg, "/tagwire");
  }
  if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') {
    return StrCat(home, "/.cache/tagwire");
  }
  return "";
}

}  // namespace tagwire
