// The lake's rejected zone: one JSON line per rejected event line, with its source object,
// line number and reason, and the line itself (as text when it is UTF-8, else base64).
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>

#include "core/unique_file.h"

namespace d2d::pipeline {

inline constexpr std::size_t kRawCapBytes = 4096;  // longer lines are kept cut, with their length

// The first kRawCapBytes of `line`, never cutting a UTF-8 sequence in two.
std::string_view cap_raw(std::string_view line);

void append_rejected_json(std::string& out, std::string_view lake_date, std::string_view source,
                          std::uint64_t line_number, std::string_view reason_code, std::string_view reason,
                          std::string_view raw, std::uint64_t raw_length);

// The date's rejected JSON lines while a run loads: kept in an unlinked temporary file, not in
// memory, which would grow with the day (1% bad lines of a 16M-event day are tens of MB of JSON).
class RejectedSpool {
 public:
  RejectedSpool();
  void append(std::string_view jsonl);
  std::FILE* file() { return m_file.get(); }

 private:
  core::UniqueFile m_file;
};

}  // namespace d2d::pipeline
