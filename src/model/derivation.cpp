#include "model/derivation.h"

#include <fmt/format.h>

#include <algorithm>
#include <iterator>
#include <limits>
#include <map>
#include <set>

#include "core/error.h"

namespace d2d::model {
using core::UtcMicros;

namespace {
constexpr std::size_t kMaxDays = 100000;  // a guard against absurd spans, ~270 years
}  // namespace

void DaySet::add_day_of(UtcMicros at_us) {
  const std::int64_t day = core::utc_day_of(at_us);
  if (m_days.empty() || m_days.back() != day) m_days.push_back(day);
}

void DaySet::add_span(UtcMicros start_us, UtcMicros end_us) {
  for (std::int64_t day = core::utc_day_of(start_us);
       day <= core::utc_day_of(end_us) && m_days.size() < kMaxDays; ++day) {
    m_days.push_back(day);
  }
}

std::vector<std::pair<UtcMicros, UtcMicros>> DaySet::windows() {
  std::sort(m_days.begin(), m_days.end());
  m_days.erase(std::unique(m_days.begin(), m_days.end()), m_days.end());
  std::vector<std::pair<UtcMicros, UtcMicros>> result;
  for (const std::int64_t day : m_days) {
    const UtcMicros start = day * core::kMicrosPerDay;
    const UtcMicros end = start + core::kMicrosPerDay - 1;
    if (!result.empty() && result.back().second + 1 == start) {
      result.back().second = end;
    } else {
      result.emplace_back(start, end);
    }
  }
  return result;
}

namespace {
// Sorted by start, with windows that overlap or touch merged into one.
std::vector<TimeWindow> merged_windows(std::vector<TimeWindow> windows) {
  std::sort(windows.begin(), windows.end(),
            [](const auto& a, const auto& b) { return a.start_us < b.start_us; });
  std::vector<TimeWindow> merged;
  for (const TimeWindow& window : windows) {
    if (!merged.empty() && window.start_us <= merged.back().finish_us + 1) {
      merged.back().finish_us = std::max(merged.back().finish_us, window.finish_us);
    } else {
      merged.push_back(window);
    }
  }
  return merged;
}
}  // namespace

void VehicleChanges::add_time(std::string_view vehicle_id, UtcMicros at_us) {
  constexpr UtcMicros kHourUs = 3600LL * 1000 * 1000;
  const UtcMicros hour = at_us >= 0 ? at_us / kHourUs : (at_us - kHourUs + 1) / kHourUs;
  if (hour == m_last_hour && vehicle_id == m_last_vehicle) return;
  m_last_hour = hour;
  m_last_vehicle.assign(vehicle_id);
  add_span(vehicle_id, hour * kHourUs, hour * kHourUs + kHourUs - 1);
}

void VehicleChanges::add_span(std::string_view vehicle_id, UtcMicros start_us, UtcMicros end_us) {
  auto found = m_windows.find(vehicle_id);
  if (found == m_windows.end())
    found = m_windows.emplace(std::string(vehicle_id), std::vector<TimeWindow>()).first;
  std::vector<TimeWindow>& windows = found->second;
  if (!windows.empty() && windows.back().start_us == start_us && windows.back().finish_us == end_us) return;
  windows.push_back({start_us, end_us});
}

std::map<std::string, std::vector<TimeWindow>, std::less<>> VehicleChanges::windows() const {
  auto merged = m_windows;
  for (auto& [vehicle, windows] : merged) {
    windows = merged_windows(std::move(windows));
  }
  return merged;
}

void repair_breaks(DeriveStore& store, Changes& changes) {
  const std::vector<std::string> vehicles = store.vehicles_with_changed_break_events();
  for (std::size_t first = 0; first < vehicles.size(); first += kBreakBatchVehicles) {
    const std::span<const std::string> batch(vehicles.data() + first,
                                             std::min(kBreakBatchVehicles, vehicles.size() - first));
    BreakSpansByVehicle replaced;
    for (auto& [vehicle, breaks] : store.breaks_of(batch)) {
      std::vector<BreakSpan>& before = breaks.stored;
      std::sort(before.begin(), before.end(),
                [](const auto& a, const auto& b) { return a.start_us < b.start_us; });
      std::vector<BreakSpan> after = pair_breaks(std::move(breaks.events));
      if (before == after) continue;
      // The vehicle's distance may change wherever a changed break lies, and only the vehicle's.
      // An open break reaches as far as the latest fix: nothing later exists that it could exclude.
      // Only breaks that differ count: the others exclude the same fixes as before.
      for (const auto* spans : {&before, &after}) {
        const auto* other = spans == &before ? &after : &before;
        for (const BreakSpan& span : *spans) {
          if (std::find(other->begin(), other->end(), span) != other->end()) continue;
          const UtcMicros end = span.end_us == BreakSpan::kOpenEnd ? store.latest_fix_at() : span.end_us;
          changes.by_vehicle.add_span(vehicle, span.start_us, std::max(end, span.start_us));
        }
      }
      replaced.emplace(vehicle, std::move(after));
    }
    if (!replaced.empty()) store.replace_breaks(replaced);
  }
}

bool in_any_window(std::span<const TimeWindow> windows, UtcMicros at_us) {
  // The last window starting at or before at_us is the only one that can hold it.
  const auto after = std::upper_bound(windows.begin(), windows.end(), at_us,
                                      [](UtcMicros at, const TimeWindow& w) { return at < w.start_us; });
  return after != windows.begin() && std::prev(after)->finish_us >= at_us;
}

namespace {

struct PeriodToDerive {
  std::string id;
  UtcMicros start_us = 0, finish_us = 0;
  std::vector<DistanceRow> rows;
};

// The periods' windows with overlapping or touching ones merged: what must be read, once.
std::vector<TimeWindow> windows_to_read(const std::vector<PeriodToDerive>& periods_by_start) {
  std::vector<TimeWindow> windows;
  for (const PeriodToDerive& period : periods_by_start) {
    if (!windows.empty() && period.start_us <= windows.back().finish_us + 1) {
      windows.back().finish_us = std::max(windows.back().finish_us, period.finish_us);
    } else {
      windows.push_back({period.start_us, period.finish_us});
    }
  }
  return windows;
}

// Each vehicle's breaks meeting any of the windows, sorted by start, each once.
std::map<std::string, std::vector<BreakSpan>, std::less<>> breaks_meeting(
    DeriveStore& store, std::span<const TimeWindow> windows) {
  std::map<std::string, std::vector<BreakSpan>, std::less<>> breaks;
  for (const TimeWindow& window : windows) {
    for (auto& [vehicle, span] : store.breaks_overlapping(window.start_us, window.finish_us)) {
      breaks[vehicle].push_back(span);
    }
  }
  for (auto& [vehicle, spans] : breaks) {
    std::sort(spans.begin(), spans.end(),
              [](const auto& a, const auto& b) { return a.start_us < b.start_us; });
    spans.erase(std::unique(spans.begin(), spans.end()), spans.end());  // a break meeting two windows
  }
  return breaks;
}

// Fills every period's rows from one pass over the fixes of `windows`, a vehicle's track at a time.
// One pass matters: at 16M events PostgreSQL's store merges 16 spilled runs on every walk, which
// made derivation grow faster than the day when it walked once per window (docs/decisions.md).
void derive_periods(DeriveStore& store, std::vector<PeriodToDerive>& periods,
                    std::span<const TimeWindow> windows) {
  const auto breaks = breaks_meeting(store, windows);
  std::string vehicle;
  std::vector<Fix> track;  // the vehicle's fixes in all windows; distance_in_window seeks its own
  auto flush = [&] {
    if (track.empty()) return;
    const auto found = breaks.find(vehicle);
    const std::span<const BreakSpan> spans =
        found == breaks.end() ? std::span<const BreakSpan>() : std::span<const BreakSpan>(found->second);
    for (PeriodToDerive& period : periods) {
      const VehicleDistance result = distance_in_window(track, spans, period.start_us, period.finish_us);
      if (result.updates > 0) period.rows.push_back({vehicle, result.distance_m, result.updates});
    }
    track.clear();
  };
  bool first = true;
  store.for_each_fix(windows, [&](std::string_view fix_vehicle, const Fix& fix) {
    // A vehicle's track must arrive whole and in time order; a store that broke this (e.g. a
    // query plan that stopped keeping the order) would silently split tracks, so it is checked.
    if (!first && (fix_vehicle < vehicle || (fix_vehicle == vehicle && fix.at_us < track.back().at_us))) {
      throw core::Error(
          core::ErrorKind::Internal,
          fmt::format("fixes of the windows came out of (vehicle, at) order at vehicle {}", fix_vehicle));
    }
    if (first || fix_vehicle != vehicle) {
      flush();
      vehicle = fix_vehicle;
      first = false;
    }
    track.push_back(fix);
  });
  flush();
}

// The (period, vehicle) pairs the per-vehicle changes reach, for periods not derived whole
// already; their distances recomputed from each vehicle's fixes in those periods' windows.
std::set<std::string> derive_pairs(
    DeriveStore& store, const VehicleChanges& changes,
    const std::map<std::string, std::optional<std::pair<UtcMicros, UtcMicros>>>& whole) {
  std::set<std::string> derived_periods;
  const auto by_vehicle = changes.windows();
  if (by_vehicle.empty()) return derived_periods;
  UtcMicros lo = std::numeric_limits<UtcMicros>::max(), hi = std::numeric_limits<UtcMicros>::min();
  for (const auto& [vehicle, windows] : by_vehicle) {
    lo = std::min(lo, windows.front().start_us);
    hi = std::max(hi, windows.back().finish_us);
  }
  std::vector<PeriodToDerive> periods;
  for (auto& period : store.live_periods_meeting(lo, hi)) {
    if (period.window && !whole.contains(period.id)) {
      periods.push_back({period.id, period.window->first, period.window->second, {}});
    }
  }
  // Per vehicle, the periods one of its changed windows meets, and their windows to read.
  struct VehiclePairs {
    std::vector<const PeriodToDerive*> periods;
    std::vector<TimeWindow> reads;
  };
  std::map<std::string, VehiclePairs, std::less<>> pairs;
  std::vector<TimeWindow> all_reads;
  for (const auto& [vehicle, windows] : by_vehicle) {
    std::vector<PeriodToDerive> met;
    VehiclePairs& mine = pairs[vehicle];
    for (const PeriodToDerive& period : periods) {
      const bool meets = std::any_of(windows.begin(), windows.end(), [&](const TimeWindow& w) {
        return w.start_us <= period.finish_us && w.finish_us >= period.start_us;
      });
      if (meets) {
        mine.periods.push_back(&period);
        met.push_back({period.id, period.start_us, period.finish_us, {}});
      }
    }
    if (mine.periods.empty()) {
      pairs.erase(vehicle);
      continue;
    }
    std::sort(met.begin(), met.end(), [](const auto& a, const auto& b) { return a.start_us < b.start_us; });
    mine.reads = windows_to_read(met);
    all_reads.insert(all_reads.end(), mine.reads.begin(), mine.reads.end());
  }
  if (pairs.empty()) return derived_periods;
  std::vector<VehicleWindow> reads;
  for (const auto& [vehicle, mine] : pairs) {
    for (const TimeWindow& window : mine.reads) reads.push_back({vehicle, window});
  }
  const auto breaks = breaks_meeting(store, merged_windows(std::move(all_reads)));
  std::vector<PairDistance> results;
  std::string vehicle;
  std::vector<Fix> track;
  auto flush = [&] {
    const auto mine = pairs.find(vehicle);
    if (mine == pairs.end()) return;
    const auto found = breaks.find(vehicle);
    const std::span<const BreakSpan> spans =
        found == breaks.end() ? std::span<const BreakSpan>() : std::span<const BreakSpan>(found->second);
    for (const PeriodToDerive* period : mine->second.periods) {
      const VehicleDistance result = distance_in_window(track, spans, period->start_us, period->finish_us);
      results.push_back({period->id, {vehicle, result.distance_m, result.updates}});
      derived_periods.insert(period->id);
    }
    pairs.erase(mine);  // done; a vehicle without fixes in its windows is flushed below
    track.clear();
  };
  store.for_each_fix_of(reads, [&](std::string_view fix_vehicle, const Fix& fix) {
    if (fix_vehicle != vehicle) {
      // Tracks must arrive whole, vehicle by vehicle in byte order (as derive_periods checks).
      if (!vehicle.empty() && fix_vehicle < vehicle) {
        throw core::Error(
            core::ErrorKind::Internal,
            fmt::format("fixes of the vehicles' windows came out of order at vehicle {}", fix_vehicle));
      }
      flush();
      vehicle = fix_vehicle;
    }
    track.push_back(fix);
  });
  flush();
  // Vehicles with no fix left in their periods' windows: their rows go.
  while (!pairs.empty()) {
    vehicle = pairs.begin()->first;
    flush();
  }
  store.replace_pair_distances(results);
  return derived_periods;
}

}  // namespace

std::uint64_t derive_distances(DeriveStore& store, Changes& changes) {
  DaySet& changed_days = changes.all_vehicles;
  for (const UtcMicros at : store.previous_fix_times_by_day()) changed_days.add_day_of(at);
  // Periods whose own row changed (their old distances go even if they are now deleted),
  // plus every live period meeting a changed day.
  std::map<std::string, std::optional<std::pair<UtcMicros, UtcMicros>>> periods;
  for (auto& period : store.changed_periods()) periods[period.id] = period.window;
  for (const auto& [start, end] : changed_days.windows()) {
    for (auto& period : store.live_periods_meeting(start, end)) periods[period.id] = period.window;
  }
  std::vector<PeriodToDerive> live;
  for (const auto& [id, window] : periods) {
    if (window) {
      live.push_back({id, window->first, window->second, {}});
    } else {
      store.replace_distances(id, {});
    }
  }
  std::sort(live.begin(), live.end(), [](const auto& a, const auto& b) { return a.start_us < b.start_us; });
  if (!live.empty()) derive_periods(store, live, windows_to_read(live));
  for (const PeriodToDerive& period : live) store.replace_distances(period.id, period.rows);
  std::uint64_t derived = periods.size();
  for (const std::string& id : derive_pairs(store, changes.by_vehicle, periods))
    derived += periods.contains(id) ? 0 : 1;
  return derived;
}

}  // namespace d2d::model
