#include "core/time.h"

#include <array>

namespace d2d::core {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Reads exactly `count` digits at `pos`; false if any is not a digit.
bool read_digits(std::string_view text, std::size_t pos, std::size_t count, int& value) {
  if (pos + count > text.size()) return false;
  value = 0;
  for (std::size_t i = 0; i < count; ++i) {
    const char c = text[pos + i];
    if (!is_digit(c)) return false;
    value = value * 10 + (c - '0');
  }
  return true;
}

bool is_leap(int year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

unsigned days_in_month(int year, unsigned month) {
  static constexpr std::array<unsigned, 12> kDays = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && is_leap(year) ? 29 : kDays[month - 1];
}

std::optional<UtcMicros> fail(TimeError* out, TimeError error) {
  if (out != nullptr) *out = error;
  return std::nullopt;
}

}  // namespace

const char* describe(TimeError error) {
  switch (error) {
    case TimeError::Malformed: return "not an RFC 3339 timestamp";
    case TimeError::MissingZone: return "timestamp has no time zone (Z or +HH:MM required)";
    case TimeError::OutOfRange: return "timestamp names an impossible date or time";
  }
  return "invalid timestamp";
}

// Howard Hinnant's civil-calendar algorithms (public domain), valid for the proleptic Gregorian calendar.
std::int64_t days_from_civil(int year, unsigned month, unsigned day) {
  year -= month <= 2 ? 1 : 0;
  const std::int64_t era = (year >= 0 ? year : year - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(year - era * 400);
  const unsigned doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

void civil_from_days(std::int64_t days, int& year, unsigned& month, unsigned& day) {
  days += 719468;
  const std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(days - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  day = doy - (153 * mp + 2) / 5 + 1;
  month = mp < 10 ? mp + 3 : mp - 9;
  year = static_cast<int>(static_cast<std::int64_t>(yoe) + era * 400 + (month <= 2 ? 1 : 0));
}

std::optional<UtcMicros> parse_rfc3339(std::string_view text, TimeError* error) {
  // Fixed part: YYYY-MM-DDTHH:MM:SS (19 characters).
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (text.size() < 19 || !read_digits(text, 0, 4, year) || text[4] != '-' ||
      !read_digits(text, 5, 2, month) || text[7] != '-' || !read_digits(text, 8, 2, day) ||
      (text[10] != 'T' && text[10] != 't' && text[10] != ' ') || !read_digits(text, 11, 2, hour) ||
      text[13] != ':' || !read_digits(text, 14, 2, minute) || text[16] != ':' ||
      !read_digits(text, 17, 2, second)) {
    return fail(error, TimeError::Malformed);
  }
  std::size_t pos = 19;
  std::int64_t micros = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    const std::size_t first = pos;
    int kept = 0;
    while (pos < text.size() && is_digit(text[pos])) {
      if (kept < 6) {  // truncate beyond microseconds, as SPEC §3 says
        micros = micros * 10 + (text[pos] - '0');
        ++kept;
      }
      ++pos;
    }
    if (pos == first) return fail(error, TimeError::Malformed);
    for (; kept < 6; ++kept) micros *= 10;
  }
  if (pos == text.size()) return fail(error, TimeError::MissingZone);
  int offset_minutes = 0;
  const char zone = text[pos];
  if (zone == 'Z' || zone == 'z') {
    ++pos;
  } else if (zone == '+' || zone == '-') {
    int off_h = 0, off_m = 0;
    if (!read_digits(text, pos + 1, 2, off_h) || pos + 3 >= text.size() || text[pos + 3] != ':' ||
        !read_digits(text, pos + 4, 2, off_m)) {
      return fail(error, TimeError::Malformed);
    }
    if (off_h > 23 || off_m > 59) return fail(error, TimeError::OutOfRange);
    offset_minutes = (off_h * 60 + off_m) * (zone == '-' ? -1 : 1);
    pos += 6;
  } else {
    return fail(error, TimeError::Malformed);
  }
  if (pos != text.size()) return fail(error, TimeError::Malformed);
  // Leap seconds (:60) are rejected: nothing upstream emits them and they cannot be stored as UTC.
  if (year < 1 || month < 1 || month > 12 || day < 1 ||
      static_cast<unsigned>(day) > days_in_month(year, static_cast<unsigned>(month)) || hour > 23 ||
      minute > 59 || second > 59) {
    return fail(error, TimeError::OutOfRange);
  }
  const std::int64_t days = days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  const std::int64_t seconds = days * 86400 + std::int64_t{hour} * 3600 + std::int64_t{minute} * 60 + second -
                               std::int64_t{offset_minutes} * 60;
  const UtcMicros result = seconds * kMicrosPerSecond + micros;
  // Keep results inside years 0001..9999 UTC so the fixed-width text form stays ordered.
  static const UtcMicros kMin = days_from_civil(1, 1, 1) * kMicrosPerDay;
  static const UtcMicros kMax = days_from_civil(10000, 1, 1) * kMicrosPerDay - 1;
  if (result < kMin || result > kMax) return fail(error, TimeError::OutOfRange);
  return result;
}

std::size_t format_utc(UtcMicros at_us, char* out) {
  std::int64_t days = at_us / kMicrosPerDay;
  std::int64_t rem = at_us % kMicrosPerDay;
  if (rem < 0) {
    rem += kMicrosPerDay;
    --days;
  }
  int year = 0;
  unsigned month = 0, day = 0;
  civil_from_days(days, year, month, day);
  const auto secs = static_cast<unsigned>(rem / kMicrosPerSecond);
  const auto micros = static_cast<unsigned>(rem % kMicrosPerSecond);
  auto put = [&out](std::size_t at, unsigned value, int width) {
    for (int i = width - 1; i >= 0; --i) {
      out[at + static_cast<std::size_t>(i)] = static_cast<char>('0' + value % 10);
      value /= 10;
    }
  };
  put(0, static_cast<unsigned>(year), 4);
  out[4] = '-';
  put(5, month, 2);
  out[7] = '-';
  put(8, day, 2);
  out[10] = 'T';
  put(11, secs / 3600, 2);
  out[13] = ':';
  put(14, secs / 60 % 60, 2);
  out[16] = ':';
  put(17, secs % 60, 2);
  out[19] = '.';
  put(20, micros, 6);
  out[26] = 'Z';
  return 27;
}

std::string format_utc(UtcMicros at_us) {
  std::string text(27, '\0');
  format_utc(at_us, text.data());
  return text;
}

std::optional<std::int64_t> parse_date(std::string_view text) {
  int year = 0, month = 0, day = 0;
  if (text.size() != 10 || !read_digits(text, 0, 4, year) || text[4] != '-' ||
      !read_digits(text, 5, 2, month) || text[7] != '-' || !read_digits(text, 8, 2, day)) {
    return std::nullopt;
  }
  if (year < 1 || month < 1 || month > 12 || day < 1 ||
      static_cast<unsigned>(day) > days_in_month(year, static_cast<unsigned>(month))) {
    return std::nullopt;
  }
  return days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
}

std::string format_date(std::int64_t days_since_epoch) {
  return format_utc(days_since_epoch * kMicrosPerDay).substr(0, 10);
}

}  // namespace d2d::core
