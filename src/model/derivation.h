// Derivation (SPEC §4), shared by every warehouse engine: re-pairing the breaks of the vehicles
// a load touched, choosing the operating periods the load can affect, and recomputing their
// distances with distance_in_window. An engine supplies only the reads and writes (DeriveStore),
// inside its load transaction, so SQLite and PostgreSQL cannot drift apart.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/time.h"
#include "model/breaks.h"
#include "model/distance.h"

namespace d2d::model {

struct PeriodWindow {
  std::string id;
  std::optional<std::pair<core::UtcMicros, core::UtcMicros>> window;  // nullopt: deleted or gone
};

// An inclusive span of time [start_us, finish_us].
struct TimeWindow {
  core::UtcMicros start_us = 0;
  core::UtcMicros finish_us = 0;
};

// Whether `at_us` lies in one of `windows` (sorted by start, disjoint).
bool in_any_window(std::span<const TimeWindow> windows, core::UtcMicros at_us);

struct DistanceRow {
  std::string vehicle_id;
  double distance_m = 0;
  std::int64_t updates = 0;
  std::int64_t distance_nm = 0;  // the exact sum distance_m is made from (VehicleDistance)
};

// One vehicle's span of time, for the per-vehicle reads.
struct VehicleWindow {
  std::string vehicle_id;
  TimeWindow window;
};

// The distance of one vehicle in one period (updates == 0: it did not take part).
struct PairDistance {
  std::string period_id;
  DistanceRow row;
};

// A stored row of vehicle_operating_period_distance, as an incremental derivation starts from.
struct StoredPairDistance {
  std::string period_id;
  std::string vehicle_id;
  std::optional<std::int64_t> distance_nm;  // nullopt: derived before the exact sum was kept
  std::int64_t updates = 0;
};

struct PairKey {
  std::string period_id;
  std::string vehicle_id;
};

// The stored fixes of one vehicle in [lo_us, hi_us], and a few on each side (fixes_around).
struct TrackPieceRequest {
  std::string vehicle_id;
  core::UtcMicros lo_us = 0, hi_us = 0;
};

// What re-pairing one vehicle's breaks starts from.
struct VehicleBreaks {
  std::vector<BreakSpan> stored;   // vehicle_break now, any order
  std::vector<BreakEvent> events;  // every lake date's break events of the vehicle
};
using BreaksByVehicle = std::map<std::string, VehicleBreaks, std::less<>>;
using BreakSpansByVehicle = std::map<std::string, std::vector<BreakSpan>, std::less<>>;

// The reads and writes derivation needs. Vehicles are asked for in batches (a round trip per
// vehicle is what costs on a server), in any order.
class DeriveStore {
 public:
  virtual ~DeriveStore() = default;
  // Breaks.
  virtual std::vector<std::string> vehicles_with_changed_break_events() = 0;
  // Every vehicle of `vehicles` is a key of the answer, with or without breaks.
  virtual BreaksByVehicle breaks_of(std::span<const std::string> vehicles) = 0;
  // Replaces the stored breaks of every vehicle of `spans` (an empty list removes them all).
  virtual void replace_breaks(const BreakSpansByVehicle& spans) = 0;
  // What changed: a fix time per UTC day of the fixes the lake date held before this load (the
  // days of the fixes it brings now are in the DaySet the load filled). May name more days than
  // held fixes (SQLite: every day its spans meet): a day named in excess costs derivation time only.
  virtual std::vector<core::UtcMicros> previous_fix_times_by_day() = 0;
  virtual core::UtcMicros latest_fix_at() = 0;
  virtual std::vector<PeriodWindow> changed_periods() = 0;
  virtual std::vector<PeriodWindow> live_periods_meeting(core::UtcMicros start_us,
                                                         core::UtcMicros end_us) = 0;
  // Distances. The stored fixes lying in any of `windows` (sorted by start, disjoint), all in one
  // pass ordered by (vehicle_id, at): a store may have to walk every fix of the load to answer,
  // so derivation asks once for all its windows, not once per window.
  virtual void for_each_fix(std::span<const TimeWindow> windows,
                            const std::function<void(std::string_view vehicle_id, const Fix&)>& visit) = 0;
  virtual std::vector<std::pair<std::string, BreakSpan>> breaks_overlapping(core::UtcMicros start_us,
                                                                            core::UtcMicros finish_us) = 0;
  virtual void replace_distances(const std::string& period_id, const std::vector<DistanceRow>& rows) = 0;

