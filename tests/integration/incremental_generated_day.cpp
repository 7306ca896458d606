// The generated lake dates and object helpers of incremental_generated_day.h, compiled once for every file.
#include "incremental_generated_day.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <fstream>
#include <optional>
#include <sstream>

#include "core/time.h"
#include "harness.h"

namespace d2d::testing::incremental {
namespace fs = std::filesystem;
using generate::KeyLayout;

std::string date_of(const std::string& key) { return fs::path(key).filename().string().substr(0, 10); }

std::vector<std::string> keys_under(const fs::path& root) {
  std::vector<std::string> keys;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (entry.is_regular_file()) keys.push_back(entry.path().lexically_relative(root).generic_string());
  }
  std::sort(keys.begin(), keys.end());
  return keys;
}

std::vector<std::string> keys_of_date(const std::vector<std::string>& keys, const std::string& date) {
  std::vector<std::string> of_date;
  std::copy_if(keys.begin(), keys.end(), std::back_inserter(of_date),
               [&](const std::string& key) { return date_of(key) == date; });
  return of_date;
}

std::set<std::string> dates_of(const std::vector<std::string>& keys) {
  std::set<std::string> dates;
  for (const auto& key : keys) dates.insert(date_of(key));
  return dates;
}

void copy_objects(const fs::path& from, const fs::path& to, const std::vector<std::string>& keys) {
  for (const auto& key : keys) {
    fs::create_directories((to / key).parent_path());
    fs::copy_file(from / key, to / key, fs::copy_options::overwrite_existing);
  }
}

void rewrite(const fs::path& object, const std::function<std::string(const std::string&)>& edit) {
  const auto modified = fs::last_write_time(object);
  const std::string before = read_text(object);
  const std::string after = edit(before);
  ASSERT_NE(before, after) << object;
  std::ofstream(object, std::ios::binary | std::ios::trunc) << after;
  fs::last_write_time(object, modified - std::chrono::hours(1));
}

std::string edit_lines(const std::string& text, const std::function<std::string(std::string, int)>& edit) {
  std::istringstream lines(text);
  std::string out;
  int number = 0;
  for (std::string line; std::getline(lines, line);) {
    line = edit(line, ++number);
    if (!line.empty()) out += line + "\n";
  }
  return out;
}

std::string nudge_latitudes(const std::string& text) {
  return edit_lines(text, [](std::string line, int) {
    const auto lat = line.find(R"("lat":)");
    if (lat == std::string::npos) return line;
    const auto end = line.find_first_of(",}", lat);
    char& digit = line[end - 1];
    if (digit >= '0' && digit <= '9') digit = digit == '9' ? '8' : static_cast<char>(digit + 1);
    return line;
  });
}

namespace {

// One GPS fix of the generated data, as the positions of its fields in its line: corrections are
// made by replacing the event `at` and `lat` of a copy, so everything else stays as written.
struct Fix {
  std::string line;
  std::size_t event_at = 0, event_at_end = 0, lat = 0, lat_end = 0;
  std::string vehicle_id;
  double lat_deg = 0;
  std::string with(const std::string& event_at_text, double lat_deg_new) const {
    std::string out = line;
    out.replace(lat, lat_end - lat, fmt::format("{:.6f}", lat_deg_new));
    out.replace(event_at, event_at_end - event_at, event_at_text);  // before `lat` in the line
    return out;
  }
  std::string event_at_text() const { return line.substr(event_at, event_at_end - event_at); }
};

// Fixes in the generator's usual field order with UTC times (others are skipped, not needed).
std::optional<Fix> parse_fix(const std::string& line) {
  static const std::string kHead = R"({"event":"update","on":"vehicle","at":")";
  if (!line.starts_with(kHead)) return std::nullopt;
  Fix fix;
  fix.line = line;
  fix.event_at = kHead.size();
  fix.event_at_end = line.find('"', fix.event_at);
  const auto id = line.find(R"("data":{"id":")");
  const auto lat = line.find(R"("location":{"lat":)");
  if (fix.event_at_end == std::string::npos || id == std::string::npos || lat == std::string::npos) {
    return std::nullopt;
  }
  if (line[fix.event_at_end - 1] != 'Z') return std::nullopt;
  fix.vehicle_id = line.substr(id + 14, line.find('"', id + 14) - (id + 14));
  fix.lat = lat + 18;
  fix.lat_end = line.find(',', fix.lat);
  if (fix.lat_end == std::string::npos) return std::nullopt;
  // Bad lines (a quoted latitude, say) start the same way: only a plain number will do.
  const char* const lat_end = line.data() + fix.lat_end;
  const auto [end, error] = std::from_chars(line.data() + fix.lat, lat_end, fix.lat_deg);
  if (error != std::errc() || end != lat_end) return std::nullopt;
  return fix;
}

// Where corrections go: beside the generator's objects of that date, in its layout.
std::string correction_key(KeyLayout layout, const std::string& date, const std::string& name) {
  if (layout == KeyLayout::Flat) return "data/" + date + name;
  return fmt::format("{}/{}/{}/00/00/{}{}", date.substr(0, 4), date.substr(5, 2), date.substr(8, 2), date,
                     name);
}

}  // namespace

