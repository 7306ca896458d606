#include "warehouse/sqlite/derive_store.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>

#include "warehouse/sql_shapes.h"
#include "warehouse/sqlite/fix_queries.h"

namespace d2d::warehouse::sqlite {
namespace {

using core::UtcMicros;
using detail::Statement;

std::optional<UtcMicros> optional_time(Statement& row, int column) {
  if (row.column_is_null(column)) return std::nullopt;
  return row.column_time(column);
}

}  // namespace

std::vector<std::string> SqliteDeriveStore::vehicles_with_changed_break_events() {
  std::vector<std::string> vehicles;
  Statement list(m_db, "SELECT vehicle_id FROM temp.affected_break_vehicle");
  while (list.step()) vehicles.emplace_back(list.column_text(0));
  return vehicles;
}

// In-process: a statement per vehicle costs no round trip.
model::BreaksByVehicle SqliteDeriveStore::breaks_of(std::span<const std::string> vehicles) {
  model::BreaksByVehicle breaks;
  Statement stored(m_db, "SELECT start_at, end_at FROM vehicle_break WHERE vehicle_id = ?1");
  Statement events(m_db, "SELECT DISTINCT at, is_start FROM lake_break_event WHERE vehicle_id = ?1");
  for (const std::string& vehicle : vehicles) {
    model::VehicleBreaks& of_vehicle = breaks[vehicle];
    stored.bind(1, std::string_view(vehicle));
    while (stored.step())
      of_vehicle.stored.push_back({stored.column_time(0), detail::end_of_break(optional_time(stored, 1))});
    stored.reset();
    events.bind(1, std::string_view(vehicle));
    while (events.step()) of_vehicle.events.push_back({events.column_time(0), events.column_int(1) != 0});
    events.reset();
  }
  return breaks;
}

void SqliteDeriveStore::replace_breaks(const model::BreakSpansByVehicle& spans) {
  Statement remove(m_db, "DELETE FROM vehicle_break WHERE vehicle_id = ?1");
  Statement insert(m_db, "INSERT INTO vehicle_break (vehicle_id, start_at, end_at) VALUES (?1, ?2, ?3)");
  for (const auto& [vehicle, vehicle_spans] : spans) {
    remove.bind(1, std::string_view(vehicle)).run();
    for (const auto& span : vehicle_spans) {
      insert.bind(1, std::string_view(vehicle))
          .bind_time(2, span.start_us)
          .bind_time(3, detail::end_at_column(span.end_us));
      insert.run();
    }
  }
}

std::vector<UtcMicros> SqliteDeriveStore::previous_fix_times_by_day() {
  std::vector<UtcMicros> times;
  // Every day a span of the date's previous fixes meets (a vehicle's span rarely crosses midnight).
  std::set<std::int64_t> days;
  Statement query(m_db, "SELECT first_at, last_at FROM temp.previous_span");
  while (query.step()) {
    for (std::int64_t day = core::utc_day_of(query.column_time(0));
         day <= core::utc_day_of(query.column_time(1)); ++day) {
      days.insert(day);
    }
  }
  for (const std::int64_t day : days) times.push_back(day * core::kMicrosPerDay);
  return times;
}

UtcMicros SqliteDeriveStore::latest_fix_at() {
  if (!m_latest_fix_at) {
    Statement latest(m_db, kNewestFixSql);
    latest.step();
    m_latest_fix_at = optional_time(latest, 0).value_or(0);
  }
  return *m_latest_fix_at;
}

std::vector<model::PeriodWindow> SqliteDeriveStore::changed_periods() {
  std::vector<model::PeriodWindow> periods;
  Statement query(
      m_db,
      "SELECT a.operating_period_id, p.deleted, p.start_at, p.finish_at FROM temp.affected_period a "
      "LEFT JOIN operating_period p ON p.operating_period_id = a.operating_period_id");
  while (query.step()) {
    model::PeriodWindow period{std::string(query.column_text(0)), std::nullopt};
    if (!query.column_is_null(1) && query.column_int(1) == 0) {
      period.window = std::pair{query.column_time(2), query.column_time(3)};
    }
    periods.push_back(std::move(period));
  }
  return periods;
}

std::vector<model::PeriodWindow> SqliteDeriveStore::live_periods_meeting(UtcMicros start_us,
                                                                         UtcMicros end_us) {
  std::vector<model::PeriodWindow> periods;
  Statement query(m_db,
                  "SELECT operating_period_id, start_at, finish_at FROM operating_period "
                  "WHERE deleted = 0 AND start_at <= ?2 AND finish_at >= ?1");
  query.bind_time(1, start_us).bind_time(2, end_us);
  while (query.step()) {
    periods.push_back(
        {std::string(query.column_text(0)), std::pair{query.column_time(1), query.column_time(2)}});
  }
  return periods;
}

namespace {

// Stored fixes of a list of (vehicle, time range) intervals, in the list's order, one primary-key
// range of location_fix each: location_fix has no index on `at` (it would cost a random-order
// B-tree insert per fix), so windows are read vehicle by vehicle.
class StoredFixes {
 public:
  struct Interval {
    std::size_t vehicle = 0;  // index into the caller's vehicle list
    std::int64_t vehicle_key = 0;
    UtcMicros lo_us = 0, hi_us = 0;
  };
  StoredFixes(detail::SqliteDb& db, std::vector<Interval> intervals)
      : m_query(db,
                "SELECT at, lat, lng FROM location_fix WHERE vehicle_key = ?1 AND at >= ?2 AND at <= ?3 "
                "ORDER BY at"),
        m_intervals(std::move(intervals)) {
    advance();
  }
  bool valid() const { return m_valid; }
  std::size_t vehicle() const { return m_intervals[m_next - 1].vehicle; }
  const model::Fix& fix() const { return m_fix; }
  std::uint64_t read() const { return m_read; }
  void advance() {
    while (!(m_open && m_query.step())) {
      if (m_open) m_query.reset();
      m_open = m_next < m_intervals.size();
      if (!m_open) {
        m_valid = false;
        return;
      }
      const Interval& interval = m_intervals[m_next++];
      m_query.bind(1, interval.vehicle_key).bind_time(2, interval.lo_us).bind_time(3, interval.hi_us);
    }
    m_fix = model::Fix{m_query.column_time(0), m_query.column_double(1), m_query.column_double(2)};
    m_valid = true;
    ++m_read;
  }

