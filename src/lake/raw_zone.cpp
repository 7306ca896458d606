#include "lake/raw_zone.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <exception>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "core/checksum.h"
#include "core/error.h"
#include "core/utf8.h"
#include "lake/gzip.h"
#include "lake/key_layout.h"

namespace d2d::lake {
namespace fs = std::filesystem;
using core::Error;
using core::ErrorKind;

namespace {
constexpr const char* kManifestName = "_manifest.tsv";
constexpr const char* kManifestHeader = "key\tsize\tmd5\tversion\n";
constexpr const char* kContentHeader = "key\tsize\tmd5\n";  // the manifest's header before versions

// Runs work(i) for i in [0, count) on up to `threads` threads. The first exception stops
// the others from taking new items and is rethrown.
template <typename Work>
void for_each_parallel(std::size_t count, unsigned threads, const Work& work) {
  std::atomic<std::size_t> next{0};
  std::exception_ptr failure;
  std::mutex failure_mutex;
  auto worker = [&]() {
    for (std::size_t i = next++; i < count; i = next++) {
      try {
        work(i);
      } catch (...) {
        std::lock_guard lock(failure_mutex);
        if (!failure) failure = std::current_exception();
        next = count;
      }
    }
  };
  const std::size_t n = std::min<std::size_t>(threads, count);
  if (n <= 1) {
    worker();
  } else {
    std::vector<std::jthread> pool;
    for (std::size_t t = 0; t < n; ++t) pool.emplace_back(worker);
  }
  if (failure) std::rethrow_exception(failure);
}

}  // namespace

RawZone::RawZone(std::unique_ptr<LakeStorage> storage, std::string lake_date)
    : m_storage(std::move(storage)),
      m_lake_date(std::move(lake_date)),
      m_folder("raw/lake_date=" + m_lake_date + "/") {}

RawZone::RawZone(const fs::path& lake_root, std::string lake_date)
    : RawZone(std::make_unique<LocalLakeStorage>(lake_root), std::move(lake_date)) {}

namespace {
// A stdio file read back from its start (the rejected lines' spool).
class SpoolReader final : public core::ByteReader {
 public:
  SpoolReader(std::FILE* file, std::string what) : m_file(file), m_what(std::move(what)) {
    if (std::fflush(m_file) != 0 || std::fseek(m_file, 0, SEEK_SET) != 0) fail();
  }
  std::size_t read(char* into, std::size_t capacity) override {
    const std::size_t got = std::fread(into, 1, capacity, m_file);
    if (got == 0 && std::ferror(m_file)) fail();
    return got;
  }

 private:
  [[noreturn]] void fail() const {
    throw Error(ErrorKind::Input, fmt::format("cannot read back the spooled bytes of {}", m_what));
  }
  std::FILE* m_file;
  std::string m_what;
};

// Passes bytes through and, when asked to, hashes them on the way (extract: one read makes the
// copy and its MD5).
class Md5Reader final : public core::ByteReader {
 public:
  Md5Reader(core::ByteReader& inner, bool hash) : m_inner(inner), m_hash(hash) {}
  std::size_t read(char* into, std::size_t capacity) override {
    const std::size_t got = m_inner.read(into, capacity);
    if (m_hash) m_md5.update(std::string_view(into, got));
    return got;
  }
  std::string hex_digest() { return m_md5.hex_digest(); }

 private:
  core::ByteReader& m_inner;
  bool m_hash;
  core::Md5 m_md5;
};
}  // namespace

void RawZone::write_rejected(std::FILE* jsonl, std::int64_t run_id) const {
  SpoolReader spool(jsonl, rejected_key(run_id));
  m_storage->write_from(rejected_key(run_id), spool);
}

std::uint64_t RawZone::remove_rejected_files_except(const std::set<std::int64_t>& runs, bool legacy) const {
  constexpr std::string_view kRunFile = "rejected-run-", kSuffix = ".jsonl";
  std::uint64_t removed = 0;
  for (const auto& [key, object] : m_storage->list(rejected_folder())) {
    const std::string_view name = std::string_view(key).substr(rejected_folder().size());
    if (name.find('/') != std::string_view::npos || name.find(kTemporaryMark) != std::string_view::npos)
      continue;
    bool remove = legacy && name == "rejected.jsonl";
    if (name.starts_with(kRunFile) && name.ends_with(kSuffix)) {
      const std::string_view digits =
          name.substr(kRunFile.size(), name.size() - kRunFile.size() - kSuffix.size());
      std::int64_t run = 0;
      const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), run);
      remove = error == std::errc() && end == digits.data() + digits.size() && !runs.contains(run);
    }
    if (remove) {
      m_storage->remove(key);
      ++removed;
    }
  }
  return removed;
}

