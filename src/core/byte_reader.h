// A forward-only stream of bytes read a block at a time. Transform reads raw objects through it
// so that its memory depends on the block size, not on the size of an object (issue 5).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

namespace d2d::core {

class ByteReader {
 public:
  virtual ~ByteReader() = default;
  // Copies up to `capacity` bytes into `into`; 0 only at the end. Throws core::Error.
  virtual std::size_t read(char* into, std::size_t capacity) = 0;
};

// The bytes of a string it owns: for stores that can only hand over a whole object.
class StringByteReader final : public ByteReader {
 public:
  explicit StringByteReader(std::string bytes) : m_bytes(std::move(bytes)) {}
  std::size_t read(char* into, std::size_t capacity) override {
    const std::size_t count = std::min(capacity, m_bytes.size() - m_at);
    std::memcpy(into, m_bytes.data() + m_at, count);
    m_at += count;
    return count;
  }

 private:
  std::string m_bytes;
  std::size_t m_at = 0;
};

// Hands `to` everything left in `from`, a block of 1 MiB at a time (copies into a lake).
template <typename Sink>
void for_each_block(ByteReader& from, Sink&& to) {
  constexpr std::size_t kBlockBytes = std::size_t{1} << 20;
  const auto block = std::make_unique_for_overwrite<char[]>(kBlockBytes);
  while (const std::size_t got = from.read(block.get(), kBlockBytes)) to(std::string_view(block.get(), got));
}

// Everything left in `reader`, in one string (tests, small objects).
inline std::string read_all(ByteReader& reader) {
  std::string bytes;
  char block[1 << 16];
  while (const std::size_t got = reader.read(block, sizeof block)) bytes.append(block, got);
  return bytes;
}

}  // namespace d2d::core
