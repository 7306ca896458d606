#include "lake/key_layout.h"

#include <fmt/format.h>

#include "core/time.h"

namespace d2d::lake {

std::optional<std::string> lake_date_of_key(std::string_view key) {
  const std::size_t slash = key.rfind('/');
  const std::string_view name = slash == std::string_view::npos ? key : key.substr(slash + 1);
  if (name.size() < 11 || name[10] != '-') return std::nullopt;
  const std::string_view date = name.substr(0, 10);
  if (!core::parse_date(date)) return std::nullopt;
  return std::string(date);
}

bool is_gzip_key(std::string_view key) { return key.ends_with(".gz"); }

std::optional<std::string> unsafe_key_reason(std::string_view key) {
  if (key.empty()) return "the key is empty";
  if (key.front() == '/') return "the key starts with '/' (an absolute path)";
  for (const char c : key) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte == 0) return "the key contains a NUL byte";
    if (byte < 0x20 || byte == 0x7F) return "the key contains a control character";
    if (c == '\\') return "the key contains a backslash";
  }
  // Such an object would be taken for another run's write in progress: never listed as held by
  // the lake (so copied again on every run) and removed as stale by a later one.
  if (key.find(kTemporaryMark) != std::string_view::npos)
    return "the key carries the lake's temporary-file mark";
  std::size_t start = 0;
  for (;;) {
    const std::size_t slash = key.find('/', start);
    const std::string_view segment =
        key.substr(start, slash == std::string_view::npos ? key.npos : slash - start);
    if (segment.empty()) return "the key has an empty segment ('//' or a trailing '/')";
    if (segment == "." || segment == "..") return fmt::format("the key has a '{}' segment", segment);
    if (slash == std::string_view::npos) return std::nullopt;
    start = slash + 1;
  }
}

}  // namespace d2d::lake
