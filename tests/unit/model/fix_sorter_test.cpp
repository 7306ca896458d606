// FixSorter hands out each key's best version once, in key order, whether the day fits in
// memory or is spilled to sorted runs and merged; checked against a plain sort of the same rows.
#include "model/fix_sorter.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <span>
#include <tuple>

namespace d2d::model {
namespace {

struct Version {
  std::string vehicle;
  core::UtcMicros at_us;
  core::UtcMicros event_at_us;
  double lat, lng;
  std::optional<std::string> organization;
};

std::vector<Version> random_versions(std::size_t count, std::uint32_t seed) {
  std::mt19937 random(seed);
  std::vector<Version> versions;
  const std::vector<std::optional<std::string>> organizations = {std::nullopt, "org_a", "org_b", ""};
  for (std::size_t i = 0; i < count; ++i) {
    // Few vehicles and times, so most keys have several versions, some exactly tied but for one field.
    versions.push_back({"vehicle_" + std::to_string(random() % 7),
                        static_cast<core::UtcMicros>(random() % 50),
                        static_cast<core::UtcMicros>(random() % 3), static_cast<double>(random() % 2),
                        static_cast<double>(random() % 2), organizations[random() % organizations.size()]});
  }
  return versions;
}

// What SPEC §4 says, written plainly: per key, the greatest (event at, lat, lng, organization or '').
std::map<std::pair<std::string, core::UtcMicros>, Version> expected_winners(
    const std::vector<Version>& versions) {
  std::map<std::pair<std::string, core::UtcMicros>, Version> winners;
  // An empty organization beats none (they tie on COALESCE(organization_id, '')).
  auto rank = [](const Version& v) {
    return std::make_tuple(v.event_at_us, v.lat, v.lng, v.organization.value_or(""),
                           v.organization.has_value());
  };
  for (const Version& version : versions) {
    auto [at, inserted] = winners.try_emplace({version.vehicle, version.at_us}, version);
    if (!inserted && rank(version) > rank(at->second)) at->second = version;
  }
  return winners;
}

void add_all(FixSorter& sorter, std::span<const Version> versions) {
  for (const Version& v : versions) {
    sorter.add({v.vehicle, v.at_us, v.event_at_us, v.lat, v.lng,
                v.organization ? std::optional<std::string_view>(*v.organization) : std::nullopt});
  }
}

// One walk of `sorter` hands out exactly the winners of `versions`, each once, in key order.
void expect_winners(FixSorter& sorter, const std::vector<Version>& versions, bool walk_again = false) {
  auto winners = expected_winners(versions);
  std::vector<std::pair<std::string, core::UtcMicros>> seen;
  sorter.for_each_best(
      [&](const LocationRow& row) {
        const std::pair<std::string, core::UtcMicros> key{std::string(row.vehicle_id), row.at_us};
        ASSERT_TRUE(winners.contains(key));
        const Version& want = winners.at(key);
        EXPECT_EQ(row.event_at_us, want.event_at_us);
        EXPECT_EQ(row.lat_deg, want.lat);
        EXPECT_EQ(row.lng_deg, want.lng);
        EXPECT_EQ(row.organization_id.has_value(), want.organization.has_value());
        EXPECT_EQ(std::string(row.organization_id.value_or("")), want.organization.value_or(""));
        seen.push_back(key);
      },
      walk_again);
  EXPECT_EQ(seen.size(), winners.size()) << "every key once";
  // Keys in order: vehicle ids in byte order (as COLLATE "C" and SQLite sort them), then times.
  for (std::size_t i = 1; i < seen.size(); ++i) EXPECT_LT(seen[i - 1], seen[i]);
}

void check(std::size_t rows_in_memory, std::size_t count, std::uint32_t seed) {
  const auto versions = random_versions(count, seed);
  FixSorter sorter(rows_in_memory);
  add_all(sorter, versions);
  if (rows_in_memory < count) {
    EXPECT_GE(sorter.spilled_runs(), count / rows_in_memory);
  }
  expect_winners(sorter, versions);
  if (rows_in_memory < count) {
    EXPECT_GT(sorter.spilled_runs(), 1U) << "a walk not followed by another leaves the runs as they are";
  }
  expect_winners(sorter, versions, /*walk_again=*/true);
  // A merge before another walk left one run of winners in place of the spilled ones.
  if (rows_in_memory < count) {
    EXPECT_EQ(sorter.spilled_runs(), 1U);
  }
  // Later passes hand out the same rows (PostgreSQL's load walks the day three times).
  expect_winners(sorter, versions);
  expect_winners(sorter, versions);
}

TEST(FixSorter, InMemoryGivesEachKeysBestVersionOnceInKeyOrder) { check(1'000'000, 5000, 1); }

TEST(FixSorter, SpilledRunsMergeToTheSameResult) {
  check(97, 5000, 2);  // 52 runs, some of one key's versions in several runs
  check(1, 300, 3);    // every row its own run
}

// Ranks are recomputed as vehicles appear: a vehicle first seen in a later spilled run, whose
// name sorts first, still comes first.
TEST(FixSorter, VehiclesComeInByteOrderWhateverRunTheyFirstAppearIn) {
  FixSorter sorter(2);
  for (const char* vehicle : {"m", "z", "b", "a", "\xC3\xA9", "B"})
    sorter.add({vehicle, 1, 1, 0, 0, std::nullopt});
  std::vector<std::string> order;
  sorter.for_each_best([&](const LocationRow& row) { order.emplace_back(row.vehicle_id); });
  EXPECT_EQ(order, (std::vector<std::string>{"B", "a", "b", "m", "z", "\xC3\xA9"}));
}

// Rows added after a walk (a later version of a key, a worse one, new keys) merge with the run
// that walk left, as if all had been added at once.
TEST(FixSorter, AddingAfterAWalkMergesWithItsRunOfWinners) {
  const auto versions = random_versions(3000, 4);
  const std::span<const Version> all(versions);
  FixSorter sorter(101);
  add_all(sorter, all.first(2000));
  expect_winners(sorter, std::vector<Version>(all.begin(), all.begin() + 2000), /*walk_again=*/true);
  EXPECT_EQ(sorter.spilled_runs(), 1U);
  add_all(sorter, all.subspan(2000));
  EXPECT_GT(sorter.spilled_runs(), 1U);
  expect_winners(sorter, versions, /*walk_again=*/true);
  expect_winners(sorter, versions);
}

// In memory, rows are sorted in chunks of 2^16 as they come and the chunks merged at the walk: a
// vehicle first seen in a late chunk whose name sorts first still comes first, and rows added
// after a walk merge with the rows walked.
TEST(FixSorter, ChunksSortedWhileAddingGiveTheSameResult) {
  auto versions = random_versions(150'000, 5);
  auto late = random_versions(60'000, 6);
  for (Version& version : late) version.vehicle = "a_" + version.vehicle;  // before every earlier one
  versions.insert(versions.end(), late.begin(), late.end());
  const std::span<const Version> all(versions);
  FixSorter sorter(1'000'000);
  add_all(sorter, all.first(140'000));
  expect_winners(sorter, std::vector<Version>(all.begin(), all.begin() + 140'000));
  add_all(sorter, all.subspan(140'000));
  expect_winners(sorter, versions);
  expect_winners(sorter, versions);
  EXPECT_EQ(sorter.spilled_runs(), 0U);
}

TEST(FixSorter, NothingAddedVisitsNothing) {
  FixSorter sorter(10);
  int visits = 0;
  sorter.for_each_best([&](const LocationRow&) { ++visits; });
  EXPECT_EQ(visits, 0);
}

}  // namespace
}  // namespace d2d::model
