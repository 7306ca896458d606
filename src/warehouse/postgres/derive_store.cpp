#include "warehouse/postgres/derive_store.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <ranges>

#include "warehouse/postgres/pg_array.h"
#include "warehouse/sql_shapes.h"

namespace d2d::warehouse::pg {
namespace {

using core::UtcMicros;

std::optional<UtcMicros> optional_time(const Result& result, int row, int column) {
  if (result.is_null(row, column)) return std::nullopt;
  return result.timestamp_us(row, column);
}

// The stored fixes within intervals (vehicle, lo, hi), in the intervals' order and each in time
// order: the nested loop keeps the order of the array, each primary-key range scan is ordered.
// location_fix is keyed by vehicle_key: the key of each vehicle is one probe of vehicle_key, in a
// LATERAL subquery of its own (OFFSET 0 keeps it one, so the nested loop keeps the array's order).
// A scalar subquery in the fixes' condition instead was evaluated once for every vehicle under a
// partitioned location_fix (PostgreSQL 15: an InitPlan below the Append was not run again when the
// vehicle changed), and returned another vehicle's fixes.
constexpr std::string_view kKeysOfVehicles =
    "unnest($1::text[], $2::timestamptz[], $3::timestamptz[]) WITH ORDINALITY AS r(vehicle_id, lo, hi, i) "
    "CROSS JOIN LATERAL (SELECT k.vehicle_key FROM {s}.vehicle_key k WHERE k.vehicle_id = r.vehicle_id "
    "COLLATE \"C\" OFFSET 0) k";
constexpr std::string_view kStoredFixesOutsideSpans =
    "SELECT r.vehicle_id, f.at, f.lat, f.lng FROM unnest($1::text[], $2::timestamptz[], "
    "$3::timestamptz[]) WITH ORDINALITY AS r(vehicle_id, lo, hi, i) CROSS JOIN LATERAL (SELECT k.vehicle_key "
    "FROM {s}.vehicle_key k WHERE k.vehicle_id = r.vehicle_id COLLATE \"C\" OFFSET 0) k CROSS JOIN LATERAL "
    "(SELECT u.at, u.lat, u.lng FROM {s}.location_fix u WHERE u.vehicle_key = k.vehicle_key AND u.at >= r.lo "
    "AND u.at <= r.hi ORDER BY u.at) f";

// Reads a query's (vehicle_id, at, lat, lng) rows through a cursor, a batch at a time, so memory
// stays flat however many fixes it returns.
class StoredFixCursor {
 public:
  StoredFixCursor(Connection& db, const std::string& query, const Params& params) : m_db(db) {
    m_db.exec("DECLARE stored_fixes NO SCROLL CURSOR FOR " + query, params);
    fetch();
  }
  ~StoredFixCursor() {
    if (m_db.is_ok()) PQclear(PQexec(m_db.handle(), "CLOSE stored_fixes"));
  }
  StoredFixCursor(const StoredFixCursor&) = delete;
  StoredFixCursor& operator=(const StoredFixCursor&) = delete;

  bool valid() const { return m_row < m_batch->rows(); }
  std::string_view vehicle_id() const { return m_batch->text(m_row, 0); }
  const model::Fix& fix() const { return m_fix; }
  std::uint64_t read() const { return m_read; }
  void advance() {
    if (++m_row == m_batch->rows()) {
      fetch();
    } else {
      decode();
    }
  }

 private:
  void fetch() {
    m_batch.emplace(m_db.exec("FETCH 50000 FROM stored_fixes"));
    m_row = 0;
    m_read += static_cast<std::uint64_t>(m_batch->rows());
    if (valid()) decode();
  }
  void decode() {
    m_fix = {m_batch->timestamp_us(m_row, 1), m_batch->float64(m_row, 2), m_batch->float64(m_row, 3)};
  }
  Connection& m_db;
  std::optional<Result> m_batch;
  int m_row = 0;
  model::Fix m_fix{};
  std::uint64_t m_read = 0;
};

// Windows of vehicles as the three array parameters of
// unnest($1::text[], $2::timestamptz[], $3::timestamptz[]): one round trip for all of them.
class VehicleWindowArrays {
 public:
  void add(std::string_view vehicle, UtcMicros lo, UtcMicros hi) {
    const char* comma = m_ids.size() > 1 ? "," : "";
    m_ids.append(comma).append(array_element(vehicle));
    m_los.append(comma).append(time_param(lo));
    m_his.append(comma).append(time_param(hi));
  }
  Params params() const { return {m_ids + "}", m_los + "}", m_his + "}"}; }

