#include "warehouse/derive.h"

#include <algorithm>
#include <map>

namespace d2d::warehouse {
using core::UtcMicros;

namespace {
std::int64_t floor_day(UtcMicros at_us) {
  return at_us >= 0 ? at_us / core::kMicrosPerDay : (at_us - core::kMicrosPerDay + 1) / core::kMicrosPerDay;
}
constexpr std::size_t kMaxDays = 100000;  // a guard against absurd spans, ~270 years
}  // namespace

void DaySet::add_day_of(UtcMicros at_us) { m_days.push_back(floor_day(at_us)); }

void DaySet::add_span(UtcMicros start_us, UtcMicros end_us) {
  for (std::int64_t day = floor_day(start_us); day <= floor_day(end_us) && m_days.size() < kMaxDays; ++day) {
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

std::vector<DistanceRow> distances_in(DeriveStore& store, UtcMicros start_us, UtcMicros finish_us) {
  std::map<std::string, std::vector<model::BreakSpan>, std::less<>> breaks;
  for (auto& [vehicle, span] : store.breaks_overlapping(start_us, finish_us)) breaks[vehicle].push_back(span);
  for (auto& [vehicle, spans] : breaks) {
    std::sort(spans.begin(), spans.end(),
              [](const auto& a, const auto& b) { return a.start_us < b.start_us; });
  }
  std::vector<DistanceRow> rows;
  std::string vehicle;
  std::vector<model::Fix> track;
  auto flush = [&] {
    if (track.empty()) return;
    const auto found = breaks.find(vehicle);
    const std::span<const model::BreakSpan> spans = found == breaks.end()
                                                        ? std::span<const model::BreakSpan>()
                                                        : std::span<const model::BreakSpan>(found->second);
    const model::VehicleDistance result = model::distance_in_window(track, spans, start_us, finish_us);
    if (result.updates > 0) rows.push_back({vehicle, result.distance_m, result.updates});
    track.clear();
  };
  store.for_each_fix(start_us, finish_us, [&](std::string_view fix_vehicle, const model::Fix& fix) {
    if (fix_vehicle != vehicle) {
      flush();
      vehicle = fix_vehicle;
    }
    track.push_back(fix);
  });
  flush();
  return rows;
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
  for (const auto& [id, window] : periods) {
    store.replace_distances(
        id, window ? distances_in(store, window->first, window->second) : std::vector<DistanceRow>{});
  }
  return periods.size();
}

}  // namespace d2d::warehouse
