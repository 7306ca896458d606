#include "generate/fleet_simulator.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iterator>
#include <limits>
#include <map>
#include <memory>
#include <regex>
#include <set>
#include <tuple>

#include "core/error.h"
#include "core/geo.h"
#include "core/time.h"
#include "generate_test_support.h"

namespace d2d::generate {
namespace {
namespace fs = std::filesystem;
using test_support::Lake;
using test_support::TempDir;

constexpr std::int64_t kDayUs = core::kMicrosPerDay;

std::int64_t day_of(std::int64_t at_us) { return at_us >= 0 ? at_us / kDayUs : (at_us + 1) / kDayUs - 1; }

std::map<std::string, std::string> read_tree(const fs::path& root) {
  std::map<std::string, std::string> files;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream stream(entry.path(), std::ios::binary);
    files[fs::relative(entry.path(), root).generic_string()] =
        std::string((std::istreambuf_iterator<char>(stream)), std::istreambuf_iterator<char>());
  }
  return files;
}

std::multiset<std::string> distinct_valid_lines(const Lake& lake) {
  std::multiset<std::string> lines;
  std::set<std::string> seen;
  for (const auto& line : lake.valid) {
    if (seen.insert(line.raw).second) lines.insert(line.raw);
  }
  return lines;
}

// One generated lake shared by most tests: two days, a small fleet, breaks and bad lines on.
class GeneratedLake : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    s_dir = std::make_unique<TempDir>();
    s_options = test_support::small_options(s_dir->path());
    s_options.days = 2;
    s_options.breaks = true;
    s_options.bad_ratio = 0.03;
    // Flat: one directory. Creating directories is slow on some disks (a millisecond each here),
    // and ctest sets this suite up again for every test; the nested layout is tested below.
    s_options.layout = KeyLayout::Flat;
    s_summary = generate_fleet(s_options);
    s_lake = std::make_unique<Lake>(test_support::read_lake(s_dir->path()));
  }
  static void TearDownTestSuite() {
    s_lake.reset();
    s_dir.reset();
  }

  static std::unique_ptr<TempDir> s_dir;
  static GenerateOptions s_options;
  static GenerateSummary s_summary;
  static std::unique_ptr<Lake> s_lake;
};

std::unique_ptr<TempDir> GeneratedLake::s_dir;
GenerateOptions GeneratedLake::s_options;
GenerateSummary GeneratedLake::s_summary;
std::unique_ptr<Lake> GeneratedLake::s_lake;

