// The JSON grammar (RFC 8259) checked on text d2d does not read: the values of unknown fields.
// SPEC §3 ignores such fields "whatever they hold", so a number no double or integer can hold
// (`1e999`, a 400-digit integer) or a structure nested a million levels deep is accepted as
// long as it is JSON; nothing is converted and nothing recurses.
#pragma once

#include <string_view>

namespace d2d::events {

// True when `text` is one JSON number: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
bool is_json_number(std::string_view text);

// True when `text` is exactly one JSON value, surrounded by optional whitespace. The caller has
// checked that the bytes are UTF-8 (simdjson does so for the whole line).
bool is_json_value(std::string_view text);

}  // namespace d2d::events
