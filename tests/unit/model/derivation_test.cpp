// Derivation (model/derivation.h) against an in-memory DeriveStore: which periods a load
// affects, what their distances become, how breaks are re-paired, and what it asks of a store.
#include "model/derivation.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "core/error.h"

namespace d2d::model {
namespace {

constexpr core::UtcMicros kMinute = 60 * core::kMicrosPerSecond;
constexpr core::UtcMicros kDay = core::kMicrosPerDay;
constexpr core::UtcMicros kDay1 = 18'000 * kDay;  // 2019-04-15, any whole day

// What a warehouse would hold after the load's writes, before derivation.
class FakeStore final : public DeriveStore {
 public:
  // The store's state.
  std::map<std::string, std::vector<Fix>> fixes;  // by vehicle, by time
  std::map<std::string, std::vector<BreakSpan>> stored_breaks;
  std::map<std::string, std::vector<BreakEvent>> events;
  std::vector<std::string> changed_break_vehicles;
  std::vector<core::UtcMicros> previous_fix_times;
  std::map<std::string, std::optional<std::pair<core::UtcMicros, core::UtcMicros>>>
      periods;  // nullopt: deleted
  std::vector<std::string> changed_period_ids;
  // What derivation did.
  std::map<std::string, std::vector<DistanceRow>> distances;
  std::vector<std::size_t> break_batches;
  int for_each_fix_calls = 0;
  bool out_of_order = false;

