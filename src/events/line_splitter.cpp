#include "events/line_splitter.h"

#include <algorithm>
#include <cstring>

namespace d2d::events {

LineSplitter::LineSplitter(std::string_view bytes, bool object_start) : m_rest(bytes) {
  if (object_start && m_rest.starts_with("\xEF\xBB\xBF")) m_rest.remove_prefix(3);
}

bool LineSplitter::next(std::string_view& line, std::uint64_t& line_number) {
  while (!m_rest.empty()) {
    const void* found = std::memchr(m_rest.data(), '\n', m_rest.size());
    const std::size_t end = found != nullptr
                                ? static_cast<std::size_t>(static_cast<const char*>(found) - m_rest.data())
                                : m_rest.size();
    std::string_view candidate = m_rest.substr(0, end);
    m_rest.remove_prefix(found != nullptr ? end + 1 : end);
    ++m_line_number;
    if (candidate.ends_with('\r')) candidate.remove_suffix(1);
    // Blank means only whitespace: such lines carry nothing and are not counted (SPEC §3).
    if (candidate.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    line = candidate;
    line_number = m_line_number;
    return true;
  }
  return false;
}

StreamingLineSplitter::StreamingLineSplitter(core::ByteReader& reader, std::size_t block_bytes,
                                             std::uint64_t max_line_bytes)
    : m_reader(reader),
      m_max_line_bytes(std::max<std::uint64_t>(max_line_bytes, 1)),
      m_max_capacity(std::max<std::size_t>(block_bytes, static_cast<std::size_t>(m_max_line_bytes) + 5)),
      m_buffer(std::make_unique_for_overwrite<char[]>(std::max<std::size_t>(block_bytes, 1))),
      m_capacity(std::max<std::size_t>(block_bytes, 1)) {}

bool StreamingLineSplitter::next(std::string_view& line, std::uint64_t& line_number) {
  for (;;) {
    std::uint64_t number = 0;
    if (m_lines.next(line, number)) {
      line_number = m_lines_before + number;
      m_length = line.size();
      // A line that fitted the buffer with its ending may still be a byte or two over the limit.
      m_too_long = line.size() > m_max_line_bytes;
      if (m_too_long) line = line.substr(0, kept_bytes());
      return true;
    }
    m_lines_before += m_lines.lines_seen();
    m_lines = LineSplitter({}, false);
    switch (refill()) {
      case Refill::End: return false;
      case Refill::Lines: continue;
      case Refill::LongLine:
        if (m_long_blank) {  // only whitespace, however long: blank, so skipped but numbered
          ++m_lines_before;
          continue;
        }
        line = m_long_start;
        line_number = ++m_lines_before;
        m_too_long = true;
        return true;
    }
  }
}

// Hands LineSplitter the buffer's bytes up to and including its last '\n' (all of them at the
// end of the stream), so that no run ends inside a line and the numbering carries over exactly.
// The buffer grows for a long line only up to m_max_capacity; a line that fills even that is
// longer than the maximum, and is skipped instead.
StreamingLineSplitter::Refill StreamingLineSplitter::refill() {
  // Keep the unfinished line at the front.
  std::memmove(m_buffer.get(), m_buffer.get() + m_consumed, m_filled - m_consumed);
  m_filled -= m_consumed;
  m_consumed = 0;
  std::size_t searched = 0;  // bytes of the buffer known to hold no '\n'
  for (;;) {
    const void* newline = std::memchr(m_buffer.get() + searched, '\n', m_filled - searched);
    if (m_ended || (newline != nullptr && m_filled == m_capacity)) break;
    if (newline == nullptr) searched = m_filled;
    if (m_filled == m_capacity) {  // a line longer than the buffer
      if (m_capacity == m_max_capacity) {
        skip_long_line();
        return Refill::LongLine;
      }
      const std::size_t capacity = std::min(m_capacity * 2, m_max_capacity);
      auto bigger = std::make_unique_for_overwrite<char[]>(capacity);
      std::memcpy(bigger.get(), m_buffer.get(), m_filled);
      m_buffer = std::move(bigger);
      m_capacity = capacity;
    }
    const std::size_t got = m_reader.read(m_buffer.get() + m_filled, m_capacity - m_filled);
    m_ended = got == 0;
    m_filled += got;
  }
  if (m_filled == 0) return Refill::End;
  std::size_t end = m_filled;
  if (!m_ended) {
    const std::string_view bytes(m_buffer.get(), m_filled);
    end = bytes.rfind('\n') + 1;
  }
  m_lines = LineSplitter(std::string_view(m_buffer.get(), end), m_object_start);
  m_object_start = false;
  m_consumed = end;
  return Refill::Lines;
}

void StreamingLineSplitter::skip_long_line() {
  std::string_view start(m_buffer.get(), m_filled);
  if (m_object_start && start.starts_with("\xEF\xBB\xBF")) start.remove_prefix(3);
  m_object_start = false;
  m_long_start.assign(start.substr(0, kept_bytes()));
  m_length = start.size();
  m_long_blank = start.find_first_not_of(" \t\r") == std::string_view::npos;
  char last = start.back();
  for (;;) {
    const std::size_t got = m_reader.read(m_buffer.get(), m_capacity);
    if (got == 0) {  // the object ends inside the line
      m_ended = true;
      m_filled = 0;
      if (last == '\r') --m_length;
      break;
    }
    const void* found = std::memchr(m_buffer.get(), '\n', got);
    const std::size_t line_bytes =
        found == nullptr ? got : static_cast<std::size_t>(static_cast<const char*>(found) - m_buffer.get());
    if (m_long_blank) {
      m_long_blank =
          std::string_view(m_buffer.get(), line_bytes).find_first_not_of(" \t\r") == std::string_view::npos;
    }
    if (found == nullptr) {
      m_length += got;
      last = m_buffer[got - 1];
      continue;
    }
    const std::size_t at = static_cast<std::size_t>(static_cast<const char*>(found) - m_buffer.get());
    m_length += at;
    if ((at > 0 ? m_buffer[at - 1] : last) == '\r') --m_length;
    m_filled = got - at - 1;  // what follows the line stays for the next refill
    std::memmove(m_buffer.get(), m_buffer.get() + at + 1, m_filled);
    break;
  }
  m_consumed = 0;
}

}  // namespace d2d::events
