// A source on the local filesystem (a folder, or a file:// URI).
#pragma once

#include "lake/source.h"

namespace d2d::lake {

class LocalSource final : public Source {
 public:
  explicit LocalSource(std::filesystem::path root);
  std::vector<ObjectInfo> list_lake_date(const std::string& lake_date) override;
  std::string read(const ObjectInfo& object) override;
  std::string md5_of(const ObjectInfo& object) override;
  std::string describe() const override;

 private:
  std::filesystem::path m_root;
};

// Reads a whole local file (throws core::Error(Input) with the path when it cannot).
std::string read_file(const std::filesystem::path& path);
// MD5 (hex) of a local file's bytes.
std::string md5_of_file(const std::filesystem::path& path);
// Writes `bytes` to `path` atomically (temp file + rename), creating parent folders.
void write_file_atomically(const std::filesystem::path& path, std::string_view bytes);
// The same, with the bytes written by `write` (which streams them, e.g. from another file).
void write_file_atomically(const std::filesystem::path& path,
                           const std::function<void(std::ostream&)>& write);

}  // namespace d2d::lake
