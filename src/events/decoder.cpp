// The line-level driver: one line in, an Event or a Reject out, through the reusable parser and
// padded buffer (raw_event_reader.cpp reads the fields, event_rules.cpp applies SPEC §3), and
// the names of event kinds and reject codes.
#include "events/decoder.h"

#include <fmt/format.h>

#include <cstring>
#include <string>

#include "core/utf8.h"
#include "events/raw_event.h"

namespace d2d::events {
namespace {

namespace od = simdjson::ondemand;
using detail::reject;
using detail::reject_for;

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
                  fmt::format("line is a JSON {}, not an object", detail::json_type_name(type)));
  }
  od::object object;
  if (auto error = document.get_object().get(object)) return core::Unexpected<Reject>(reject_for(error, ""));
  detail::RawEvent raw;
  if (auto problem = detail::read_top_level(object, raw))
    return core::Unexpected<Reject>(std::move(*problem));
  // After the closing brace only the end of the line may follow.
  const char* after = nullptr;
  if (document.current_location().get(after) == simdjson::SUCCESS) {
    return reject(RejectCode::TrailingGarbage, "unexpected content after the JSON object");
  }
  return detail::validate(raw, m_options);
}

}  // namespace d2d::events
