#include "lake/rooted_folder.h"

#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <optional>
#include <utility>
#include <vector>

#include "core/error.h"
#include "core/utf8.h"
#include "lake/key_layout.h"

namespace d2d::lake {
namespace fs = std::filesystem;
using core::Error;
using core::ErrorKind;

namespace {

class Fd {
 public:
  explicit Fd(int fd = -1) : m_fd(fd) {}
  ~Fd() {
    if (m_fd >= 0) ::close(m_fd);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return m_fd; }
  int release() { return std::exchange(m_fd, -1); }
  void reset(int fd) {
    if (m_fd >= 0) ::close(m_fd);
    m_fd = fd;
  }

 private:
  int m_fd;
};

std::string shown(std::string_view key) { return core::utf8_lossy(key); }

[[noreturn]] void fail(std::string_view what, const fs::path& root, std::string_view key) {
  const int error = errno;
  if (error == ELOOP || error == ENOTDIR) {
    throw Error(ErrorKind::Input,
                fmt::format("{} {} in lake {}: a symbolic link or file is in the way, and the "
                            "lake does not follow links",
                            what, shown(key), root.string()));
  }
  throw Error(ErrorKind::Input,
              fmt::format("{} {} in lake {}: {}", what, shown(key), root.string(), std::strerror(error)));
}

void check_key(std::string_view key, const fs::path& root) {
  if (auto reason = unsafe_key_reason(key)) {
    throw Error(ErrorKind::Input,
                fmt::format("refusing lake key {:?} in {}: {}", shown(key), root.string(), *reason));
  }
}

std::string host_name() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0) return "host";
  std::string text(name);
  for (char& c : text) {
    if (c == '/' || c == '-' || static_cast<unsigned char>(c) < 0x20) c = '_';
  }
  return text.empty() ? "host" : text;
}

const std::string& this_host() {
  static const std::string host = host_name();
  return host;
}

// "<name>.tmp-d2d-<host>-<pid>-<n>": whether this process's host wrote it and with which pid.
struct TemporaryName {
  std::string host;
  long pid = -1;
};

std::optional<TemporaryName> parse_temporary(std::string_view name) {
  const std::size_t mark = name.find(kTemporaryMark);
  if (mark == std::string_view::npos) return std::nullopt;
  std::string_view rest = name.substr(mark + kTemporaryMark.size());
  const std::size_t last = rest.rfind('-');
  if (last == std::string_view::npos || last == 0) return TemporaryName{};
  const std::size_t before = rest.rfind('-', last - 1);
  if (before == std::string_view::npos) {  // an older writer's "<pid>-<n>", made on this host
    TemporaryName older{this_host(), -1};
    try {
      older.pid = std::stol(std::string(rest.substr(0, last)));
    } catch (const std::exception&) {
      older.pid = -1;
    }
    return older;
  }
  TemporaryName parsed;
  parsed.host = std::string(rest.substr(0, before));
  try {
    parsed.pid = std::stol(std::string(rest.substr(before + 1, last - before - 1)));
  } catch (const std::exception&) {
    parsed.pid = -1;
  }
  return parsed;
}

bool process_gone(long pid) { return pid > 0 && ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH; }

}  // namespace

