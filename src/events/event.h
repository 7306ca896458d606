// Typed events (SPEC §3): what a valid NDJSON line becomes after decoding and validation.
// Strings are views into the decoder's buffers and are valid only until the next decode call;
// consumers copy what they keep.
#pragma once

#include <cstdint>
#include <string_view>

#include "core/time.h"

namespace d2d::events {

enum class EventKind : std::uint8_t {
  VehicleRegister,
  VehicleUpdate,
  VehicleDeregister,
  BreakStart,
  BreakEnd,
  PeriodCreate,
  PeriodDelete,
};

const char* event_kind_name(EventKind kind);

struct Event {
  EventKind kind = EventKind::VehicleRegister;
  core::UtcMicros at_us = 0;      // the event's emission time (`at`)
  std::string_view id;            // data.id: the vehicle or operating period
  bool has_organization = false;  // false when missing or null
  std::string_view organization_id;
  // VehicleUpdate only: the GPS fix.
  double lat_deg = 0;
  double lng_deg = 0;
  core::UtcMicros fix_at_us = 0;  // data.location.at
  // PeriodCreate only: the window, inclusive.
  core::UtcMicros start_us = 0;
  core::UtcMicros finish_us = 0;
};

}  // namespace d2d::events
