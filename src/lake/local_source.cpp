#include "lake/local_source.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>

#include "core/checksum.h"
#include "core/error.h"
#include "core/utf8.h"
#include "lake/file_byte_reader.h"
#include "lake/key_layout.h"
#include "lake/s3_source.h"

namespace d2d::lake {
namespace fs = std::filesystem;
using core::Error;
using core::ErrorKind;

namespace {

bool all_digits(const std::string& text, std::size_t length) {
  return text.size() == length &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// In the nested layout, folders YYYY/MM/DD hold one date: skip the others without reading them.
// Only the first three folder levels are pruned, and only when they look like date parts.
bool prune(const fs::path& relative_dir, const std::string& lake_date) {
  std::vector<std::string> parts;
  for (const auto& part : relative_dir) parts.push_back(part.string());
  static constexpr std::size_t kOffsets[] = {0, 5, 8};
  static constexpr std::size_t kLengths[] = {4, 2, 2};
  for (std::size_t level = 0; level < parts.size() && level < 3; ++level) {
    if (!all_digits(parts[level], kLengths[level])) return false;  // not the nested layout here
    if (parts[level] != lake_date.substr(kOffsets[level], kLengths[level])) return true;
  }
  return false;
}

}  // namespace

std::optional<fs::path> local_path_of(const std::string& uri) {
  if (uri.starts_with("file://")) return fs::path(uri.substr(7));
  if (uri.find("://") != std::string::npos) return std::nullopt;
  return fs::path(uri);
}

std::unique_ptr<Source> open_source(const std::string& uri, const s3::ClientOptions& s3_options) {
  if (s3::is_s3_uri(uri)) return std::make_unique<S3Source>(uri, s3_options);
  if (auto path = local_path_of(uri)) return std::make_unique<LocalSource>(*path);
  throw Error(ErrorKind::Usage,
              fmt::format("unsupported source URI scheme: {}", uri.substr(0, uri.find("://") + 3)));
}

LocalSource::LocalSource(fs::path root) : m_root(std::move(root)) {}

std::string LocalSource::describe() const { return m_root.string(); }

namespace {

// The quick check's version of the file at `path` (followed if a link): its inode, modification
// time and inode-change time. The change time is the kernel's, which no tool can set back (`cp -p`,
// `rsync -t` and `touch -r` restore the modification time of a rewritten file; git's index keeps
// both for that reason). A file modified in the last few seconds gets none ("racy", as git calls
// it): the clock's tick is coarse, so a same-size rewrite within one tick of the extract that read
// it could keep its times; such a file is read again until it has been quiet for a while.
std::string quick_check_version(const fs::path& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) return "";  // then the object is read: never trusted blindly
  const auto nanoseconds = [](const timespec& at) {
    return static_cast<std::int64_t>(at.tv_sec) * 1'000'000'000 + at.tv_nsec;
  };
  timespec now{};
  ::clock_gettime(CLOCK_REALTIME, &now);
  constexpr std::int64_t kRacyNs = 3'000'000'000;
  if (nanoseconds(now) - nanoseconds(info.st_mtim) < kRacyNs) return "";
  return fmt::format("stat:{}:{}:{}", info.st_ino, nanoseconds(info.st_mtim), nanoseconds(info.st_ctim));
}

}  // namespace

Listing LocalSource::list_lake_date(const std::string& lake_date) {
  std::error_code ec;
  if (!fs::is_directory(m_root, ec)) {
    throw Error(ErrorKind::Input,
                fmt::format("source folder {} does not exist or is not a folder", m_root.string()));
  }
  const fs::path real_root = fs::canonical(m_root, ec);
  if (ec)
    throw Error(ErrorKind::Input,
                fmt::format("cannot resolve source folder {}: {}", m_root.string(), ec.message()));
  auto cannot_list = [](const fs::path& folder, const std::error_code& error) {
    return Error(ErrorKind::Input,
                 fmt::format("cannot list source folder {}: {} (a listing that fails part of "
                             "the way fails the run rather than load part of the date)",
                             core::utf8_lossy(folder.string()), error.message()));
  };
  Listing listing;
  // One folder at a time, so that an error names the folder and always fails: the recursive
  // iterator's increment(ec) ends the walk on an unreadable folder before the loop sees `ec`.
  std::vector<fs::path> folders{m_root};
  while (!folders.empty()) {
    const fs::path folder = std::move(folders.back());
    folders.pop_back();
    fs::directory_iterator it(folder, ec);
    if (ec) throw cannot_list(folder, ec);
    for (; it != fs::directory_iterator(); it.increment(ec)) {
      if (ec) throw cannot_list(folder, ec);
      const fs::path& path = it->path();
      const fs::path relative = path.lexically_relative(m_root);
      const fs::file_status link = it->symlink_status(ec);
      if (ec) throw cannot_list(path, ec);
      if (fs::is_directory(link)) {
        if (!prune(relative, lake_date)) folders.push_back(path);
        continue;
      }
      const std::string key = relative.generic_string();
      const std::string name = path.filename().string();
      if (name.starts_with('.') || lake_date_of_key(key) != lake_date) continue;
      std::uint64_t size = 0;
      if (fs::is_symlink(link)) {
        const fs::file_status target = fs::status(path, ec);
        if (ec == std::errc::too_many_symbolic_link_levels) {
          throw Error(ErrorKind::Input,
                      fmt::format("source file {} is a symbolic link loop", core::utf8_lossy(path.string())));
        }
        if (ec || !fs::is_regular_file(target)) {
          listing.refused.push_back({key, ec ? "a symbolic link to nothing (" + ec.message() + ")"
                                             : "a symbolic link to something that is not a file"});
          ec.clear();
          continue;
        }
        const fs::path real = fs::canonical(path, ec);
        if (ec || real.lexically_relative(real_root).empty() ||
            *real.lexically_relative(real_root).begin() == "..") {
          listing.refused.push_back({key, "a symbolic link that leaves the source folder"});
          ec.clear();
          continue;
        }
        size = static_cast<std::uint64_t>(fs::file_size(real, ec));
      } else if (fs::is_regular_file(link)) {
        size = static_cast<std::uint64_t>(it->file_size(ec));
      } else {
        continue;  // sockets, pipes, devices: not objects
      }
      if (ec) throw cannot_list(path, ec);
      if (auto reason = unsafe_key_reason(key)) {  // a backslash or control character in a file name
        listing.refused.push_back({key, std::move(*reason)});
        continue;
      }
      listing.objects.push_back(ObjectInfo{key, size, "", quick_check_version(path)});
    }
  }
  std::sort(listing.objects.begin(), listing.objects.end(),
            [](const ObjectInfo& a, const ObjectInfo& b) { return a.key < b.key; });
  return listing;
}

namespace {
// Hands over a source file's bytes and, at their end, fails unless there were as many as listed:
// a file that grows or shrinks while it is copied is never taken for the listed one.
class ListedSizeReader final : public core::ByteReader {
 public:
  ListedSizeReader(std::unique_ptr<FileByteReader> file, const ObjectInfo& object)
      : m_file(std::move(file)), m_object(object) {}
  std::size_t read(char* into, std::size_t capacity) override {
    const std::size_t got = m_file->read(into, capacity);
    m_read += got;
    if ((got == 0 && m_read != m_object.size) || m_read > m_object.size) {
      throw Error(ErrorKind::Input,
                  fmt::format("source object {} changed while it was read (at least {} bytes, "
                              "listed {})",
                              m_object.key, m_read, m_object.size));
    }
    return got;
  }

 private:
  std::unique_ptr<FileByteReader> m_file;
  ObjectInfo m_object;
  std::uint64_t m_read = 0;
};
}  // namespace

std::unique_ptr<core::ByteReader> LocalSource::open(const ObjectInfo& object) {
  auto file = FileByteReader::open(m_root / object.key);
  if (!file)
    throw Error(ErrorKind::Input, fmt::format("source object {} disappeared before it was read", object.key));
  return std::make_unique<ListedSizeReader>(std::move(file), object);
}

std::string LocalSource::md5_of(const ObjectInfo& object) {
  const fs::path path = m_root / object.key;
  auto file = FileByteReader::open(path);
  if (!file)
    throw Error(ErrorKind::Input, fmt::format("cannot open {}: {}", path.string(), std::strerror(ENOENT)));
  core::Md5 md5;
  core::for_each_block(*file, [&md5](std::string_view block) { md5.update(block); });
  return md5.hex_digest();
}

}  // namespace d2d::lake
