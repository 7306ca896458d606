#include "generate/event_format.h"

#include <cmath>

#include "core/time.h"

namespace d2d::generate::detail {
namespace {

using core::kMicrosPerDay;
using core::kMicrosPerHour;
using core::kMicrosPerMinute;
using core::kMicrosPerSecond;

std::size_t write_offset_time(char* out, std::int64_t at_us, std::int64_t offset_hours, DateCache& cache) {
  // Local wall time = UTC + offset; the offset is whole hours, so millisecond truncation agrees.
  format_utc_cached(at_us + offset_hours * kMicrosPerHour, out, cache);
  out[23] = offset_hours >= 0 ? '+' : '-';
  const std::int64_t hours = offset_hours >= 0 ? offset_hours : -offset_hours;
  out[24] = static_cast<char>('0' + hours / 10);
  out[25] = static_cast<char>('0' + hours % 10);
  std::memcpy(out + 26, ":00", 3);
  return 29;
}

// The default update payload and its parts, spelled as raw JSON so that each bad kind can
// swap one part for a wrong one.
struct UpdateParts {
  std::string_view id_key = "\"id\":";
  std::string_view id_raw;  // with quotes; empty = the context's vehicle id
  std::string_view lat_raw;
  std::string_view lng_raw;
  bool with_id = true;
};

void append_vehicle_id(LineBuf& line, const BadContext& context) {
  line.append('"');
  line.append(context.vehicle_id);
  line.append('"');
}

void append_update_data(LineBuf& line, const BadContext& context, const UpdateParts& parts) {
  line.append('{');
  if (parts.with_id) {
    line.append(parts.id_key);
    if (parts.id_raw.empty()) {
      append_vehicle_id(line, context);
    } else {
      line.append(parts.id_raw);
    }
    line.append(',');
  }
  line.append("\"location\":{\"lat\":");
  if (parts.lat_raw.empty()) {
    line.append_degrees(context.lat_deg);
  } else {
    line.append(parts.lat_raw);
  }
  line.append(",\"lng\":");
  if (parts.lng_raw.empty()) {
    line.append_degrees(context.lng_deg);
  } else {
    line.append(parts.lng_raw);
  }
  line.append(",\"at\":");
  append_quoted_timestamp(line, context.at_us, TimeStyle::MillisZ);
  line.append("}}");
}

// The envelope of a bad line: each member can be left out or replaced by raw JSON.
struct BadEnvelope {
  std::string_view event = "\"update\"";  // empty = field missing
  std::string_view on = "\"vehicle\"";
  bool with_at = true;
  std::string_view at_raw;  // empty = the context's time, quoted, milliseconds
  std::string_view organization_raw = "\"org-id\"";
};

void open_bad(LineBuf& line, const BadContext& context, const BadEnvelope& envelope) {
  line.append('{');
  if (!envelope.event.empty()) {
    line.append("\"event\":");
    line.append(envelope.event);
    line.append(',');
  }
  if (!envelope.on.empty()) {
    line.append("\"on\":");
    line.append(envelope.on);
    line.append(',');
  }
  if (envelope.with_at) {
    line.append("\"at\":");
    if (envelope.at_raw.empty()) {
      append_quoted_timestamp(line, context.at_us, TimeStyle::MillisZ);
    } else {
      line.append(envelope.at_raw);
    }
    line.append(',');
  }
}

void close_bad(LineBuf& line, const BadEnvelope& envelope) {
  line.append(",\"organization_id\":");
  line.append(envelope.organization_raw);
  line.append('}');
}

void bad_update(LineBuf& line, const BadContext& context, const BadEnvelope& envelope,
                const UpdateParts& parts = {}) {
  open_bad(line, context, envelope);
  line.append("\"data\":");
  append_update_data(line, context, parts);
  close_bad(line, envelope);
}

// A timestamp of the context's day with a replaced date or time part, e.g. February 30th.
void append_broken_timestamp(LineBuf& line, const BadContext& context, BadKind kind) {
  char text[32];
  core::format_utc(context.at_us, text);
  std::size_t length = 24;
  text[23] = 'Z';
  if (kind == BadKind::ImpossibleDate) {
    std::memcpy(text + 5, "02-30", 5);
  } else if (kind == BadKind::ImpossibleHour) {
    std::memcpy(text + 11, "25:00", 5);
  } else {  // TimestampWithoutZone
    length = 23;
  }
  line.append('"');
  line.append({text, length});
  line.append('"');
}

}  // namespace

void LineBuf::append_int(std::int64_t value) {
  char digits[24];
  std::size_t count = 0;
  const bool negative = value < 0;
  auto magnitude = negative ? 0 - static_cast<std::uint64_t>(value) : static_cast<std::uint64_t>(value);
  do {
    digits[count++] = static_cast<char>('0' + magnitude % 10);
    magnitude /= 10;
  } while (magnitude != 0);
  if (negative) append('-');
  while (count > 0) append(digits[--count]);
}

void LineBuf::append_degrees(double value_deg) {
  // Fixed point by hand: std::floor and integer arithmetic are exact, so the text is the same
  // on every platform (printf-style formatting of doubles is not guaranteed to be).
  const auto scaled = static_cast<std::int64_t>(std::floor(value_deg * 1e5 + 0.5));
  const bool negative = scaled < 0;
  const std::uint64_t magnitude =
      negative ? 0 - static_cast<std::uint64_t>(scaled) : static_cast<std::uint64_t>(scaled);
  if (negative) append('-');
  append_int(static_cast<std::int64_t>(magnitude / 100000));
  append('.');
  std::uint64_t fraction = magnitude % 100000;
  char digits[5];
  for (int i = 4; i >= 0; --i) {
    digits[i] = static_cast<char>('0' + fraction % 10);
    fraction /= 10;
  }
  std::size_t keep = 5;
  while (keep > 1 && digits[keep - 1] == '0') --keep;
  append({digits, keep});
}

void format_utc_cached(std::int64_t at_us, char* out, DateCache& cache) {
  const std::int64_t day = core::utc_day_of(at_us);
  const std::int64_t in_day_us = at_us - day * kMicrosPerDay;
  if (day != cache.day) {
    char text[32];
    core::format_utc(day * kMicrosPerDay, text);
    std::memcpy(cache.date, text, sizeof cache.date);
    cache.day = day;
  }
  std::memcpy(out, cache.date, sizeof cache.date);
  auto put2 = [](char* at, std::int64_t value) {
    at[0] = static_cast<char>('0' + value / 10);
    at[1] = static_cast<char>('0' + value % 10);
  };
  const std::int64_t seconds = in_day_us / kMicrosPerSecond;
  put2(out + 11, seconds / 3600);
  out[13] = ':';
  put2(out + 14, seconds / 60 % 60);
  out[16] = ':';
  put2(out + 17, seconds % 60);
  out[19] = '.';
  std::int64_t micros = in_day_us % kMicrosPerSecond;
  for (int i = 25; i >= 20; --i) {
    out[i] = static_cast<char>('0' + micros % 10);
    micros /= 10;
  }
  out[26] = 'Z';
}

std::size_t write_timestamp(char* out, std::int64_t at_us, TimeStyle style, DateCache& cache) {
  switch (style) {
    case TimeStyle::MillisZ:
      format_utc_cached(at_us, out, cache);
      out[23] = 'Z';
      return 24;
    case TimeStyle::MicrosZ: format_utc_cached(at_us, out, cache); return 27;
    case TimeStyle::NanosZ: {
      format_utc_cached(at_us, out, cache);
      // Sub-microsecond digits the clock would have had; readers truncate them (SPEC §3).
      auto nanos = static_cast<std::uint64_t>(at_us) * 2654435761ULL % 1000;
      for (int i = 28; i >= 26; --i) {
        out[i] = static_cast<char>('0' + nanos % 10);
        nanos /= 10;
      }
      out[29] = 'Z';
      return 30;
    }
    case TimeStyle::SecondsZ:
      format_utc_cached(at_us, out, cache);
      out[19] = 'Z';
      return 20;
    case TimeStyle::OffsetPlus2: return write_offset_time(out, at_us, 2, cache);
    case TimeStyle::OffsetMinus3: return write_offset_time(out, at_us, -3, cache);
  }
  return 0;
}

void append_quoted_timestamp(LineBuf& line, std::int64_t at_us, TimeStyle style) {
  line.append('"');
  line.grow(write_timestamp(line.end(), at_us, style, line.date_cache()));
  line.append('"');
}

namespace {

void append_organization(LineBuf& line, const Envelope& envelope) {
  line.append("\"organization_id\":");
  if (envelope.org_style == OrgStyle::Null) {
    line.append("null");
  } else {
    line.append('"');
    line.append(envelope.organization_id);
    line.append('"');
  }
}

}  // namespace

void open_event(LineBuf& line, const Envelope& envelope) {
  line.append('{');
  if (envelope.key_order == KeyOrder::OrgFirst) {
    if (envelope.org_style != OrgStyle::Missing) {
      append_organization(line, envelope);
      line.append(',');
    }
    line.append("\"on\":\"");
    line.append(envelope.on);
    line.append("\",\"event\":\"");
    line.append(envelope.event);
  } else {
    line.append("\"event\":\"");
    line.append(envelope.event);
    line.append("\",\"on\":\"");
    line.append(envelope.on);
  }
  line.append("\",\"at\":");
  append_quoted_timestamp(line, envelope.at_us, envelope.time_style);
  line.append(",\"data\":");
}

void close_event(LineBuf& line, const Envelope& envelope) {
  if (envelope.key_order == KeyOrder::Standard && envelope.org_style != OrgStyle::Missing) {
    line.append(',');
    append_organization(line, envelope);
  }
  if (envelope.extra_field) line.append(",\"meta\":{\"source\":\"api\",\"schema\":2}");
  line.append('}');
}

const char* bad_kind_name(BadKind kind) {
  switch (kind) {
    case BadKind::SyntaxDoubleComma: return "invalid JSON (double comma)";
    case BadKind::SyntaxMissingColon: return "invalid JSON (missing colon)";
    case BadKind::TruncatedString: return "truncated line (unterminated string)";
    case BadKind::NonObjectArray: return "non-object line (array)";
    case BadKind::NonObjectNumber: return "non-object line (number)";
    case BadKind::NonObjectString: return "non-object line (string)";
    case BadKind::NonObjectNull: return "non-object line (null)";
    case BadKind::TrailingGarbage: return "trailing garbage after the object";
    case BadKind::InvalidUtf8: return "invalid UTF-8 inside a string";
    case BadKind::MissingEvent: return "missing field event";
    case BadKind::MissingOn: return "missing field on";
    case BadKind::MissingAt: return "missing field at";
    case BadKind::MissingData: return "missing field data";
    case BadKind::MissingDataId: return "missing field data.id";
    case BadKind::AtAsNumber: return "at is a number";
    case BadKind::DataAsString: return "data is a string";
    case BadKind::LatAsString: return "lat is a string";
    case BadKind::IdAsNumber: return "id is a number";
    case BadKind::OrganizationAsNumber: return "organization_id is a number";
    case BadKind::EmptyId: return "empty id";
    case BadKind::LatOutOfRange: return "lat out of range";
    case BadKind::LngOutOfRange: return "lng out of range";
    case BadKind::UpdateNullLat: return "update with null lat";
    case BadKind::ImpossibleDate: return "impossible date (February 30)";
    case BadKind::ImpossibleHour: return "impossible hour (25:00)";
    case BadKind::TimestampWithoutZone: return "timestamp without zone";
    case BadKind::UnknownEvent: return "unknown event (vehicle/explode)";
    case BadKind::UnknownEntity: return "unknown entity (bus/update)";
    case BadKind::PeriodStartAfterFinish: return "operating period start after finish";
    case BadKind::Count: break;
  }
  return "unknown";
}

void write_bad_line(LineBuf& line, BadKind kind, const BadContext& context) {
  line.clear();
  BadEnvelope envelope;
  UpdateParts parts;
  switch (kind) {
    case BadKind::SyntaxDoubleComma:
      bad_update(line, context, envelope);
      // `},"organization_id"` becomes `},,"organization_id"`: a syntax error mid-line.
      line.shrink_to(line.size() - 1);
      line.append(",,\"x\":1}");
      return;
    case BadKind::SyntaxMissingColon:
      line.append("{\"event\" \"update\",\"on\":\"vehicle\",\"at\":");
      append_quoted_timestamp(line, context.at_us, TimeStyle::MillisZ);
      line.append(",\"data\":{\"id\":");
      append_vehicle_id(line, context);
      line.append("}}");
      return;
    case BadKind::TruncatedString: {
      bad_update(line, context, envelope);
      // Cut inside the vehicle id: the writer died mid-line.
      const std::string_view text = line.view();
      const std::size_t id_at = text.find("\"id\":\"");
      line.shrink_to(id_at + 6 + context.vehicle_id.size() / 2);
      return;
    }
    case BadKind::NonObjectArray: line.append("[1,2]"); return;
    case BadKind::NonObjectNumber: line.append("42"); return;
    case BadKind::NonObjectString: line.append("\"str\""); return;
    case BadKind::NonObjectNull: line.append("null"); return;
    case BadKind::TrailingGarbage:
      bad_update(line, context, envelope);
      line.append(" trailing");
      return;
    case BadKind::InvalidUtf8:
      envelope.organization_raw = "\"org-\xC3\x28\xFF\"";  // a broken 2-byte sequence, then 0xFF
      bad_update(line, context, envelope);
      return;
    case BadKind::MissingEvent: envelope.event = {}; break;
    case BadKind::MissingOn: envelope.on = {}; break;
    case BadKind::MissingAt: envelope.with_at = false; break;
    case BadKind::MissingData:
      open_bad(line, context, envelope);
      line.append("\"info\":{}");
      close_bad(line, envelope);
      return;
    case BadKind::MissingDataId: parts.with_id = false; break;
    case BadKind::AtAsNumber: {
      LineBuf number;
      number.append_int(context.at_us / 1000);
      envelope.at_raw = number.view();
      bad_update(line, context, envelope);
      return;
    }
    case BadKind::DataAsString:
      open_bad(line, context, envelope);
      line.append("\"data\":");
      append_vehicle_id(line, context);
      close_bad(line, envelope);
      return;
    case BadKind::LatAsString: parts.lat_raw = "\"52.52000\""; break;
    case BadKind::IdAsNumber: parts.id_raw = "12345"; break;
    case BadKind::OrganizationAsNumber: envelope.organization_raw = "42"; break;
    case BadKind::EmptyId: parts.id_raw = "\"\""; break;
    case BadKind::LatOutOfRange: parts.lat_raw = "91.0"; break;
    case BadKind::LngOutOfRange: parts.lng_raw = "-181.0"; break;
    case BadKind::UpdateNullLat: parts.lat_raw = "null"; break;
    case BadKind::ImpossibleDate:
    case BadKind::ImpossibleHour:
    case BadKind::TimestampWithoutZone: {
      LineBuf stamp;
      append_broken_timestamp(stamp, context, kind);
      envelope.at_raw = stamp.view();
      bad_update(line, context, envelope);
      return;
    }
    case BadKind::UnknownEvent:
      envelope.event = "\"explode\"";
      open_bad(line, context, envelope);
      line.append("\"data\":{\"id\":");
      append_vehicle_id(line, context);
      line.append('}');
      close_bad(line, envelope);
      return;
    case BadKind::UnknownEntity: envelope.on = "\"bus\""; break;
    case BadKind::PeriodStartAfterFinish:
      envelope.event = "\"create\"";
      envelope.on = "\"operating_period\"";
      open_bad(line, context, envelope);
      line.append("\"data\":{\"id\":\"op_bad\",\"start\":");
      append_quoted_timestamp(line, context.at_us + kMicrosPerHour, TimeStyle::MillisZ);
      line.append(",\"finish\":");
      append_quoted_timestamp(line, context.at_us + 30 * kMicrosPerMinute, TimeStyle::MillisZ);
      line.append('}');
      close_bad(line, envelope);
      return;
    case BadKind::Count: return;
  }
  bad_update(line, context, envelope, parts);
}

}  // namespace d2d::generate::detail
