// Defaults shared by the command-line tool and tagwired, so both find the
// same taxonomy and cache without flags.
#ifndef TAGWIRE_SERVICE_DEFAULTS_H_
#define TAGWIRE_SERVICE_DEFAULTS_H_

#include <string>
#include <vector>

namespace tagwire {

// $TAGWIRE_TAXONOMY if set (one file); else, for an installed binary, the
// default taxonomy installed beside it (<prefix>/share/tagwire/starter.jsonl);
// else the one in the data/ directory of the repository it was built from.
std::vector<std::string> DefaultTaxonomyFiles();

// $XDG_CACHE_HOME/tagwire, else ~/.cache/tagwire; "" if neither is known.
std::string DefaultCacheDir();

}  // namespace tagwire

#endif  // TAGWIRE_SERVICE_DEFAULTS_H_
