#include "s3/spool_file.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "core/checksum.h"
#include "core/error.h"

namespace d2d::s3 {
using core::Error;
using core::ErrorKind;

namespace {

std::string temp_dir() {
  const char* dir = std::getenv("TMPDIR");
  return dir != nullptr && *dir != '\0' ? dir : "/tmp";
}

// O_TMPFILE makes a file without a name, so a killed process leaves nothing behind; a file
// system without it gets a named file that is unlinked at once.
int open_anonymous(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd >= 0 || (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)) return fd;
  std::string name = dir + "/d2d-s3-XXXXXX";
  const int named = ::mkostemp(name.data(), O_CLOEXEC);
  if (named >= 0) ::unlink(name.c_str());
  return named;
}

}  // namespace

SpoolFile::SpoolFile() {
  const std::string dir = temp_dir();
  m_fd = open_anonymous(dir);
  if (m_fd < 0) {
    throw Error(ErrorKind::Input, fmt::format("cannot make a temporary file in {} for an S3 object: {}", dir,
                                              std::strerror(errno)));
  }
}

SpoolFile::~SpoolFile() {
  if (m_fd >= 0) ::close(m_fd);
}

void SpoolFile::append(std::string_view bytes) {
  if (!m_digest.empty()) throw Error(ErrorKind::Internal, "a temporary file grew after its MD5 was taken");
  const std::string_view appended = bytes;
  while (!bytes.empty()) {
    const ssize_t wrote = ::pwrite(m_fd, bytes.data(), bytes.size(), static_cast<off_t>(m_size));
    if (wrote < 0 && errno == EINTR) continue;
    if (wrote <= 0) {
      throw Error(ErrorKind::Input, fmt::format("cannot write a temporary file for an S3 object in {}: {}",
                                                temp_dir(), std::strerror(errno)));
    }
    m_size += static_cast<std::uint64_t>(wrote);
    bytes.remove_prefix(static_cast<std::size_t>(wrote));
  }
  m_md5->update(appended);
}

void SpoolFile::clear() {
  if (::ftruncate(m_fd, 0) != 0) {
    throw Error(ErrorKind::Input, fmt::format("cannot truncate a temporary file: {}", std::strerror(errno)));
  }
  m_size = 0;
  m_md5.emplace();
  m_digest.clear();
}

std::size_t SpoolFile::read_at(std::uint64_t offset, char* into, std::size_t capacity) const {
  std::size_t total = 0;
  while (total < capacity && offset + total < m_size) {
    const ssize_t got = ::pread(m_fd, into + total, capacity - total, static_cast<off_t>(offset + total));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) {
      throw Error(ErrorKind::Input, fmt::format("cannot read a temporary file back: {}",
                                                got < 0 ? std::strerror(errno) : "it ended early"));
    }
    total += static_cast<std::size_t>(got);
  }
  return total;
}

std::string SpoolFile::md5_hex() {
  if (m_digest.empty()) m_digest = m_md5->hex_digest();
  return m_digest;
}

}  // namespace d2d::s3
