// The on-disk format of the compiled cache: serialized Hyperscan databases
// guarded by a key and a checksum, so a stale, foreign, truncated or corrupt
// file is detected and never handed to hs_deserialize_database unchecked.
//
// Layout (little-endian): "TWHSDB01" | key u64 | literal size u64 |
// regex size u64 | literal bytes | regex bytes | FNV-1a-64 of all before.
// A size of 0 means "no such database".
#ifndef TAGWIRE_CORE_COMPILED_CACHE_H_
#define TAGWIRE_CORE_COMPILED_CACHE_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "core/hyperscan_handles.h"

namespace tagwire {

struct CachedDatabases {
  DatabasePtr literal;  // may be null
  DatabasePtr regex;    // may be null
};

// Serializes the databases (either may be null) under `key`.
absl::StatusOr<std::string> SerializeCache(uint64_t key, const hs_database_t* literal,
                                           const hs_database_t* regex);

// Parses `bytes` written by SerializeCache. DataLoss for anything corrupt;
// FailedPrecondition when the key differs (a cache for other input).
absl::StatusOr<CachedDatabases> ParseCache(std::string_view bytes, uint64_t key);

}  // namespace tagwire

#endif  // TAGWIRE_CORE_COMPILED_CACHE_H_
