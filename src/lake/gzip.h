// Transparent gunzip of objects (SPEC §2: keys ending in .gz), streamed or whole.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "core/byte_reader.h"

namespace d2d::lake {

// The decompressed bytes of every gzip member read from `compressed`, a block at a time.
// Throws core::Error(Input) naming `what` when the data is corrupt or truncated: a broken object
// fails the run instead of loading half.
class GunzipReader final : public core::ByteReader {
 public:
  GunzipReader(std::unique_ptr<core::ByteReader> compressed, std::string what);
  ~GunzipReader() override;
  GunzipReader(const GunzipReader&) = delete;
  GunzipReader& operator=(const GunzipReader&) = delete;
  std::size_t read(char* into, std::size_t capacity) override;

 private:
  struct Inflater;  // zlib's state, kept out of this header
  std::unique_ptr<core::ByteReader> m_compressed;
  std::string m_what;
  std::unique_ptr<Inflater> m_inflater;
};

// Decompresses every gzip member of `compressed` at once. Throws like GunzipReader.
std::string gunzip(std::string_view compressed, std::string_view what);

}  // namespace d2d::lake
