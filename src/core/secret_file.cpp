#include "core/secret_file.h"

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "core/unique_file.h"

namespace d2d::core {

std::string_view trim_space(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(" \t\r\n") - first + 1);
}

Expected<std::string, std::string> read_secret_file(const std::string& path, std::string_view name,
                                                    std::size_t max_bytes) {
  auto cannot_read = [&] {
    return Unexpected("cannot read " + std::string(name) + ": " + std::strerror(errno));
  };
  errno = 0;
  const UniqueFile file(std::fopen(path.c_str(), "rb"));
  if (!file) return cannot_read();
  std::string text(max_bytes + 1, '\0');
  const std::size_t got = std::fread(text.data(), 1, text.size(), file.get());
  if (std::ferror(file.get())) return cannot_read();  // e.g. a folder: EISDIR
  if (got > max_bytes) {
    return Unexpected(std::string(name) + " is longer than " + std::to_string(max_bytes) + " bytes");
  }
  text.resize(got);
  return std::string(trim_space(text));
}

}  // namespace d2d::core
