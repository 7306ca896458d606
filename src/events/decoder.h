// The NDJSON line decoder: one line in, a typed Event or a Reject out (SPEC §3).
// One LineDecoder per thread: it owns a reusable simdjson ondemand parser and padded buffer,
// so decoding allocates nothing in the steady state. It walks every byte of the line once,
// which both extracts the fields in any order and proves the whole line is valid JSON
// (ondemand alone would skip unread values without validating them).
#pragma once

#include <simdjson.h>

#include <string_view>
#include <vector>

#include "core/expected.h"
#include "core/time.h"
#include "events/event.h"
#include "events/reject.h"

namespace d2d::events {

// What a valid event may be beyond SPEC §3's fixed rules (the configurable limits).
struct DecoderOptions {
  core::UtcMicros max_period_us = 31 * core::kMicrosPerDay;  // longer operating periods: invalid_window
};

class LineDecoder {
 public:
  explicit LineDecoder(DecoderOptions options = {});
  // The returned Event's strings point into this decoder; valid until the next call.
  core::Expected<Event, Reject> decode(std::string_view line);

 private:
  core::Expected<Event, Reject> decode_whole_line(std::string_view line);

  DecoderOptions m_options;
  simdjson::ondemand::parser m_parser;
  std::vector<char> m_padded;  // the line plus SIMDJSON_PADDING bytes
};

}  // namespace d2d::events
