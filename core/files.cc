#include "core/files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include <zlib.h>

#include "core/strings.h"

namespace tagwire {
namespace {

absl::Status FileError(const std::string& path, int error) {
  const std::string message = StrCat(path, ": ", std::strerror(error));
  switch (error) {
    case ENOENT:
    case ENOTDIR:
      return absl::NotFoundError(message);
    case EACCES:
    case EPERM:
      return absl::PermissionDeniedError(message);
    case EISDIR:
      return absl::InvalidArgumentError(message);
    default:
      return absl::UnavailableError(message);
  }
}

}  // namespace

absl::StatusOr<std::string> ReadFileBytes(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return FileError(path, errno);
  std::string contents;
  struct stat info;
  if (::fstat(fd, &info) == 0) {
    if (S_ISDIR(info.st_mode)) {
      ::close(fd);
      return FileError(path, EISDIR);
    }
    if (info.st_size > 0) contents.reserve(static_cast<size_t>(info.st_size));
  }
  char buffer[1 << 16];
  while (true) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int error = errno;
      ::close(fd);
      return FileError(path, error);
    }
    if (n == 0) break;
    contents.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  return contents;
}

absl::Status WriteFileAtomically(const std::string& path, std::string_view bytes) {
  const size_t slash = path.rfind('/');
  if (slash != std::string::npos && slash > 0) {
    std::error_code ignored;  // a failure shows when creating the file below
    std::filesystem::create_directories(path.substr(0, slash), ignored);
  }
  std::string temp = StrCat(path, ".tmp.XXXXXX");
  const int fd = ::mkstemp(temp.data());
  if (fd < 0) {
    return absl::UnavailableError(StrCat(path, ": cannot create: ", std::strerror(errno)));
  }
  size_t written = 0;
  while (written < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + written, bytes.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int error = errno;
      ::close(fd);
      ::unlink(temp.c_str());
      return absl::UnavailableError(StrCat(path, ": write failed: ", std::strerror(error)));
    }
    written += static_cast<size_t>(n);
  }
  const bool synced = ::fsync(fd) == 0;
  const int sync_error = errno;
  const bool closed = ::close(fd) == 0;
  if (!synced || !closed) {
    const int error = synced ? errno : sync_error;
    ::unlink(temp.c_str());
    return absl::UnavailableError(StrCat(path, ": write failed: ", std::strerror(error)));
  }
  ::chmod(temp.c_str(), 0644);
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    const int error = errno;
    ::unlink(temp.c_str());
    return absl::UnavailableError(StrCat(path, ": rename failed: ", std::strerror(error)));
  }
  return absl::OkStatus();
}

bool IsGzip(std::string_view bytes) {
  return bytes.size() >= 2 && static_cast<unsigned char>(bytes[0]) == 0x1f &&
         static_cast<unsigned char>(bytes[1]) == 0x8b;
}

absl::StatusOr<std::string> Gunzip(std::string_view path, std::string_view bytes,
                                   size_t max_bytes) {
  z_stream stream{};
  if (inflateInit2(&stream, 16 + MAX_WBITS) != Z_OK) {
    return absl::ResourceExhaustedError(StrCat(path, ": cannot start gzip decompression"));
  }
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
  stream.avail_in = static_cast<uInt>(bytes.size());
  std::string out;
  int result = Z_OK;
  while (result == Z_OK) {
    if (out.size() >= max_bytes) {
      inflateEnd(&stream);
      return absl::ResourceExhaustedError(
          StrCat(path, ": decompresses to more than ", max_bytes, " bytes"));
    }
    const size_t chunk = std::min<size_t>(max_bytes - out.size(), std::max<size_t>(bytes.size() * 4, 1 << 16));
    const size_t old_size = out.size();
    out.resize(old_size + chunk);
    stream.next_out = reinterpret_cast<Bytef*>(out.data() + old_size);
    stream.avail_out = static_cast<uInt>(chunk);
    result = inflate(&stream, Z_NO_FLUSH);
    out.resize(old_size + chunk - stream.avail_out);
    if (result == Z_BUF_ERROR && stream.avail_in == 0) break;  // truncated input
    if (result == Z_BUF_ERROR) result = Z_OK;                  // needs more room
    // Concatenated members (cat a.gz b.gz, pigz) are one file, as for gzip(1).
    if (result == Z_STREAM_END && stream.avail_in > 0) {
      const std::string_view rest(reinterpret_cast<const char*>(stream.next_in), stream.avail_in);
      if (!IsGzip(rest)) {
        inflateEnd(&stream);
        return absl::InvalidArgumentError(
            StrCat(path, ": ", rest.size(), " bytes of trailing garbage after the gzip data"));
      }
      if (inflateReset(&stream) != Z_OK) break;
      result = Z_OK;
    }
  }
  inflateEnd(&stream);
  if (result != Z_STREAM_END) {
    return absl::InvalidArgumentError(
        StrCat(path, ": corrupt or truncated gzip data", stream.msg ? StrCat(" (", stream.msg, ")") : ""));
  }
  return out;
}

}  // namespace tagwire
