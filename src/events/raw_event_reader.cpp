// The first step of decoding a line: one walk over its JSON object that notes the fields SPEC §3
// knows (in any order, each at most once, with its JSON type) and checks every other value
// against the JSON grammar without reading it. No rule of an event kind applies here.
#include <fmt/format.h>

#include "events/json_syntax.h"
#include "events/raw_event.h"

namespace d2d::events::detail {

using simdjson::error_code;
namespace od = simdjson::ondemand;

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

namespace {

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

}  // namespace

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

}  // namespace d2d::events::detail
