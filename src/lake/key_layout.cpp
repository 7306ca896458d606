#include "lake/key_layout.h"

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

}  // namespace d2d::lake
