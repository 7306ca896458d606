// Splits a whole object's bytes into NDJSON lines (SPEC §3): `\n` or `\r\n` endings, a
// UTF-8 byte-order mark at the start skipped, blank lines skipped but still numbered so that
// line numbers match what `sed -n Np` shows in the original object.
#pragma once

#include <cstdint>
#include <string_view>

namespace d2d::events {

class LineSplitter {
 public:
  explicit LineSplitter(std::string_view bytes);
  // Next non-blank line without its ending; false at the end. `line_number` is 1-based.
  bool next(std::string_view& line, std::uint64_t& line_number);

 private:
  std::string_view m_rest;
  std::uint64_t m_line_number = 0;
};

}  // namespace d2d::events
