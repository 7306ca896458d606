// Hand-written formatting of event lines (SPEC §3) into a reused fixed buffer: no allocation per
// event, which is what lets the simulator write millions of lines per second. Also builds the
// malformed lines of every rejection kind for --bad-ratio.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string_view>

namespace d2d::generate::detail {

// Remembers the "YYYY-MM-DDT" of the last day formatted: converting the civil date is most of
// the cost of a timestamp, and consecutive events share their day.
struct DateCache {
  std::int64_t day = std::numeric_limits<std::int64_t>::min();
  char date[11] = {};
};

// Writes "YYYY-MM-DDTHH:MM:SS.ffffffZ" (27 characters), the same as core::format_utc.
void format_utc_cached(std::int64_t at_us, char* out, DateCache& cache);

// One line under construction. Every line the simulator writes is far below the capacity
// (the longest valid line is ~330 bytes), so appends do not check bounds.
class LineBuf {
 public:
  static constexpr std::size_t kCapacity = 1024;

  void clear() { m_size = 0; }
  std::string_view view() const { return {m_data, m_size}; }
  std::size_t size() const { return m_size; }
  char* end() { return m_data + m_size; }
  void grow(std::size_t count) { m_size += count; }
  void shrink_to(std::size_t size) { m_size = size; }

  void append(std::string_view text) {
    std::memcpy(m_data + m_size, text.data(), text.size());
    m_size += text.size();
  }
  void append(char c) { m_data[m_size++] = c; }
  // Decimal integer, as JSON writes it.
  void append_int(std::int64_t value);
  // Degrees with five decimals (about a metre), trailing zeros trimmed like the real feed
  // ("52.4752"), always with a decimal point so every reader sees a floating-point number.
  void append_degrees(double value_deg);
  DateCache& date_cache() { return m_date_cache; }

 private:
  char m_data[kCapacity];
  std::size_t m_size = 0;
  DateCache m_date_cache;
};

// The RFC 3339 spellings the feed uses (all valid): mostly milliseconds with Z, as in the sample.
enum class TimeStyle : std::uint8_t {
  MillisZ,       // 2019-06-01T18:17:06.094Z
  MicrosZ,       // 2019-06-01T18:17:06.094512Z
  NanosZ,        // 2019-06-01T18:17:06.094512337Z
  SecondsZ,      // 2019-06-01T18:17:06Z
  OffsetPlus2,   // 2019-06-01T20:17:06.094+02:00 (the operator's local summer time)
  OffsetMinus3,  // 2019-06-01T15:17:06.094-03:00 (the stream writer's clock)
};

// Writes the timestamp (without quotes) at `out`; returns its length (at most 32).
std::size_t write_timestamp(char* out, std::int64_t at_us, TimeStyle style, DateCache& cache);
inline std::size_t write_timestamp(char* out, std::int64_t at_us, TimeStyle style) {
  DateCache cache;
  return write_timestamp(out, at_us, style, cache);
}

enum class OrgStyle : std::uint8_t { String, Null, Missing };
enum class KeyOrder : std::uint8_t { Standard, OrgFirst };

// Everything of an event line except its `data` object.
struct Envelope {
  std::string_view event;
  std::string_view on;
  std::int64_t at_us = 0;
  TimeStyle time_style = TimeStyle::MillisZ;
  std::string_view organization_id;
  OrgStyle org_style = OrgStyle::String;
  KeyOrder key_order = KeyOrder::Standard;
  bool extra_field = false;  // an unknown field, which readers must ignore (SPEC §3)
};

// Writes `{...,"data":` ; the caller appends the data object, then calls close_event.
void open_event(LineBuf& line, const Envelope& envelope);
void close_event(LineBuf& line, const Envelope& envelope);

void append_quoted_timestamp(LineBuf& line, std::int64_t at_us, TimeStyle style);

// The malformed kinds of SPEC §3, one entry per concrete shape; --bad-ratio cycles through all.
enum class BadKind : std::uint8_t {
  SyntaxDoubleComma,
  SyntaxMissingColon,
  TruncatedString,
  NonObjectArray,
  NonObjectNumber,
  NonObjectString,
  NonObjectNull,
  TrailingGarbage,
  InvalidUtf8,
  MissingEvent,
  MissingOn,
  MissingAt,
  MissingData,
  MissingDataId,
  AtAsNumber,
  DataAsString,
  LatAsString,
  IdAsNumber,
  OrganizationAsNumber,
  EmptyId,
  LatOutOfRange,
  LngOutOfRange,
  UpdateNullLat,
  ImpossibleDate,
  ImpossibleHour,
  TimestampWithoutZone,
  UnknownEvent,
  UnknownEntity,
  PeriodStartAfterFinish,
  Count,
};

inline constexpr std::size_t kBadKindCount = static_cast<std::size_t>(BadKind::Count);

const char* bad_kind_name(BadKind kind);

// What a bad line is made of, so it looks like the traffic around it.
struct BadContext {
  std::int64_t at_us = 0;
  std::string_view vehicle_id;
  double lat_deg = 52.5;
  double lng_deg = 13.4;
};

void write_bad_line(LineBuf& line, BadKind kind, const BadContext& context);

}  // namespace d2d::generate::detail
