#include "lake/raw_zone.h"

#include <fmt/format.h>

#include <fstream>
#include <map>
#include <sstream>

#include "core/error.h"
#include "lake/gzip.h"
#include "lake/local_source.h"

namespace d2d::lake {
namespace fs = std::filesystem;
using core::Error;
using core::ErrorKind;

namespace {
constexpr const char* kManifestName = "_manifest.tsv";
constexpr const char* kManifestHeader = "key\tsize\tmd5\n";
}  // namespace

fs::path open_local_lake(const std::string& uri) {
  auto path = local_path_of(uri);
  if (!path)
    throw Error(ErrorKind::Usage,
                fmt::format("unsupported lake URI scheme: {}", uri.substr(0, uri.find("://") + 3)));
  std::error_code ec;
  fs::create_directories(*path, ec);
  if (ec)
    throw Error(ErrorKind::Input,
                fmt::format("cannot create lake folder {}: {}", path->string(), ec.message()));
  return *path;
}

RawZone::RawZone(fs::path lake_root, std::string lake_date)
    : m_lake_root(std::move(lake_root)),
      m_lake_date(std::move(lake_date)),
      m_folder(m_lake_root / "raw" / ("lake_date=" + m_lake_date)) {}

fs::path RawZone::rejected_file() const {
  return m_lake_root / "rejected" / ("lake_date=" + m_lake_date) / "rejected.jsonl";
}

std::vector<ManifestEntry> RawZone::manifest() const {
  std::vector<ManifestEntry> entries;
  const fs::path path = m_folder / kManifestName;
  std::error_code ec;
  if (!fs::exists(path, ec)) return entries;
  std::istringstream lines(read_file(path));
  std::string line;
  std::getline(lines, line);  // header
  while (std::getline(lines, line)) {
    const auto tab1 = line.find('\t');
    const auto tab2 = line.find('\t', tab1 + 1);
    if (tab1 == std::string::npos || tab2 == std::string::npos) {
      throw Error(ErrorKind::Input, fmt::format("raw-zone manifest {} is damaged: {}", path.string(), line));
    }
    entries.push_back(ManifestEntry{line.substr(0, tab1), std::stoull(line.substr(tab1 + 1, tab2 - tab1 - 1)),
                                    line.substr(tab2 + 1)});
  }
  return entries;
}

ExtractStats RawZone::extract(Source& source) {
  const auto objects = source.list_lake_date(m_lake_date);
  std::map<std::string, ManifestEntry> previous;
  for (auto& entry : manifest()) previous.emplace(entry.key, entry);

  ExtractStats stats;
  std::string manifest_text = kManifestHeader;
  for (const ObjectInfo& object : objects) {
    if (object.key.find_first_of("\t\n") != std::string::npos) {
      throw Error(ErrorKind::Input,
                  fmt::format("object key with a tab or newline is not supported: {:?}", object.key));
    }
    const fs::path destination = m_folder / object.key;
    std::string md5;
    const auto known = previous.find(object.key);
    std::error_code ec;
    const bool present = known != previous.end() && known->second.size == object.size &&
                         fs::exists(destination, ec) && fs::file_size(destination, ec) == object.size;
    if (present && (md5 = source.md5_of(object)) == known->second.md5) {
      ++stats.skipped;
    } else {
      md5 = source.copy_to(object, destination);
      ++stats.copied;
    }
    ++stats.objects;
    stats.bytes += object.size;
    manifest_text += fmt::format("{}\t{}\t{}\n", object.key, object.size, md5);
  }
  write_file_atomically(m_folder / kManifestName, manifest_text);
  return stats;
}

std::string RawZone::read_events(const ManifestEntry& entry) const {
  std::string bytes = read_file(m_folder / entry.key);
  if (bytes.size() != entry.size) {
    throw Error(ErrorKind::Input,
                fmt::format("raw object {} has {} bytes, the manifest says {}: re-run extract", entry.key,
                            bytes.size(), entry.size));
  }
  if (entry.key.ends_with(".gz")) return gunzip(bytes, entry.key);
  return bytes;
}

}  // namespace d2d::lake
