// Fuzz target: the compiled-cache reader (core/compiled_cache.h) on
// corrupted files. A corrupt cache must be detected (DataLoss) and rebuilt,
// never trusted. Two modes, by the first input byte:
//   even: the rest of the input is the whole file;
//   odd:  a real cache file (the starter taxonomy's) with the input's edits
//         applied (offset/value pairs) and its checksum then recomputed, so
//         the corruption reaches Hyperscan's own deserializer.
// Properties: ParseCache never crashes; what it accepts can scan.
#include <hs/hs.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>

#include "core/compiled_cache.h"
#include "core/files.h"
#include "core/hash.h"
#include "fuzz/fuzz_support.h"

using namespace tagwire;

namespace {

uint64_t GetU64(std::string_view bytes, size_t offset) {
  uint64_t value = 0;
  for (int i = 0; i < 8; ++i) {
    value |= uint64_t(static_cast<unsigned char>(bytes[offset + i])) << (8 * i);
  }
  return value;
}

void PutU64At(std::string* bytes, size_t offset, uint64_t value) {
  for (int i = 0; i < 8; ++i) (*bytes)[offset + i] = static_cast<char>(value >> (8 * i));
}

// The starter taxonomy's cache file, written once into a temporary directory.
const std::string& RealCache() {
  static const std::string* bytes = [] {
    const std::filesystem::path dir =
        std::filesystem::temp_directory_path() / ("tagwire-fuzz-cache-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir);
    CompileOptions options;
    options.cache_dir = dir.string();
    fuzz::CompileStarter(options);
    std::string* out = nullptr;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
      absl::StatusOr<std::string> file = ReadFileBytes(entry.path().string());
      if (file.ok()) out = new std::string(*std::move(file));
    }
    std::filesystem::remove_all(dir);
    if (out == nullptr) fuzz::Fail("compiling the starter taxonomy wrote no cache file");
    return out;
  }();
  return *bytes;
}

int OnMatch(unsigned int, unsigned long long, unsigned long long, unsigned int, void*) {
  return 0;
}

void ScanWith(const hs_database_t* db) {
  if (db == nullptr) return;
  hs_scratch_t* scratch = nullptr;
  if (hs_alloc_scratch(db, &scratch) != HS_SUCCESS) return;
  constexpr std::string_view kText = "nato brussels european central bank kyiv zurich";
  hs_scan(db, kText.data(), kText.size(), 0, scratch, OnMatch, nullptr);
  hs_free_scratch(scratch);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string& real = RealCache();
  const uint64_t key = GetU64(real, 8);
  if (size == 0) return 0;
  std::string file;
  if ((data[0] & 1) == 0) {
    file.assign(reinterpret_cast<const char*>(data + 1), size - 1);
  } else {
    file = real;
    // Edits: 3 bytes each, a 16-bit offset into the databases and a byte.
    for (size_t i = 1; i + 3 <= size; i += 3) {
      const size_t body = file.size() - 8 - 32;
      const size_t offset = 32 + (size_t(data[i]) | size_t(data[i + 1]) << 8) % body;
      file[offset] = static_cast<char>(data[i + 2]);
    }
    ContentHasher hasher;
    hasher.Add(std::string_view(file).substr(0, file.size() - 8));
    PutU64At(&file, file.size() - 8, hasher.Digest());
  }
  absl::StatusOr<CachedDatabases> parsed = ParseCache(file, key);
  if (parsed.ok()) {
    ScanWith(parsed->literal.get());
    ScanWith(parsed->regex.get());
  } else if (parsed.status().code() != absl::StatusCode::kDataLoss &&
             parsed.status().code() != absl::StatusCode::kFailedPrecondition) {
    fuzz::Fail("a corrupt cache gave neither DataLoss nor FailedPrecondition: " +
               std::string(parsed.status().message()));
  }
  return 0;
}
