// Time for the whole project: RFC 3339 text <-> UTC microseconds since the Unix epoch.
// Microseconds are the stored precision (SPEC §3); extra fraction digits are truncated.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace d2d::core {

using UtcMicros = std::int64_t;

enum class TimeError {
  Malformed,    // not the RFC 3339 shape
  MissingZone,  // no Z and no numeric offset
  OutOfRange,   // month 13, February 30, hour 24, offset 25:00, year 0 ...
};

const char* describe(TimeError error);

// Parses "YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)". Returns the error through `error`.
std::optional<UtcMicros> parse_rfc3339(std::string_view text, TimeError* error = nullptr);

// Formats as "YYYY-MM-DDTHH:MM:SS.ffffffZ": fixed width, so text order is time order
// (this is how SQLite stores timestamps).
std::string format_utc(UtcMicros at_us);
// Writes the same 27 characters into `out` (no allocation); returns the length.
std::size_t format_utc(UtcMicros at_us, char* out);

// A calendar date "YYYY-MM-DD" as days since 1970-01-01.
std::optional<std::int64_t> parse_date(std::string_view text);
std::string format_date(std::int64_t days_since_epoch);

// A lake date (SPEC §1): the day a run loads, "YYYY-MM-DD". Parsed once where it enters (a flag,
// a range, the schedule), then passed as this type: no layer below parses it again.
class LakeDate {
 public:
  LakeDate() : LakeDate(0) {}  // 1970-01-01
  static std::optional<LakeDate> parse(std::string_view text) {
    const auto day = parse_date(text);
    return day ? std::optional(LakeDate(*day)) : std::nullopt;
  }
  static LakeDate from_day(std::int64_t days_since_epoch) { return LakeDate(days_since_epoch); }

  std::int64_t day() const { return m_day; }          // days since 1970-01-01
  const std::string& text() const { return m_text; }  // YYYY-MM-DD
  bool operator==(const LakeDate& other) const { return m_day == other.m_day; }
  bool operator==(std::string_view text) const { return m_text == text; }
  auto operator<=>(const LakeDate& other) const { return m_day <=> other.m_day; }

 private:
  explicit LakeDate(std::int64_t day) : m_day(day), m_text(format_date(day)) {}
  std::int64_t m_day;
  std::string m_text;
};

std::int64_t days_from_civil(int year, unsigned month, unsigned day);
void civil_from_days(std::int64_t days, int& year, unsigned& month, unsigned& day);

inline constexpr UtcMicros kMicrosPerSecond = 1'000'000;
inline constexpr UtcMicros kMicrosPerMinute = 60 * kMicrosPerSecond;
inline constexpr UtcMicros kMicrosPerHour = 60 * kMicrosPerMinute;
inline constexpr UtcMicros kMicrosPerDay = 24 * kMicrosPerHour;

// The UTC day (days since 1970-01-01) an instant falls on, rounding down before 1970 too.
inline constexpr std::int64_t utc_day_of(UtcMicros at_us) {
  return at_us >= 0 ? at_us / kMicrosPerDay : (at_us - kMicrosPerDay + 1) / kMicrosPerDay;
}

}  // namespace d2d::core
