// Splits an object's bytes into NDJSON lines (SPEC §3): `\n` or `\r\n` endings, a UTF-8
// byte-order mark at the start skipped, blank lines skipped but still numbered so that line
// numbers match what `sed -n Np` shows in the original object.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
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

inline constexpr std::uint64_t kDefaultMaxLineBytes = std::uint64_t{16} << 20;  // SPEC §3
inline constexpr std::size_t kKeptLongLineBytes = 4096;  // what a too-long line keeps of itself

// Over a stream, a block at a time: memory holds one block and at most one line of up to
// `max_line_bytes`, never the whole object. Lines and numbers are exactly LineSplitter's over the
// same bytes. A longer line is handed out as its first kKeptLongLineBytes bytes (or `max_line_bytes`
// when that is less) with too_long()
// set; the rest of it is read and dropped up to the next newline without being held (SPEC §3:
// a 1 GiB line must not cost 1 GiB).
class StreamingLineSplitter {
 public:
  explicit StreamingLineSplitter(core::ByteReader& reader, std::size_t block_bytes = std::size_t{1} << 20,
                                 std::uint64_t max_line_bytes = kDefaultMaxLineBytes);
  // As LineSplitter::next; `line` stays valid until the next call. Throws what the reader throws.
  bool next(std::string_view& line, std::uint64_t& line_number);
  // Whether the line last handed out was longer than the maximum (then `line` was its start),
  // and its whole length without the line ending.
  bool too_long() const { return m_too_long; }
  std::uint64_t length() const { return m_length; }

 private:
  enum class Refill : std::uint8_t { End, Lines, LongLine };
  Refill refill();        // the next run of whole lines into m_lines, or a too-long line
  void skip_long_line();  // keeps the start of the line filling the buffer, drops the rest
  // What a too-long line keeps: never more than a line may have.
  std::size_t kept_bytes() const {
    return static_cast<std::size_t>(std::min<std::uint64_t>(kKeptLongLineBytes, m_max_line_bytes));
  }

  core::ByteReader& m_reader;
  std::uint64_t m_max_line_bytes;
  std::size_t m_max_capacity;        // a line of the maximum, its "\r\n" and a byte-order mark
  std::unique_ptr<char[]> m_buffer;  // not zeroed: a new one per object
  std::size_t m_capacity = 0;
  std::size_t m_filled = 0;          // bytes in m_buffer
  std::size_t m_consumed = 0;        // bytes of m_buffer already handed to m_lines
  bool m_ended = false;              // the reader returned 0
  bool m_object_start = true;        // nothing handed out yet
  std::uint64_t m_lines_before = 0;  // lines of the runs before m_lines
  LineSplitter m_lines{{}, false};
  std::string m_long_start;   // the first bytes of a too-long line
  bool m_long_blank = false;  // ... which holds nothing but whitespace
  bool m_too_long = false;
  std::uint64_t m_length = 0;
};

}  // namespace d2d::events
