// PostgreSQL array literals for `$n::text[]` parameters: one round trip for many values.
#pragma once

#include <string>
#include <string_view>

namespace d2d::warehouse::pg {

// A quoted element of a PostgreSQL array literal.
inline std::string array_element(std::string_view text) {
  std::string quoted = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') quoted += '\\';
    quoted += c;
  }
  return quoted + "\"";
}

// An array literal of texts.
template <typename Texts>
std::string text_array(const Texts& texts) {
  std::string literal = "{";
  for (const auto& text : texts) literal.append(literal.size() > 1 ? "," : "").append(array_element(text));
  return literal + "}";
}

}  // namespace d2d::warehouse::pg
