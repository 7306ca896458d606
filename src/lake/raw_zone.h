// The lake's raw zone: a verbatim copy of one lake date's source objects,
//   <lake>/raw/lake_date=D/<original key>
// with a manifest (_manifest.tsv: key, size, md5, source version) naming exactly the objects of the last
// extract. Transform reads the raw zone, never the source, so a run can be repeated from the
// lake alone. Rejected lines go next door, to <lake>/rejected/lake_date=D/rejected-run-<run id>.jsonl:
// one file per load of the date that the warehouse holds (a full load's, then each incremental
// one's), so an increment writes only its own lines.
// The lake is a local folder or an S3 prefix (LakeStorage); the zone does not care which.
#pragma once

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "lake/lake_storage.h"
#include "lake/source.h"

namespace d2d::lake {

struct ManifestEntry {
  std::string key;
  std::uint64_t size = 0;
  std::string md5;
  std::string version;  // the source's ObjectInfo::version when copied or last checked ("" in old manifests)
};

struct ExtractStats {
  std::uint64_t objects = 0;
  std::uint64_t copied = 0;             // new or changed objects copied into the raw zone
  std::uint64_t skipped = 0;            // already present with the same size and checksum
  std::uint64_t reread = 0;             // held objects read again to compare (the quick check could not tell)
  std::uint64_t bytes = 0;              // bytes of all the date's objects
  std::string manifest_md5;             // MD5 of the manifest written: equal iff the raw zone is the same
  std::vector<RefusedObject> refused;   // skipped for safety (SPEC §7); not in the manifest
  std::uint64_t stale_temporaries = 0;  // files a killed run left in the date's zones, removed
};

// What extract() would do with one object of the source's listing.
enum class ObjectChange { New, Changed, Unchanged };
struct PlannedObject {
  std::string key;
  std::uint64_t size = 0;
  ObjectChange change = ObjectChange::New;
};
struct ExtractPlan {
  std::vector<PlannedObject> objects;  // the source's listing, sorted by key
  std::vector<RefusedObject> refused;
  std::vector<std::string> removed;  // in the last manifest, no longer in the source: extract drops them
};

class RawZone {
 public:
  RawZone(std::unique_ptr<LakeStorage> storage, std::string lake_date);
  RawZone(const std::filesystem::path& lake_root, std::string lake_date);  // a local lake

  // Copies the date's objects from `source` (unchanged ones are not copied again), as many at
  // once as the source or the lake can take, and rewrites the manifest. Objects the source
  // refused (unsafe keys, links out of it) are left out and listed in the stats. First removes
  // the temporary files a killed run of this date left in its zones. Throws core::Error.
  // An object the lake holds whose size and source version (ObjectInfo::version) equal the
  // manifest's is taken as unchanged without being read (rsync's quick check); `verify_all` reads
  // every held object and compares checksums instead (`--force`).
  ExtractStats extract(Source& source, bool verify_all = false);

  // What extract() would copy (new and changed objects) and skip (unchanged ones), by the same rule,
  // reading the source and the lake but writing nothing (d2d run --dry-run). Throws core::Error.
  ExtractPlan plan(Source& source, bool verify_all = false) const;

  // The manifest of the last extract (empty if none).
  std::vector<ManifestEntry> manifest() const;

  // The object's bytes as events, gunzipped when the key ends in .gz, to read a block at a time.
  // Throws core::Error(Input) when the object is missing or its size is not the manifest's.
  std::unique_ptr<core::ByteReader> open_events(const ManifestEntry& entry) const;

  // Writes the rejected lines (JSON lines) run `run_id` read to its file in the rejected zone.
  // `jsonl` is a file, written whole from its start: the lines are spooled there, not in memory.
  void write_rejected(std::FILE* jsonl, std::int64_t run_id) const;
  // Removes the date's rejected-zone files of runs not in `runs` (with `legacy`, also the
  // rejected.jsonl of versions before per-run files); returns how many.
  std::uint64_t remove_rejected_files_except(const std::set<std::int64_t>& runs, bool legacy) const;

  const LakeStorage& storage() const { return *m_storage; }

 private:
  // Extract's rule, shared with plan(): per object, the checksum of the lake's copy when the lake
  // holds the key with the same size (else ""), the source's checksum where that is set, and
  // whether the lake or its manifest knows the key at all (changed rather than new).
  struct Comparison {
    std::vector<std::string> held_md5s, md5s;
    std::vector<bool> held_key;
    std::uint64_t reread = 0;  // held objects the quick check could not clear
  };
  Comparison compare_with_lake(Source& source, const std::vector<ObjectInfo>& objects, bool verify_all) const;

  std::string rejected_folder() const;
  std::string rejected_key(std::int64_t run_id) const;

  std::unique_ptr<LakeStorage> m_storage;
  std::string m_lake_date;
  std::string m_folder;  // raw/lake_date=D/
};

}  // namespace d2d::lake
