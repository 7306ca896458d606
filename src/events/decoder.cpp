#include "events/decoder.h"

#include <fmt/format.h>

#include <cstring>
#include <string>

#include "core/utf8.h"
#include "events/json_syntax.h"

namespace d2d::events {
namespace {

using simdjson::error_code;
namespace od = simdjson::ondemand;

// Cut of a quoted input value inside a reject reason: enough to recognise it, on a character boundary.
constexpr std::size_t kQuoteBytes = 64;
std::string_view quote(std::string_view text) { return core::utf8_prefix(text, kQuoteBytes); }

// SPEC §3: fixes and events live from 1970-01-01 up to (not including) 2100-01-01.
constexpr core::UtcMicros kEarliestUs = 0;
const core::UtcMicros kEndUs = core::days_from_civil(2100, 1, 1) * core::kMicrosPerDay;

core::Unexpected<Reject> reject(RejectCode code, std::string detail) {
  return core::Unexpected<Reject>(Reject{code, std::move(detail)});
}

// A structural or encoding error from simdjson becomes the matching reject.
Reject reject_for(error_code error, std::string_view where) {
  if (error == simdjson::UTF8_ERROR) return Reject{RejectCode::InvalidUtf8, "line is not valid UTF-8"};
  return Reject{RejectCode::InvalidJson, fmt::format("invalid JSON{}{}: {}", where.empty() ? "" : " in ",
                                                     where, simdjson::error_message(error))};
}

const char* json_type_name(od::json_type type) {
  switch (type) {
    case od::json_type::array: return "array";
    case od::json_type::object: return "object";
    case od::json_type::number: return "number";
    case od::json_type::string: return "string";
    case od::json_type::boolean: return "boolean";
    case od::json_type::null: return "null";
  }
  return "unknown";
}

// Validates a value nobody reads (an unknown field), consuming it completely. Its text is checked
// against the JSON grammar only: SPEC §3 ignores unknown fields whatever they hold, so a number
// no double can hold or a structure of any depth must not reject the line (no conversion, no
// recursion here).
error_code validate_value(od::value value) {
  od::json_type type{};
  if (auto error = value.type().get(type)) return error;
  std::string_view text;
  switch (type) {
    case od::json_type::object: {
      od::object object;
      if (auto error = value.get_object().get(object)) return error;
      if (auto error = object.raw_json().get(text)) return error;
      return is_json_value(text) ? simdjson::SUCCESS : simdjson::TAPE_ERROR;
    }
    case od::json_type::array: {
      od::array array;
      if (auto error = value.get_array().get(array)) return error;
      if (auto error = array.raw_json().get(text)) return error;
      return is_json_value(text) ? simdjson::SUCCESS : simdjson::TAPE_ERROR;
    }
    case od::json_type::number: {
      text = value.raw_json_token();
      while (!text.empty() &&
             (text.back() == ' ' || text.back() == '\t' || text.back() == '\n' || text.back() == '\r')) {
        text.remove_suffix(1);
      }
      return is_json_number(text) ? simdjson::SUCCESS : simdjson::NUMBER_ERROR;
    }
    case od::json_type::string: return value.get_string().error();
    case od::json_type::boolean: return value.get_bool().error();
    case od::json_type::null: {
      bool is_null = false;
      if (auto error = value.is_null().get(is_null)) return error;
      return is_null ? simdjson::SUCCESS : simdjson::N_ATOM_ERROR;
    }
  }
  return simdjson::INCORRECT_TYPE;
}

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

// Reads a string-or-null field. Any other type is a WrongType reject naming `path`.
core::Expected<StringField, Reject> read_string(od::value value, std::string_view path) {
  od::json_type type{};
  if (auto error = value.type().get(type)) return core::Unexpected<Reject>(reject_for(error, path));
  if (type == od::json_type::null) {
    if (auto error = validate_value(value)) return core::Unexpected<Reject>(reject_for(error, path));
    return StringField{Presence::Null, {}};
  }
  if (type != od::json_type::string) {
    if (auto error = validate_value(value)) return core::Unexpected<Reject>(reject_for(error, path));
    return reject(RejectCode::WrongType,
                  fmt::format("field {}: expected a string, got {}", path, json_type_name(type)));
  }
  std::string_view text;
  if (auto error = value.get_string().get(text)) return core::Unexpected<Reject>(reject_for(error, path));
  return StringField{Presence::Present, text};
}

core::Expected<NumberField, Reject> read_number(od::value value, std::string_view path) {
  od::json_type type{};
  if (auto error = value.type().get(type)) return core::Unexpected<Reject>(reject_for(error, path));
  if (type == od::json_type::null) {
    if (auto error = validate_value(value)) return core::Unexpected<Reject>(reject_for(error, path));
    return NumberField{Presence::Null, 0};
  }
  if (type != od::json_type::number) {
    if (auto error = validate_value(value)) return core::Unexpected<Reject>(reject_for(error, path));
    return reject(RejectCode::WrongType,
                  fmt::format("field {}: expected a number, got {}", path, json_type_name(type)));
  }
  double number = 0;
  if (auto error = value.get_double().get(number)) return core::Unexpected<Reject>(reject_for(error, path));
  return NumberField{Presence::Present, number};
}

// Returns the object of `value`, Null for JSON null, or a WrongType reject.
core::Expected<Presence, Reject> object_or_null(od::value& value, std::string_view path, od::object& out) {
  od::json_type type{};
  if (auto error = value.type().get(type)) return core::Unexpected<Reject>(reject_for(error, path));
  if (type == od::json_type::null) {
    if (auto error = validate_value(value)) return core::Unexpected<Reject>(reject_for(error, path));
    return Presence::Null;
  }
  if (type != od::json_type::object) {
    if (auto error = validate_value(value)) return core::Unexpected<Reject>(reject_for(error, path));
    return reject(RejectCode::WrongType,
                  fmt::format("field {}: expected an object, got {}", path, json_type_name(type)));
  }
  if (auto error = value.get_object().get(out)) return core::Unexpected<Reject>(reject_for(error, path));
  return Presence::Present;
}

// Tracks which keys of one object were seen, to refuse duplicates.
class SeenKeys {
 public:
  bool first_time(unsigned bit) {
    const bool fresh = (m_bits & (1U << bit)) == 0;
    m_bits |= 1U << bit;
    return fresh;
  }

