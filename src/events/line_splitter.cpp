#include "events/line_splitter.h"

#include <cstring>

namespace d2d::events {

LineSplitter::LineSplitter(std::string_view bytes) : m_rest(bytes) {
  if (m_rest.starts_with("\xEF\xBB\xBF")) m_rest.remove_prefix(3);
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

}  // namespace d2d::events
