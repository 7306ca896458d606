#include "lake/lake_storage.h"

#include <fmt/format.h>

#include <memory>

#include "core/error.h"
#include "core/utf8.h"
#include "lake/key_layout.h"
#include "lake/source.h"  // local_path_of

namespace d2d::lake {
namespace fs = std::filesystem;
using core::Error;
using core::ErrorKind;

LocalLakeStorage::LocalLakeStorage(fs::path root) : m_root(root), m_folder(std::move(root)) {}

std::map<std::string, StoredObject> LocalLakeStorage::list(const std::string& prefix) {
  std::map<std::string, StoredObject> objects;
  const fs::path folder = m_root / prefix;
  std::error_code ec;
  if (!fs::is_directory(folder, ec)) return objects;
  for (fs::recursive_directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    const std::string key = it->path().lexically_relative(m_root).generic_string();
    if (key.find(kTemporaryMark) != std::string::npos) continue;  // another run's write in progress
    objects.emplace(key, StoredObject{static_cast<std::uint64_t>(it->file_size(ec)), ""});
  }
  if (ec) throw Error(ErrorKind::Input, fmt::format("cannot list {}: {}", folder.string(), ec.message()));
  return objects;
}

std::optional<std::string> LocalLakeStorage::read(const std::string& key) {
  auto file = m_folder.open(key);
  if (!file) return std::nullopt;
  return core::read_all(*file);
}

std::optional<OpenedObject> LocalLakeStorage::open(const std::string& key) {
  auto file = m_folder.open(key);
  if (!file) return std::nullopt;
  const std::uint64_t size = file->size();
  return OpenedObject{size, std::move(file)};
}

void LocalLakeStorage::write(const std::string& key, std::string_view bytes) {
  core::StringByteReader reader{std::string(bytes)};
  m_folder.write_atomically(key, reader);
}

void LocalLakeStorage::write_from(const std::string& key, core::ByteReader& bytes) {
  m_folder.write_atomically(key, bytes);
}

void LocalLakeStorage::remove(const std::string& key) { m_folder.remove(key); }

std::uint64_t LocalLakeStorage::remove_stale_temporaries(const std::string& prefix) {
  std::string folder = prefix;
  while (folder.ends_with('/')) folder.pop_back();
  return m_folder.remove_stale_temporaries(folder);
}

S3LakeStorage::S3LakeStorage(const std::string& uri, const s3::ClientOptions& options) {
  m_client = s3::open_client(uri, options, m_prefix);
}

std::map<std::string, StoredObject> S3LakeStorage::list(const std::string& prefix) {
  std::map<std::string, StoredObject> objects;
  for (s3::ObjectEntry& entry : m_client->list_all(m_prefix + prefix)) {
    objects.emplace(entry.key.substr(m_prefix.size()),
                    StoredObject{entry.size, s3::is_md5_etag(entry.etag) ? entry.etag : std::string()});
  }
  return objects;
}

std::optional<std::string> S3LakeStorage::read(const std::string& key) {
  return m_client->get_if_exists(m_prefix + key);
}

std::optional<OpenedObject> S3LakeStorage::open(const std::string& key) {
  auto spool = std::make_unique<s3::SpoolFile>();
  if (!m_client->get_into(m_prefix + key, std::nullopt, *spool, true)) return std::nullopt;
  const std::uint64_t size = spool->size();
  return OpenedObject{size, std::make_unique<s3::SpoolFileReader>(std::move(spool))};
}

namespace {
// The S3 lake takes the same keys a local one would: a key that could climb out of the lake's
// prefix (a server or a later sync may normalise "..") is refused here too.
void check_lake_key(const std::string& key) {
  if (auto reason = unsafe_key_reason(key))
    throw Error(ErrorKind::Input, fmt::format("refusing lake key {:?}: {}", core::utf8_lossy(key), *reason));
}
}  // namespace

void S3LakeStorage::write(const std::string& key, std::string_view bytes) {
  check_lake_key(key);
  m_client->put(m_prefix + key, bytes);  // S3 replaces an object atomically
}

void S3LakeStorage::write_from(const std::string& key, core::ByteReader& bytes) {
  check_lake_key(key);
  s3::SpoolFile spool;
  core::for_each_block(bytes, [&spool](std::string_view block) { spool.append(block); });
  m_client->put_from(m_prefix + key, spool);
}

void S3LakeStorage::remove(const std::string& key) {
  check_lake_key(key);
  m_client->remove(m_prefix + key);
}

std::unique_ptr<LakeStorage> open_lake(const std::string& uri, const s3::ClientOptions& s3_options) {
  if (s3::is_s3_uri(uri)) return std::make_unique<S3LakeStorage>(uri, s3_options);
  auto path = local_path_of(uri);
  if (!path)
    throw Error(ErrorKind::Usage,
                fmt::format("unsupported lake URI scheme: {}", uri.substr(0, uri.find("://") + 3)));
  return std::make_unique<LocalLakeStorage>(*path);  // creates the folder
}

}  // namespace d2d::lake