std::string RawZone::rejected_folder() const { return "rejected/lake_date=" + m_lake_date + "/"; }
std::string RawZone::rejected_key(std::int64_t run_id) const {
  return fmt::format("{}rejected-run-{}.jsonl", rejected_folder(), run_id);
}

std::vector<ManifestEntry> RawZone::manifest() const {
  std::vector<ManifestEntry> entries;
  const std::string key = m_folder + kManifestName;
  const auto text = m_storage->read(key);
  if (!text) return entries;
  std::istringstream lines(*text);
  std::string line;
  std::getline(lines, line);  // header
  // The lake is read back as untrusted (SECURITY.md): a damaged line is a clear input error, never
  // std::stoull's exception reported as an internal one.
  auto damaged = [&key](const std::string& bad_line) {
    return Error(ErrorKind::Input, fmt::format("raw-zone manifest {} is damaged (re-run with --force): {:?}",
                                               key, core::utf8_lossy(core::utf8_prefix(bad_line, 200))));
  };
  while (std::getline(lines, line)) {
    const auto tab1 = line.find('\t');
    const auto tab2 = line.find('\t', tab1 + 1);
    if (tab1 == std::string::npos || tab2 == std::string::npos) throw damaged(line);
    std::uint64_t size = 0;
    const char* first = line.data() + tab1 + 1;
    const char* last = line.data() + tab2;
    const auto [end, error] = std::from_chars(first, last, size);
    if (error != std::errc() || end != last || first == last) throw damaged(line);
    // Manifests written before the version column have three.
    const auto tab3 = line.find('\t', tab2 + 1);
    entries.push_back(ManifestEntry{line.substr(0, tab1), size, line.substr(tab2 + 1, tab3 - tab2 - 1),
                                    tab3 == std::string::npos ? std::string() : line.substr(tab3 + 1)});
  }
  return entries;
}

RawZone::Comparison RawZone::compare_with_lake(Source& source, const std::vector<ObjectInfo>& objects,
                                               bool verify_all) const {
  Comparison compared;
  std::map<std::string, ManifestEntry> previous;
  for (auto& entry : manifest()) previous.emplace(entry.key, entry);
  const auto stored = m_storage->list(m_folder);  // one listing instead of a probe per object

  // Present: the lake holds the key with the same size, and its checksum (the store's own, or
  // the one the last manifest recorded for it) equals the source's.
  compared.held_md5s.resize(objects.size());
  compared.held_key.resize(objects.size());
  compared.md5s.resize(objects.size());
  std::vector<bool> must_read(objects.size(), false);
  for (std::size_t i = 0; i < objects.size(); ++i) {
    const ObjectInfo& object = objects[i];
    // Sources refuse unsafe keys themselves; this is the last gate before a key becomes a lake
    // path and a manifest line (whose tabs and newlines it would break).
    if (auto reason = unsafe_key_reason(object.key)) {
      throw Error(ErrorKind::Internal, fmt::format("the source listed an unsafe key: {}", *reason));
    }
    const auto held = stored.find(m_folder + object.key);
    const auto known = previous.find(object.key);
    compared.held_key[i] = held != stored.end() || known != previous.end();
    if (held != stored.end() && held->second.size == object.size) {
      compared.held_md5s[i] = !held->second.md5.empty() ? held->second.md5
                              : known != previous.end() && known->second.size == object.size
                                  ? known->second.md5
                                  : "";
    }
    if (compared.held_md5s[i].empty()) continue;
    // The quick check: the source says the object is the version the manifest recorded.
    const bool same_version = !verify_all && known != previous.end() && !object.version.empty() &&
                              known->second.version == object.version && known->second.size == object.size &&
                              known->second.md5 == compared.held_md5s[i];
    if (same_version) {
      compared.md5s[i] = compared.held_md5s[i];
    } else {
      must_read[i] = true;
      ++compared.reread;
    }
  }
  // Hashing local sources reads every byte: spread it over the cores (a re-run of an unchanged
  // date whose versions the source cannot tell is mostly this).
  for_each_parallel(objects.size(), std::max(2U, std::thread::hardware_concurrency()), [&](std::size_t i) {
    if (must_read[i]) compared.md5s[i] = source.md5_of(objects[i]);
  });
  return compared;
}

