// The lake's raw zone: a verbatim copy of one lake date's source objects,
//   <lake>/raw/lake_date=D/<original key>
// with a manifest (_manifest.tsv: key, size, md5) naming exactly the objects of the last
// extract. Transform reads the raw zone, never the source, so a run can be repeated from the
// lake alone. Rejected lines go next door, to <lake>/rejected/lake_date=D/rejected.jsonl.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "lake/source.h"

namespace d2d::lake {

struct ManifestEntry {
  std::string key;
  std::uint64_t size = 0;
  std::string md5;
};

struct ExtractStats {
  std::uint64_t objects = 0;
  std::uint64_t copied = 0;   // new or changed objects copied into the raw zone
  std::uint64_t skipped = 0;  // already present with the same size and checksum
  std::uint64_t bytes = 0;    // bytes of all the date's objects
};

class RawZone {
 public:
  RawZone(std::filesystem::path lake_root, std::string lake_date);

  // Copies the date's objects from `source` (unchanged ones are not copied again) and
  // rewrites the manifest. Throws core::Error.
  ExtractStats extract(Source& source);

  // The manifest of the last extract (empty if none).
  std::vector<ManifestEntry> manifest() const;

  // The object's bytes as events, gunzipped when the key ends in .gz. Throws core::Error(Input).
  std::string read_events(const ManifestEntry& entry) const;

  std::filesystem::path rejected_file() const;
  std::filesystem::path folder() const { return m_folder; }

 private:
  std::filesystem::path m_lake_root;
  std::string m_lake_date;
  std::filesystem::path m_folder;
};

// Opens the lake root from a URI: a folder path or file:// URI (created if missing).
std::filesystem::path open_local_lake(const std::string& uri);

}  // namespace d2d::lake