  std::vector<std::string> vehicles_with_changed_break_events() override { return changed_break_vehicles; }
  BreaksByVehicle breaks_of(std::span<const std::string> vehicles) override {
    break_batches.push_back(vehicles.size());
    BreaksByVehicle result;
    for (const std::string& vehicle : vehicles) result[vehicle] = {stored_breaks[vehicle], events[vehicle]};
    return result;
  }
  void replace_breaks(const BreakSpansByVehicle& spans) override {
    for (const auto& [vehicle, vehicle_spans] : spans) stored_breaks[vehicle] = vehicle_spans;
  }
  std::vector<core::UtcMicros> previous_fix_times_by_day() override { return previous_fix_times; }
  core::UtcMicros latest_fix_at() override {
    core::UtcMicros latest = 0;
    for (const auto& [vehicle, track] : fixes) {
      if (!track.empty()) latest = std::max(latest, track.back().at_us);
    }
    return latest;
  }
  std::vector<PeriodWindow> changed_periods() override {
    std::vector<PeriodWindow> result;
    for (const std::string& id : changed_period_ids) result.push_back({id, periods[id]});
    return result;
  }
  std::vector<PeriodWindow> live_periods_meeting(core::UtcMicros start_us, core::UtcMicros end_us) override {
    std::vector<PeriodWindow> result;
    for (const auto& [id, window] : periods) {
      if (window && window->first <= end_us && window->second >= start_us) result.push_back({id, window});
    }
    return result;
  }
  void for_each_fix(std::span<const TimeWindow> windows,
                    const std::function<void(std::string_view, const Fix&)>& visit) override {
    ++for_each_fix_calls;
    for (const auto& [vehicle, track] : fixes) {
      for (const Fix& fix : track) {
        if (in_any_window(windows, fix.at_us)) visit(vehicle, fix);
      }
    }
    if (out_of_order && !fixes.empty()) visit(fixes.begin()->first, fixes.begin()->second.front());
  }
  std::vector<std::pair<std::string, BreakSpan>> breaks_overlapping(core::UtcMicros start_us,
                                                                    core::UtcMicros finish_us) override {
    std::vector<std::pair<std::string, BreakSpan>> result;
    for (const auto& [vehicle, spans] : stored_breaks) {
      for (const BreakSpan& span : spans) {
        if (span.start_us <= finish_us && span.end_us > start_us) result.emplace_back(vehicle, span);
      }
    }
    return result;
  }
  void replace_distances(const std::string& period_id, const std::vector<DistanceRow>& rows) override {
    distances[period_id] = rows;
  }
  void for_each_fix_of(std::span<const VehicleWindow> windows,
                       const std::function<void(std::string_view, const Fix&)>& visit) override {
    for (const VehicleWindow& range : windows) {
      for (const Fix& fix : fixes[range.vehicle_id]) {
        if (fix.at_us >= range.window.start_us && fix.at_us <= range.window.finish_us)
          visit(range.vehicle_id, fix);
      }
    }
  }
  void replace_pair_distances(std::span<const PairDistance> pairs) override {
    for (const PairDistance& pair : pairs) {
      std::vector<DistanceRow>& rows = distances[pair.period_id];
      std::erase_if(rows, [&](const DistanceRow& row) { return row.vehicle_id == pair.row.vehicle_id; });
      if (pair.row.updates > 0) rows.push_back(pair.row);
      std::sort(rows.begin(), rows.end(),
                [](const auto& a, const auto& b) { return a.vehicle_id < b.vehicle_id; });
      ++pairs_replaced;
    }
  }
  std::vector<std::vector<Fix>> fixes_around(std::span<const TrackPieceRequest> requests,
                                             int neighbours) override {
    std::vector<std::vector<Fix>> pieces;
    for (const TrackPieceRequest& request : requests) {
      const std::vector<Fix>& track = fixes[request.vehicle_id];
      std::vector<Fix>& piece = pieces.emplace_back();
      std::vector<Fix> before;
      for (const Fix& fix : track) {
        if (fix.at_us < request.lo_us) before.push_back(fix);
      }
      const auto keep = std::min<std::size_t>(before.size(), static_cast<std::size_t>(neighbours));
      piece.assign(before.end() - static_cast<std::ptrdiff_t>(keep), before.end());
      int after = 0;
      for (const Fix& fix : track) {
        if (fix.at_us >= request.lo_us && fix.at_us <= request.hi_us) piece.push_back(fix);
        if (fix.at_us > request.hi_us && after++ < neighbours) piece.push_back(fix);
      }
      fixes_read += piece.size();
    }
    return pieces;
  }
  std::vector<std::vector<BreakSpan>> stored_breaks_meeting(
      std::span<const TrackPieceRequest> windows) override {
    std::vector<std::vector<BreakSpan>> result;
    for (const TrackPieceRequest& window : windows) {
      std::vector<BreakSpan>& spans = result.emplace_back();
      for (const BreakSpan& span : stored_breaks[window.vehicle_id]) {
        if (span.start_us <= window.hi_us && span.end_us > window.lo_us) spans.push_back(span);
      }
    }
    return result;
  }
  std::vector<StoredPairDistance> stored_distances(std::span<const PairKey> pairs) override {
    std::vector<StoredPairDistance> rows;
    for (const PairKey& pair : pairs) {
      for (const DistanceRow& row : distances[pair.period_id]) {
        if (row.vehicle_id != pair.vehicle_id) continue;
        rows.push_back({pair.period_id, pair.vehicle_id,
                        strip_exact_sums ? std::nullopt : std::optional<std::int64_t>(row.distance_nm),
                        row.updates});
      }
    }
    return rows;
  }
  int pairs_replaced = 0;
  std::size_t fixes_read = 0;
  bool strip_exact_sums = false;  // rows as derived before distance_nm existed
};

// `count` fixes a minute apart from `start`, moving north.
std::vector<Fix> track(core::UtcMicros start, int count) {
  std::vector<Fix> fixes;
  for (int i = 0; i < count; ++i) fixes.push_back({start + i * kMinute, 52.0 + 0.001 * i, 13.0});
  return fixes;
}

TEST(Derivation, PeriodsMeetingTheLoadsDaysGetEachVehiclesDistance) {
  FakeStore store;
  store.fixes["v1"] = track(kDay1 + 60 * kMinute, 30);
  store.fixes["v2"] = track(kDay1 + 70 * kMinute, 5);
  store.periods["p_day1"] = std::pair{kDay1, kDay1 + kDay - 1};
  store.periods["p_day3"] = std::pair{kDay1 + 2 * kDay, kDay1 + 3 * kDay - 1};  // meets no changed day
  Changes changed;
  changed.all_vehicles.add_day_of(kDay1 + 60 * kMinute);  // the load's fixes, as add_location records them

  EXPECT_EQ(derive_distances(store, changed), 1U);
  ASSERT_EQ(store.distances.count("p_day1"), 1U);
  EXPECT_EQ(store.distances.count("p_day3"), 0U) << "a period meeting no changed day is left alone";
  const auto& rows = store.distances["p_day1"];
  ASSERT_EQ(rows.size(), 2U);
  EXPECT_EQ(rows[0].vehicle_id, "v1");
  EXPECT_EQ(rows[0].updates, 30);
  const auto expected = distance_in_window(store.fixes["v1"], {}, kDay1, kDay1 + kDay - 1);
  EXPECT_DOUBLE_EQ(rows[0].distance_m, expected.distance_m);
  EXPECT_EQ(rows[1].vehicle_id, "v2");
  EXPECT_EQ(rows[1].updates, 5);
  EXPECT_EQ(store.for_each_fix_calls, 1) << "every window is read in one pass";
}

TEST(Derivation, DaysTheDateHeldBeforeAreDerivedAgainAndDeletedPeriodsLoseTheirRows) {
  FakeStore store;
  store.periods["p_old_day"] = std::pair{kDay1 - kDay, kDay1 - 1};
  store.periods["p_deleted"] = std::nullopt;
  store.changed_period_ids = {"p_deleted"};
  store.distances["p_deleted"] = {{"v1", 100.0, 3}};
  store.previous_fix_times = {kDay1 - kDay + 5 * kMinute};  // the date held fixes that day, now gone
  Changes changed;
  EXPECT_EQ(derive_distances(store, changed), 2U);
  EXPECT_TRUE(store.distances["p_deleted"].empty());
  ASSERT_EQ(store.distances.count("p_old_day"), 1U);
  EXPECT_TRUE(store.distances["p_old_day"].empty()) << "no fixes left there";
}

TEST(Derivation, ChangedBreaksArePairedAgainAndLeftOutOfTheDistance) {
  FakeStore store;
  store.fixes["v1"] = track(kDay1, 60);
  store.periods["p"] = std::pair{kDay1, kDay1 + kDay - 1};
  store.changed_break_vehicles = {"v1"};
  store.events["v1"] = {{kDay1 + 10 * kMinute, true}, {kDay1 + 20 * kMinute, false}};
  Changes changed;  // no fixes changed: only the break does
  repair_breaks(store, changed);
  ASSERT_EQ(store.stored_breaks["v1"],
            (std::vector<BreakSpan>{{kDay1 + 10 * kMinute, kDay1 + 20 * kMinute}}));
  derive_distances(store, changed);
  ASSERT_EQ(store.distances["p"].size(), 1U);
  EXPECT_EQ(store.distances["p"][0].updates, 50) << "the ten fixes inside the break do not count";
}

TEST(Derivation, AnUnchangedPairingChangesNoDay) {
  FakeStore store;
  store.fixes["v1"] = track(kDay1, 10);
  store.periods["p"] = std::pair{kDay1, kDay1 + kDay - 1};
  store.changed_break_vehicles = {"v1"};
  store.events["v1"] = {{kDay1 + kMinute, true}, {kDay1 + 2 * kMinute, false}};
  store.stored_breaks["v1"] = {{kDay1 + kMinute, kDay1 + 2 * kMinute}};
  Changes changed;
  repair_breaks(store, changed);
  EXPECT_EQ(derive_distances(store, changed), 0U);
}

TEST(Derivation, BreaksAreAskedForInBatchesOfVehicles) {
  FakeStore store;
  for (int i = 0; i < 150; ++i) {
    std::string vehicle = "v";
    vehicle += std::to_string(i);
    store.changed_break_vehicles.push_back(vehicle);
    store.events[vehicle] = {{kDay1 + i * kMinute, true}};
  }
  Changes changed;
  repair_breaks(store, changed);
  EXPECT_EQ(store.break_batches, (std::vector<std::size_t>{64, 64, 22}));
  EXPECT_EQ(store.stored_breaks.size(), 150U);
  EXPECT_EQ(store.stored_breaks["v149"],
            (std::vector<BreakSpan>{{kDay1 + 149 * kMinute, BreakSpan::kOpenEnd}}));
}

TEST(Derivation, AStoreThatBreaksTheFixOrderIsAnError) {
  FakeStore store;
  store.fixes["v1"] = track(kDay1, 3);
  store.periods["p"] = std::pair{kDay1, kDay1 + kDay - 1};
  store.out_of_order = true;
  Changes changed;
  changed.all_vehicles.add_day_of(kDay1);
  EXPECT_THROW(derive_distances(store, changed), core::Error);
}

// An incremental load (SPEC §8) recomputes only the (period, vehicle) pairs its fixes reach: the
// other vehicles' rows of the same period, and the periods its hours do not meet, are left alone.
TEST(Derivation, IncrementalChangesDeriveOnlyTheTouchedPairs) {
  FakeStore store;
  store.fixes["v1"] = track(kDay1 + 60 * kMinute, 30);
  store.fixes["v2"] = track(kDay1 + 60 * kMinute, 30);
  store.periods["p_morning"] = std::pair{kDay1, kDay1 + 120 * kMinute};
  store.periods["p_evening"] = std::pair{kDay1 + 18 * 60 * kMinute, kDay1 + kDay - 1};
  store.distances["p_morning"] = {{"v1", 1.0, 1}, {"v2", 2.0, 2}};
  store.distances["p_evening"] = {{"v1", 3.0, 3}};
  Changes changed;
  changed.by_vehicle.add_time("v1", kDay1 + 65 * kMinute);  // a new object's fix of v1

  EXPECT_EQ(derive_distances(store, changed), 1U);
  EXPECT_EQ(store.pairs_replaced, 1);
  EXPECT_EQ(store.for_each_fix_calls, 0) << "no period is derived whole";
  const auto expected = distance_in_window(store.fixes["v1"], {}, kDay1, kDay1 + 120 * kMinute);
  ASSERT_EQ(store.distances["p_morning"].size(), 2U);
  EXPECT_DOUBLE_EQ(store.distances["p_morning"][0].distance_m, expected.distance_m);
  EXPECT_EQ(store.distances["p_morning"][0].updates, 30);
  EXPECT_EQ(store.distances["p_morning"][1].distance_m, 2.0) << "v2 was not touched";
  EXPECT_EQ(store.distances["p_evening"][0].distance_m, 3.0) << "the evening meets no changed hour";
}

// The exact update (SPEC §8, docs/decisions.md): a stored distance less the changed stretch's old
// share plus its new one is the distance derived from the whole new track, to the nanometre,
// reading only the stretch; a break in the stretch is respected.
TEST(Derivation, AnIncrementUpdatesStoredDistancesExactlyFromTheChangedStretch) {
  FakeStore store;
  std::vector<Fix>& track = store.fixes["v1"];
  for (int i = 0; i < 600; ++i)
    track.push_back({kDay1 + i * kMinute, 52.0 + 0.001 * (i % 37), 13.0 + 0.0007 * i});
  store.stored_breaks["v1"] = {{kDay1 + 100 * kMinute, kDay1 + 130 * kMinute}};
  store.periods["p"] = std::pair{kDay1, kDay1 + 400 * kMinute};
  const auto before = distance_in_window(track, store.stored_breaks["v1"], kDay1, kDay1 + 400 * kMinute);
  store.distances["p"] = {{"v1", before.distance_m, before.updates, before.distance_nm}};

  // The increment: a moved fix, two new ones between minutes, all inside the window.
  Changes changed;
  const std::vector<Fix> added = {{kDay1 + 200 * kMinute, 52.5, 13.5},
                                  {kDay1 + 200 * kMinute + 30'000'000, 52.6, 13.6},
                                  {kDay1 + 201 * kMinute + 30'000'000, 52.7, 13.7}};
  for (const Fix& fix : added) changed.by_vehicle.add_time("v1", fix.at_us);
  snapshot_tracks(store, changed);
  ASSERT_EQ(changed.snapshots.count("v1"), 1U);
  track.erase(std::remove_if(track.begin(), track.end(),
                             [](const Fix& f) { return f.at_us == kDay1 + 200 * kMinute; }),
              track.end());
  track.insert(track.end(), added.begin(), added.end());
  std::sort(track.begin(), track.end(), [](const Fix& a, const Fix& b) { return a.at_us < b.at_us; });

  EXPECT_EQ(derive_distances(store, changed), 1U);
  const auto expected = distance_in_window(track, store.stored_breaks["v1"], kDay1, kDay1 + 400 * kMinute);
  ASSERT_EQ(store.distances["p"].size(), 1U);
  EXPECT_EQ(store.distances["p"][0].distance_nm, expected.distance_nm);
  EXPECT_EQ(store.distances["p"][0].distance_m, expected.distance_m);
  EXPECT_EQ(store.distances["p"][0].updates, expected.updates);
  EXPECT_NE(expected.distance_nm, before.distance_nm);
  EXPECT_LT(store.fixes_read, 40U) << "only the stretch and a few neighbours are read";
  EXPECT_EQ(store.for_each_fix_calls, 0);
}

// Fixes just before the change lie in a break: the stretch reaches back to the last one that
// counts, and the pair across the break is still left out, exactly as the whole track says.
TEST(Derivation, AnIncrementRightAfterABreakIsUpdatedExactly) {
  FakeStore store;
  std::vector<Fix>& track = store.fixes["v1"];
  for (int i = 0; i < 300; ++i)
    track.push_back({kDay1 + i * kMinute, 52.0 + 0.002 * (i % 11), 13.0 + 0.001 * i});
  store.stored_breaks["v1"] = {{kDay1 + 190 * kMinute, kDay1 + 199 * kMinute + 30'000'000}};
  store.periods["p"] = std::pair{kDay1, kDay1 + 299 * kMinute};
  const auto before = distance_in_window(track, store.stored_breaks["v1"], kDay1, kDay1 + 299 * kMinute);
  store.distances["p"] = {{"v1", before.distance_m, before.updates, before.distance_nm}};
  Changes changed;
  const Fix moved{kDay1 + 200 * kMinute, 52.9, 13.9};
  changed.by_vehicle.add_time("v1", moved.at_us);
  snapshot_tracks(store, changed);
  ASSERT_EQ(changed.snapshots.count("v1"), 1U);
  EXPECT_EQ(changed.snapshots.at("v1").left, kDay1 + 189 * kMinute) << "the last fix before the break";
  track[200] = moved;
  derive_distances(store, changed);
  const auto expected = distance_in_window(track, store.stored_breaks["v1"], kDay1, kDay1 + 299 * kMinute);
  ASSERT_EQ(store.distances["p"].size(), 1U);
  EXPECT_EQ(store.distances["p"][0].distance_nm, expected.distance_nm);
  EXPECT_EQ(store.distances["p"][0].updates, expected.updates);
}

// A stored row from before the exact sum was kept (no distance_nm) is derived from the track.
TEST(Derivation, AStoredRowWithoutItsExactSumIsDerivedFromTheTrack) {
  FakeStore store;
  store.fixes["v1"] = track(kDay1, 30);
  store.periods["p"] = std::pair{kDay1, kDay1 + kDay - 1};
  Changes changed;
  changed.by_vehicle.add_time("v1", kDay1 + 10 * kMinute);
  snapshot_tracks(store, changed);
  store.fixes["v1"][10].lat_deg += 0.01;  // the increment moved it
  store.distances["p"] = {{"v1", 123.0, 30, 0}};
  store.strip_exact_sums = true;
  derive_distances(store, changed);
  const auto expected = distance_in_window(store.fixes["v1"], {}, kDay1, kDay1 + kDay - 1);
  ASSERT_EQ(store.distances["p"].size(), 1U);
  EXPECT_EQ(store.distances["p"][0].distance_nm, expected.distance_nm);
}

TEST(Derivation, AVehicleWithoutFixesLeftInAPeriodLosesItsRow) {
  FakeStore store;
  store.periods["p"] = std::pair{kDay1, kDay1 + kDay - 1};
  store.distances["p"] = {{"v1", 1.0, 1}};
  Changes changed;
  changed.by_vehicle.add_time("v1", kDay1 + kMinute);
  derive_distances(store, changed);
  EXPECT_TRUE(store.distances["p"].empty());
}

TEST(VehicleChanges, FixesCountByHourAndSpansMerge) {
  VehicleChanges changes;
  changes.add_time("v1", kDay1 + 5 * kMinute);
  changes.add_time("v1", kDay1 + 6 * kMinute);   // same hour: nothing new
  changes.add_time("v1", kDay1 + 65 * kMinute);  // the next hour: merged with the first
  changes.add_time("v2", kDay1 + 5 * 60 * kMinute);
  changes.add_span("v1", kDay1 + 10 * 60 * kMinute, kDay1 + 10 * 60 * kMinute + 5);
  const auto windows = changes.windows();
  ASSERT_EQ(windows.size(), 2U);
  EXPECT_EQ(windows.at("v1").size(), 2U);
  EXPECT_EQ(windows.at("v1")[0].start_us, kDay1);
  EXPECT_EQ(windows.at("v1")[0].finish_us, kDay1 + 120 * kMinute - 1);
  EXPECT_EQ(windows.at("v1")[1].start_us, kDay1 + 10 * 60 * kMinute);
  EXPECT_EQ(windows.at("v2").size(), 1U);
}

TEST(DaySet, ConsecutiveDaysMergeIntoOneWindowAndRepeatsCostNothing) {
  DaySet days;
  for (int i = 0; i < 1000; ++i) days.add_day_of(kDay1 + i);  // one day, many fixes
  days.add_day_of(kDay1 + kDay);
  days.add_day_of(kDay1 + 3 * kDay);
  const auto windows = days.windows();
  ASSERT_EQ(windows.size(), 2U);
  EXPECT_EQ(windows[0], std::pair(kDay1, kDay1 + 2 * kDay - 1));
  EXPECT_EQ(windows[1], std::pair(kDay1 + 3 * kDay, kDay1 + 4 * kDay - 1));
}

}  // namespace
}  // namespace d2d::model