TEST_F(GeneratedLake, SummaryCountsWhatIsOnDisk) {
  EXPECT_EQ(s_summary.files, s_lake->files.size());
  EXPECT_EQ(s_summary.bytes, s_lake->bytes);
  EXPECT_EQ(s_summary.events, s_lake->valid.size());
  EXPECT_EQ(s_summary.bad_lines, s_lake->bad.size());
  EXPECT_EQ(s_summary.blank_lines, s_lake->blank_lines);
  EXPECT_GT(s_summary.events, 10'000u);
}

TEST_F(GeneratedLake, KeysNameTheirLakeDate) {
  // The seconds field is not zero-padded, like the real writer's.
  const std::regex flat(R"(^data/\d{4}-\d\d-\d\d-\d\d-\d\d-(0|[1-9]|[1-5]\d)-events\.json$)");
  std::map<std::int64_t, int> files_per_date;
  for (const auto& file : s_lake->files) {
    EXPECT_TRUE(std::regex_match(file.key, flat)) << file.key;
    ++files_per_date[file.lake_date];
  }
  // Two operating days, then the spill-over of the second night into the third lake date.
  ASSERT_EQ(files_per_date.size(), 3u);
  EXPECT_EQ(files_per_date.begin()->first, s_options.first_day);
  EXPECT_EQ(files_per_date.rbegin()->first, s_options.first_day + 2);
  // A new file every file_seconds while anything is received.
  EXPECT_GT(files_per_date[s_options.first_day], 86'400 / s_options.file_seconds * 2 / 3);
  EXPECT_LE(files_per_date[s_options.first_day], 86'400 / s_options.file_seconds);
}

TEST_F(GeneratedLake, EveryLineIsAValidEventOrAMalformedOneOfTheSpecKinds) {
  const std::set<std::string> known = {"invalid JSON",
                                       "not an object",
                                       "missing event",
                                       "missing on",
                                       "missing at",
                                       "missing data",
                                       "missing data.id",
                                       "at is not a string",
                                       "data is not an object",
                                       "lat is not a number",
                                       "id is not a string",
                                       "organization_id is not a string",
                                       "empty id",
                                       "lat out of range",
                                       "lng out of range",
                                       "unknown on/event pair",
                                       "start after finish",
                                       std::string("at: ") + core::describe(core::TimeError::OutOfRange),
                                       std::string("at: ") + core::describe(core::TimeError::MissingZone)};
  for (const auto& [reason, count] : s_lake->bad_reasons) EXPECT_TRUE(known.contains(reason)) << reason;
  // Cycling through the kinds: with hundreds of bad lines, every reason shows up.
  EXPECT_EQ(s_lake->bad_reasons.size(), known.size());
  const double share = static_cast<double>(s_lake->bad.size()) /
                       static_cast<double>(s_lake->bad.size() + s_lake->valid.size());
  EXPECT_NEAR(share, 0.03, 0.005);
}

TEST_F(GeneratedLake, ValidEventsHaveTheShapeOfTheRealFeed) {
  const std::regex uuid("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");
  const std::regex period_id("^op_2019060[12]_[0-9]$");
  std::map<std::string, int> organizations;
  int updates = 0;
  for (const auto& line : s_lake->valid) {
    const auto& event = line.event;
    organizations[event.organization_id.value_or("<none>")]++;
    if (event.on == "vehicle") {
      EXPECT_TRUE(std::regex_match(event.id, uuid)) << event.id;
    } else {
      EXPECT_TRUE(std::regex_match(event.id, period_id)) << event.id;
    }
    if (event.event != "update") continue;
    ++updates;
    EXPECT_GT(event.lat_deg, 52.39);
    EXPECT_LT(event.lat_deg, 52.61);
    EXPECT_GT(event.lng_deg, 13.19);
    EXPECT_LT(event.lng_deg, 13.61);
    // The fix is taken at or a few milliseconds before the event.
    EXPECT_LE(event.fix_us, event.at_us);
    EXPECT_LT(event.at_us - event.fix_us, 10'000);
  }
  EXPECT_GT(updates, 10'000);
  EXPECT_GT(organizations["org-id"], updates / 2);
  EXPECT_GT(organizations["<none>"], 0);  // organization_id missing or null on some events
  // The sample's spelling is the usual one.
  EXPECT_NE(s_lake->valid.front().raw.find("{\"event\":"), std::string::npos);
}

TEST_F(GeneratedLake, TimestampsUseSeveralValidSpellings) {
  std::map<std::string, int> spellings;
  const std::regex at_re(R"re("at":"[0-9-]+T[0-9:]+(\.[0-9]+)?(Z|[+-][0-9:]+)")re");
  for (const auto& line : s_lake->valid) {
    std::smatch match;
    ASSERT_TRUE(std::regex_search(line.raw, match, at_re)) << line.raw;
    spellings[std::to_string(match[1].length()) + match[2].str()]++;
  }
  EXPECT_GT(spellings["4Z"], static_cast<int>(s_lake->valid.size() * 9 / 10));  // milliseconds
  EXPECT_GT(spellings["7Z"], 0);                                                // microseconds
  EXPECT_GT(spellings["10Z"], 0);                                               // nanoseconds
  EXPECT_GT(spellings["0Z"], 0);                                                // no fraction
  EXPECT_GT(spellings["4+02:00"], 0);
  EXPECT_GT(spellings["4-03:00"], 0);
}

TEST_F(GeneratedLake, VehiclesRegisterUpdateAndDeregisterEachDay) {
  std::map<std::string, std::set<std::pair<std::int64_t, std::string>>> timeline;
  for (const auto& line : s_lake->valid) {
    if (line.event.on == "vehicle") timeline[line.event.id].insert({line.event.at_us, line.event.event});
  }
  ASSERT_EQ(timeline.size(), static_cast<std::size_t>(s_options.vehicles));
  for (const auto& [id, events] : timeline) {
    std::string state = "off";
    int shifts = 0;
    for (const auto& [at_us, event] : events) {
      const std::string before = state;
      if (event == "register") {
        EXPECT_EQ(before, "off") << id;
        state = "on";
        ++shifts;
      } else if (event == "update") {
        EXPECT_NE(before, "off") << id;
      } else if (event == "break_start") {
        EXPECT_EQ(before, "on") << id;
        state = "break";
      } else if (event == "break_end") {
        EXPECT_EQ(before, "break") << id;
        state = "on";
      } else {
        EXPECT_EQ(event, "deregister");
        EXPECT_EQ(before, "on") << id;
        state = "off";
      }
    }
    EXPECT_EQ(state, "off") << id;
    EXPECT_EQ(shifts, s_options.days) << id;
  }
}

TEST_F(GeneratedLake, FixesComeEveryIntervalAtStreetSpeeds) {
  std::map<std::string, std::set<std::tuple<std::int64_t, double, double>>> fixes;
  for (const auto& line : s_lake->valid) {
    if (line.event.event == "update")
      fixes[line.event.id].insert({line.event.fix_us, line.event.lat_deg, line.event.lng_deg});
  }
  const double interval_us = s_options.interval_s * 1e6;
  double distance_m = 0;
  double time_s = 0;
  int pairs = 0;
  for (const auto& [id, track] : fixes) {
    for (auto it = std::next(track.begin()); it != track.end(); ++it) {
      const auto& [at0, lat0, lng0] = *std::prev(it);
      const auto& [at1, lat1, lng1] = *it;
      const auto dt_us = static_cast<double>(at1 - at0);
      if (dt_us > 2 * interval_us) continue;  // between two shifts
      EXPECT_GT(dt_us, 0.85 * interval_us) << id;
      EXPECT_LT(dt_us, 1.15 * interval_us) << id;
      const double step_m = core::haversine_m(lat0, lng0, lat1, lng1);
      EXPECT_LT(step_m / (dt_us / 1e6) * 3.6, 57.0) << id;  // 50 km/h plus GPS noise
      distance_m += step_m;
      time_s += dt_us / 1e6;
      ++pairs;
    }
  }
  ASSERT_GT(pairs, 1000);
  const double mean_kmh = distance_m / time_s * 3.6;
  EXPECT_GT(mean_kmh, 10.0);
  EXPECT_LT(mean_kmh, 40.0);
}

TEST_F(GeneratedLake, LinesAreNotSortedWithinFiles) {
  int inversions = 0;  // neighbours in a file whose `at` goes backwards
  for (std::size_t i = 1; i < s_lake->valid.size(); ++i) {
    const auto& previous = s_lake->valid[i - 1];
    const auto& line = s_lake->valid[i];
    if (previous.file_index == line.file_index && previous.event.at_us > line.event.at_us) ++inversions;
  }
  EXPECT_GT(inversions, static_cast<int>(s_lake->valid.size() / 4));
}

TEST_F(GeneratedLake, LateEventsLandInTheNextLakeDatesFiles) {
  std::uint64_t late = 0;
  for (const auto& line : s_lake->valid) {
    const std::int64_t event_day = day_of(line.event.at_us);
    EXPECT_LE(event_day, line.lake_date);  // the writer never files an event before it happened
    if (event_day < line.lake_date) ++late;
  }
  EXPECT_GT(late, 0u);
  EXPECT_EQ(late, s_summary.late_events);
}

TEST_F(GeneratedLake, SomeEventsAreDeliveredTwice) {
  std::map<std::string, std::vector<std::size_t>> files_of_line;
  for (const auto& line : s_lake->valid) files_of_line[line.raw].push_back(line.file_index);
  std::uint64_t extra_copies = 0;
  int same_file = 0;
  int later_file = 0;
  for (const auto& [raw, files] : files_of_line) {
    extra_copies += files.size() - 1;
    if (files.size() == 2) (files[0] == files[1] ? same_file : later_file)++;
  }
  EXPECT_EQ(extra_copies, s_summary.duplicates);
  EXPECT_GT(same_file, 0);
  EXPECT_GT(later_file, 0);
  EXPECT_NEAR(static_cast<double>(extra_copies) / static_cast<double>(s_lake->valid.size()), 0.005, 0.003);
}

TEST_F(GeneratedLake, BreaksParkTheVehicleAndOneCrossesMidnight) {
  std::map<std::string, std::vector<std::pair<std::int64_t, std::int64_t>>> breaks;
  std::map<std::string, std::int64_t> open_break;
  std::set<std::pair<std::int64_t, std::string>> ordered;
  for (const auto& line : s_lake->valid) {
    if (line.event.event == "break_start" || line.event.event == "break_end") {
      ordered.insert({line.event.at_us, line.event.id + " " + line.event.event});
    }
  }
  for (const auto& [at_us, what] : ordered) {
    const std::string id = what.substr(0, what.find(' '));
    if (what.ends_with("break_start")) {
      open_break[id] = at_us;
    } else {
      breaks[id].push_back({open_break.at(id), at_us});
    }
  }
  int crossing_midnight = 0;
  int total = 0;
  for (const auto& [id, list] : breaks) {
    for (const auto& [start_us, end_us] : list) {
      ++total;
      EXPECT_GE(end_us - start_us, 10 * 60 * core::kMicrosPerSecond);
      EXPECT_LE(end_us - start_us, 30 * 60 * core::kMicrosPerSecond);
      if (day_of(start_us) != day_of(end_us)) ++crossing_midnight;
      // Parked: the fixes during the break stay within GPS noise of each other.
      double first_lat = 0, first_lng = 0, spread_m = 0;
      int fixes = 0;
      for (const auto& line : s_lake->valid) {
        if (line.event.event != "update" || line.event.id != id) continue;
        if (line.event.at_us <= start_us || line.event.at_us >= end_us) continue;
        if (fixes++ == 0) {
          first_lat = line.event.lat_deg;
          first_lng = line.event.lng_deg;
        }
        spread_m = std::max(spread_m,
                            core::haversine_m(first_lat, first_lng, line.event.lat_deg, line.event.lng_deg));
      }
      EXPECT_GT(fixes, 10);
      EXPECT_LT(spread_m, 25.0);
    }
  }
  EXPECT_GE(total, s_options.vehicles * s_options.days);
  EXPECT_GE(crossing_midnight, 1);
}

TEST_F(GeneratedLake, OperatingPeriodsCrossMidnightAndAreMovedOrDeleted) {
  std::map<std::string, std::set<std::pair<std::int64_t, std::int64_t>>> windows;
  std::set<std::string> deleted;
  int crossing = 0;
  for (const auto& line : s_lake->valid) {
    const auto& event = line.event;
    if (event.on != "operating_period") continue;
    if (event.event == "delete") {
      deleted.insert(event.id);
      continue;
    }
    EXPECT_LT(event.at_us, event.start_us) << event.id;  // announced before it starts
    windows[event.id].insert({event.start_us, event.finish_us});
    if (day_of(event.start_us) != day_of(event.finish_us)) ++crossing;
  }
  EXPECT_GE(windows.size(), 12u);  // 6-10 per day
  EXPECT_GE(crossing, 2);          // at least one per day
  EXPECT_GE(deleted.size(), 2u);
  const auto moved = std::count_if(windows.begin(), windows.end(),
                                   [](const auto& entry) { return entry.second.size() > 1; });
  EXPECT_GE(moved, 2);
  EXPECT_TRUE(windows.contains("op_20190601_0"));
  EXPECT_TRUE(windows.contains("op_20190602_0"));
}

TEST_F(GeneratedLake, FilesShowEveryValidQuirk) {
  int bom = 0, crlf = 0, no_final_newline = 0;
  for (const auto& file : s_lake->files) {
    bom += file.bom ? 1 : 0;
    crlf += file.crlf ? 1 : 0;
    no_final_newline += file.final_newline ? 0 : 1;
  }
  EXPECT_GT(bom, 0);
  EXPECT_GT(crlf, 0);
  EXPECT_GT(no_final_newline, 0);
  EXPECT_GT(s_lake->blank_lines, 0u);
}

TEST_F(GeneratedLake, SameOptionsGiveTheSameBytes) {
  TempDir again;
  GenerateOptions options = s_options;
  options.out_dir = again.path();
  const GenerateSummary summary = generate_fleet(options);
  EXPECT_EQ(summary.bytes, s_summary.bytes);
  EXPECT_TRUE(read_tree(again.path()) == read_tree(s_dir->path()));
}

TEST_F(GeneratedLake, ValidEventsDoNotDependOnLayoutCompressionOrBadLines) {
  TempDir other;
  GenerateOptions options = s_options;
  options.out_dir = other.path();
  options.layout = KeyLayout::Nested;
  options.gzip = true;
  options.bad_ratio = 0;
  options.file_seconds = 7200;
  const GenerateSummary summary = generate_fleet(options);
  const Lake lake = test_support::read_lake(other.path());
  EXPECT_EQ(summary.bad_lines, 0u);
  EXPECT_TRUE(lake.bad.empty());
  EXPECT_TRUE(distinct_valid_lines(lake) == distinct_valid_lines(*s_lake));
  const std::regex nested(
      R"(^(\d{4})/(\d\d)/(\d\d)/(\d\d)/(\d\d)/\1-\2-\3-\4-\5-(0|[1-9]|[1-5]\d)-events\.txt\.gz$)");
  for (const auto& file : lake.files) {
    EXPECT_TRUE(std::regex_match(file.key, nested)) << file.key;
    EXPECT_EQ(file.key.substr(0, 10),
              core::format_date(file.lake_date).replace(4, 1, "/").replace(7, 1, "/"));
  }
  EXPECT_LT(lake.files.size(), s_lake->files.size() / 3);  // two-hour files
  EXPECT_EQ(summary.bytes, lake.bytes);
  EXPECT_LT(lake.bytes * 4, s_summary.bytes);  // compressed
}

// --conflict-ratio: versions of one fix (vehicle, location.at) at other positions, sent with the
// same event `at` (ties) or later ones, some in the next lake date's files; the rest unchanged.
TEST_F(GeneratedLake, ConflictingVersionsOfFixesAreAddedAndNothingElseChanges) {
  TempDir other;
  GenerateOptions options = s_options;
  options.out_dir = other.path();
  options.conflict_ratio = 0.05;
  generate_fleet(options);
  const Lake lake = test_support::read_lake(other.path());
  struct Version {
    std::int64_t at_us;
    double lat, lng;
    std::int64_t lake_date;
  };
  std::map<std::pair<std::string, std::int64_t>, std::vector<Version>> versions;
  for (const auto& line : lake.valid) {
    if (line.event.event != "update") continue;
    auto& list = versions[{line.event.id, line.event.fix_us}];
    const Version version{line.event.at_us, line.event.lat_deg, line.event.lng_deg, line.lake_date};
    const bool duplicate = std::any_of(list.begin(), list.end(), [&](const Version& v) {
      return v.at_us == version.at_us && v.lat == version.lat && v.lng == version.lng;
    });
    if (!duplicate) list.push_back(version);
  }
  std::size_t fixes = 0, conflicted = 0, ties = 0, later = 0, across_dates = 0;
  for (const auto& [key, list] : versions) {
    ++fixes;
    if (list.size() < 2) continue;
    ++conflicted;
    ASSERT_EQ(list.size(), 2U) << key.first;
    const Version& first = list[0].at_us <= list[1].at_us ? list[0] : list[1];
    const Version& second = &first == &list[0] ? list[1] : list[0];
    EXPECT_TRUE(first.lat != second.lat && first.lng != second.lng) << key.first;
    EXPECT_LT(core::haversine_m(first.lat, first.lng, second.lat, second.lng), 80.0);
    if (first.at_us == second.at_us) ++ties;
    if (first.at_us < second.at_us) ++later;
    if (first.lake_date != second.lake_date) ++across_dates;
  }
  EXPECT_NEAR(static_cast<double>(conflicted) / static_cast<double>(fixes), 0.05, 0.01);
  EXPECT_NEAR(static_cast<double>(ties) / static_cast<double>(conflicted), 1.0 / 3.0, 0.08);
  EXPECT_EQ(ties + later, conflicted);
  EXPECT_GT(across_dates, 0U);
  // Without them the same lake as before: every line of the shared lake is there, bad ones too.
  const auto with = distinct_valid_lines(lake);
  for (const auto& line : distinct_valid_lines(*s_lake)) EXPECT_EQ(with.count(line), 1U) << line;
  EXPECT_EQ(lake.bad.size(), s_lake->bad.size());
}

TEST(GenerateFleet, ADifferentSeedGivesADifferentFleet) {
  TempDir first, second;
  GenerateOptions options = test_support::small_options(first.path());
  options.vehicles = 2;
  options.interval_s = 60;
  generate_fleet(options);
  options.out_dir = second.path();
  options.seed = 8;
  generate_fleet(options);
  const Lake a = test_support::read_lake(first.path());
  const Lake b = test_support::read_lake(second.path());
  std::set<std::string> ids_a, ids_b;
  for (const auto& line : a.valid) ids_a.insert(line.event.id);
  for (const auto& line : b.valid) ids_b.insert(line.event.id);
  EXPECT_FALSE(read_tree(first.path()) == read_tree(second.path()));
  std::vector<std::string> common;
  std::set_intersection(ids_a.begin(), ids_a.end(), ids_b.begin(), ids_b.end(), std::back_inserter(common));
  for (const auto& id : common) EXPECT_TRUE(id.starts_with("op_")) << id;  // vehicle ids differ
}

TEST(GenerateFleet, OnlyBadLinesWithRatioOne) {
  TempDir dir;
  GenerateOptions options = test_support::small_options(dir.path());
  options.vehicles = 1;
  options.interval_s = 300;
  options.bad_ratio = 1.0;
  const GenerateSummary summary = generate_fleet(options);
  const Lake lake = test_support::read_lake(dir.path());
  EXPECT_EQ(summary.events, 0u);
  EXPECT_TRUE(lake.valid.empty());
  EXPECT_EQ(lake.bad.size(), summary.bad_lines);
  EXPECT_GT(summary.bad_lines, 50u);
}

TEST(GenerateFleet, WithoutBreaksThereAreNoBreakEvents) {
  TempDir dir;
  GenerateOptions options = test_support::small_options(dir.path());
  options.vehicles = 3;
  options.interval_s = 60;
  const GenerateSummary summary = generate_fleet(options);
  const Lake lake = test_support::read_lake(dir.path());
  EXPECT_TRUE(lake.bad.empty());
  EXPECT_EQ(summary.bad_lines, 0u);
  for (const auto& line : lake.valid) EXPECT_FALSE(line.event.event.starts_with("break_")) << line.raw;
}

TEST(GenerateFleet, InvalidOptionsAreUsageErrors) {
  TempDir dir;
  auto usage_error = [&](auto change) {
    GenerateOptions options = test_support::small_options(dir.path() / "never");
    change(options);
    try {
      generate_fleet(options);
    } catch (const core::Error& error) {
      return error.kind() == core::ErrorKind::Usage && !std::string(error.what()).empty();
    }
    return false;
  };
  EXPECT_TRUE(usage_error([](GenerateOptions& o) { o.vehicles = 0; }));
  EXPECT_TRUE(usage_error([](GenerateOptions& o) { o.interval_s = 0; }));
  EXPECT_TRUE(usage_error([](GenerateOptions& o) { o.days = 0; }));
  EXPECT_TRUE(usage_error([](GenerateOptions& o) { o.bad_ratio = -0.1; }));
  EXPECT_TRUE(usage_error([](GenerateOptions& o) { o.bad_ratio = 1.5; }));
  EXPECT_TRUE(
      usage_error([](GenerateOptions& o) { o.bad_ratio = std::numeric_limits<double>::quiet_NaN(); }));
  EXPECT_TRUE(usage_error([](GenerateOptions& o) { o.conflict_ratio = 1.5; }));
  EXPECT_TRUE(usage_error([](GenerateOptions& o) { o.file_seconds = 0; }));
  EXPECT_TRUE(usage_error([](GenerateOptions& o) { o.gzip_level = 10; }));
  EXPECT_TRUE(usage_error([](GenerateOptions& o) { o.out_dir.clear(); }));
  EXPECT_FALSE(fs::exists(dir.path() / "never"));  // validated before anything is written
}

TEST(GenerateFleet, AnUnwritableOutputIsAnInputError) {
  TempDir dir;
  std::ofstream(dir.path() / "file") << "not a directory";
  GenerateOptions options = test_support::small_options(dir.path() / "file" / "out");
  options.vehicles = 1;
  try {
    generate_fleet(options);
    FAIL() << "expected an error";
  } catch (const core::Error& error) {
    EXPECT_EQ(error.kind(), core::ErrorKind::Input);
    EXPECT_NE(std::string(error.what()).find("cannot create directory"), std::string::npos) << error.what();
  }
}

}  // namespace
}  // namespace d2d::generate
