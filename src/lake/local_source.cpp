#include "lake/local_source.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
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

std::unique_ptr<FileByteReader> FileByteReader::open(const fs::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return nullptr;
    throw Error(ErrorKind::Input, io_error("cannot open", path));
  }
  struct stat status {};
  if (::fstat(fd, &status) != 0) {
    const std::string message = io_error("cannot stat", path);
    ::close(fd);
    throw Error(ErrorKind::Input, message);
  }
  return std::unique_ptr<FileByteReader>(
      new FileByteReader(fd, path, static_cast<std::uint64_t>(status.st_size)));
}

FileByteReader::FileByteReader(int fd, fs::path path, std::uint64_t size)
    : m_fd(fd), m_path(std::move(path)), m_size(size) {}

FileByteReader::~FileByteReader() { ::close(m_fd); }

std::size_t FileByteReader::read(char* into, std::size_t capacity) {
  for (;;) {
    const ssize_t got = ::read(m_fd, into, capacity);
    if (got >= 0) return static_cast<std::size_t>(got);
    if (errno != EINTR) throw Error(ErrorKind::Input, io_error("cannot read", m_path));
  }
}

namespace {
std::unique_ptr<FileByteReader> open_existing(const fs::path& path) {
  auto file = FileByteReader::open(path);
  if (!file) {
    errno = ENOENT;
    throw Error(ErrorKind::Input, io_error("cannot open", path));
  }
  return file;
}
}  // namespace

std::string read_file(const fs::path& path) {
  auto file = open_existing(path);
  std::string bytes;
  bytes.reserve(file->size());
  char block[1 << 16];
  while (const std::size_t got = file->read(block, sizeof block)) bytes.append(block, got);
  return bytes;
}

std::string md5_of_file(const fs::path& path) {
  auto file = open_existing(path);
  core::Md5 md5;
  char block[1 << 16];
  while (const std::size_t got = file->read(block, sizeof block)) md5.update(std::string_view(block, got));
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
  try {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    write(out);
    out.flush();
    if (!out) throw Error(ErrorKind::Input, fmt::format("cannot write {} (disk full?)", temp.string()));
  } catch (...) {
    fs::remove(temp, ec);  // the old file stays in force; nothing half-written is left behind
    throw;
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

std::string LocalSource::md5_of(const ObjectInfo& object) { return md5_of_file(m_root / object.key); }

}  // namespace d2d::lake
