// Sources: where the events land (SPEC §2). A source lists the objects of one lake date and
// copies an object's bytes out. Local folders and file:// URIs today; s3:// plugs in here.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace d2d::lake {

struct ObjectInfo {
  std::string key;  // relative to the source root, '/'-separated
  std::uint64_t size = 0;
};

class Source {
 public:
  virtual ~Source() = default;
  // Every object whose file name carries `lake_date`, sorted by key. Throws core::Error.
  virtual std::vector<ObjectInfo> list_lake_date(const std::string& lake_date) = 0;
  // Copies the object's bytes to `destination` (a local file) and returns their MD5 (hex).
  virtual std::string copy_to(const ObjectInfo& object, const std::filesystem::path& destination) = 0;
  // Reads the object's MD5 without copying it (to decide whether the lake already has it).
  virtual std::string md5_of(const ObjectInfo& object) = 0;
  // For logs and errors: never contains a secret.
  virtual std::string describe() const = 0;
};

// Opens a source from a URI: a folder path or file:// URI. Throws core::Error(Usage) otherwise.
std::unique_ptr<Source> open_source(const std::string& uri);

// A local path from a bare path or file:// URI; nothing for other schemes.
std::optional<std::filesystem::path> local_path_of(const std::string& uri);

}  // namespace d2d::lake