 private:
  Statement m_query;
  std::vector<Interval> m_intervals;
  std::size_t m_next = 0;  // the interval after the one m_query runs
  bool m_open = false, m_valid = false;
  model::Fix m_fix{};
  std::uint64_t m_read = 0;
};

}  // namespace

// Every fix of location_update in `windows`, vehicle by vehicle (byte order of their ids), each
// vehicle's in time order. Within the spans the load held alone (read_fixes_from_memory) the fixes
// come from the FixSorter, which the load just wrote them from; the rest of each window is read
// from the table. Both arrive in the same order and are merged.
void SqliteDeriveStore::for_each_fix(std::span<const model::TimeWindow> windows,
                                     const std::function<void(std::string_view, const model::Fix&)>& visit) {
  std::vector<std::pair<std::int64_t, std::string>> vehicles;
  Statement list(m_db, kVehiclesWithFixesSql);
  while (list.step()) vehicles.emplace_back(list.column_int(0), list.column_text(1));
  // Empty until read_fixes_from_memory gave the sorter too: then every window is read from the table.
  const std::vector<model::FixSorter::VehicleSpan>& alone = m_spans_held_alone;
  // Per vehicle and window, the parts of the window outside the vehicle's span held alone.
  std::vector<StoredFixes::Interval> intervals;
  std::vector<std::optional<std::pair<UtcMicros, UtcMicros>>> span_of_vehicle(vehicles.size());
  bool memory_in_windows = false;  // whether any span held alone meets a window: else no walk
  std::size_t next_span = 0;
  for (std::size_t v = 0; v < vehicles.size(); ++v) {
    const auto& [key, vehicle] = vehicles[v];
    while (next_span < alone.size() && alone[next_span].vehicle_id < vehicle) ++next_span;
    if (next_span < alone.size() && alone[next_span].vehicle_id == vehicle) {
      span_of_vehicle[v] = std::pair{alone[next_span].first_at_us, alone[next_span].last_at_us};
    }
    for (const model::TimeWindow& window : windows) {
      const auto& span = span_of_vehicle[v];
      if (!span || span->second < window.start_us || span->first > window.finish_us) {
        intervals.push_back({v, key, window.start_us, window.finish_us});
        continue;
      }
      memory_in_windows = true;
      if (window.start_us < span->first) intervals.push_back({v, key, window.start_us, span->first - 1});
      if (window.finish_us > span->second) intervals.push_back({v, key, span->second + 1, window.finish_us});
    }
  }
  StoredFixes stored(m_db, std::move(intervals));
  auto visit_stored_before = [&](std::size_t vehicle, UtcMicros at_us) {
    while (stored.valid() &&
           (stored.vehicle() < vehicle || (stored.vehicle() == vehicle && stored.fix().at_us < at_us))) {
      visit(vehicles[stored.vehicle()].second, stored.fix());
      stored.advance();
    }
  };
  std::uint64_t from_memory = 0;
  if (memory_in_windows) {
    std::size_t vehicle = 0;  // of the fix walked: both lists are in byte order
    m_fixes->for_each_best([&](const model::LocationRow& fix) {
      while (vehicle < vehicles.size() && vehicles[vehicle].second < fix.vehicle_id) ++vehicle;
      if (vehicle == vehicles.size() || vehicles[vehicle].second != fix.vehicle_id ||
          !span_of_vehicle[vehicle] || !model::in_any_window(windows, fix.at_us)) {
        return;
      }
      visit_stored_before(vehicle, fix.at_us);
      visit(vehicles[vehicle].second, model::Fix{fix.at_us, fix.lat_deg, fix.lng_deg});
      ++from_memory;
    });
  }
  visit_stored_before(vehicles.size(), 0);
  spdlog::debug("derive: {} windows, {} fixes from memory, {} read from location_fix", windows.size(),
                from_memory, stored.read());
}

std::vector<std::pair<std::string, model::BreakSpan>> SqliteDeriveStore::breaks_overlapping(
    UtcMicros start_us, UtcMicros finish_us) {
  std::vector<std::pair<std::string, model::BreakSpan>> breaks;
  Statement query(m_db,
                  "SELECT vehicle_id, start_at, end_at FROM vehicle_break "
                  "WHERE start_at <= ?2 AND (end_at IS NULL OR end_at > ?1)");
  query.bind_time(1, start_us).bind_time(2, finish_us);
  while (query.step()) {
    breaks.emplace_back(
        std::string(query.column_text(0)),
        model::BreakSpan{query.column_time(1), detail::end_of_break(optional_time(query, 2))});
  }
  return breaks;
}

void SqliteDeriveStore::replace_distances(const std::string& period_id,
                                          const std::vector<model::DistanceRow>& rows) {
  Statement(m_db, "DELETE FROM vehicle_operating_period_distance WHERE operating_period_id = ?1")
      .bind(1, std::string_view(period_id))
      .run();
  Statement insert(
      m_db,
      "INSERT INTO vehicle_operating_period_distance (operating_period_id, vehicle_id, distance_m, "
      "updates, distance_nm) VALUES (?1, ?2, ?3, ?4, ?5)");
  for (const model::DistanceRow& row : rows) {
    insert.bind(1, std::string_view(period_id))
        .bind(2, std::string_view(row.vehicle_id))
        .bind(3, row.distance_m);
    insert.bind(4, row.updates).bind(5, row.distance_nm).run();
  }
}

void SqliteDeriveStore::for_each_fix_of(
    std::span<const model::VehicleWindow> windows,
    const std::function<void(std::string_view, const model::Fix&)>& visit) {
  Statement query(m_db,
                  "SELECT at, lat, lng FROM location_update WHERE vehicle_id = ?1 AND at >= ?2 AND at <= ?3 "
                  "ORDER BY at");
  for (const model::VehicleWindow& range : windows) {
    query.bind(1, std::string_view(range.vehicle_id))
        .bind_time(2, range.window.start_us)
        .bind_time(3, range.window.finish_us);
    while (query.step()) {
      visit(range.vehicle_id,
            model::Fix{query.column_time(0), query.column_double(1), query.column_double(2)});
    }
    query.reset();
  }
}

void SqliteDeriveStore::replace_pair_distances(std::span<const model::PairDistance> pairs) {
  Statement remove(
      m_db,
      "DELETE FROM vehicle_operating_period_distance WHERE operating_period_id = ?1 AND vehicle_id = ?2");
  Statement insert(
      m_db,
      "INSERT INTO vehicle_operating_period_distance (operating_period_id, vehicle_id, distance_m, "
      "updates, distance_nm) VALUES (?1, ?2, ?3, ?4, ?5)");
  for (const model::PairDistance& pair : pairs) {
    remove.bind(1, std::string_view(pair.period_id)).bind(2, std::string_view(pair.row.vehicle_id)).run();
    if (pair.row.updates == 0) continue;
    insert.bind(1, std::string_view(pair.period_id))
        .bind(2, std::string_view(pair.row.vehicle_id))
        .bind(3, pair.row.distance_m);
    insert.bind(4, pair.row.updates).bind(5, pair.row.distance_nm).run();
  }
}

std::vector<std::vector<model::Fix>> SqliteDeriveStore::fixes_around(
    std::span<const model::TrackPieceRequest> requests, int neighbours) {
  Statement before(
      m_db,
      "SELECT at, lat, lng FROM location_update WHERE vehicle_id = ?1 AND at < ?2 ORDER BY at DESC "
      "LIMIT ?3");
  Statement inside(m_db,
                   "SELECT at, lat, lng FROM location_update WHERE vehicle_id = ?1 AND at >= ?2 AND at <= ?3 "
                   "ORDER BY at");
  Statement after(
      m_db,
      "SELECT at, lat, lng FROM location_update WHERE vehicle_id = ?1 AND at > ?2 ORDER BY at LIMIT ?3");
  auto read = [](Statement& query, std::vector<model::Fix>& fixes) {
    while (query.step())
      fixes.push_back({query.column_time(0), query.column_double(1), query.column_double(2)});
    query.reset();
  };
  std::vector<std::vector<model::Fix>> pieces;
  for (const model::TrackPieceRequest& request : requests) {
    std::vector<model::Fix>& fixes = pieces.emplace_back();
    const std::string_view vehicle(request.vehicle_id);
    read(before.bind(1, vehicle).bind_time(2, request.lo_us).bind(3, std::int64_t{neighbours}), fixes);
    std::reverse(fixes.begin(), fixes.end());
    read(inside.bind(1, vehicle).bind_time(2, request.lo_us).bind_time(3, request.hi_us), fixes);
    read(after.bind(1, vehicle).bind_time(2, request.hi_us).bind(3, std::int64_t{neighbours}), fixes);
  }
  return pieces;
}

std::vector<std::vector<model::BreakSpan>> SqliteDeriveStore::stored_breaks_meeting(
    std::span<const model::TrackPieceRequest> windows) {
  // The last break starting at or before lo (the only earlier one that can reach into the
  // window: breaks do not overlap), then those starting inside; each through the primary key.
  Statement query(
      m_db,
      "SELECT start_at, end_at FROM (SELECT start_at, end_at FROM vehicle_break WHERE vehicle_id = ?1 "
      "AND start_at <= ?2 ORDER BY start_at DESC LIMIT 1) UNION ALL SELECT start_at, end_at FROM "
      "vehicle_break WHERE vehicle_id = ?1 AND start_at > ?2 AND start_at <= ?3");
  std::vector<std::vector<model::BreakSpan>> breaks;
  for (const model::TrackPieceRequest& window : windows) {
    std::vector<model::BreakSpan>& spans = breaks.emplace_back();
    query.bind(1, std::string_view(window.vehicle_id)).bind_time(2, window.lo_us).bind_time(3, window.hi_us);
    while (query.step()) {
      const model::BreakSpan span{query.column_time(0), detail::end_of_break(optional_time(query, 1))};
      if (span.end_us > window.lo_us) spans.push_back(span);
    }
    query.reset();
    std::sort(spans.begin(), spans.end(),
              [](const auto& a, const auto& b) { return a.start_us < b.start_us; });
  }
  return breaks;
}

std::vector<model::StoredPairDistance> SqliteDeriveStore::stored_distances(
    std::span<const model::PairKey> pairs) {
  Statement query(
      m_db,
      "SELECT distance_nm, updates FROM vehicle_operating_period_distance WHERE operating_period_id = ?1 "
      "AND vehicle_id = ?2");
  std::vector<model::StoredPairDistance> rows;
  for (const model::PairKey& pair : pairs) {
    query.bind(1, std::string_view(pair.period_id)).bind(2, std::string_view(pair.vehicle_id));
    if (query.step()) {
      model::StoredPairDistance& row = rows.emplace_back();
      row.period_id = pair.period_id;
      row.vehicle_id = pair.vehicle_id;
      if (!query.column_is_null(0)) row.distance_nm = query.column_int(0);
      row.updates = query.column_int(1);
    }
    query.reset();
  }
  return rows;
}

}  // namespace d2d::warehouse::sqlite
