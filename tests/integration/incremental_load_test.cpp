// Incremental loads in any order give the one-shot load; the other cases have files of their own.
//
// Issue 19 item 6, SPEC §8: a lake date that gains objects between runs ends in exactly the state
// one load of all its objects gives (every relation row for row, and `d2d report`), whatever the
// order and grouping in which the objects arrived, when objects are rewritten or vanish, and when
// two runs of the date overlap. Both engines. These tests hold for a pipeline that reloads the
// whole date on every change as well as for one that loads only the new objects; the LoadMode
// tests (incremental_load_mode_test.cpp) say which one ran (etl_run.load_mode, etl_run.objects_loaded).
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "harness.h"
#include "incremental_fixture.h"
#include "incremental_generated_day.h"

namespace d2d::testing::incremental {
namespace {
namespace fs = std::filesystem;
using generate::KeyLayout;

D2D_FOR_EACH_WAREHOUSE(IncrementalLoad);

// Whether a dump holds a time: SQLite keeps ISO-8601 text, PostgreSQL prints timestamptz.
bool holds_time(const std::string& dump, const std::string& date, const std::string& time) {
  return dump.find(date + "T" + time) != std::string::npos ||
         dump.find(date + " " + time) != std::string::npos;
}

// The reference must hold what the corrections were made to exercise, or equality proves little.
void expect_rich(const State& reference) {
  EXPECT_NE(reference.dump.find("== vehicle_break\n"), std::string::npos);
  EXPECT_TRUE(holds_time(reference.dump, kDay, "12:30:00")) << "the hand-made break";
  EXPECT_NE(reference.dump.find(std::string("|") + kNextDay + "|"), std::string::npos)
      << "winners from the next date's objects";
  EXPECT_NE(reference.report.find("op_manual_a,"), std::string::npos) << reference.report;
  EXPECT_NE(reference.report.find("op_manual_c,"), std::string::npos) << reference.report;
  EXPECT_EQ(reference.report.find("op_manual_b,"), std::string::npos) << "deleted from the next date";
  EXPECT_NE(reference.report.find("2021-03-01T11:00:00"), std::string::npos) << "op_manual_a moved";
  const auto rejected = reference.dump.find("== rejected_event\n");
  ASSERT_NE(rejected, std::string::npos);
  EXPECT_NE(reference.dump.compare(rejected + 18, 3, "== "), 0) << "rejected lines are part of the state";
}

// A plan of arrival: the objects of each increment, in order.
using Increments = std::vector<std::vector<std::string>>;

// 1..max_k increments of a random order of `keys`, cut at random places.
Increments random_increments(std::vector<std::string> keys, std::mt19937_64& random, int max_k) {
  std::shuffle(keys.begin(), keys.end(), random);
  const int k = std::uniform_int_distribution<int>(1, max_k)(random);
  std::set<std::size_t> cuts = {0, keys.size()};
  while (cuts.size() < static_cast<std::size_t>(k) + 1) {
    cuts.insert(std::uniform_int_distribution<std::size_t>(1, keys.size() - 1)(random));
  }
  Increments increments;
  for (auto cut = cuts.begin(); std::next(cut) != cuts.end(); ++cut) {
    increments.emplace_back(keys.begin() + static_cast<std::ptrdiff_t>(*cut),
                            keys.begin() + static_cast<std::ptrdiff_t>(*std::next(cut)));
  }
  return increments;
}

std::string describe(const Increments& increments) {
  std::vector<std::size_t> sizes;
  for (const auto& increment : increments) sizes.push_back(increment.size());
  return fmt::format("{} increment(s) of {} objects", increments.size(), fmt::join(sizes, "+"));
}

// Item 6's property test. Each increment's objects are added to the source, then every date that
// has objects so far is run, in a random order (a date the increment did not touch has nothing to
// do, and must not take in the other date's new objects). After the last increment the warehouse
// equals the one-shot load. Two days: nested plain keys, and flat gzip keys where both dates'
// objects share one folder.
TEST_P(IncrementalLoad, IncrementsInAnyOrderGiveTheOneShotLoad) {
  struct Variant {
    std::uint64_t seed;
    KeyLayout layout;
    bool gzip;
  };
  const Variant variants[] = {{3, KeyLayout::Nested, false}, {5, KeyLayout::Flat, true}};
  for (std::size_t v = 0; v < std::size(variants); ++v) {
    const GeneratedDay day = generate_day(m_dir / fmt::format("day-{}", v), variants[v].seed,
                                          variants[v].layout, variants[v].gzip);
    ASSERT_GT(keys_of_date(day.keys, kDay).size(), 100U);
    ASSERT_GT(keys_of_date(day.keys, kNextDay).size(), 10U);
    EXPECT_GT(day.corrected_fixes, 100U);
    const State reference = one_shot(day.root, day.keys);
    expect_rich(reference);

    std::vector<std::pair<std::string, Increments>> plans;
    // Newest objects first, in four increments: every late object arrives after later ones.
    {
      std::vector<std::string> newest_first = day.keys;
      std::sort(newest_first.begin(), newest_first.end(), [](const std::string& a, const std::string& b) {
        return fs::path(a).filename() > fs::path(b).filename();
      });
      Increments increments(4);
      for (std::size_t i = 0; i < newest_first.size(); ++i) {
        increments[i * 4 / newest_first.size()].push_back(newest_first[i]);
      }
      plans.emplace_back("newest first", increments);
    }
    // Every other object, then the holes.
    {
      Increments increments(2);
      for (std::size_t i = 0; i < day.keys.size(); ++i) increments[i % 2].push_back(day.keys[i]);
      plans.emplace_back("holes filled later", increments);
    }
    // A random order: most of it at once, then the last five one object at a time (streaming).
    {
      std::vector<std::string> keys = day.keys;
      std::mt19937_64 random(100 + v);
      std::shuffle(keys.begin(), keys.end(), random);
      Increments increments(1, std::vector<std::string>(keys.begin(), keys.end() - 5));
      for (auto key = keys.end() - 5; key != keys.end(); ++key) increments.push_back({*key});
      plans.emplace_back("one object at a time at the end", increments);
    }
    for (const std::uint64_t seed : {11, 12, 13}) {
      std::mt19937_64 random(seed * 10 + v);
      plans.emplace_back(fmt::format("random, seed {}", seed), random_increments(day.keys, random, 8));
    }

    for (const auto& [name, increments] : plans) {
      const std::string what =
          fmt::format("day {} ({}): {}, {}", v, variants[v].seed, name, describe(increments));
      SCOPED_TRACE(what);
      start_over();
      std::mt19937_64 random(increments.size() * 1000 + v);
      std::set<std::string> dates;
      for (const auto& increment : increments) {
        copy_objects(day.root, source(), increment);
        for (const auto& date : dates_of(increment)) dates.insert(date);
        std::vector<std::string> order(dates.begin(), dates.end());
        std::shuffle(order.begin(), order.end(), random);
        for (const auto& date : order) ASSERT_NO_FATAL_FAILURE(run_ok(date));
      }
      expect_same(reference, state(), what);
    }
  }
}

}  // namespace
}  // namespace d2d::testing::incremental
