#include "service/defaults.h"

#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdlib>

#include "core/strings.h"

namespace tagwire {
namespace {

// The taxonomy of an installed copy: <prefix>/share/tagwire/default.jsonl.gz
// beside <prefix>/bin/<this program> (cmake --install, deploy/build.sh), so
// an installed binary does not depend on the source tree it was built from.
std::string InstalledTaxonomy() {
  char exe[4096];
  const ssize_t length = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
  if (length <= 0) return "";
  const std::string path(exe, static_cast<size_t>(length));
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return "";
  const std::string candidate = StrCat(path.substr(0, slash), "/", TAGWIRE_INSTALLED_TAXONOMY);
  char resolved[PATH_MAX];
  if (realpath(candidate.c_str(), resolved) == nullptr || access(resolved, R_OK) != 0) return "";
  return resolved;  // without the "bin/..", for logs and GetTaxonomy
}

}  // namespace

std::vector<std::string> DefaultTaxonomyFiles() {
  const char* env = std::getenv("TAGWIRE_TAXONOMY");
  if (env != nullptr && *env != '\0') return {env};
  if (std::string installed = InstalledTaxonomy(); !installed.empty()) return {installed};
  return {TAGWIRE_DEFAULT_TAXONOMY};
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
