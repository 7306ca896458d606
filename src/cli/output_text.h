// Values as the machine-readable outputs write them (report, status, config): one place for a
// CSV field and a JSON string, so the formats cannot drift apart between commands. JSON strings
// are written lossily: ledger texts may quote untrusted bytes.
#pragma once

#include <string>
#include <string_view>

#include "core/json_text.h"

namespace d2d::cli {

// RFC 4180: quoted only when it holds a comma, a quote or a line break; quotes doubled.
inline std::string csv_field(std::string_view text) {
  if (text.find_first_of(",\"\n\r") == std::string_view::npos) return std::string(text);
  std::string quoted = "\"";
  for (const char c : text) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + "\"";
}

inline std::string json_string(std::string_view text) {
  std::string out;
  core::append_json_string_lossy(out, text);
  return out;
}

}  // namespace d2d::cli
