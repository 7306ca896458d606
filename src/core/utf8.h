// UTF-8 at the boundaries where untrusted bytes become text d2d writes (SPEC §7): the warehouse's
// text columns, the rejected zone, logs and error messages must always hold valid UTF-8, so bytes
// of unknown origin (object keys, a cut reason) pass through one of these first.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace d2d::core {

// Length of the valid UTF-8 sequence starting at text[i] (RFC 3629: no overlongs, no surrogates,
// nothing above U+10FFFF), or 0 when there is none.
std::size_t utf8_sequence_length(std::string_view text, std::size_t i);

bool is_valid_utf8(std::string_view text);

// `text` with every byte that does not start a valid sequence replaced by U+FFFD, and NUL shown
// as U+FFFD as well (no sink d2d writes to keeps a NUL in text). Valid text comes back unchanged.
std::string utf8_lossy(std::string_view text);

// The longest prefix of `text` of at most `max_bytes` that does not cut a sequence in two.
std::string_view utf8_prefix(std::string_view text, std::size_t max_bytes);

}  // namespace d2d::core
