#include "warehouse/derive.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "core/error.h"

namespace d2d::warehouse {
using core::UtcMicros;

namespace {
constexpr std::size_t kMaxDays = 100000;  // a guard against absurd spans, ~270 years
}  // namespace

void DaySet::add_day_of(UtcMicros at_us) { m_days.push_back(core::utc_day_of(at_us)); }

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
  for (const std::string& vehicle : store.vehicles_with_changed_break_events()) {
    std::vector<model::BreakSpan> before = store.stored_breaks(vehicle);
    std::sort(before.begin(), before.end(),
              [](const auto& a, const auto& b) { return a.start_us < b.start_us; });
    std::vector<model::BreakSpan> after = model::pair_breaks(store.break_events(vehicle));
    if (before == after) continue;
    // Every day a changed break covers may hold a distance that changes. An open break reaches
    // as far as the latest fix: nothing later exists that it could exclude.
    for (const auto* spans : {&before, &after}) {
      for (const model::BreakSpan& span : *spans) {
        const UtcMicros end = span.end_us == model::BreakSpan::kOpenEnd ? store.latest_fix_at() : span.end_us;
        changed_days.add_span(span.start_us, std::max(end, span.start_us));
      }
    }
    store.replace_breaks(vehicle, after);
  }
}

namespace {

struct PeriodToDerive {
  std::string id;
  UtcMicros start_us = 0, finish_us = 0;
  std::vector<DistanceRow> rows;
};

// Periods whose windows overlap (a fleet's shifts usually do) share one read of their fixes, as
// long as the read spans at most this much: one pass over the rows instead of one per period.
constexpr UtcMicros kMaxSharedRead = 2 * core::kMicrosPerDay;

// Distances of every period in `group` from one read of the fixes in [start_us, finish_us].
void derive_group(DeriveStore& store, std::span<PeriodToDerive> group, UtcMicros start_us,
                  UtcMicros finish_us) {
  std::map<std::string, std::vector<model::BreakSpan>, std::less<>> breaks;
  for (auto& [vehicle, span] : store.breaks_overlapping(start_us, finish_us)) breaks[vehicle].push_back(span);
  for (auto& [vehicle, spans] : breaks) {
    std::sort(spans.begin(), spans.end(),
              [](const auto& a, const auto& b) { return a.start_us < b.start_us; });
  }
  std::string vehicle;
  std::vector<model::Fix> track;
  auto flush = [&] {
    if (track.empty()) return;
    const auto found = breaks.find(vehicle);
    const std::span<const model::BreakSpan> spans = found == breaks.end()
                                                        ? std::span<const model::BreakSpan>()
                                                        : std::span<const model::BreakSpan>(found->second);
    for (PeriodToDerive& period : group) {
      const model::VehicleDistance result =
          model::distance_in_window(track, spans, period.start_us, period.finish_us);
      if (result.updates > 0) period.rows.push_back({vehicle, result.distance_m, result.updates});
    }
    track.clear();
  };
  bool first = true;
  store.for_each_fix(start_us, finish_us, [&](std::string_view fix_vehicle, const model::Fix& fix) {
    // A vehicle's track must arrive whole and in time order; a store that broke this (e.g. a
    // query plan that stopped keeping the order) would silently split tracks, so it is checked.
    if (!first && (fix_vehicle < vehicle || (fix_vehicle == vehicle && fix.at_us < track.back().at_us))) {
      throw core::Error(
          core::ErrorKind::Internal,
          fmt::format("fixes of the window came out of (vehicle, at) order at vehicle {}", fix_vehicle));
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
  for (const UtcMicros at : store.changed_fix_times_by_day()) changed_days.add_day_of(at);
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
  for (std::size_t first = 0; first < live.size();) {
    UtcMicros start = live[first].start_us;
    UtcMicros finish = live[first].finish_us;
    std::size_t last = first + 1;
    for (; last < live.size() && live[last].start_us <= finish; ++last) {
      const UtcMicros widened = std::max(finish, live[last].finish_us);
      if (widened - start > kMaxSharedRead) break;
      finish = widened;
    }
    const std::span<PeriodToDerive> group(live.begin() + static_cast<std::ptrdiff_t>(first),
                                          live.begin() + static_cast<std::ptrdiff_t>(last));
    derive_group(store, group, start, finish);
    for (const PeriodToDerive& period : group) store.replace_distances(period.id, period.rows);
    first = last;
  }
  return periods.size();
}

}  // namespace d2d::warehouse
