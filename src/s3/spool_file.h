// An anonymous temporary file, gone when closed. S3 objects are received into one and read back
// a block at a time (and uploads are read from one a part at a time), so an object's size costs
// disk in $TMPDIR, not memory, while a body is still checked whole before anyone sees a byte.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/byte_reader.h"
#include "core/checksum.h"

namespace d2d::s3 {

class SpoolFile {
 public:
  // In $TMPDIR, else /tmp. Throws core::Error(Input) when it cannot be made.
  SpoolFile();
  ~SpoolFile();
  SpoolFile(const SpoolFile&) = delete;
  SpoolFile& operator=(const SpoolFile&) = delete;

  void append(std::string_view bytes);  // throws core::Error(Input), e.g. when the disk is full
  void clear();
  std::uint64_t size() const { return m_size; }
  // Up to `capacity` bytes from `offset`; fewer only at the end.
  std::size_t read_at(std::uint64_t offset, char* into, std::size_t capacity) const;
  // MD5 (hex) of the bytes appended since the last clear(), hashed as they were appended (a GET's
  // check does not read the object back). Appending after it is a logic error until clear().
  std::string md5_hex();

 private:
  int m_fd = -1;
  std::uint64_t m_size = 0;
  std::optional<core::Md5> m_md5{std::in_place};
  std::string m_digest;  // once md5_hex() finished m_md5
};

// Reads a spool file from its start; owns it, so the file goes with the reader.
class SpoolFileReader final : public core::ByteReader {
 public:
  explicit SpoolFileReader(std::unique_ptr<SpoolFile> file) : m_file(std::move(file)) {}
  std::size_t read(char* into, std::size_t capacity) override {
    const std::size_t got = m_file->read_at(m_offset, into, capacity);
    m_offset += got;
    return got;
  }

 private:
  std::unique_ptr<SpoolFile> m_file;
  std::uint64_t m_offset = 0;
};

}  // namespace d2d::s3
