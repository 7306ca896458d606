#include "events/json_syntax.h"

#include <cstddef>
#include <vector>

namespace d2d::events {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

// Each scan_* starts at the first byte of its token and returns the position after it, or npos.
constexpr std::size_t kBad = std::string_view::npos;

std::size_t scan_number(std::string_view text, std::size_t i) {
  const std::size_t n = text.size();
  if (i < n && text[i] == '-') ++i;
  if (i >= n) return kBad;
  if (text[i] == '0') {
    ++i;
  } else if (is_digit(text[i])) {
    while (i < n && is_digit(text[i])) ++i;
  } else {
    return kBad;
  }
  if (i < n && text[i] == '.') {
    ++i;
    if (i >= n || !is_digit(text[i])) return kBad;
    while (i < n && is_digit(text[i])) ++i;
  }
  if (i < n && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    if (i < n && (text[i] == '+' || text[i] == '-')) ++i;
    if (i >= n || !is_digit(text[i])) return kBad;
    while (i < n && is_digit(text[i])) ++i;
  }
  return i;
}

std::size_t scan_string(std::string_view text, std::size_t i) {
  ++i;  // the opening quote
  while (i < text.size()) {
    const char c = text[i];
    if (c == '"') return i + 1;
    if (static_cast<unsigned char>(c) < 0x20) return kBad;  // control characters must be escaped
    if (c != '\\') {
      ++i;
      continue;
    }
    if (++i >= text.size()) return kBad;
    switch (text[i]) {
      case '"':
      case '\\':
      case '/':
      case 'b':
      case 'f':
      case 'n':
      case 'r':
      case 't': ++i; break;
      case 'u':
        if (i + 4 >= text.size()) return kBad;
        for (std::size_t k = 1; k <= 4; ++k) {
          if (!is_hex(text[i + k])) return kBad;
        }
        i += 5;
        break;
      default: return kBad;
    }
  }
  return kBad;
}

std::size_t scan_literal(std::string_view text, std::size_t i, std::string_view literal) {
  return text.substr(i, literal.size()) == literal ? i + literal.size() : kBad;
}

std::size_t skip_space(std::string_view text, std::size_t i) {
  while (i < text.size() && is_space(text[i])) ++i;
  return i;
}

}  // namespace

bool is_json_number(std::string_view text) { return !text.empty() && scan_number(text, 0) == text.size(); }

bool is_json_value(std::string_view text) {
  // An explicit stack of open containers (true: object) instead of recursion: depth is bounded
  // only by the line, never by the call stack.
  std::vector<bool> open;
  std::size_t i = skip_space(text, 0);
  for (;;) {
    // Expect a value at i (for an object, a key and a colon first).
    if (!open.empty() && open.back()) {
      if (i >= text.size() || text[i] != '"') return false;
      i = scan_string(text, i);
      if (i == kBad) return false;
      i = skip_space(text, i);
      if (i >= text.size() || text[i] != ':') return false;
      i = skip_space(text, i + 1);
    }
    if (i >= text.size()) return false;
    const char c = text[i];
    if (c == '{' || c == '[') {
      const bool is_object = c == '{';
      i = skip_space(text, i + 1);
      if (i < text.size() && text[i] == (is_object ? '}' : ']')) {
        ++i;  // empty container: a complete value
      } else {
        open.push_back(is_object);
        continue;
      }
    } else if (c == '"') {
      i = scan_string(text, i);
    } else if (c == 't') {
      i = scan_literal(text, i, "true");
    } else if (c == 'f') {
      i = scan_literal(text, i, "false");
    } else if (c == 'n') {
      i = scan_literal(text, i, "null");
    } else {
      i = scan_number(text, i);
    }
    if (i == kBad) return false;
    // A value is complete: close containers or go on to the next element.
    for (;;) {
      i = skip_space(text, i);
      if (open.empty()) return i == text.size();
      if (i >= text.size()) return false;
      if (text[i] == ',') {
        i = skip_space(text, i + 1);
        break;
      }
      if (text[i] != (open.back() ? '}' : ']')) return false;
      open.pop_back();
      ++i;
    }
  }
}

}  // namespace d2d::events
