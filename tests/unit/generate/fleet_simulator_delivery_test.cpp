// How events reach the lake: out of order, late, twice, and as conflicting versions of one fix.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/geo.h"
#include "generate/fleet_simulator.h"
#include "generated_lake_fixture.h"

namespace d2d::generate {
namespace {
using test_support::day_of;
using test_support::distinct_valid_lines;
using test_support::GeneratedLake;
using test_support::Lake;
using test_support::TempDir;

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

}  // namespace
}  // namespace d2d::generate
