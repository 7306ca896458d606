// Where the lake's zones keep their objects: a local folder or an S3 bucket/prefix. Keys are
// '/'-separated and relative to the lake root (e.g. raw/lake_date=D/_manifest.tsv).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/byte_reader.h"
#include "lake/rooted_folder.h"
#include "s3/client.h"
#include "s3/client_options.h"

namespace d2d::lake {

// An object opened for reading a block at a time.
struct OpenedObject {
  std::uint64_t size = 0;  // what `bytes` yields in all
  std::unique_ptr<core::ByteReader> bytes;
};

struct StoredObject {
  std::uint64_t size = 0;
  std::string md5;  // hex when the store tells it without reading (an S3 single-part ETag); else ""
};

class LakeStorage {
 public:
  virtual ~LakeStorage() = default;
  // Every object below `prefix` (a folder, ending in '/'), by key.
  virtual std::map<std::string, StoredObject> list(const std::string& prefix) = 0;
  // The object's bytes, or nothing when it does not exist. Throws core::Error.
  virtual std::optional<std::string> read(const std::string& key) = 0;
  // The object to read a block at a time, or nothing when it does not exist. Throws core::Error.
  virtual std::optional<OpenedObject> open(const std::string& key) = 0;
  // Stores `bytes` whole: a reader sees the old object or the new one, never a part.
  // Safe to call from several threads at once. Throws core::Error.
  virtual void write(const std::string& key, std::string_view bytes) = 0;
  // Stores everything `bytes` yields the same way, without holding it all in memory.
  virtual void write_from(const std::string& key, core::ByteReader& bytes) = 0;
  // Removes the object; one that is not there is no error. Throws core::Error.
  virtual void remove(const std::string& key) = 0;
  virtual unsigned parallelism() const { return 1; }
  virtual std::string describe() const = 0;
  // Removes what killed writers left below `prefix` (a local lake's temporary files); returns how
  // many. A store that writes atomically by itself (S3) has nothing to remove.
  virtual std::uint64_t remove_stale_temporaries(const std::string& /*prefix*/) { return 0; }
};

// Every read and write goes through a RootedFolder: no key and no link can lead outside the root.
class LocalLakeStorage final : public LakeStorage {
 public:
  explicit LocalLakeStorage(std::filesystem::path root);
  std::map<std::string, StoredObject> list(const std::string& prefix) override;
  std::optional<std::string> read(const std::string& key) override;
  std::optional<OpenedObject> open(const std::string& key) override;
  void write(const std::string& key, std::string_view bytes) override;
  void write_from(const std::string& key, core::ByteReader& bytes) override;
  void remove(const std::string& key) override;
  std::string describe() const override { return m_root.string(); }
  std::uint64_t remove_stale_temporaries(const std::string& prefix) override;

 private:
  std::filesystem::path m_root;
  RootedFolder m_folder;
};

class S3LakeStorage final : public LakeStorage {
 public:
  S3LakeStorage(const std::string& uri, const s3::ClientOptions& options);
  std::map<std::string, StoredObject> list(const std::string& prefix) override;
  std::optional<std::string> read(const std::string& key) override;
  // Both go through a temporary file, so an object's size costs disk, not memory: open receives
  // and verifies the object whole first; write_from uploads it a part at a time.
  std::optional<OpenedObject> open(const std::string& key) override;
  void write(const std::string& key, std::string_view bytes) override;
  void write_from(const std::string& key, core::ByteReader& bytes) override;
  void remove(const std::string& key) override;
  unsigned parallelism() const override { return m_client->options().parallel; }
  std::string describe() const override { return "s3://" + m_client->bucket() + "/" + m_prefix; }

 private:
  std::unique_ptr<s3::Client> m_client;
  std::string m_prefix;
};

// The lake from a URI: a folder path or file:// URI (created if missing), or s3://bucket/prefix.
std::unique_ptr<LakeStorage> open_lake(const std::string& uri, const s3::ClientOptions& s3_options = {});

}  // namespace d2d::lake