 private:
  std::string m_ids = "{", m_los = "{", m_his = "{";
};

}  // namespace

std::vector<std::string> PgDeriveStore::vehicles_with_changed_break_events() {
  auto result = m_db.exec("SELECT DISTINCT vehicle_id FROM affected_break_vehicle");
  std::vector<std::string> vehicles;
  vehicles.reserve(static_cast<std::size_t>(result.rows()));
  for (int i = 0; i < result.rows(); ++i) vehicles.emplace_back(result.text(i, 0));
  return vehicles;
}

// Two statements per batch: per vehicle, the round trips were the cost (docs/decisions.md).
model::BreaksByVehicle PgDeriveStore::breaks_of(std::span<const std::string> vehicles) {
  model::BreaksByVehicle breaks;
  for (const std::string& vehicle : vehicles) breaks[vehicle];  // asked, maybe without breaks
  const std::string ids = text_array(vehicles);
  auto stored = m_db.exec(
      sql("SELECT vehicle_id, start_at, end_at FROM {s}.vehicle_break WHERE vehicle_id = ANY($1::text[])"),
      {ids});
  for (int i = 0; i < stored.rows(); ++i) {
    breaks[std::string(stored.text(i, 0))].stored.push_back(
        {stored.timestamp_us(i, 1), detail::end_of_break(optional_time(stored, i, 2))});
  }
  auto events = m_db.exec(sql("SELECT DISTINCT vehicle_id, at, is_start FROM {s}.lake_break_event WHERE "
                              "vehicle_id = ANY($1::text[])"),
                          {ids});
  for (int i = 0; i < events.rows(); ++i) {
    breaks[std::string(events.text(i, 0))].events.push_back(
        {events.timestamp_us(i, 1), events.boolean(i, 2)});
  }
  return breaks;
}

// One DELETE and one COPY per batch.
void PgDeriveStore::replace_breaks(const model::BreakSpansByVehicle& spans) {
  std::vector<std::string_view> vehicles;
  vehicles.reserve(spans.size());
  for (const auto& [vehicle, vehicle_spans] : spans) vehicles.push_back(vehicle);
  m_db.exec(sql("DELETE FROM {s}.vehicle_break WHERE vehicle_id = ANY($1::text[])"), {text_array(vehicles)});
  CopyWriter copy(m_db,
                  sql("COPY {s}.vehicle_break (vehicle_id, start_at, end_at) FROM STDIN (FORMAT binary)"));
  for (const auto& [vehicle, vehicle_spans] : spans) {
    for (const model::BreakSpan& span : vehicle_spans) {
      copy.begin_row(3);
      copy.text(vehicle);
      copy.timestamp_us(span.start_us);
      copy.optional_timestamp_us(detail::end_at_column(span.end_us));
    }
  }
  copy.finish();
}

std::vector<UtcMicros> PgDeriveStore::previous_fix_times_by_day() {
  auto result = m_db.exec("SELECT MIN(at) FROM affected_fix GROUP BY date_trunc('day', at)");
  std::vector<UtcMicros> times;
  times.reserve(static_cast<std::size_t>(result.rows()));
  for (int i = 0; i < result.rows(); ++i) times.push_back(result.timestamp_us(i, 0));
  return times;
}

UtcMicros PgDeriveStore::latest_fix_at() {
  if (!m_latest_fix_at) {
    auto result = m_db.exec(sql(newest_fix_sql()));
    m_latest_fix_at = optional_time(result, 0, 0).value_or(0);
  }
  return *m_latest_fix_at;
}

std::vector<model::PeriodWindow> PgDeriveStore::changed_periods() {
  auto result =
      m_db.exec(sql("SELECT a.operating_period_id, p.deleted, p.start_at, p.finish_at FROM (SELECT DISTINCT "
                    "operating_period_id "
                    "FROM affected_period) a LEFT JOIN {s}.operating_period p ON p.operating_period_id = "
                    "a.operating_period_id"));
  std::vector<model::PeriodWindow> periods;
  periods.reserve(static_cast<std::size_t>(result.rows()));
  for (int i = 0; i < result.rows(); ++i) {
    model::PeriodWindow period{std::string(result.text(i, 0)), std::nullopt};
    if (!result.is_null(i, 1) && !result.boolean(i, 1)) {
      period.window = std::pair{result.timestamp_us(i, 2), result.timestamp_us(i, 3)};
    }
    periods.push_back(std::move(period));
  }
  return periods;
}

std::vector<model::PeriodWindow> PgDeriveStore::live_periods_meeting(UtcMicros start_us, UtcMicros end_us) {
  auto result =
      m_db.exec(sql("SELECT operating_period_id, start_at, finish_at FROM {s}.operating_period "
                    "WHERE NOT deleted AND start_at <= $2::timestamptz AND finish_at >= $1::timestamptz"),
                {time_param(start_us), time_param(end_us)});
  std::vector<model::PeriodWindow> periods;
  periods.reserve(static_cast<std::size_t>(result.rows()));
  for (int i = 0; i < result.rows(); ++i) {
    periods.push_back(
        {std::string(result.text(i, 0)), std::pair{result.timestamp_us(i, 1), result.timestamp_us(i, 2)}});
  }
  return periods;
}

// The window's fixes come from two sources, merged in (vehicle, at) order. The segments this
// run copied straight into location_update are, by the probe before the copy, the only stored
// fixes of their vehicle within their span: those come from FixSorter's memory. Everything
// else (other dates' fixes, staged segments, vehicles this date lacks) is read from the server,
// which skips the copied spans. On a first load that read returns nothing and derivation does
// not pay for reading a day of fixes back (docs/decisions.md).
void PgDeriveStore::for_each_fix(std::span<const model::TimeWindow> windows,
                                 const std::function<void(std::string_view, const model::Fix&)>& visit) {
  StoredFixCursor stored(m_db, sql(kStoredFixesOutsideSpans), stored_intervals(windows));
  std::uint64_t from_memory = 0;
  m_fixes.for_each_segment_fix([&](const LocationRow& fix, std::size_t segment) {
    if (!m_fixes.copied(segment) || !model::in_any_window(windows, fix.at_us)) return;
    while (stored.valid() && (stored.vehicle_id() < fix.vehicle_id ||
                              (stored.vehicle_id() == fix.vehicle_id && stored.fix().at_us < fix.at_us))) {
      visit(stored.vehicle_id(), stored.fix());
      stored.advance();
    }
    visit(fix.vehicle_id, model::Fix{fix.at_us, fix.lat_deg, fix.lng_deg});
    ++from_memory;
  });
  for (; stored.valid(); stored.advance()) visit(stored.vehicle_id(), stored.fix());
  spdlog::debug("derive: {} windows, {} fixes from memory, {} read from the server", windows.size(),
                from_memory, stored.read());
}

// Per vehicle of location_update, in byte order, and per window in time order, the parts of the
// window outside the spans of the segments this run copied, as the three parameters of
// kStoredFixesOutsideSpans.
Params PgDeriveStore::stored_intervals(std::span<const model::TimeWindow> windows) {
  // Every vehicle with a key, in byte order (COLLATE "C"); a key without fixes reads nothing.
  auto vehicles = m_db.exec(sql("SELECT vehicle_id FROM {s}.vehicle_key ORDER BY vehicle_id"));
  const std::vector<FixSegment>& segments = m_fixes.segments();
  VehicleWindowArrays arrays;
  auto add = [&arrays](std::string_view vehicle, UtcMicros lo, UtcMicros hi) { arrays.add(vehicle, lo, hi); };
  std::size_t vehicle_segments = 0;  // segments are in the same (byte) order of vehicles
  for (int row = 0; row < vehicles.rows(); ++row) {
    const std::string_view vehicle = vehicles.text(row, 0);
    while (vehicle_segments < segments.size() && segments[vehicle_segments].vehicle_id < vehicle)
      ++vehicle_segments;
    for (const model::TimeWindow& window : windows) {
      UtcMicros lo = window.start_us;  // the start of the part not yet covered
      for (std::size_t segment = vehicle_segments;
           segment < segments.size() && segments[segment].vehicle_id == vehicle; ++segment) {
        const FixSegment& copied = segments[segment];
        if (!m_fixes.copied(segment) || copied.last_at_us < lo || copied.first_at_us > window.finish_us)
          continue;
        if (copied.first_at_us > lo) add(vehicle, lo, copied.first_at_us - 1);
        lo = copied.last_at_us + 1;
      }
      if (lo <= window.finish_us) add(vehicle, lo, window.finish_us);
    }
  }
  return arrays.params();
}

std::vector<std::pair<std::string, model::BreakSpan>> PgDeriveStore::breaks_overlapping(UtcMicros start_us,
                                                                                        UtcMicros finish_us) {
  auto result = m_db.exec(sql("SELECT vehicle_id, start_at, end_at FROM {s}.vehicle_break WHERE start_at <= "
                              "$2::timestamptz AND (end_at IS NULL OR end_at > $1::timestamptz)"),
                          {time_param(start_us), time_param(finish_us)});
  std::vector<std::pair<std::string, model::BreakSpan>> breaks;
  breaks.reserve(static_cast<std::size_t>(result.rows()));
  for (int i = 0; i < result.rows(); ++i) {
    breaks.emplace_back(
        std::string(result.text(i, 0)),
        model::BreakSpan{result.timestamp_us(i, 1), detail::end_of_break(optional_time(result, i, 2))});
  }
  return breaks;
}

void PgDeriveStore::replace_distances(const std::string& period_id,
                                      const std::vector<model::DistanceRow>& rows) {
  m_db.exec(sql("DELETE FROM {s}.vehicle_operating_period_distance WHERE operating_period_id = $1"),
            {period_id});
  if (rows.empty()) return;
  CopyWriter copy(
      m_db, sql("COPY {s}.vehicle_operating_period_distance (operating_period_id, vehicle_id, distance_m, "
                "updates, distance_nm) FROM STDIN (FORMAT binary)"));
  for (const model::DistanceRow& row : rows) {
    copy.begin_row(5);
    copy.text(period_id);
    copy.text(row.vehicle_id);
    copy.float64(row.distance_m);
    copy.int64(row.updates);
    copy.int64(row.distance_nm);
  }
  copy.finish();
}

void PgDeriveStore::for_each_fix_of(std::span<const model::VehicleWindow> windows,
                                    const std::function<void(std::string_view, const model::Fix&)>& visit) {
  if (windows.empty()) return;
  VehicleWindowArrays arrays;
  for (const model::VehicleWindow& range : windows)
    arrays.add(range.vehicle_id, range.window.start_us, range.window.finish_us);
  StoredFixCursor stored(m_db, sql(kStoredFixesOutsideSpans), arrays.params());
  for (; stored.valid(); stored.advance()) visit(stored.vehicle_id(), stored.fix());
}

void PgDeriveStore::replace_pair_distances(std::span<const model::PairDistance> pairs) {
  if (pairs.empty()) return;
  const std::string periods = text_array(
      std::views::transform(pairs, [](const auto& pair) { return std::string_view(pair.period_id); }));
  const std::string vehicles = text_array(
      std::views::transform(pairs, [](const auto& pair) { return std::string_view(pair.row.vehicle_id); }));
  m_db.exec(sql("DELETE FROM {s}.vehicle_operating_period_distance d USING unnest($1::text[], $2::text[]) AS "
                "p(period_id, vehicle_id) WHERE d.operating_period_id = p.period_id COLLATE \"C\" AND "
                "d.vehicle_id = p.vehicle_id COLLATE \"C\""),
            {periods, vehicles});
  CopyWriter copy(
      m_db, sql("COPY {s}.vehicle_operating_period_distance (operating_period_id, vehicle_id, distance_m, "
                "updates, distance_nm) FROM STDIN (FORMAT binary)"));
  for (const model::PairDistance& pair : pairs) {
    if (pair.row.updates == 0) continue;
    copy.begin_row(5);
    copy.text(pair.period_id);
    copy.text(pair.row.vehicle_id);
    copy.float64(pair.row.distance_m);
    copy.int64(pair.row.updates);
    copy.int64(pair.row.distance_nm);
  }
  copy.finish();
}

std::vector<std::vector<model::Fix>> PgDeriveStore::fixes_around(
    std::span<const model::TrackPieceRequest> requests, int neighbours) {
  std::vector<std::vector<model::Fix>> pieces(requests.size());
  if (requests.empty()) return pieces;
  VehicleWindowArrays arrays;
  for (const model::TrackPieceRequest& request : requests)
    arrays.add(request.vehicle_id, request.lo_us, request.hi_us);
  // One round trip: per request, up to `neighbours` fixes before lo, those in [lo, hi] and up to
  // `neighbours` after hi, each through location_fix's primary key.
  auto result = m_db.exec(
      sql("SELECT r.i, f.at, f.lat, f.lng FROM " + std::string(kKeysOfVehicles) +
          " CROSS JOIN LATERAL ("
          "(SELECT u.at, u.lat, u.lng FROM {s}.location_fix u WHERE u.vehicle_key = k.vehicle_key AND u.at < "
          "r.lo ORDER BY u.at DESC LIMIT $4::int) UNION ALL "
          "(SELECT u.at, u.lat, u.lng FROM {s}.location_fix u WHERE u.vehicle_key = k.vehicle_key AND u.at "
          ">= "
          "r.lo AND u.at <= r.hi) UNION ALL "
          "(SELECT u.at, u.lat, u.lng FROM {s}.location_fix u WHERE u.vehicle_key = k.vehicle_key AND u.at > "
          "r.hi ORDER BY u.at LIMIT $4::int)) f"),
      [&] {
        Params params = arrays.params();
        params.emplace_back(std::to_string(neighbours));
        return params;
      }());
  for (int row = 0; row < result.rows(); ++row) {
    pieces[static_cast<std::size_t>(result.int64(row, 0) - 1)].push_back(
        {result.timestamp_us(row, 1), result.float64(row, 2), result.float64(row, 3)});
  }
  for (auto& fixes : pieces) {
    std::sort(fixes.begin(), fixes.end(), [](const auto& a, const auto& b) { return a.at_us < b.at_us; });
  }
  return pieces;
}

std::vector<std::vector<model::BreakSpan>> PgDeriveStore::stored_breaks_meeting(
    std::span<const model::TrackPieceRequest> windows) {
  std::vector<std::vector<model::BreakSpan>> breaks(windows.size());
  if (windows.empty()) return breaks;
  VehicleWindowArrays arrays;
  for (const model::TrackPieceRequest& window : windows)
    arrays.add(window.vehicle_id, window.lo_us, window.hi_us);
  // Per window: the last break starting at or before lo (breaks do not overlap: the only earlier
  // one that can reach into it) and those starting inside, each through the primary key.
  auto result = m_db.exec(sql("SELECT r.i, b.start_at, b.end_at FROM unnest($1::text[], $2::timestamptz[], "
                              "$3::timestamptz[]) WITH "
                              "ORDINALITY AS r(vehicle_id, lo, hi, i) CROSS JOIN LATERAL ("
                              "(SELECT v.start_at, v.end_at FROM {s}.vehicle_break v WHERE v.vehicle_id = "
                              "r.vehicle_id COLLATE \"C\" "
                              "AND v.start_at <= r.lo ORDER BY v.start_at DESC LIMIT 1) UNION ALL "
                              "(SELECT v.start_at, v.end_at FROM {s}.vehicle_break v WHERE v.vehicle_id = "
                              "r.vehicle_id COLLATE \"C\" "
                              "AND v.start_at > r.lo AND v.start_at <= r.hi)) b"),
                          arrays.params());
  for (int row = 0; row < result.rows(); ++row) {
    const auto index = static_cast<std::size_t>(result.int64(row, 0) - 1);
    const model::BreakSpan span{result.timestamp_us(row, 1),
                                detail::end_of_break(optional_time(result, row, 2))};
    if (span.end_us > windows[index].lo_us) breaks[index].push_back(span);
  }
  for (auto& spans : breaks) {
    std::sort(spans.begin(), spans.end(),
              [](const auto& a, const auto& b) { return a.start_us < b.start_us; });
  }
  return breaks;
}

std::vector<model::StoredPairDistance> PgDeriveStore::stored_distances(
    std::span<const model::PairKey> pairs) {
  std::vector<model::StoredPairDistance> rows;
  if (pairs.empty()) return rows;
  const std::string periods = text_array(
      std::views::transform(pairs, [](const auto& pair) { return std::string_view(pair.period_id); }));
  const std::string vehicles = text_array(
      std::views::transform(pairs, [](const auto& pair) { return std::string_view(pair.vehicle_id); }));
  auto result = m_db.exec(
      sql("SELECT d.operating_period_id, d.vehicle_id, d.distance_nm, d.updates FROM unnest($1::text[], "
          "$2::text[]) AS p(period_id, vehicle_id) JOIN {s}.vehicle_operating_period_distance d ON "
          "d.operating_period_id = p.period_id COLLATE \"C\" AND d.vehicle_id = p.vehicle_id COLLATE \"C\""),
      {periods, vehicles});
  for (int row = 0; row < result.rows(); ++row) {
    model::StoredPairDistance& stored = rows.emplace_back();
    stored.period_id = result.text(row, 0);
    stored.vehicle_id = result.text(row, 1);
    if (!result.is_null(row, 2)) stored.distance_nm = result.int64(row, 2);
    stored.updates = result.int64(row, 3);
  }
  return rows;
}

}  // namespace d2d::warehouse::pg