GeneratedDay generate_day(const fs::path& root, std::uint64_t seed, KeyLayout layout, bool gzip) {
  generate::GenerateOptions options;
  options.out_dir = root;
  options.first_day = *core::parse_date(kDay);
  options.vehicles = 6;
  options.interval_s = 5;
  options.breaks = true;
  options.bad_ratio = 0.01;
  options.conflict_ratio = 0.05;
  options.seed = seed;
  options.layout = layout;
  options.gzip = gzip;
  generate::generate_fleet(options);

  // The fixes to correct come from the plain nested copy of the same events (same seed, same
  // events whatever the layout and compression).
  const fs::path plain = root.string() + "-plain";
  options.out_dir = plain;
  options.layout = KeyLayout::Nested;
  options.gzip = false;
  generate::generate_fleet(options);
  std::vector<Fix> fixes;
  for (const auto& key : keys_of_date(keys_under(plain), kDay)) {
    std::istringstream lines(read_text(plain / key));
    for (std::string line; std::getline(lines, line);) {
      if (auto fix = parse_fix(line)) fixes.push_back(std::move(*fix));
    }
  }
  fs::remove_all(plain);

  GeneratedDay day;
  day.root = root;
  std::string early, late, next;
  // Event times later than every generated line of kDay (whose writers lag minutes past midnight).
  const std::string later = "2021-03-02T06:00:00.000Z", latest = "2021-03-02T07:00:00.000Z";
  for (std::size_t i = 0; i < fixes.size(); i += 97) {
    const Fix& fix = fixes[i];
    const double lat = fix.lat_deg;
    switch ((i / 97) % 8) {
      case 0: late += fix.with(fix.event_at_text(), lat + 0.001) + "\n"; break;  // wins the tie
      case 1: late += fix.with(fix.event_at_text(), lat - 0.001) + "\n"; break;  // loses the tie
      case 2: early += fix.with(later, lat + 0.01) + "\n"; break;
      case 3:  // superseded again from the next date
        early += fix.with(later, lat + 0.01) + "\n";
        next += fix.with(latest, lat + 0.02) + "\n";
        break;
      case 4: next += fix.with("2021-02-28T00:00:00.000Z", lat + 0.01) + "\n"; break;  // older: loses
      case 5:  // a tie across dates, won by the next date's version
        early += fix.with(later, lat + 0.01) + "\n";
        next += fix.with(later, lat + 0.02) + "\n";
        break;
      case 6:  // a tie across dates, won by this date's version
        early += fix.with(later, lat + 0.02) + "\n";
        next += fix.with(later, lat + 0.01) + "\n";
        break;
      case 7: next += fix.with(latest, lat + 0.03) + "\n"; break;
    }
    ++day.corrected_fixes;
  }
  const std::string vehicle = fixes.empty() ? "none" : fixes.front().vehicle_id;
  auto period = [](const std::string& id, const std::string& at, const std::string& start,
                   const std::string& finish) {
    return fmt::format(
        R"({{"event":"create","on":"operating_period","at":"{}","data":{{"id":"{}","start":"{}","finish":"{}"}},"organization_id":"org-id"}})"
        "\n",
        at, id, start, finish);
  };
  early += period("op_manual_a", "2021-03-01T09:00:00Z", "2021-03-01T10:00:00Z", "2021-03-01T14:00:00Z");
  early += period("op_manual_b", "2021-03-01T09:00:00Z", "2021-03-01T12:00:00Z", "2021-03-01T16:00:00Z");
  late += period("op_manual_c", "2021-03-01T07:00:00Z", "2021-03-01T08:00:00Z", "2021-03-01T20:00:00Z");
  late += fmt::format(
      R"({{"event":"break_start","on":"vehicle","at":"2021-03-01T12:30:00Z","data":{{"id":"{}"}},"organization_id":"org-id"}})"
      "\n",
      vehicle);
  next += period("op_manual_a", "2021-03-02T01:00:00Z", "2021-03-01T11:00:00Z", "2021-03-01T15:00:00Z");
  next +=
      R"({"event":"delete","on":"operating_period","at":"2021-03-02T01:00:00Z","data":{"id":"op_manual_b"},"organization_id":"org-id"})"
      "\n";
  next += fmt::format(
      R"({{"event":"break_end","on":"vehicle","at":"2021-03-01T12:45:00Z","data":{{"id":"{}"}},"organization_id":"org-id"}})"
      "\n",
      vehicle);
  // The early object's name sorts before every generated one, the late one's after them.
  day.early_corrections = correction_key(layout, kDay, "-00-00-00-corrections.txt");
  day.late_corrections = correction_key(layout, kDay, "-23-59-59-corrections.txt");
  day.next_day_corrections = correction_key(layout, kNextDay, "-00-00-01-corrections.txt");
  write_text(root / day.early_corrections, early);
  write_text(root / day.late_corrections, late);
  write_text(root / day.next_day_corrections, next);
  day.keys = keys_under(root);
  return day;
}

}  // namespace d2d::testing::incremental
