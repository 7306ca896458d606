#include "pipeline/rejected_zone.h"

#include <fmt/format.h>
#include <simdjson.h>

namespace d2d::pipeline {
namespace {

void append_json_string(std::string& out, std::string_view text) {
  out.push_back('"');
  for (const char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += fmt::format("\\u{:04x}", static_cast<unsigned>(static_cast<unsigned char>(c)));
        } else {
          out.push_back(c);
        }
    }
  }
  out.push_back('"');
}

std::string base64(std::string_view bytes) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const unsigned n = (static_cast<unsigned char>(bytes[i]) << 16) |
                       (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                       static_cast<unsigned char>(bytes[i + 2]);
    out += {kAlphabet[n >> 18], kAlphabet[(n >> 12) & 63], kAlphabet[(n >> 6) & 63], kAlphabet[n & 63]};
  }
  if (i + 1 == bytes.size()) {
    const unsigned n = static_cast<unsigned char>(bytes[i]) << 16;
    out += {kAlphabet[n >> 18], kAlphabet[(n >> 12) & 63], '=', '='};
  } else if (i + 2 == bytes.size()) {
    const unsigned n =
        (static_cast<unsigned char>(bytes[i]) << 16) | (static_cast<unsigned char>(bytes[i + 1]) << 8);
    out += {kAlphabet[n >> 18], kAlphabet[(n >> 12) & 63], kAlphabet[(n >> 6) & 63], '='};
  }
  return out;
}

}  // namespace

std::string_view cap_raw(std::string_view line) {
  if (line.size() <= kRawCapBytes) return line;
  std::size_t end = kRawCapBytes;
  while (end > 0 && (static_cast<unsigned char>(line[end]) & 0xC0) == 0x80) --end;
  return line.substr(0, end);
}

void append_rejected_json(std::string& out, std::string_view lake_date, std::string_view source,
                          std::uint64_t line_number, std::string_view reason_code, std::string_view reason,
                          std::string_view raw, std::uint64_t raw_length) {
  out += "{\"lake_date\":";
  append_json_string(out, lake_date);
  out += ",\"source\":";
  append_json_string(out, source);
  out += fmt::format(",\"line\":{},\"reason_code\":", line_number);
  append_json_string(out, reason_code);
  out += ",\"reason\":";
  append_json_string(out, reason);
  if (simdjson::validate_utf8(raw.data(), raw.size())) {
    out += ",\"raw\":";
    append_json_string(out, raw);
  } else {
    out += ",\"raw_base64\":\"" + base64(raw) + "\"";
  }
  out += fmt::format(",\"raw_length\":{}}}\n", raw_length);
}

}  // namespace d2d::pipeline
