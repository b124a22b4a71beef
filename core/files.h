// Whole-file reading and atomic writing, with errors mapped to the most
// specific status code and a message that names the path once. The one way
// tagwire reads taxonomy, article and cache files. Thread-safe.
#ifndef TAGWIRE_CORE_FILES_H_
#define TAGWIRE_CORE_FILES_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace tagwire {

// Reads the file at `path`. Errors ("path: reason"): NotFound (missing),
// PermissionDenied (unreadable), InvalidArgument (a directory), Unavailable
// (any other I/O error).
absl::StatusOr<std::string> ReadFileBytes(const std::string& path);

// True if `bytes` start with the gzip magic number.
bool IsGzip(std::string_view bytes);

// Decompresses gzip `bytes` read from `path` (named in messages).
// InvalidArgument if they are corrupt or truncated; ResourceExhausted if they
// would decompress to more than `max_bytes`.
absl::StatusOr<std::string> Gunzip(std::string_view path, std::string_view bytes,
                                   size_t max_bytes = size_t{1} << 30);

// Writes `bytes` to `path` atomically (a temporary file in the same directory,
// then rename), creating missing directories. Unavailable on any failure
// (read-only or full disk, a file where a directory should be).
absl::Status WriteFileAtomically(const std::string& path, std::string_view bytes);

}  // namespace tagwire

#endif  // TAGWIRE_CORE_FILES_H_
