#include "model/derivation.h"

#include <fmt/format.h>

#include <algorithm>
#include <iterator>
#include <map>

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

void repair_breaks(DeriveStore& store, DaySet& changed_days) {
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
      // Every day a changed break covers may hold a distance that changes. An open break reaches
      // as far as the latest fix: nothing later exists that it could exclude.
      for (const auto* spans : {&before, &after}) {
        for (const BreakSpan& span : *spans) {
          const UtcMicros end = span.end_us == BreakSpan::kOpenEnd ? store.latest_fix_at() : span.end_us;
          changed_days.add_span(span.start_us, std::max(end, span.start_us));
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

}  // namespace

std::uint64_t derive_distances(DeriveStore& store, DaySet& changed_days) {
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
  return periods.size();
}

}  // namespace d2d::model
