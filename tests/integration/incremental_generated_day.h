// The generated lake dates the incremental_*_test.cpp files load, and the helpers that move their objects.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "generate/fleet_simulator.h"

namespace d2d::testing::incremental {

inline constexpr const char* kDay = "2021-03-01";
inline constexpr const char* kNextDay = "2021-03-02";  // the generator spills the day's last hours into it

// The lake date of a key: the YYYY-MM-DD its file name starts with (SPEC §2).
std::string date_of(const std::string& key);

std::vector<std::string> keys_under(const std::filesystem::path& root);

std::vector<std::string> keys_of_date(const std::vector<std::string>& keys, const std::string& date);

std::set<std::string> dates_of(const std::vector<std::string>& keys);

void copy_objects(const std::filesystem::path& from, const std::filesystem::path& to,
                  const std::vector<std::string>& keys);

// Rewrites a source object in place (same inode) with another body, and gives it a modification
// time it never had: a same-size rewrite within the same second could otherwise pass the
// source's quick check, which is not what these tests are about.
void rewrite(const std::filesystem::path& object, const std::function<std::string(const std::string&)>& edit);

// Applies `edit` to each line (without its end) of a text; a line `edit` empties is dropped.
std::string edit_lines(const std::string& text, const std::function<std::string(std::string, int)>& edit);

// Every fix of a line moved by one unit in the last digit of its latitude: the same size.
std::string nudge_latitudes(const std::string& text);

struct GeneratedDay {
  std::filesystem::path root;        // the objects, keys relative to it
  std::vector<std::string> keys;     // every object of both dates, sorted
  std::string early_corrections;     // of kDay: later versions of fixes, operating periods
  std::string late_corrections;      // of kDay: ties on event `at`, a period and a break start
  std::string next_day_corrections;  // of kNextDay: versions of kDay's fixes, period moves, break end
  std::size_t corrected_fixes = 0;
};

// A small generated day (6 vehicles, breaks, 1% bad lines, 5% conflicting versions of fixes) and
// three hand-made objects that make sure winners move between objects and across the date
// boundary: for a sample of kDay's fixes another version that wins or loses on a later event
// `at`, on an earlier one, or on a tie of event `at` (SPEC §4: the greater (lat, lng) wins), some
// in the next lake date's object; an operating period created in kDay and moved or deleted from
// kNextDay; a break that starts in one object and ends in another date's.
GeneratedDay generate_day(const std::filesystem::path& root, std::uint64_t seed, generate::KeyLayout layout,
                          bool gzip);

}  // namespace d2d::testing::incremental
