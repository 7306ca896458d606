// The second step of decoding a line: SPEC §3's rules for the event's kind applied to the fields
// the reader found (which are required, their ranges, timestamps, operating period windows),
// making the typed Event or the Reject that names the first rule broken.
#include <fmt/format.h>

#include "core/time.h"
#include "core/utf8.h"
#include "events/raw_event.h"

namespace d2d::events::detail {
namespace {

// Cut of a quoted input value inside a reject reason: enough to recognise it, on a character boundary.
constexpr std::size_t kQuoteBytes = 64;
std::string_view quote(std::string_view text) { return core::utf8_prefix(text, kQuoteBytes); }

// SPEC §3: fixes and events live from 1970-01-01 up to (not including) 2100-01-01.
constexpr core::UtcMicros kEarliestUs = 0;
const core::UtcMicros kEndUs = core::days_from_civil(2100, 1, 1) * core::kMicrosPerDay;

std::optional<Reject> require_string(const StringField& field, std::string_view path) {
  if (field.presence == Presence::Absent) {
    return Reject{RejectCode::MissingField, fmt::format("required field {} is missing", path)};
  }
  if (field.presence == Presence::Null) {
    return Reject{RejectCode::WrongType, fmt::format("field {}: expected a string, got null", path)};
  }
  return std::nullopt;
}

std::optional<Reject> parse_time(const StringField& field, std::string_view path, core::UtcMicros& out) {
  if (auto problem = require_string(field, path)) return problem;
  core::TimeError error{};
  const auto parsed = core::parse_rfc3339(field.text, &error);
  if (!parsed) {
    return Reject{RejectCode::InvalidTimestamp,
                  fmt::format("field {}: {} (\"{}\")", path, core::describe(error), quote(field.text))};
  }
  if (*parsed < kEarliestUs || *parsed >= kEndUs) {
    return Reject{RejectCode::OutOfRange, fmt::format("field {}: \"{}\" is outside 1970-01-01 .. 2099-12-31",
                                                      path, quote(field.text))};
  }
  out = *parsed;
  return std::nullopt;
}

std::optional<Reject> require_number(const NumberField& field, std::string_view path, double low,
                                     double high) {
  if (field.presence == Presence::Absent) {
    return Reject{RejectCode::MissingField, fmt::format("required field {} is missing", path)};
  }
  if (field.presence == Presence::Null) {
    return Reject{RejectCode::WrongType, fmt::format("field {}: expected a number, got null", path)};
  }
  if (!(field.number >= low && field.number <= high)) {
    return Reject{RejectCode::OutOfRange,
                  fmt::format("field {}: {} is outside [{}, {}]", path, field.number, low, high)};
  }
  return std::nullopt;
}

std::optional<EventKind> kind_of(std::string_view on, std::string_view event) {
  if (on == "vehicle") {
    if (event == "update") return EventKind::VehicleUpdate;
    if (event == "register") return EventKind::VehicleRegister;
    if (event == "deregister") return EventKind::VehicleDeregister;
    if (event == "break_start") return EventKind::BreakStart;
    if (event == "break_end") return EventKind::BreakEnd;
  } else if (on == "operating_period") {
    if (event == "create") return EventKind::PeriodCreate;
    if (event == "delete") return EventKind::PeriodDelete;
  }
  return std::nullopt;
}

}  // namespace

core::Expected<Event, Reject> validate(const RawEvent& raw, const DecoderOptions& options) {
  auto fail = [](Reject problem) { return core::Unexpected<Reject>(std::move(problem)); };
  if (auto problem = require_string(raw.event, "event")) return fail(*problem);
  if (auto problem = require_string(raw.on, "on")) return fail(*problem);
  Event event;
  if (auto problem = parse_time(raw.at, "at", event.at_us)) return fail(*problem);
  if (raw.data == Presence::Absent) return reject(RejectCode::MissingField, "required field data is missing");
  if (raw.data == Presence::Null)
    return reject(RejectCode::WrongType, "field data: expected an object, got null");
  if (auto problem = require_string(raw.id, "data.id")) return fail(*problem);
  if (raw.id.text.empty()) return reject(RejectCode::EmptyId, "field data.id is an empty string");
  const auto kind = kind_of(raw.on.text, raw.event.text);
  if (!kind) {
    return reject(RejectCode::UnknownEvent,
                  fmt::format("unknown event \"{}\" on \"{}\"", quote(raw.event.text), quote(raw.on.text)));
  }
  // A NUL can reach nothing d2d writes (PostgreSQL text refuses it; C APIs would cut the string).
  if (raw.id.text.find('\0') != std::string_view::npos)
    return reject(RejectCode::NulInString, "field data.id contains a NUL character (\\u0000)");
  if (raw.organization_id.presence == Presence::Present &&
      raw.organization_id.text.find('\0') != std::string_view::npos) {
    return reject(RejectCode::NulInString, "field organization_id contains a NUL character (\\u0000)");
  }
  event.kind = *kind;
  event.id = raw.id.text;
  event.has_organization = raw.organization_id.presence == Presence::Present;
  event.organization_id = raw.organization_id.text;

  switch (event.kind) {
    case EventKind::VehicleUpdate: {
      if (raw.location == Presence::Absent) {
        return reject(RejectCode::MissingField, "required field data.location is missing");
      }
      if (raw.location == Presence::Null) {
        return reject(RejectCode::WrongType, "field data.location: expected an object, got null");
      }
      if (auto problem = require_number(raw.lat, "data.location.lat", -90, 90)) return fail(*problem);
      if (auto problem = require_number(raw.lng, "data.location.lng", -180, 180)) return fail(*problem);
      if (auto problem = parse_time(raw.location_at, "data.location.at", event.fix_at_us))
        return fail(*problem);
      event.lat_deg = raw.lat.number;
      event.lng_deg = raw.lng.number;
      break;
    }
    case EventKind::VehicleRegister: {
      // location is optional and its fields may be null; when given they must still make sense.
      if (raw.lat.presence == Presence::Present) {
        if (auto problem = require_number(raw.lat, "data.location.lat", -90, 90)) return fail(*problem);
      }
      if (raw.lng.presence == Presence::Present) {
        if (auto problem = require_number(raw.lng, "data.location.lng", -180, 180)) return fail(*problem);
      }
      if (raw.location_at.presence == Presence::Present) {
        core::UtcMicros ignored = 0;
        if (auto problem = parse_time(raw.location_at, "data.location.at", ignored)) return fail(*problem);
      }
      break;
    }
    case EventKind::PeriodCreate: {
      if (auto problem = parse_time(raw.start, "data.start", event.start_us)) return fail(*problem);
      if (auto problem = parse_time(raw.finish, "data.finish", event.finish_us)) return fail(*problem);
      if (event.start_us > event.finish_us) {
        return reject(RejectCode::InvalidWindow,
                      fmt::format("operating period {}: start {} is after finish {}", quote(raw.id.text),
                                  quote(raw.start.text), quote(raw.finish.text)));
      }
      // A window of years would make every later run derive the whole warehouse again.
      if (event.finish_us - event.start_us > options.max_period_us) {
        return reject(RejectCode::InvalidWindow,
                      fmt::format("operating period {}: {} .. {} is longer than the maximum of {} days",
                                  quote(raw.id.text), quote(raw.start.text), quote(raw.finish.text),
                                  static_cast<double>(options.max_period_us) / core::kMicrosPerDay));
      }
      break;
    }
    case EventKind::VehicleDeregister:
    case EventKind::BreakStart:
    case EventKind::BreakEnd:
    case EventKind::PeriodDelete: break;
  }
  return event;
}

}  // namespace d2d::events::detail
