// JSON string literals for the JSON this project writes by hand (the rejected zone, JSON log
// lines), where a library writer would be more code than the escaping itself.
#pragma once

#include <string>
#include <string_view>

namespace d2d::core {

// Appends `text` as a quoted JSON string: quotes, backslashes and control characters escaped,
// every other byte copied. The caller makes sure `text` is valid UTF-8.
void append_json_string(std::string& out, std::string_view text);

// The same for text of unknown origin (log messages quoting input): every byte sequence that is
// not valid UTF-8 becomes U+FFFD, so the result is always valid JSON.
void append_json_string_lossy(std::string& out, std::string_view text);

}  // namespace d2d::core
