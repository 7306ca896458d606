#include "lake/s3_source.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "core/error.h"
#include "lake/key_layout.h"

namespace d2d::lake {
using core::Error;
using core::ErrorKind;

namespace {

// How deep below the source prefix the layout may start (data/ in the flat example is 1),
// and how many folders one level may offer: beyond that --source should name the folder.
constexpr int kMaxDepth = 2;
constexpr std::size_t kMaxFoldersPerLevel = 20;
// A discovery page only has to show what kind of level it is, not list it: a level full of
// other dates' files is sampled, never read.
constexpr int kDiscoveryPage = 20;

bool is_year_folder(std::string_view name) {
  return name.size() == 5 && name.back() == '/' &&
         std::all_of(name.begin(), name.end() - 1, [](char c) { return c >= '0' && c <= '9'; });
}

std::string file_name(const std::string& key) {
  const auto slash = key.rfind('/');
  return slash == std::string::npos ? key : key.substr(slash + 1);
}

}  // namespace

S3Source::S3Source(const std::string& uri, const s3::ClientOptions& options) {
  m_client = s3::open_client(uri, options, m_prefix);
}

void S3Source::find_date_prefixes(const std::string& folder, const std::string& lake_date, int depth,
                                  std::vector<std::string>& prefixes) {
  s3::ListPage page = m_client->list_page(folder, "/", "", kDiscoveryPage);
  if (page.objects.empty() && page.common_prefixes.empty()) {
    // S3 rolls every deeper key into CommonPrefixes; s3rver (the tests' server) does so only for
    // keys one folder down. One key of the level tells the same: its first folder, or itself.
    const s3::ListPage probe = m_client->list_page(folder, "", "", 1);
    if (probe.objects.empty()) return;  // nothing at all here
    const std::string& key = probe.objects.front().key;
    const auto slash = key.find('/', folder.size());
    if (slash == std::string::npos) {
      page.objects.push_back(probe.objects.front());
    } else {
      page.common_prefixes.push_back(key.substr(0, slash + 1));
    }
    page.truncated = probe.truncated;
  }
  bool nested = false;
  bool flat = false;
  std::vector<std::string> folders;
  for (const std::string& common : page.common_prefixes) {
    const std::string name = common.substr(folder.size());
    if (is_year_folder(name)) {
      nested = true;
    } else {
      folders.push_back(common);
    }
  }
  for (const s3::ObjectEntry& object : page.objects) {
    if (lake_date_of_key(object.key)) flat = true;
  }
  // Dated files sort among year folders ("2019-..." < "2019/"), so a level cut short after
  // showing files may still hold year folders further on: probing costs one narrow listing.
  if (flat && page.truncated) nested = true;
  if (nested)
    prefixes.push_back(fmt::format("{}{}/{}/{}/", folder, lake_date.substr(0, 4), lake_date.substr(5, 2),
                                   lake_date.substr(8, 2)));
  if (flat) prefixes.push_back(folder + lake_date + "-");
  if (nested || flat || depth >= kMaxDepth) return;
  if (page.truncated || folders.size() > kMaxFoldersPerLevel) {
    throw Error(ErrorKind::Usage,
                fmt::format("s3://{}/{} holds neither dated files nor YYYY/ folders but many other "
                            "entries: point --source at the folder that holds the event files",
                            m_client->bucket(), folder));
  }
  for (const std::string& sub : folders) find_date_prefixes(sub, lake_date, depth + 1, prefixes);
}

Listing S3Source::list_lake_date(const std::string& lake_date) {
  std::vector<std::string> prefixes;
  find_date_prefixes(m_prefix, lake_date, 0, prefixes);
  Listing listing;
  std::vector<ObjectInfo>& objects = listing.objects;
  std::set<std::string> seen;
  for (const std::string& prefix : prefixes) {
    for (s3::ObjectEntry& entry : m_client->list_all(prefix)) {
      const std::string name = file_name(entry.key);
      if (name.starts_with('.') || entry.key.ends_with('/')) continue;
      if (lake_date_of_key(entry.key) != lake_date || !seen.insert(entry.key).second) continue;
      std::string key = entry.key.substr(m_prefix.size());
      // Keys are untrusted: one that could leave the lake as a path is refused here, before
      // anything uses it (the listing's XML can carry "..", "/x", "\\" and control characters).
      if (auto reason = unsafe_key_reason(key)) {
        listing.refused.push_back({std::move(key), std::move(*reason)});
        continue;
      }
      // The ETag is untrusted text too: one that could break a manifest line is no version.
      const bool plain_etag =
          !entry.etag.empty() && std::none_of(entry.etag.begin(), entry.etag.end(),
                                              [](unsigned char c) { return c < 0x20 || c == 0x7f; });
      objects.push_back(ObjectInfo{std::move(key), entry.size,
                                   s3::is_md5_etag(entry.etag) ? entry.etag : std::string(),
                                   plain_etag ? "etag:" + entry.etag : std::string()});
    }
  }
  std::sort(objects.begin(), objects.end(),
            [](const ObjectInfo& a, const ObjectInfo& b) { return a.key < b.key; });
  return listing;
}

s3::ObjectEntry S3Source::listed(const ObjectInfo& object) const {
  return {m_prefix + object.key, object.size, object.md5};
}

std::unique_ptr<core::ByteReader> S3Source::open(const ObjectInfo& object) {
  auto spool = std::make_unique<s3::SpoolFile>();
  const s3::ObjectEntry entry = listed(object);
  m_client->get_into(entry.key, entry, *spool);
  return std::make_unique<s3::SpoolFileReader>(std::move(spool));
}

std::string S3Source::md5_of(const ObjectInfo& object) {
  if (!object.md5.empty()) return object.md5;
  s3::SpoolFile spool;  // a multipart object's ETag is no MD5: only its bytes tell
  const s3::ObjectEntry entry = listed(object);
  m_client->get_into(entry.key, entry, spool);
  return spool.md5_hex();
}

}  // namespace d2d::lake