 private:
  unsigned m_bits = 0;
};

core::Unexpected<Reject> duplicate(std::string_view path) {
  return reject(RejectCode::DuplicateField, fmt::format("field {} appears more than once", path));
}

#define D2D_TRY_ASSIGN(target, expr)            \
  do {                                          \
    auto d2d_result = (expr);                   \
    if (!d2d_result) return d2d_result.error(); \
    (target) = *d2d_result;                     \
  } while (false)

// Reads data.location {lat, lng, at}; unknown keys are validated and ignored.
std::optional<Reject> read_location(od::object& location, RawEvent& raw) {
  SeenKeys seen;
  for (auto field : location) {
    std::string_view key;
    if (auto error = field.unescaped_key().get(key)) return reject_for(error, "data.location");
    if (key == "lat") {
      if (!seen.first_time(0)) return duplicate("data.location.lat").error();
      D2D_TRY_ASSIGN(raw.lat, read_number(field.value(), "data.location.lat"));
    } else if (key == "lng") {
      if (!seen.first_time(1)) return duplicate("data.location.lng").error();
      D2D_TRY_ASSIGN(raw.lng, read_number(field.value(), "data.location.lng"));
    } else if (key == "at") {
      if (!seen.first_time(2)) return duplicate("data.location.at").error();
      D2D_TRY_ASSIGN(raw.location_at, read_string(field.value(), "data.location.at"));
    } else if (auto error = validate_value(field.value())) {
      return reject_for(error, "data.location");
    }
  }
  return std::nullopt;
}

std::optional<Reject> read_data(od::object& data, RawEvent& raw) {
  SeenKeys seen;
  for (auto field : data) {
    std::string_view key;
    if (auto error = field.unescaped_key().get(key)) return reject_for(error, "data");
    if (key == "id") {
      if (!seen.first_time(0)) return duplicate("data.id").error();
      D2D_TRY_ASSIGN(raw.id, read_string(field.value(), "data.id"));
    } else if (key == "location") {
      if (!seen.first_time(1)) return duplicate("data.location").error();
      od::value value = field.value();
      od::object location;
      D2D_TRY_ASSIGN(raw.location, object_or_null(value, "data.location", location));
      if (raw.location == Presence::Present) {
        if (auto problem = read_location(location, raw)) return problem;
      }
    } else if (key == "start") {
      if (!seen.first_time(2)) return duplicate("data.start").error();
      D2D_TRY_ASSIGN(raw.start, read_string(field.value(), "data.start"));
    } else if (key == "finish") {
      if (!seen.first_time(3)) return duplicate("data.finish").error();
      D2D_TRY_ASSIGN(raw.finish, read_string(field.value(), "data.finish"));
    } else if (auto error = validate_value(field.value())) {
      return reject_for(error, "data");
    }
  }
  return std::nullopt;
}

std::optional<Reject> read_top_level(od::object& object, RawEvent& raw) {
  SeenKeys seen;
  for (auto field : object) {
    std::string_view key;
    if (auto error = field.unescaped_key().get(key)) return reject_for(error, "");
    if (key == "event") {
      if (!seen.first_time(0)) return duplicate("event").error();
      D2D_TRY_ASSIGN(raw.event, read_string(field.value(), "event"));
    } else if (key == "on") {
      if (!seen.first_time(1)) return duplicate("on").error();
      D2D_TRY_ASSIGN(raw.on, read_string(field.value(), "on"));
    } else if (key == "at") {
      if (!seen.first_time(2)) return duplicate("at").error();
      D2D_TRY_ASSIGN(raw.at, read_string(field.value(), "at"));
    } else if (key == "organization_id") {
      if (!seen.first_time(3)) return duplicate("organization_id").error();
      D2D_TRY_ASSIGN(raw.organization_id, read_string(field.value(), "organization_id"));
    } else if (key == "data") {
      if (!seen.first_time(4)) return duplicate("data").error();
      od::value value = field.value();
      od::object data;
      D2D_TRY_ASSIGN(raw.data, object_or_null(value, "data", data));
      if (raw.data == Presence::Present) {
        if (auto problem = read_data(data, raw)) return problem;
      }
    } else if (auto error = validate_value(field.value())) {
      return reject_for(error, "");
    }
  }
  return std::nullopt;
}

#undef D2D_TRY_ASSIGN

// The checks that need the event kind: required fields, ranges, timestamps (SPEC §3 table).
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

// Where the top-level object that starts the line closes (brace matching outside strings),
// or npos. Used only on lines that already failed, to tell "trailing garbage" from broken JSON.
std::size_t end_of_leading_object(std::string_view line) {
  const std::size_t start = line.find_first_not_of(" \t");
  if (start == std::string_view::npos || line[start] != '{') return std::string_view::npos;
  int depth = 0;
  bool in_string = false;
  for (std::size_t i = start; i < line.size(); ++i) {
    const char c = line[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      ++depth;
    } else if (c == '}' || c == ']') {
      if (--depth == 0) return i + 1;
    }
  }
  return std::string_view::npos;
}

}  // namespace

const char* event_kind_name(EventKind kind) {
  switch (kind) {
    case EventKind::VehicleRegister: return "register";
    case EventKind::VehicleUpdate: return "update";
    case EventKind::VehicleDeregister: return "deregister";
    case EventKind::BreakStart: return "break_start";
    case EventKind::BreakEnd: return "break_end";
    case EventKind::PeriodCreate: return "create";
    case EventKind::PeriodDelete: return "delete";
  }
  return "unknown";
}

const char* reject_code_name(RejectCode code) {
  switch (code) {
    case RejectCode::InvalidJson: return "invalid_json";
    case RejectCode::InvalidUtf8: return "invalid_utf8";
    case RejectCode::NotAnObject: return "not_an_object";
    case RejectCode::TrailingGarbage: return "trailing_garbage";
    case RejectCode::DuplicateField: return "duplicate_field";
    case RejectCode::MissingField: return "missing_field";
    case RejectCode::WrongType: return "wrong_type";
    case RejectCode::EmptyId: return "empty_id";
    case RejectCode::InvalidTimestamp: return "invalid_timestamp";
    case RejectCode::OutOfRange: return "out_of_range";
    case RejectCode::UnknownEvent: return "unknown_event";
    case RejectCode::InvalidWindow: return "invalid_window";
    case RejectCode::NulInString: return "nul_in_string";
    case RejectCode::LineTooLong: return "line_too_long";
  }
  return "unknown";
}

// Details quote input: the reason is made valid UTF-8 without NUL here, once, for every sink.
std::string Reject::reason() const {
  return core::utf8_lossy(fmt::format("{}: {}", reject_code_name(code), detail));
}

LineDecoder::LineDecoder(DecoderOptions options) : m_options(options) {}

core::Expected<Event, Reject> LineDecoder::decode(std::string_view line) {
  auto result = decode_whole_line(line);
  if (result.has_value() || result.error().code != RejectCode::InvalidJson) return result;
  // Broken JSON may really be a good object followed by junk: say so, it is a different bug upstream.
  const std::size_t end = end_of_leading_object(line);
  if (end == std::string_view::npos || line.find_first_not_of(" \t", end) == std::string_view::npos)
    return result;
  const auto prefix = decode_whole_line(line.substr(0, end));
  if (!prefix.has_value() && prefix.error().code == RejectCode::InvalidJson) return result;
  return reject(RejectCode::TrailingGarbage, "unexpected content after the JSON object");
}

core::Expected<Event, Reject> LineDecoder::decode_whole_line(std::string_view line) {
  const std::size_t needed = line.size() + simdjson::SIMDJSON_PADDING;
  if (m_padded.size() < needed) m_padded.resize(needed);
  std::memcpy(m_padded.data(), line.data(), line.size());
  std::memset(m_padded.data() + line.size(), 0, simdjson::SIMDJSON_PADDING);

  od::document document;
  if (auto error = m_parser.iterate(m_padded.data(), line.size(), m_padded.size()).get(document)) {
    return core::Unexpected<Reject>(reject_for(error, ""));
  }
  od::json_type type{};
  if (auto error = document.type().get(type)) return core::Unexpected<Reject>(reject_for(error, ""));
  if (type != od::json_type::object) {
    return reject(RejectCode::NotAnObject,
                  fmt::format("line is a JSON {}, not an object", json_type_name(type)));
  }
  od::object object;
  if (auto error = document.get_object().get(object)) return core::Unexpected<Reject>(reject_for(error, ""));
  RawEvent raw;
  if (auto problem = read_top_level(object, raw)) return core::Unexpected<Reject>(std::move(*problem));
  // After the closing brace only the end of the line may follow.
  const char* after = nullptr;
  if (document.current_location().get(after) == simdjson::SUCCESS) {
    return reject(RejectCode::TrailingGarbage, "unexpected content after the JSON object");
  }
  return validate(raw, m_options);
}

}  // namespace d2d::events
