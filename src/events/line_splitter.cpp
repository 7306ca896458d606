#include "events/line_splitter.h"

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

StreamingLineSplitter::StreamingLineSplitter(core::ByteReader& reader, std::size_t block_bytes)
    : m_reader(reader),
      m_buffer(std::make_unique_for_overwrite<char[]>(std::max<std::size_t>(block_bytes, 1))),
      m_capacity(std::max<std::size_t>(block_bytes, 1)) {}

bool StreamingLineSplitter::next(std::string_view& line, std::uint64_t& line_number) {
  for (;;) {
    std::uint64_t number = 0;
    if (m_lines.next(line, number)) {
      line_number = m_lines_before + number;
      return true;
    }
    m_lines_before += m_lines.lines_seen();
    if (!refill()) return false;
  }
}

// Hands LineSplitter the buffer's bytes up to and including its last '\n' (all of them at the
// end of the stream), so that no run ends inside a line and the numbering carries over exactly.
bool StreamingLineSplitter::refill() {
  // Keep the unfinished line at the front.
  std::memmove(m_buffer.get(), m_buffer.get() + m_consumed, m_filled - m_consumed);
  m_filled -= m_consumed;
  m_consumed = 0;
  std::size_t searched = 0;  // bytes of the buffer known to hold no '\n'
  for (;;) {
    const void* newline = std::memchr(m_buffer.get() + searched, '\n', m_filled - searched);
    if (m_ended || (newline != nullptr && m_filled == m_capacity)) break;
    if (newline == nullptr) searched = m_filled;
    if (m_filled == m_capacity) {  // a line longer than a block
      auto bigger = std::make_unique_for_overwrite<char[]>(m_capacity * 2);
      std::memcpy(bigger.get(), m_buffer.get(), m_filled);
      m_buffer = std::move(bigger);
      m_capacity *= 2;
    }
    const std::size_t got = m_reader.read(m_buffer.get() + m_filled, m_capacity - m_filled);
    m_ended = got == 0;
    m_filled += got;
  }
  if (m_filled == 0) return false;
  std::size_t end = m_filled;
  if (!m_ended) {
    const std::string_view bytes(m_buffer.get(), m_filled);
    end = bytes.rfind('\n') + 1;
  }
  m_lines = LineSplitter(std::string_view(m_buffer.get(), end), m_object_start);
  m_object_start = false;
  m_consumed = end;
  return true;
}

}  // namespace d2d::events
