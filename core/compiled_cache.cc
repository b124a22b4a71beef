#include "core/compiled_cache.h"

#include <cstdlib>
#include <cstring>

#include "core/strings.h"
#include "core/hash.h"

namespace tagwire {
namespace {

constexpr std::string_view kMagic = "TWHSDB01";
constexpr size_t kHeaderBytes = 8 + 8 * 3;

void PutU64(std::string* out, uint64_t value) {
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>(value >> (8 * i)));
}

uint64_t GetU64(std::string_view bytes, size_t offset) {
  uint64_t value = 0;
  for (int i = 0; i < 8; ++i) {
    value |= uint64_t(static_cast<unsigned char>(bytes[offset + i])) << (8 * i);
  }
  return value;
}

uint64_t Checksum(std::string_view bytes) {
  ContentHasher hasher;
  hasher.Add(bytes);
  return hasher.Digest();
}

absl::Status AppendDatabase(const hs_database_t* db, std::string* out, uint64_t* size) {
  *size = 0;
  if (db == nullptr) return absl::OkStatus();
  char* bytes = nullptr;
  size_t length = 0;
  if (hs_serialize_database(db, &bytes, &length) != HS_SUCCESS) {
    return absl::InternalError("hs_serialize_database failed");
  }
  out->append(bytes, length);
  std::free(bytes);
  *size = length;
  return absl::OkStatus();
}

absl::StatusOr<DatabasePtr> Deserialize(std::string_view bytes) {
  if (bytes.empty()) return DatabasePtr();
  hs_database_t* db = nullptr;
  const hs_error_t error = hs_deserialize_database(bytes.data(), bytes.size(), &db);
  if (error != HS_SUCCESS) {
    return absl::DataLossError(StrCat("hs_deserialize_database failed (error ", error, ")"));
  }
  return DatabasePtr(db);
}

}  // namespace

absl::StatusOr<std::string> SerializeCache(uint64_t key, const hs_database_t* literal,
                                           const hs_database_t* regex) {
  std::string out(kMagic);
  PutU64(&out, key);
  const size_t sizes_at = out.size();
  PutU64(&out, 0);
  PutU64(&out, 0);
  uint64_t literal_size;
  uint64_t regex_size;
  if (auto s = AppendDatabase(literal, &out, &literal_size); !s.ok()) return s;
  if (auto s = AppendDatabase(regex, &out, &regex_size); !s.ok()) return s;
  std::string sizes;
  PutU64(&sizes, literal_size);
  PutU64(&sizes, regex_size);
  out.replace(sizes_at, 16, sizes);
  PutU64(&out, Checksum(out));
  return out;
}

absl::StatusOr<CachedDatabases> ParseCache(std::string_view bytes, uint64_t key) {
  if (bytes.size() < kHeaderBytes + 8 || bytes.substr(0, 8) != kMagic) {
    return absl::DataLossError("not a tagwire cache file (bad header)");
  }
  const uint64_t literal_size = GetU64(bytes, 16);
  const uint64_t regex_size = GetU64(bytes, 24);
  if (literal_size > bytes.size() || regex_size > bytes.size() ||
      kHeaderBytes + literal_size + regex_size + 8 != bytes.size()) {
    return absl::DataLossError("cache file is truncated or has bad sizes");
  }
  const std::string_view body = bytes.substr(0, bytes.size() - 8);
  if (Checksum(body) != GetU64(bytes, bytes.size() - 8)) {
    return absl::DataLossError("cache file checksum mismatch");
  }
  if (GetU64(bytes, 8) != key) {
    return absl::FailedPreconditionError("cache file is for a different taxonomy");
  }
  CachedDatabases out;
  auto literal = Deserialize(body.substr(kHeaderBytes, literal_size));
  if (!literal.ok()) return literal.status();
  auto regex = Deserialize(body.substr(kHeaderBytes + literal_size, regex_size));
  if (!regex.ok()) return regex.status();
  out.literal = std::move(literal).value();
  out.regex = std::move(regex).value();
  return out;
}

}  // namespace tagwire
