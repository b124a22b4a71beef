// Stable 64-bit content hashing (FNV-1a). Used for taxonomy versions and cache
// keys, which must be identical across processes and machines; absl::Hash is
// seeded per process and so cannot be used for either.
#ifndef TAGWIRE_CORE_HASH_H_
#define TAGWIRE_CORE_HASH_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace tagwire {

// Incremental FNV-1a 64. Not thread-safe; cheap to copy.
class ContentHasher {
 public:
  // Adds `bytes`, then a separator, so ("ab","c") and ("a","bc") differ.
  void Add(std::string_view bytes) {
    for (unsigned char c : bytes) {
      state_ ^= c;
      state_ *= kPrime;
    }
    AddRaw(0xff);
  }
  void AddNumber(uint64_t value) {
    for (int i = 0; i < 8; ++i) AddRaw(static_cast<unsigned char>(value >> (8 * i)));
  }
  uint64_t Digest() const { return state_; }
  // Returns the digest as 16 lowercase hex digits.
  std::string HexDigest() const {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out(16, '0');
    for (int i = 0; i < 16; ++i) out[15 - i] = kHex[(state_ >> (4 * i)) & 0xf];
    return out;
  }

 private:
  void AddRaw(unsigned char c) {
    state_ ^= c;
    state_ *= kPrime;
  }
  static constexpr uint64_t kPrime = 0x100000001b3ULL;
  uint64_t state_ = 0xcbf29ce484222325ULL;
};

}  // namespace tagwire

#endif  // TAGWIRE_CORE_HASH_H_
