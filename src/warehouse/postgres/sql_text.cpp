#include "warehouse/postgres/sql_text.h"

#include <fmt/format.h>

#include <algorithm>

#include "core/error.h"

namespace d2d::warehouse {

namespace {

constexpr std::size_t kMaxIdentifierBytes = 63;  // PostgreSQL's NAMEDATALEN - 1

bool is_ascii_letter(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }
bool is_ascii_digit(char c) { return c >= '0' && c <= '9'; }

// The rejected name in a one-line message: printable ASCII as is, every other byte as \xNN,
// cut after 80 bytes (the name came from an operator, but a newline must not split the line).
std::string printable(std::string_view name) {
  std::string out;
  for (std::size_t i = 0; i < name.size() && i < 80; ++i) {
    const auto byte = static_cast<unsigned char>(name[i]);
    if (byte >= 0x20 && byte < 0x7f && byte != '\\') {
      out += static_cast<char>(byte);
    } else {
      out += fmt::format("\\x{:02x}", byte);
    }
  }
  if (name.size() > 80) out += "...";
  return out;
}

}  // namespace

bool is_plain_identifier(std::string_view name) {
  if (name.empty() || name.size() > kMaxIdentifierBytes) return false;
  if (!is_ascii_letter(name[0]) && name[0] != '_') return false;
  for (const char c : name) {
    if (!is_ascii_letter(c) && !is_ascii_digit(c) && c != '_') return false;
  }
  return true;
}

void check_pg_schema(std::string_view name) {
  if (is_plain_identifier(name)) return;
  throw core::Error(core::ErrorKind::Usage,
                    fmt::format("--pg-schema (D2D_PG_SCHEMA, pg_schema in d2d.toml) \"{}\" is not a plain "
                                "identifier: letters, digits and _, not starting with a digit, 1 to {} bytes",
                                printable(name), kMaxIdentifierBytes));
}

std::string replace_in_sql_code(std::string_view sql, std::string_view placeholder, std::string_view value) {
  std::string out;
  out.reserve(sql.size());
  std::size_t i = 0;
  // Copies sql[i, end) unchanged and moves past it.
  auto copy_to = [&](std::size_t end) {
    out.append(sql.substr(i, end - i));
    i = end;
  };
  while (i < sql.size()) {
    if (!placeholder.empty() && sql.substr(i).starts_with(placeholder)) {
      out.append(value);
      i += placeholder.size();
    } else if (sql.substr(i).starts_with("--")) {
      const std::size_t end = sql.find('\n', i);
      copy_to(end == std::string_view::npos ? sql.size() : end);
    } else if (sql.substr(i).starts_with("/*")) {
      // PostgreSQL's block comments nest.
      std::size_t at = i + 2;
      for (int depth = 1; depth > 0 && at < sql.size();) {
        if (sql.substr(at).starts_with("/*")) {
          ++depth;
          at += 2;
        } else if (sql.substr(at).starts_with("*/")) {
          --depth;
          at += 2;
        } else {
          ++at;
        }
      }
      copy_to(std::min(at, sql.size()));
    } else if (sql[i] == '\'' || sql[i] == '"') {
      // '' (or "") inside is the quote itself: the scan ends there and starts again at once.
      const char quote = sql[i];
      const bool backslash_escapes = quote == '\'' && i > 0 && (sql[i - 1] == 'E' || sql[i - 1] == 'e');
      std::size_t at = i + 1;
      while (at < sql.size() && sql[at] != quote) at += backslash_escapes && sql[at] == '\\' ? 2 : 1;
      copy_to(std::min(at + 1, sql.size()));
    } else {
      copy_to(i + 1);
    }
  }
  return out;
}

}  // namespace d2d::warehouse
