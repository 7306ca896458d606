// Derivation (SPEC §4), shared by every warehouse engine: re-pairing the breaks of the vehicles
// a load touched, choosing the operating periods the load can affect, and recomputing their
// distances with distance_in_window. An engine supplies only the reads and writes (DeriveStore),
// inside its load transaction, so SQLite and PostgreSQL cannot drift apart.
#pragma once

#include <functional>
#include <map>
#include <optional>
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
  // days of the fixes it brings now are in the DaySet the load filled).
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

// Vehicles per DeriveStore::breaks_of call.
inline constexpr std::size_t kBreakBatchVehicles = 64;

// Re-pairs the breaks of every vehicle whose break events changed; adds the days the changed
// breaks cover to `changed_days`.
void repair_breaks(DeriveStore& store, DaySet& changed_days);

// Recomputes the distances of every affected period; returns how many periods.
std::uint64_t derive_distances(DeriveStore& store, DaySet& changed_days);

}  // namespace d2d::model
