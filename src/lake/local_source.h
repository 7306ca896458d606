// A source on the local filesystem (a folder, or a file:// URI).
#pragma once

#include <cstdint>
#include <memory>

#include "core/byte_reader.h"
#include "lake/source.h"

namespace d2d::lake {

class LocalSource final : public Source {
 public:
  explicit LocalSource(std::filesystem::path root);
  // Walks the folder (not following folder links); a folder it cannot read fails the listing.
  // A file link is followed only when it stays inside the folder; one that leaves it is refused.
  Listing list_lake_date(const std::string& lake_date) override;
  std::string read(const ObjectInfo& object) override;
  // Streams the file; throws at its end when it did not have the listed size.
  std::unique_ptr<core::ByteReader> open(const ObjectInfo& object) override;
  std::string md5_of(const ObjectInfo& object) override;
  std::string describe() const override;

 private:
  std::filesystem::path m_root;
};

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

// Reads a whole local file (throws core::Error(Input) with the path when it cannot).
std::string read_file(const std::filesystem::path& path);
// MD5 (hex) of a local file's bytes.
std::string md5_of_file(const std::filesystem::path& path);

}  // namespace d2d::lake
