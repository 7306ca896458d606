// Splits an object's bytes into NDJSON lines (SPEC §3): `\n` or `\r\n` endings, a UTF-8
// byte-order mark at the start skipped, blank lines skipped but still numbered so that line
// numbers match what `sed -n Np` shows in the original object.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>

#include "core/byte_reader.h"

namespace d2d::events {

// Over bytes in memory.
class LineSplitter {
 public:
  // `object_start`: the bytes begin the object, so a byte-order mark there is skipped.
  explicit LineSplitter(std::string_view bytes, bool object_start = true);
  // Next non-blank line without its ending; false at the end. `line_number` is 1-based.
  bool next(std::string_view& line, std::uint64_t& line_number);
  // Lines passed so far, blank ones included.
  std::uint64_t lines_seen() const { return m_line_number; }

 private:
  std::string_view m_rest;
  std::uint64_t m_line_number = 0;
};

// Over a stream, a block at a time: memory holds one block (and a line longer than a block),
// never the whole object. Lines and numbers are exactly LineSplitter's over the same bytes.
class StreamingLineSplitter {
 public:
  explicit StreamingLineSplitter(core::ByteReader& reader, std::size_t block_bytes = std::size_t{1} << 20);
  // As LineSplitter::next; `line` stays valid until the next call. Throws what the reader throws.
  bool next(std::string_view& line, std::uint64_t& line_number);

 private:
  bool refill();  // the next run of whole lines into m_lines; false at the end of the stream

  core::ByteReader& m_reader;
  std::unique_ptr<char[]> m_buffer;  // not zeroed: a new one per object
  std::size_t m_capacity = 0;
  std::size_t m_filled = 0;          // bytes in m_buffer
  std::size_t m_consumed = 0;        // bytes of m_buffer already handed to m_lines
  bool m_ended = false;              // the reader returned 0
  bool m_object_start = true;        // nothing handed out yet
  std::uint64_t m_lines_before = 0;  // lines of the runs before m_lines
  LineSplitter m_lines{{}, false};
};

}  // namespace d2d::events
