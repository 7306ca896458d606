#include "lake/file_byte_reader.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <string_view>

#include "core/error.h"

namespace d2d::lake {
namespace fs = std::filesystem;
using core::Error;
using core::ErrorKind;

namespace {
std::string io_error(std::string_view what, const fs::path& path) {
  return fmt::format("{} {}: {}", what, path.string(), std::strerror(errno));
}
}  // namespace

std::unique_ptr<FileByteReader> FileByteReader::open(const fs::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return nullptr;
    throw Error(ErrorKind::Input, io_error("cannot open", path));
  }
  return adopt(fd, path);
}

std::unique_ptr<FileByteReader> FileByteReader::adopt(int fd, const fs::path& path) {
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

}  // namespace d2d::lake
