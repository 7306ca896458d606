// What the simulated fleet does over its days: shifts, fixes at street speeds, breaks, operating periods.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "core/geo.h"
#include "core/time.h"
#include "generate/fleet_simulator.h"
#include "generated_lake_fixture.h"

namespace d2d::generate {
namespace {
using test_support::day_of;
using test_support::GeneratedLake;

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

}  // namespace
}  // namespace d2d::generate
