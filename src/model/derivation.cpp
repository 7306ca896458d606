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
  if (m_last_span == nullptr || vehicle_id != m_last_vehicle) {
    m_last_vehicle.assign(vehicle_id);
    m_last_hour = -1;
    auto found = m_fix_spans.find(vehicle_id);
    if (found == m_fix_spans.end())
      found = m_fix_spans.emplace(m_last_vehicle, TimeWindow{at_us, at_us}).first;
    m_last_span = &found->second;
  }
  m_last_span->start_us = std::min(m_last_span->start_us, at_us);
  m_last_span->finish_us = std::max(m_last_span->finish_us, at_us);
  if (hour == m_last_hour) return;
  m_last_hour = hour;
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
      changes.vehicles_with_changed_breaks.insert(vehicle);
      replaced.emplace(vehicle, std::move(after));
    }
    if (!replaced.empty()) store.replace_breaks(replaced);
  }
}

namespace {
// Fixes read on each side of a changed span to find the nearest one that counts; when all of them
// lie in breaks, the vehicle's pairs are derived from its track instead.
constexpr int kSnapshotNeighbours = 16;

bool inside_break(std::span<const BreakSpan> breaks, UtcMicros at_us) {
  return std::any_of(breaks.begin(), breaks.end(), [at_us](const BreakSpan& span) {
    return span.start_us <= at_us && at_us < span.end_us;
  });
}
}  // namespace

