// Reading a local file a block at a time, shared by the two readers of local files: a local
// source (LocalSource) and the local lake (RootedFolder, which opens its files itself and hands
// the descriptor over). Kept apart from both so that the lake does not depend on the source.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>

#include "core/byte_reader.h"

namespace d2d::lake {

// A local file read a block at a time by read(2).
class FileByteReader final : public core::ByteReader {
 public:
  // Nothing when the file does not exist. Throws core::Error(Input) when it cannot be opened.
  static std::unique_ptr<FileByteReader> open(const std::filesystem::path& path);
  // Takes over an open descriptor (`path` names it in errors). Throws core::Error(Input).
  static std::unique_ptr<FileByteReader> adopt(int fd, const std::filesystem::path& path);
  ~FileByteReader() override;
  FileByteReader(const FileByteReader&) = delete;
  FileByteReader& operator=(const FileByteReader&) = delete;
  std::size_t read(char* into, std::size_t capacity) override;
  std::uint64_t size() const { return m_size; }  // when opened

 private:
  FileByteReader(int fd, std::filesystem::path path, std::uint64_t size);
  int m_fd;
  std::filesystem::path m_path;
  std::uint64_t m_size;
};

}  // namespace d2d::lake