ExtractPlan RawZone::plan(Source& source, bool verify_all) const {
  ExtractPlan plan;
  Listing listing = source.list_lake_date(m_lake_date);
  plan.refused = std::move(listing.refused);
  const Comparison compared = compare_with_lake(source, listing.objects, verify_all);
  for (std::size_t i = 0; i < listing.objects.size(); ++i) {
    const bool same = !compared.held_md5s[i].empty() && compared.md5s[i] == compared.held_md5s[i];
    plan.objects.push_back({listing.objects[i].key, listing.objects[i].size,
                            same                   ? ObjectChange::Unchanged
                            : compared.held_key[i] ? ObjectChange::Changed
                                                   : ObjectChange::New});
  }
  std::set<std::string_view> listed;
  for (const ObjectInfo& object : listing.objects) listed.insert(object.key);
  for (const ManifestEntry& entry : manifest()) {
    if (!listed.contains(entry.key)) plan.removed.push_back(entry.key);
  }
  return plan;
}

ExtractStats RawZone::extract(Source& source, bool verify_all) {
  ExtractStats stats;
  stats.stale_temporaries =
      m_storage->remove_stale_temporaries(m_folder) + m_storage->remove_stale_temporaries(rejected_folder());
  Listing listing = source.list_lake_date(m_lake_date);
  const std::vector<ObjectInfo>& objects = listing.objects;
  stats.refused = std::move(listing.refused);
  Comparison compared = compare_with_lake(source, objects, verify_all);
  stats.reread = compared.reread;
  const std::vector<std::string>& held_md5s = compared.held_md5s;
  std::vector<std::string>& md5s = compared.md5s;
  for (const ObjectInfo& object : objects) {
    ++stats.objects;
    stats.bytes += object.size;
  }
  std::vector<std::size_t> to_copy;
  for (std::size_t i = 0; i < objects.size(); ++i) {
    if (!held_md5s[i].empty() && md5s[i] == held_md5s[i]) {
      ++stats.skipped;
    } else {
      to_copy.push_back(i);
    }
  }

  // Copying is hashing and writing, CPU bound on a local disk: at least one copy per core.
  const unsigned copies =
      std::max({source.parallelism(), m_storage->parallelism(), std::thread::hardware_concurrency()});
  for_each_parallel(to_copy.size(), copies, [&](std::size_t n) {
    const ObjectInfo& object = objects[to_copy[n]];
    // Streamed: memory holds a block per copy, not the object (a source that cannot stream, such
    // as S3, hands it over whole).
    const auto bytes = source.open(object);
    Md5Reader hashed(*bytes, object.md5.empty());
    m_storage->write_from(m_folder + object.key, hashed);
    // A listed MD5 has been checked against the bytes by the source; else the copy's own counts.
    md5s[to_copy[n]] = !object.md5.empty() ? object.md5 : hashed.hex_digest();
  });
  stats.copied = to_copy.size();

  // The raw zone's identity (etl_run.raw_manifest_md5, the no-op check) is its content: keys, sizes
  // and checksums, not the source's versions (a file touched without change is the same zone).
  std::string content = kContentHeader, manifest_text = kManifestHeader;
  for (std::size_t i = 0; i < objects.size(); ++i) {
    content += fmt::format("{}\t{}\t{}\n", objects[i].key, objects[i].size, md5s[i]);
    manifest_text +=
        fmt::format("{}\t{}\t{}\t{}\n", objects[i].key, objects[i].size, md5s[i], objects[i].version);
  }
  // Written last: a run that fails while copying leaves the previous manifest in force.
  m_storage->write(m_folder + kManifestName, manifest_text);
  core::Md5 manifest_md5;
  manifest_md5.update(content);
  stats.manifest_md5 = manifest_md5.hex_digest();
  return stats;
}

std::unique_ptr<core::ByteReader> RawZone::open_events(const ManifestEntry& entry) const {
  auto object = m_storage->open(m_folder + entry.key);
  if (!object) {
    throw Error(ErrorKind::Input,
                fmt::format("raw object {} is missing from the lake: re-run extract", entry.key));
  }
  if (object->size != entry.size) {
    throw Error(ErrorKind::Input,
                fmt::format("raw object {} has {} bytes, the manifest says {}: re-run extract", entry.key,
                            object->size, entry.size));
  }
  if (entry.key.ends_with(".gz")) return std::make_unique<GunzipReader>(std::move(object->bytes), entry.key);
  return std::move(object->bytes);
}

}  // namespace d2d::lake
