// A local folder that file access cannot leave (SPEC §7). Every key is checked by
// unsafe_key_reason() and then resolved one segment at a time from the folder's own descriptor
// with O_NOFOLLOW, so neither "..", an absolute key nor a symbolic link planted in the lake can
// make a read or write land outside it. The local lake reads and writes through this alone.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "core/byte_reader.h"
#include "lake/file_byte_reader.h"
#include "lake/key_layout.h"

namespace d2d::lake {

class RootedFolder {
 public:
  // Opens (creating it when missing) the folder `root`. Throws core::Error(Input).
  explicit RootedFolder(std::filesystem::path root);
  ~RootedFolder();
  RootedFolder(const RootedFolder&) = delete;
  RootedFolder& operator=(const RootedFolder&) = delete;

  // The file at `key`, or nothing when it does not exist. Throws core::Error(Input) for an
  // unsafe key, a symbolic link on the way, or an I/O error.
  std::unique_ptr<FileByteReader> open(std::string_view key) const;

  // Replaces the file at `key` with everything `bytes` yields: written to a temporary file in the
  // same folder (named after the key, ".tmp-d2d-<host>-<pid>-<n>"), then renamed over it, so a
  // reader sees the old file or the new one. Creates the folders on the way. Throws core::Error.
  void write_atomically(std::string_view key, core::ByteReader& bytes) const;

  // Removes temporary files below `folder_key` (a folder, "" for the root) that a killed writer
  // left: those of a process of this host that no longer runs, and any older than `max_age`.
  // Returns how many were removed.
  std::uint64_t remove_stale_temporaries(std::string_view folder_key,
                                         std::chrono::seconds max_age = std::chrono::hours(6)) const;

  // Removes the file at `key`; a file that is not there is no error. Throws core::Error.
  void remove(std::string_view key) const;

  const std::filesystem::path& path() const { return m_path; }

 private:
  // The descriptor of the folder holding `key`'s last segment (created when `create`), or -1
  // when it does not exist and `create` is false. `name` receives the last segment.
  int open_parent(std::string_view key, bool create, std::string& name) const;

  std::filesystem::path m_path;
  int m_fd = -1;
};

}  // namespace d2d::lake