void snapshot_tracks(DeriveStore& store, Changes& changes) {
  const auto& spans = changes.by_vehicle.fix_spans();
  if (spans.empty()) return;
  std::vector<TrackPieceRequest> requests;
  for (const auto& [vehicle, span] : spans) requests.push_back({vehicle, span.start_us, span.finish_us});
  const std::vector<std::vector<Fix>> pieces = store.fixes_around(requests, kSnapshotNeighbours);
  // The breaks that can matter: those meeting the stretch read (its fixes and the changed span).
  std::vector<TrackPieceRequest> stretches;
  for (std::size_t i = 0; i < requests.size(); ++i) {
    TrackPieceRequest stretch = requests[i];
    if (!pieces[i].empty()) {
      stretch.lo_us = std::min(stretch.lo_us, pieces[i].front().at_us);
      stretch.hi_us = std::max(stretch.hi_us, pieces[i].back().at_us);
    }
    stretches.push_back(std::move(stretch));
  }
  std::vector<std::vector<BreakSpan>> breaks = store.stored_breaks_meeting(stretches);
  for (std::size_t i = 0; i < requests.size(); ++i) {
    const TrackPieceRequest& request = requests[i];
    TrackSnapshot snapshot;
    snapshot.breaks = std::move(breaks[i]);
    const std::vector<Fix>& fixes = pieces[i];
    const auto first_inside = std::lower_bound(fixes.begin(), fixes.end(), request.lo_us,
                                               [](const Fix& fix, UtcMicros at) { return fix.at_us < at; });
    const auto first_after = std::upper_bound(fixes.begin(), fixes.end(), request.hi_us,
                                              [](UtcMicros at, const Fix& fix) { return at < fix.at_us; });
    // The nearest counting fix on each side; none counting among all `neighbours` read: unknown.
    auto before = first_inside;
    while (before != fixes.begin() && inside_break(snapshot.breaks, std::prev(before)->at_us)) --before;
    if (before != fixes.begin()) {
      snapshot.left = std::prev(before)->at_us;
    } else if (first_inside - fixes.begin() >= kSnapshotNeighbours) {
      continue;
    }
    auto after = first_after;
    while (after != fixes.end() && inside_break(snapshot.breaks, after->at_us)) ++after;
    if (after != fixes.end()) {
      snapshot.right = after->at_us;
    } else if (fixes.end() - first_after >= kSnapshotNeighbours) {
      continue;
    }
    const auto from = snapshot.left ? std::prev(before) : first_inside;
    const auto to = snapshot.right ? std::next(after) : first_after;
    snapshot.fixes.assign(from, to);
    changes.snapshots.emplace(request.vehicle_id, std::move(snapshot));
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
      if (result.updates > 0)
        period.rows.push_back({vehicle, result.distance_m, result.updates, result.distance_nm});
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

// Per vehicle, the periods one of its changed windows meets.
using PairsByVehicle = std::map<std::string, std::vector<const PeriodToDerive*>, std::less<>>;

// Recomputes the pairs of `pairs` from each vehicle's fixes in its periods' windows.
void derive_pairs_from_tracks(DeriveStore& store, PairsByVehicle pairs, std::vector<PairDistance>& results) {
  if (pairs.empty()) return;
  std::vector<VehicleWindow> reads;
  std::vector<TimeWindow> all_reads;
  for (const auto& [vehicle, periods] : pairs) {
    std::vector<PeriodToDerive> met;
    for (const PeriodToDerive* period : periods)
      met.push_back({period->id, period->start_us, period->finish_us, {}});
    std::sort(met.begin(), met.end(), [](const auto& a, const auto& b) { return a.start_us < b.start_us; });
    for (const TimeWindow& window : windows_to_read(met)) {
      reads.push_back({vehicle, window});
      all_reads.push_back(window);
    }
  }
  const auto breaks = breaks_meeting(store, merged_windows(std::move(all_reads)));
  std::string vehicle;
  std::vector<Fix> track;
  auto flush = [&] {
    const auto mine = pairs.find(vehicle);
    if (mine == pairs.end()) return;
    const auto found = breaks.find(vehicle);
    const std::span<const BreakSpan> spans =
        found == breaks.end() ? std::span<const BreakSpan>() : std::span<const BreakSpan>(found->second);
    for (const PeriodToDerive* period : mine->second) {
      const VehicleDistance result = distance_in_window(track, spans, period->start_us, period->finish_us);
      results.push_back({period->id, {vehicle, result.distance_m, result.updates, result.distance_nm}});
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
}

// The exact update of a stored distance: only the stretch of track between the snapshot's left
// and right fixes changed, and every pair of consecutive counted fixes lies wholly inside that
// stretch or wholly outside it (left and right count, in both states), so the period's new sum is
// the stored one less the stretch's old share plus its new share (exact: integer nanometres). The
// pairs it cannot update (a stored row without its exact sum, or one that does not add up) are
// handed back to be derived from the track.
PairsByVehicle update_pairs_from_snapshots(DeriveStore& store, PairsByVehicle& pairs, const Changes& changes,
                                           std::vector<PairDistance>& results) {
  PairsByVehicle by_delta, fall_back;
  for (auto it = pairs.begin(); it != pairs.end();) {
    const bool exact =
        changes.snapshots.contains(it->first) && !changes.vehicles_with_changed_breaks.contains(it->first);
    if (exact) {
      by_delta.insert(pairs.extract(it++));
    } else {
      ++it;
    }
  }
  if (by_delta.empty()) return fall_back;
  std::vector<PairKey> keys;
  std::vector<VehicleWindow> reads;
  for (const auto& [vehicle, periods] : by_delta) {
    const TrackSnapshot& snapshot = changes.snapshots.find(vehicle)->second;
    const TimeWindow span = changes.by_vehicle.fix_spans().find(vehicle)->second;
    for (const PeriodToDerive* period : periods) keys.push_back({period->id, vehicle});
    reads.push_back(
        {vehicle, {snapshot.left.value_or(span.start_us), snapshot.right.value_or(span.finish_us)}});
  }
  std::map<std::pair<std::string, std::string>, StoredPairDistance> stored;
  for (StoredPairDistance& row : store.stored_distances(keys)) {
    auto key = std::pair(row.period_id, row.vehicle_id);
    stored.emplace(std::move(key), std::move(row));
  }
  std::map<std::string, std::vector<Fix>, std::less<>> now;
  store.for_each_fix_of(reads, [&](std::string_view vehicle, const Fix& fix) {
    auto found = now.find(vehicle);
    if (found == now.end()) found = now.emplace(std::string(vehicle), std::vector<Fix>()).first;
    found->second.push_back(fix);
  });
  for (const auto& [vehicle, periods] : by_delta) {
    const TrackSnapshot& snapshot = changes.snapshots.find(vehicle)->second;
    const auto found_now = now.find(vehicle);
    const std::span<const Fix> after =
        found_now == now.end() ? std::span<const Fix>() : std::span<const Fix>(found_now->second);
    for (const PeriodToDerive* period : periods) {
      const UtcMicros left = snapshot.left ? std::max(*snapshot.left, period->start_us) : period->start_us;
      const UtcMicros right =
          snapshot.right ? std::min(*snapshot.right, period->finish_us) : period->finish_us;
      if (left > right) continue;  // the changed stretch lies outside this period
      const VehicleDistance old_share = distance_in_window(snapshot.fixes, snapshot.breaks, left, right);
      const VehicleDistance new_share = distance_in_window(after, snapshot.breaks, left, right);
      if (old_share.distance_nm == new_share.distance_nm && old_share.updates == new_share.updates) continue;
      const auto row = stored.find({period->id, vehicle});
      std::int64_t nm = 0, updates = 0;
      if (row != stored.end()) {
        if (!row->second.distance_nm) {
          fall_back[vehicle].push_back(period);
          continue;
        }
        nm = *row->second.distance_nm;
        updates = row->second.updates;
      }
      nm += new_share.distance_nm - old_share.distance_nm;
      updates += new_share.updates - old_share.updates;
      // A stored row that cannot hold the old share (none where the old track counted, or less
      // than it) was not derived from that track: derived again from the track, never trusted.
      if (nm < 0 || updates < 0 || (row == stored.end() && old_share.updates > 0)) {
        fall_back[vehicle].push_back(period);
        continue;
      }
      results.push_back({period->id, {vehicle, metres_of_nm(nm), updates, nm}});
    }
  }
  return fall_back;
}

// The (period, vehicle) pairs the per-vehicle changes reach, for periods not derived whole
// already: updated from the snapshot where one was taken, else derived from the vehicle's track.
std::set<std::string> derive_pairs(
    DeriveStore& store, const Changes& changes,
    const std::map<std::string, std::optional<std::pair<UtcMicros, UtcMicros>>>& whole) {
  std::set<std::string> derived_periods;
  const auto by_vehicle = changes.by_vehicle.windows();
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
  PairsByVehicle pairs;
  for (const auto& [vehicle, windows] : by_vehicle) {
    for (const PeriodToDerive& period : periods) {
      const bool meets = std::any_of(windows.begin(), windows.end(), [&](const TimeWindow& w) {
        return w.start_us <= period.finish_us && w.finish_us >= period.start_us;
      });
      if (meets) {
        pairs[vehicle].push_back(&period);
        derived_periods.insert(period.id);
      }
    }
  }
  std::vector<PairDistance> results;
  PairsByVehicle fall_back = update_pairs_from_snapshots(store, pairs, changes, results);
  for (auto& [vehicle, mine] : fall_back) {
    auto& all = pairs[vehicle];
    all.insert(all.end(), mine.begin(), mine.end());
  }
  derive_pairs_from_tracks(store, std::move(pairs), results);
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
  for (const std::string& id : derive_pairs(store, changes, periods)) derived += periods.contains(id) ? 0 : 1;
  return derived;
}

}  // namespace d2d::model