RootedFolder::RootedFolder(fs::path root) : m_path(std::move(root)) {
  std::error_code ec;
  fs::create_directories(m_path, ec);
  if (ec)
    throw Error(ErrorKind::Input,
                fmt::format("cannot create lake folder {}: {}", m_path.string(), ec.message()));
  m_fd = ::open(m_path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (m_fd < 0)
    throw Error(ErrorKind::Input,
                fmt::format("cannot open lake folder {}: {}", m_path.string(), std::strerror(errno)));
}

RootedFolder::~RootedFolder() {
  if (m_fd >= 0) ::close(m_fd);
}

int RootedFolder::open_parent(std::string_view key, bool create, std::string& name) const {
  check_key(key, m_path);
  Fd folder(::dup(m_fd));
  if (folder.get() < 0) fail("cannot open the folder of", m_path, key);
  std::size_t start = 0;
  for (std::size_t slash = key.find('/'); slash != std::string_view::npos; slash = key.find('/', start)) {
    const std::string segment(key.substr(start, slash - start));
    if (create && ::mkdirat(folder.get(), segment.c_str(), 0755) != 0 && errno != EEXIST)
      fail("cannot create the folder of", m_path, key);
    const int next = ::openat(folder.get(), segment.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (next < 0) {
      if (errno == ENOENT && !create) return -1;
      fail("cannot open the folder of", m_path, key);
    }
    folder.reset(next);
    start = slash + 1;
  }
  name = std::string(key.substr(start));
  return folder.release();
}

std::unique_ptr<FileByteReader> RootedFolder::open(std::string_view key) const {
  std::string name;
  Fd folder(open_parent(key, false, name));
  if (folder.get() < 0) return nullptr;
  const int fd = ::openat(folder.get(), name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return nullptr;
    fail("cannot open", m_path, key);
  }
  return FileByteReader::adopt(fd, m_path / fs::path(std::string(key)));
}

void RootedFolder::write_atomically(std::string_view key, core::ByteReader& bytes) const {
  std::string name;
  Fd folder(open_parent(key, true, name));
  // Unique per host, process and call: two runs of one date may extract at the same time.
  static std::atomic<unsigned> counter{0};
  const std::string temp =
      fmt::format("{}{}{}-{}-{}", name, kTemporaryMark, this_host(), ::getpid(), counter++);
  Fd file(::openat(folder.get(), temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644));
  if (file.get() < 0) fail("cannot create a temporary file for", m_path, key);
  try {
    core::for_each_block(bytes, [&](std::string_view block) {
      for (std::size_t done = 0; done < block.size();) {
        const ssize_t wrote = ::write(file.get(), block.data() + done, block.size() - done);
        if (wrote < 0 && errno == EINTR) continue;
        if (wrote < 0) fail("cannot write (disk full?)", m_path, key);
        done += static_cast<std::size_t>(wrote);
      }
    });
    if (::close(file.release()) != 0) fail("cannot write (disk full?)", m_path, key);
    if (::renameat(folder.get(), temp.c_str(), folder.get(), name.c_str()) != 0)
      fail("cannot rename", m_path, key);
  } catch (...) {
    ::unlinkat(folder.get(), temp.c_str(), 0);  // the old file stays in force; nothing half-written is left
    throw;
  }
}

void RootedFolder::remove(std::string_view key) const {
  std::string name;
  Fd folder(open_parent(key, false, name));
  if (folder.get() < 0) return;  // its folder is not there: neither is it
  if (::unlinkat(folder.get(), name.c_str(), 0) != 0 && errno != ENOENT) fail("cannot remove", m_path, key);
}

std::uint64_t RootedFolder::remove_stale_temporaries(std::string_view folder_key,
                                                     std::chrono::seconds max_age) const {
  std::uint64_t removed = 0;
  std::string name;
  Fd parent(folder_key.empty() ? ::dup(m_fd) : open_parent(folder_key, false, name));
  if (parent.get() < 0) return 0;
  Fd folder(folder_key.empty()
                ? parent.release()
                : ::openat(parent.get(), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (folder.get() < 0) return 0;
  // Walk the folder and its sub-folders (source keys keep their folders in the raw zone).
  std::vector<std::pair<int, std::string>> pending;  // descriptors still to read, with their keys
  pending.emplace_back(folder.release(), std::string(folder_key));
  const auto now = std::chrono::system_clock::now();
  while (!pending.empty()) {
    auto [fd, where] = pending.back();
    pending.pop_back();
    DIR* listing = ::fdopendir(fd);
    if (listing == nullptr) {
      ::close(fd);
      continue;
    }
    while (const dirent* entry = ::readdir(listing)) {
      const std::string entry_name = entry->d_name;
      if (entry_name == "." || entry_name == "..") continue;
      struct stat status {};
      if (::fstatat(::dirfd(listing), entry_name.c_str(), &status, AT_SYMLINK_NOFOLLOW) != 0) continue;
      if (S_ISDIR(status.st_mode)) {
        const int sub =
            ::openat(::dirfd(listing), entry_name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (sub >= 0) pending.emplace_back(sub, where.empty() ? entry_name : where + "/" + entry_name);
        continue;
      }
      const auto temporary = parse_temporary(entry_name);
      if (!temporary || !S_ISREG(status.st_mode)) continue;
      const auto modified =
          std::chrono::system_clock::time_point(std::chrono::seconds(status.st_mtim.tv_sec));
      const bool ours_and_dead = temporary->host == this_host() && process_gone(temporary->pid);
      if ((ours_and_dead || now - modified > max_age) &&
          ::unlinkat(::dirfd(listing), entry_name.c_str(), 0) == 0)
        ++removed;
    }
    ::closedir(listing);
  }
  return removed;
}

}  // namespace d2d::lake
