// Inside the line decoder (decoder.h), which works in two steps: raw_event_reader.cpp walks the
// line's JSON object once into a RawEvent (which fields came, their JSON types, duplicates), then
// event_rules.cpp applies SPEC §3's rules for the event's kind to make an Event. decoder.cpp
// drives both for one line. Not for use outside src/events.
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/expected.h"
#include "events/decoder.h"
#include "events/event.h"
#include "events/reject.h"

namespace d2d::events::detail {

// What a field of interest turned out to be, before the event kind is known.
enum class Presence : std::uint8_t { Absent, Null, Present };

struct StringField {
  Presence presence = Presence::Absent;
  std::string_view text;
};

struct NumberField {
  Presence presence = Presence::Absent;
  double number = 0;
};

struct RawEvent {
  StringField event, on, at, organization_id;
  Presence data = Presence::Absent;
  StringField id, start, finish;
  Presence location = Presence::Absent;
  NumberField lat, lng;
  StringField location_at;
};

inline core::Unexpected<Reject> reject(RejectCode code, std::string detail) {
  return core::Unexpected<Reject>(Reject{code, std::move(detail)});
}

// ---- raw_event_reader.cpp ----------------------------------------------------------------

// A structural or encoding error from simdjson becomes the matching reject.
Reject reject_for(simdjson::error_code error, std::string_view where);
const char* json_type_name(simdjson::ondemand::json_type type);
// Reads the line's top-level object into `raw`, validating every value it holds, read or not.
std::optional<Reject> read_top_level(simdjson::ondemand::object& object, RawEvent& raw);

// ---- event_rules.cpp ---------------------------------------------------------------------

// The checks that need the event kind: required fields, ranges, timestamps (SPEC §3 table).
core::Expected<Event, Reject> validate(const RawEvent& raw, const DecoderOptions& options);

}  // namespace d2d::events::detail