  // Per vehicle (SPEC §8: an increment recomputes only the pairs it touches). The stored fixes of
  // each vehicle within its windows, ordered by (vehicle_id, at); `windows` is sorted by vehicle,
  // each vehicle's windows by start and disjoint.
  virtual void for_each_fix_of(std::span<const VehicleWindow> windows,
                               const std::function<void(std::string_view vehicle_id, const Fix&)>& visit) = 0;
  // Replaces the distance row of each (period, vehicle) pair: kept when it has updates, else removed.
  virtual void replace_pair_distances(std::span<const PairDistance> pairs) = 0;
  // Per request, by time: the vehicle's stored fixes in [lo, hi], and up to `neighbours` before lo
  // and after hi (read before an incremental load changes them: snapshot_tracks).
  virtual std::vector<std::vector<Fix>> fixes_around(std::span<const TrackPieceRequest> requests,
                                                     int neighbours) = 0;
  // Per request, by start: the vehicle's stored breaks (vehicle_break) that meet [lo, hi]. Breaks
  // do not overlap, so only the last one starting at or before lo can reach into it: a store reads
  // that one and those starting inside, never the vehicle's whole history of breaks.
  virtual std::vector<std::vector<BreakSpan>> stored_breaks_meeting(
      std::span<const TrackPieceRequest> windows) = 0;
  // The stored distance rows of the given (period_id, vehicle_id) pairs that exist.
  virtual std::vector<StoredPairDistance> stored_distances(std::span<const PairKey> pairs) = 0;
};

// A set of whole UTC days touched by a load; an operating period is affected when its window
// meets one of them. Days, not one min..max span, keep a stray old fix from dragging in every
// period in between.
class DaySet {
 public:
  // Cheap when called for every fix: fixes come in runs of one day.
  void add_day_of(core::UtcMicros at_us);
  void add_span(core::UtcMicros start_us, core::UtcMicros end_us);
  // Merged runs of consecutive days, as inclusive microsecond windows.
  std::vector<std::pair<core::UtcMicros, core::UtcMicros>> windows();

 private:
  std::vector<std::int64_t> m_days;
};

// The times at which given vehicles' tracks changed: only periods meeting one of them can have
// another distance for that vehicle, and only for that vehicle. Fixes are kept by hour (a superset
// of the times, never fewer periods), spans (a changed break) as they are.
class VehicleChanges {
 public:
  VehicleChanges() = default;
  VehicleChanges(const VehicleChanges&) = delete;  // holds a pointer into itself (add_time's fast path)
  VehicleChanges& operator=(const VehicleChanges&) = delete;
  // A fix of the vehicle changed at at_us (called for every fix an incremental load brings).
  void add_time(std::string_view vehicle_id, core::UtcMicros at_us);
  void add_span(std::string_view vehicle_id, core::UtcMicros start_us, core::UtcMicros end_us);
  bool empty() const { return m_windows.empty(); }
  // Each vehicle's windows, sorted by start, merged where they meet or overlap.
  std::map<std::string, std::vector<TimeWindow>, std::less<>> windows() const;
  // Per vehicle, the first and last time add_time was given (exact, unlike windows()).
  const std::map<std::string, TimeWindow, std::less<>>& fix_spans() const { return m_fix_spans; }

 private:
  std::map<std::string, std::vector<TimeWindow>, std::less<>> m_windows;
  std::map<std::string, TimeWindow, std::less<>> m_fix_spans;
  TimeWindow* m_last_span = nullptr;
  std::string m_last_vehicle;  // add_time's fast path: fixes come in runs of one vehicle and hour
  core::UtcMicros m_last_hour = -1;
};

// One vehicle's stored track around an incremental load's changed fixes, read before they change:
// `left` and `right` are the nearest fixes outside the changed span that count (outside every
// break), nullopt when none does on that side; `fixes` the stored ones from left to right.
struct TrackSnapshot {
  std::optional<core::UtcMicros> left, right;
  std::vector<Fix> fixes;
  std::vector<BreakSpan> breaks;  // the vehicle's breaks (derivation uses it only if they did not change)
};

// What a load changed, for derivation: days whose every vehicle is affected (a full load's
// fixes, whose previous versions are gone), and vehicles affected at given times (an incremental
// load's fixes; changed breaks).
struct Changes {
  // A fix the load brings. A full load's replace what the date held: every vehicle of its day is
  // affected. An incremental load's touch only their own vehicle, in their own hour.
  void add_fix(bool replaces_date, std::string_view vehicle_id, core::UtcMicros at_us) {
    if (replaces_date) {
      all_vehicles.add_day_of(at_us);
    } else {
      by_vehicle.add_time(vehicle_id, at_us);
    }
  }

  DaySet all_vehicles;
  VehicleChanges by_vehicle;
  std::map<std::string, TrackSnapshot, std::less<>> snapshots;      // snapshot_tracks
  std::set<std::string, std::less<>> vehicles_with_changed_breaks;  // repair_breaks
};

// Vehicles per DeriveStore::breaks_of call.
inline constexpr std::size_t kBreakBatchVehicles = 64;

// Re-pairs the breaks of every vehicle whose break events changed; adds the spans the changed
// breaks cover to that vehicle's changes.
void repair_breaks(DeriveStore& store, Changes& changes);

// An incremental load, before its fixes are merged: keeps each changed vehicle's stored track
// around its changed span, so derive_distances can replace that stretch's share of a stored
// distance instead of reading the whole period again.
void snapshot_tracks(DeriveStore& store, Changes& changes);

// Recomputes the distances of every affected period (all its vehicles) and of every affected
// (period, vehicle) pair; returns how many periods had a distance recomputed.
std::uint64_t derive_distances(DeriveStore& store, Changes& changes);

}  // namespace d2d::model
