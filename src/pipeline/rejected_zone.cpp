#include "pipeline/rejected_zone.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <cerrno>
#include <cstring>

#include "core/error.h"
#include "core/json_text.h"

namespace d2d::pipeline {
namespace {

using core::append_json_string;

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

RejectedSpool::RejectedSpool() : m_file(std::tmpfile()) {
  if (!m_file) {
    throw core::Error(
        core::ErrorKind::Input,
        fmt::format("cannot create a temporary file for rejected lines: {}", std::strerror(errno)));
  }
}

void RejectedSpool::append(std::string_view jsonl) {
  if (std::fwrite(jsonl.data(), 1, jsonl.size(), m_file.get()) != jsonl.size()) {
    throw core::Error(core::ErrorKind::Input,
                      fmt::format("cannot write rejected lines to a temporary file (disk full?): {}",
                                  std::strerror(errno)));
  }
}

}  // namespace d2d::pipeline
