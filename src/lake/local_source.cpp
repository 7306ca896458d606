#include "lake/local_source.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>

#include "core/checksum.h"
#include "core/error.h"
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

std::string io_error(std::string_view what, const fs::path& path) {
  return fmt::format("{} {}: {}", what, path.string(), std::strerror(errno));
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

std::vector<ObjectInfo> LocalSource::list_lake_date(const std::string& lake_date) {
  std::error_code ec;
  if (!fs::is_directory(m_root, ec)) {
    throw Error(ErrorKind::Input,
                fmt::format("source folder {} does not exist or is not a folder", m_root.string()));
  }
  std::vector<ObjectInfo> objects;
  fs::recursive_directory_iterator it(m_root, fs::directory_options::none, ec);
  if (ec)
    throw Error(ErrorKind::Input,
                fmt::format("cannot list source folder {}: {}", m_root.string(), ec.message()));
  for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec)
      throw Error(ErrorKind::Input,
                  fmt::format("cannot list source folder {}: {}", m_root.string(), ec.message()));
    const fs::path relative = it->path().lexically_relative(m_root);
    if (it->is_directory()) {
      if (prune(relative, lake_date)) it.disable_recursion_pending();
      continue;
    }
    if (!it->is_regular_file()) continue;
    const std::string key = relative.generic_string();
    const std::string name = it->path().filename().string();
    if (name.starts_with('.')) continue;
    if (lake_date_of_key(key) != lake_date) continue;
    objects.push_back(ObjectInfo{key, static_cast<std::uint64_t>(it->file_size()), ""});
  }
  std::sort(objects.begin(), objects.end(),
            [](const ObjectInfo& a, const ObjectInfo& b) { return a.key < b.key; });
  return objects;
}

std::string read_file(const fs::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw Error(ErrorKind::Input, io_error("cannot open", path));
  std::string bytes;
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  if (!ec) bytes.reserve(size);
  char buffer[1 << 16];
  for (;;) {
    const ssize_t got = ::read(fd, buffer, sizeof buffer);
    if (got < 0) {
      if (errno == EINTR) continue;
      const std::string message = io_error("cannot read", path);
      ::close(fd);
      throw Error(ErrorKind::Input, message);
    }
    if (got == 0) break;
    bytes.append(buffer, static_cast<std::size_t>(got));
  }
  ::close(fd);
  return bytes;
}

std::string md5_of_file(const fs::path& path) {
  const std::string bytes = read_file(path);
  core::Md5 md5;
  md5.update(bytes);
  return md5.hex_digest();
}

void write_file_atomically(const fs::path& path, std::string_view bytes) {
  write_file_atomically(
      path, [&](std::ostream& out) { out.write(bytes.data(), static_cast<std::streamsize>(bytes.size())); });
}

void write_file_atomically(const fs::path& path, const std::function<void(std::ostream&)>& write) {
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  if (ec)
    throw Error(ErrorKind::Input,
                fmt::format("cannot create folder {}: {}", path.parent_path().string(), ec.message()));
  // Unique per process and call: two runs of one date may extract at the same time.
  static std::atomic<unsigned> counter{0};
  const fs::path temp = fmt::format("{}.tmp-d2d-{}-{}", path.string(), ::getpid(), counter++);
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    write(out);
    out.flush();
    if (!out) throw Error(ErrorKind::Input, fmt::format("cannot write {} (disk full?)", temp.string()));
  }
  fs::rename(temp, path, ec);
  if (ec) throw Error(ErrorKind::Input, fmt::format("cannot rename {}: {}", temp.string(), ec.message()));
}

std::string LocalSource::read(const ObjectInfo& object) {
  std::string bytes = read_file(m_root / object.key);
  if (bytes.size() != object.size) {
    throw Error(ErrorKind::Input,
                fmt::format("source object {} changed while it was read ({} bytes, listed {})", object.key,
                            bytes.size(), object.size));
  }
  return bytes;
}

std::string LocalSource::md5_of(const ObjectInfo& object) { return md5_of_file(m_root / object.key); }

}  // namespace d2d::lake
