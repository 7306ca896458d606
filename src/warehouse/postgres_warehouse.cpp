#include "warehouse/postgres_warehouse.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <functional>
#include <limits>
#include <map>
#include <set>

#include "core/error.h"
#include "core/version.h"
#include "warehouse/derive.h"
#include "warehouse/fix_sorter.h"
#include "warehouse/ledger_row.h"
#include "warehouse/pg_conn.h"
#include "warehouse/sql_text.h"

namespace d2d::warehouse {

const std::vector<Migration>& postgres_migrations();

namespace {

using core::Error;
using core::ErrorKind;
using core::UtcMicros;
using pg::Connection;
using pg::CopyWriter;
using Params = std::vector<std::optional<std::string>>;

std::string time_param(UtcMicros at_us) { return core::format_utc(at_us); }

std::string replace_all(std::string text, std::string_view from, std::string_view to) {
  for (std::size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

class PgLoad final : public LakeDateLoad, private DeriveStore {
 public:
  PgLoad(Connection& connection, std::string schema, std::string lake_date, std::int64_t run_id,
         bool wait_for_lock)
      : m_db(connection), m_s(std::move(schema)), m_lake_date(std::move(lake_date)), m_run_id(run_id) {
    m_lake_day = *core::parse_date(m_lake_date);
    m_db.exec_script("BEGIN");
    m_open = true;
    // The reads of derivation look expensive to the planner (a million rows), which then spends
    // 0.6 s compiling them with JIT to save nothing: they are index scans, not expressions.
    m_db.exec_script("SET LOCAL jit = off");
    // Two runs of one lake date never interleave.
    const std::string key = fmt::format("d2d:{}:{}", m_s, m_lake_date);
    if (wait_for_lock) {
      m_db.exec("SELECT pg_advisory_xact_lock(hashtext($1))", {key});
    } else if (!m_db.exec("SELECT pg_try_advisory_xact_lock(hashtext($1))", {key}).boolean(0, 0)) {
      throw Error(ErrorKind::Warehouse,
                  fmt::format("another d2d run is loading lake date {} into {} (without "
                              "--no-wait it would wait for it)",
                              m_lake_date, m_s));
    }
  }

  ~PgLoad() override {
    if (m_open && m_db.is_ok()) {
      // The server ends a COPY in progress when the transaction is rolled back.
      PQputCopyEnd(m_db.handle(), "run abandoned");
      while (PGresult* result = PQgetResult(m_db.handle())) PQclear(result);
      PGresult* result = PQexec(m_db.handle(), "ROLLBACK");
      PQclear(result);
    }
  }

  void add_location(const LocationRow& row) override {
    // The UTC days the date's fixes fall on (derivation looks there); fixes come in runs of a day.
    if (const std::int64_t day = core::utc_day_of(row.at_us); day != m_last_fix_day) {
      m_last_fix_day = day;
      m_fix_days.insert(day);
    }
    m_fixes.add(row);
  }

  void add_rejected(const RejectedRow& row) override {
    if (!m_rejected) {
      // Rejected lines go to the server as they come (the connection is otherwise idle while the
      // files are decoded), so memory does not grow with them. The date's lake-date lock is held,
      // so its previous rejected lines can go first.
      exec("DELETE FROM {s}.rejected_event WHERE lake_date = $1::date", {m_lake_date});
      m_rejected = std::make_unique<CopyWriter>(
          m_db, sql("COPY {s}.rejected_event (lake_date, source, line, reason_code, reason, raw, raw_length) "
                    "FROM STDIN (FORMAT binary)"));
    }
    CopyWriter& copy = *m_rejected;
    copy.begin_row(7);
    copy.date_days(m_lake_day);
    copy.text(row.source);
    copy.int64(static_cast<std::int64_t>(row.line));
    copy.text(row.reason_code);
    copy.text(row.reason);
    copy.bytes(row.raw);
    copy.int64(static_cast<std::int64_t>(row.raw_length));
  }
  void add_period_event(const PeriodEventRow& row) override { m_periods.push_back(row); }
  void add_vehicle(const VehicleRow& row) override { m_vehicles.push_back(row); }
  void add_break_event(const BreakEventRow& row) override { m_breaks.push_back(row); }

  std::uint64_t merge() override {
    if (m_rejected) {
      m_rejected->finish();
    } else {
      exec("DELETE FROM {s}.rejected_event WHERE lake_date = $1::date", {m_lake_date});
    }
    // Merges of different dates touch shared keys: apply them one at a time (no deadlocks,
    // no lost winners). Transform, which fills FixSorter, ran in parallel with other dates.
    m_db.exec("SELECT pg_advisory_xact_lock(hashtext($1))", {fmt::format("d2d:{}:merge", m_s)});
    const Params date = {m_lake_date};
    // Sorts of a day's rows fit in memory instead of spilling to disk.
    m_db.exec_script("SET LOCAL work_mem = '256MB'");
    // The fix keys this date held before, as winner or as superseded version (none on a first load).
    exec(
        "CREATE TEMP TABLE affected_fix ON COMMIT DROP AS SELECT vehicle_id, at FROM {s}.location_update "
        "WHERE lake_date = $1::date UNION ALL SELECT vehicle_id, at FROM {s}.lake_location_superseded "
        "WHERE lake_date = $1::date",
        date);
    exec(
        "CREATE TEMP TABLE affected_vehicle ON COMMIT DROP AS SELECT vehicle_id FROM {s}.lake_vehicle WHERE "
        "lake_date = $1::date",
        date);
    exec(
        "CREATE TEMP TABLE affected_period ON COMMIT DROP AS SELECT operating_period_id FROM "
        "{s}.lake_operating_period_event WHERE lake_date = $1::date",
        date);
    exec(
        "CREATE TEMP TABLE affected_break_vehicle ON COMMIT DROP AS SELECT DISTINCT vehicle_id FROM "
        "{s}.lake_break_event WHERE lake_date = $1::date",
        date);
    for (const char* table :
         {"lake_location_superseded", "lake_vehicle", "lake_operating_period_event", "lake_break_event"}) {
      exec(fmt::format("DELETE FROM {{s}}.{} WHERE lake_date = $1::date", table), date);
    }
    copy_small_rows();
    const std::uint64_t rows = merge_locations(date);
    exec("INSERT INTO affected_vehicle SELECT vehicle_id FROM {s}.lake_vehicle WHERE lake_date = $1::date",
         date);
    exec_script(
        "DELETE FROM {s}.vehicle WHERE vehicle_id IN (SELECT vehicle_id FROM affected_vehicle);"
        "INSERT INTO {s}.vehicle (vehicle_id, organization_id, first_registered_at, last_deregistered_at) "
        "SELECT v.vehicle_id, (SELECT o.organization_id FROM {s}.lake_vehicle o WHERE o.vehicle_id = "
        "v.vehicle_id AND "
        "o.organization_id IS NOT NULL ORDER BY o.organization_at DESC, o.organization_id DESC LIMIT 1), "
        "MIN(v.first_registered_at), MAX(v.last_deregistered_at) FROM {s}.lake_vehicle v "
        "WHERE v.vehicle_id IN (SELECT vehicle_id FROM affected_vehicle) GROUP BY v.vehicle_id;");
    exec(
        "INSERT INTO affected_period SELECT operating_period_id FROM {s}.lake_operating_period_event WHERE "
        "lake_date = $1::date",
        date);
    exec_script(
        "DELETE FROM {s}.operating_period WHERE operating_period_id IN (SELECT operating_period_id FROM "
        "affected_period);"
        "INSERT INTO {s}.operating_period (operating_period_id, start_at, finish_at, deleted, "
        "organization_id, event_at) "
        "SELECT DISTINCT ON (e.operating_period_id) e.operating_period_id, e.start_at, e.finish_at, "
        "e.deleted, "
        "e.organization_id, e.event_at FROM {s}.lake_operating_period_event e "
        "WHERE e.operating_period_id IN (SELECT operating_period_id FROM affected_period) "
        "ORDER BY e.operating_period_id, e.event_at DESC, e.deleted DESC, COALESCE(e.start_at, '-infinity') "
        "DESC, "
        "COALESCE(e.finish_at, '-infinity') DESC, e.lake_date DESC;");
    exec(
        "INSERT INTO affected_break_vehicle SELECT DISTINCT vehicle_id FROM {s}.lake_break_event WHERE "
        "lake_date = $1::date",
        date);
    repair_breaks(*this, m_changed_days);
    write_replaced_breaks();
    return rows;
  }

  // Every version of a fix is stored once: the winner (SPEC §4's order, then the later lake date)
  // in location_update, the others in lake_location_superseded. Together they are all versions of
  // all dates, so re-loading a date can always elect again. Returns the date's distinct fix keys.
  //
  // Shaped for the common case, keys no other date holds: FixSorter hands out each key's best
  // version once, in key order, and those rows are copied straight into location_update (B-tree
  // appends, no staging, no server-side sort). The date's fixes are cut into segments, one per
  // vehicle and UTC day; a segment whose time span holds none of the vehicle's stored fixes
  // cannot clash. Only segments that may clash (late fixes of a loaded day, a date re-delivered)
  // go through a staging table and the comparison with the standing winners.
  std::uint64_t merge_locations(const Params& date) {
    // Winners this date held before lose their ground: drop them, promote the best other version.
    exec("CREATE TEMP TABLE orphaned_fix (vehicle_id text COLLATE \"C\", at timestamptz) ON COMMIT DROP", {});
    exec(
        "WITH dropped AS (DELETE FROM {s}.location_update WHERE lake_date = $1::date RETURNING vehicle_id, "
        "at) "
        "INSERT INTO orphaned_fix SELECT vehicle_id, at FROM dropped",
        date);
    exec(
        "WITH best AS (SELECT DISTINCT ON (s.vehicle_id, s.at) s.vehicle_id, s.at, s.lake_date FROM "
        "{s}.lake_location_superseded s JOIN orphaned_fix o ON s.vehicle_id = o.vehicle_id AND s.at = o.at "
        "ORDER BY s.vehicle_id, s.at, {best_first:s}, s.lake_date DESC), "
        "promoted AS (DELETE FROM {s}.lake_location_superseded s USING best b WHERE s.vehicle_id = "
        "b.vehicle_id "
        "AND s.at = b.at AND s.lake_date = b.lake_date RETURNING s.*) "
        "INSERT INTO {s}.location_update (vehicle_id, at, lat, lng, organization_id, lake_date, event_at) "
        "SELECT vehicle_id, at, lat, lng, organization_id, lake_date, event_at FROM promoted",
        {});
    m_segments = fix_segments();
    m_may_clash = segments_that_may_clash(m_segments);
    const std::vector<FixSegment>& segments = m_segments;
    const std::vector<bool>& may_clash = m_may_clash;
    const auto staged_segments = std::count(may_clash.begin(), may_clash.end(), true);
    spdlog::debug("location_update: {} of {} fix segments (vehicle, UTC day) may clash with other dates",
                  staged_segments, segments.size());
    std::uint64_t rows = 0;
    if (staged_segments > 0) {
      rows += merge_staged_fixes(date, segments, may_clash);
    }
    CopyWriter copy(m_db,
                    sql("COPY {s}.location_update (vehicle_id, at, lat, lng, organization_id, lake_date, "
                        "event_at) FROM STDIN (FORMAT binary)"));
    for_each_segment_fix(segments, [&](const LocationRow& fix, std::size_t segment) {
      if (!may_clash[segment]) encode_location_update(copy, fix, m_lake_day);
    });
    copy.finish();
    return rows + copy.rows();
  }

  // A vehicle's fixes within one UTC day of the date, as FixSorter orders them.
  struct FixSegment {
    std::string vehicle_id;
    UtcMicros first_at_us = 0, last_at_us = 0;
    std::uint64_t fixes = 0;
  };

  std::vector<FixSegment> fix_segments() {
    std::vector<FixSegment> segments;
    std::int64_t day = 0;
    m_fixes.for_each_best(
        [&](const LocationRow& fix) {
          const std::int64_t fix_day = core::utc_day_of(fix.at_us);
          if (segments.empty() || segments.back().vehicle_id != fix.vehicle_id || fix_day != day) {
            segments.push_back({std::string(fix.vehicle_id), fix.at_us, fix.at_us, 0});
            day = fix_day;
          }
          segments.back().last_at_us = fix.at_us;
          ++segments.back().fixes;
        },
        /*walk_again=*/true);  // the COPY and derivation walk the day again
    return segments;
  }

  // Calls visit(fix, segment index) for the best version of each of the date's keys, in order.
  void for_each_segment_fix(const std::vector<FixSegment>& segments,
                            const std::function<void(const LocationRow&, std::size_t)>& visit) {
    std::size_t segment = 0;
    std::uint64_t seen_in_segment = 0;
    m_fixes.for_each_best([&](const LocationRow& fix) {
      while (seen_in_segment == segments[segment].fixes) {
        ++segment;
        seen_in_segment = 0;
      }
      ++seen_in_segment;
      visit(fix, segment);
    });
  }

  // One primary-key probe per segment: does location_update hold a fix of that vehicle within
  // the segment's time span? (Called after this date's own former winners were removed.)
  std::vector<bool> segments_that_may_clash(const std::vector<FixSegment>& segments) {
    std::vector<bool> may_clash(segments.size(), false);
    if (segments.empty()) return may_clash;
    std::string vehicles = "{", firsts = "{", lasts = "{";
    for (const FixSegment& segment : segments) {
      const char* comma = vehicles.size() > 1 ? "," : "";
      vehicles += comma + array_element(segment.vehicle_id);
      firsts += comma + time_param(segment.first_at_us);
      lasts += comma + time_param(segment.last_at_us);
    }
    auto result = m_db.exec(
        sql("SELECT r.i FROM unnest($1::text[], $2::timestamptz[], $3::timestamptz[]) WITH ORDINALITY AS "
            "r(vehicle_id, first_at, last_at, i) WHERE EXISTS (SELECT 1 FROM {s}.location_update u WHERE "
            "u.vehicle_id = r.vehicle_id COLLATE \"C\" AND u.at >= r.first_at AND u.at <= r.last_at)"),
        {vehicles + "}", firsts + "}", lasts + "}"});
    for (int row = 0; row < result.rows(); ++row) {
      may_clash[static_cast<std::size_t>(result.int64(row, 0) - 1)] = true;
    }
    return may_clash;
  }

  // A PostgreSQL array literal of texts, for a `$n::text[]` parameter.
  template <typename Texts>
  static std::string text_array(const Texts& texts) {
    std::string literal = "{";
    for (const auto& text : texts) literal += (literal.size() > 1 ? "," : "") + array_element(text);
    return literal + "}";
  }

  // A quoted element of a PostgreSQL array literal.
  static std::string array_element(std::string_view text) {
    std::string quoted = "\"";
    for (const char c : text) {
      if (c == '"' || c == '\\') quoted += '\\';
      quoted += c;
    }
    return quoted + "\"";
  }

  // The segments that may clash: staged, each key compared with the standing winner, the better
  // version kept in location_update and the other in lake_location_superseded. Returns the keys.
  std::uint64_t merge_staged_fixes(const Params& date, const std::vector<FixSegment>& segments,
                                   const std::vector<bool>& may_clash) {
    m_db.exec_script(
        "CREATE TEMP TABLE stage_location (vehicle_id text COLLATE \"C\", at timestamptz, event_at "
        "timestamptz, lat float8, lng float8, organization_id text COLLATE \"C\") ON COMMIT DROP");
    {
      CopyWriter copy(m_db, "COPY stage_location FROM STDIN (FORMAT binary)");
      for_each_segment_fix(segments, [&](const LocationRow& fix, std::size_t segment) {
        if (!may_clash[segment]) return;
        copy.begin_row(6);
        copy.text(fix.vehicle_id);
        copy.timestamp_us(fix.at_us);
        copy.timestamp_us(fix.event_at_us);
        copy.float64(fix.lat_deg);
        copy.float64(fix.lng_deg);
        copy.optional_text(fix.organization_id);
      });
      copy.finish();
    }
    // The date's best version of each key another date holds, against that standing winner.
    exec(
        "CREATE TEMP TABLE clash ON COMMIT DROP AS SELECT c.vehicle_id, c.at, c.event_at, c.lat, c.lng, "
        "c.organization_id, "
        "(c.event_at, c.lat, c.lng, COALESCE(c.organization_id, ''), $1::date) > "
        "(u.event_at, u.lat, u.lng, COALESCE(u.organization_id, ''), u.lake_date) AS candidate_wins "
        "FROM stage_location c JOIN {s}.location_update u ON u.vehicle_id = c.vehicle_id AND u.at = c.at",
        date);
    exec(
        "INSERT INTO {s}.lake_location_superseded (vehicle_id, at, lake_date, event_at, lat, lng, "
        "organization_id) "
        "SELECT vehicle_id, at, $1::date, event_at, lat, lng, organization_id FROM clash WHERE NOT "
        "candidate_wins",
        date);
    exec(
        "INSERT INTO {s}.lake_location_superseded (vehicle_id, at, lake_date, event_at, lat, lng, "
        "organization_id) "
        "SELECT u.vehicle_id, u.at, u.lake_date, u.event_at, u.lat, u.lng, u.organization_id FROM "
        "{s}.location_update u JOIN clash k ON k.vehicle_id = u.vehicle_id AND k.at = u.at WHERE "
        "k.candidate_wins",
        {});
    exec(
        "UPDATE {s}.location_update u SET lat = k.lat, lng = k.lng, organization_id = k.organization_id, "
        "lake_date = $1::date, event_at = k.event_at FROM clash k WHERE k.candidate_wins AND u.vehicle_id = "
        "k.vehicle_id AND u.at = k.at",
        date);
    const std::uint64_t clashed =
        static_cast<std::uint64_t>(m_db.exec("SELECT COUNT(*) FROM clash").int64(0, 0));
    // The staged keys no other date holds after all: the date's version is the winner.
    const std::uint64_t inserted =
        m_db.exec(
                sql("INSERT INTO {s}.location_update (vehicle_id, at, lat, lng, organization_id, lake_date, "
                    "event_at) SELECT c.vehicle_id, c.at, c.lat, c.lng, c.organization_id, $1::date, "
                    "c.event_at FROM stage_location c WHERE NOT EXISTS (SELECT 1 FROM clash k WHERE "
                    "k.vehicle_id = c.vehicle_id AND k.at = c.at) ORDER BY c.vehicle_id, c.at"),
                date)
            .affected_rows();
    return clashed + inserted;
  }

  std::uint64_t derive() override { return derive_distances(*this, m_changed_days); }

  void commit(const RunFigures& f) override {
    m_db.exec(
        sql("UPDATE {s}.etl_run SET status = 'succeeded', finished_at = now(), extract_ms = $2, transform_ms "
            "= $3, "
            "load_ms = $4, derive_ms = $5, objects = $6, objects_copied = $7, bytes = $8, events_read = $9, "
            "events_rejected = $10, rows_loaded = $11, periods_derived = $12, raw_manifest_md5 = $13, "
            "objects_refused = $14, error = NULL, phase = NULL WHERE run_id = $1"),
        {std::to_string(m_run_id), std::to_string(f.extract_ms), std::to_string(f.transform_ms),
         std::to_string(f.load_ms), std::to_string(f.derive_ms), std::to_string(f.objects),
         std::to_string(f.objects_copied), std::to_string(f.bytes), std::to_string(f.events_read),
         std::to_string(f.events_rejected), std::to_string(f.rows_loaded), std::to_string(f.periods_derived),
         f.raw_manifest_md5, std::to_string(f.objects_refused)});
    m_db.exec_script("COMMIT");
    m_open = false;
  }

 private:
  // SQL text with {s} replaced by the quoted schema and {best_first:s} by SPEC §4's order of the
  // versions of one fix, best first (alias s; across dates the later lake date decides next).
  // Within one date FixSorter has already chosen each key's best version.
  std::string sql(std::string_view text) const {
    std::string result =
        replace_all(std::string(text), "{best_first:s}",
                    "s.event_at DESC, s.lat DESC, s.lng DESC, COALESCE(s.organization_id, '') DESC");
    return replace_all(std::move(result), "{s}", m_s);
  }
  void exec(std::string_view text, const Params& params) { m_db.exec(sql(text), params); }
  void exec_script(std::string_view text) { m_db.exec_script(sql(text)); }

  void copy_small_rows() {
    {
      CopyWriter copy(
          m_db,
          sql("COPY {s}.lake_vehicle (vehicle_id, lake_date, first_registered_at, last_deregistered_at, "
              "organization_id, organization_at) FROM STDIN (FORMAT binary)"));
      for (const auto& row : m_vehicles) {
        copy.begin_row(6);
        copy.text(row.id);
        copy.date_days(m_lake_day);
        copy.optional_timestamp_us(row.first_registered_us);
        copy.optional_timestamp_us(row.last_deregistered_us);
        copy.optional_text(row.organization_id);
        copy.optional_timestamp_us(row.organization_id ? std::optional<UtcMicros>(row.organization_at_us)
                                                       : std::nullopt);
      }
      copy.finish();
    }
    {
      CopyWriter copy(
          m_db,
          sql("COPY {s}.lake_operating_period_event (operating_period_id, lake_date, event_at, deleted, "
              "start_at, finish_at, organization_id) FROM STDIN (FORMAT binary)"));
      for (const auto& row : m_periods) {
        copy.begin_row(7);
        copy.text(row.id);
        copy.date_days(m_lake_day);
        copy.timestamp_us(row.event_at_us);
        copy.boolean(row.deleted);
        copy.optional_timestamp_us(row.deleted ? std::nullopt : std::optional<UtcMicros>(row.start_us));
        copy.optional_timestamp_us(row.deleted ? std::nullopt : std::optional<UtcMicros>(row.finish_us));
        copy.optional_text(row.organization_id);
      }
      copy.finish();
    }
    {
      CopyWriter copy(
          m_db,
          sql("COPY {s}.lake_break_event (vehicle_id, at, is_start, lake_date) FROM STDIN (FORMAT binary)"));
      for (const auto& row : m_breaks) {
        copy.begin_row(4);
        copy.text(row.vehicle_id);
        copy.timestamp_us(row.at_us);
        copy.boolean(row.is_start);
        copy.date_days(m_lake_day);
      }
      copy.finish();
    }
  }

  // DeriveStore.
  //
  // Breaks are read and written a batch of vehicles at a time (repair_breaks asks vehicle by
  // vehicle, in the order of vehicles_with_changed_break_events): four statements per vehicle
  // took 0.1-0.35 s of round trips for the bench's 134 vehicles with breaks.
  std::vector<std::string> vehicles_with_changed_break_events() override {
    auto result = m_db.exec("SELECT DISTINCT vehicle_id FROM affected_break_vehicle");
    m_break_vehicles.clear();
    m_break_vehicles.reserve(static_cast<std::size_t>(result.rows()));
    for (int i = 0; i < result.rows(); ++i) m_break_vehicles.emplace_back(result.text(i, 0));
    m_break_batch_end = 0;
    return m_break_vehicles;
  }

  static UtcMicros end_of_break(const pg::Result& result, int row, int column) {
    return result.is_null(row, column) ? model::BreakSpan::kOpenEnd : result.timestamp_us(row, column);
  }

  std::vector<model::BreakSpan> stored_breaks(const std::string& vehicle_id) override {
    read_break_batch_of(vehicle_id);
    return m_batch_stored_breaks[vehicle_id];
  }

  std::vector<model::BreakEvent> break_events(const std::string& vehicle_id) override {
    read_break_batch_of(vehicle_id);
    return m_batch_break_events[vehicle_id];
  }

  // Reads the stored breaks and break events of the batch of vehicles that starts with
  // `vehicle_id` (the next ones of m_break_vehicles), unless the batch read last holds it.
  void read_break_batch_of(const std::string& vehicle_id) {
    if (m_batch_stored_breaks.contains(vehicle_id)) return;
    m_batch_stored_breaks.clear();
    m_batch_break_events.clear();
    std::vector<std::string_view> batch;
    auto first = std::find(m_break_vehicles.begin() + static_cast<std::ptrdiff_t>(m_break_batch_end),
                           m_break_vehicles.end(), vehicle_id);
    if (first == m_break_vehicles.end()) {
      batch.push_back(vehicle_id);  // not asked in the order given out: read it alone
    } else {
      const auto last = first + std::min<std::ptrdiff_t>(kBreakBatch, m_break_vehicles.end() - first);
      m_break_batch_end = static_cast<std::size_t>(last - m_break_vehicles.begin());
      batch.assign(first, last);
    }
    for (const std::string_view vehicle : batch) {
      m_batch_stored_breaks[std::string(vehicle)];  // read, maybe without breaks
      m_batch_break_events[std::string(vehicle)];
    }
    const std::string ids = text_array(batch);
    auto stored = m_db.exec(
        sql("SELECT vehicle_id, start_at, end_at FROM {s}.vehicle_break WHERE vehicle_id = ANY($1::text[])"),
        {ids});
    for (int i = 0; i < stored.rows(); ++i) {
      m_batch_stored_breaks[std::string(stored.text(i, 0))].push_back(
          {stored.timestamp_us(i, 1), end_of_break(stored, i, 2)});
    }
    auto events = m_db.exec(sql("SELECT DISTINCT vehicle_id, at, is_start FROM {s}.lake_break_event WHERE "
                                "vehicle_id = ANY($1::text[])"),
                            {ids});
    for (int i = 0; i < events.rows(); ++i) {
      m_batch_break_events[std::string(events.text(i, 0))].push_back(
          {events.timestamp_us(i, 1), events.boolean(i, 2)});
    }
  }

  void replace_breaks(const std::string& vehicle_id, const std::vector<model::BreakSpan>& spans) override {
    m_replaced_break_vehicles.push_back(vehicle_id);
    for (const auto& span : spans) m_replacement_breaks.emplace_back(vehicle_id, span);
    if (m_replaced_break_vehicles.size() >= static_cast<std::size_t>(kBreakBatch)) write_replaced_breaks();
  }

  // Replaces the breaks of the vehicles replace_breaks was given: one DELETE, one COPY.
  void write_replaced_breaks() {
    if (m_replaced_break_vehicles.empty()) return;
    m_db.exec(sql("DELETE FROM {s}.vehicle_break WHERE vehicle_id = ANY($1::text[])"),
              {text_array(m_replaced_break_vehicles)});
    CopyWriter copy(m_db,
                    sql("COPY {s}.vehicle_break (vehicle_id, start_at, end_at) FROM STDIN (FORMAT binary)"));
    for (const auto& [vehicle, span] : m_replacement_breaks) {
      copy.begin_row(3);
      copy.text(vehicle);
      copy.timestamp_us(span.start_us);
      copy.optional_timestamp_us(span.end_us == model::BreakSpan::kOpenEnd ? std::nullopt
                                                                           : std::optional(span.end_us));
    }
    copy.finish();
    m_replaced_break_vehicles.clear();
    m_replacement_breaks.clear();
  }

  static constexpr std::ptrdiff_t kBreakBatch = 64;  // vehicles: a few small statements per 64

  std::vector<UtcMicros> changed_fix_times_by_day() override {
    // Days of the fixes this date held before, and of those it holds now.
    auto result = m_db.exec("SELECT MIN(at) FROM affected_fix GROUP BY date_trunc('day', at)");
    std::vector<UtcMicros> times;
    times.reserve(static_cast<std::size_t>(result.rows()) + m_fix_days.size());
    for (int i = 0; i < result.rows(); ++i) times.push_back(result.timestamp_us(i, 0));
    for (const std::int64_t day : m_fix_days) times.push_back(day * core::kMicrosPerDay);
    return times;
  }

  UtcMicros latest_fix_at() override {
    if (!m_latest_fix_at) {
      auto result =
          m_db.exec(sql(std::string(kEachVehicle) +
                        "SELECT MAX((SELECT MAX(u.at) FROM {s}.location_update u WHERE u.vehicle_id = "
                        "v.id)) FROM vehicles v"));
      m_latest_fix_at = result.is_null(0, 0) ? 0 : result.timestamp_us(0, 0);
    }
    return *m_latest_fix_at;
  }

  std::vector<PeriodWindow> changed_periods() override {
    auto result =
        m_db.exec(sql("SELECT a.operating_period_id, p.deleted, p.start_at, p.finish_at FROM (SELECT "
                      "DISTINCT operating_period_id "
                      "FROM affected_period) a LEFT JOIN {s}.operating_period p ON p.operating_period_id = "
                      "a.operating_period_id"));
    std::vector<PeriodWindow> periods;
    periods.reserve(static_cast<std::size_t>(result.rows()));
    for (int i = 0; i < result.rows(); ++i) {
      PeriodWindow period{std::string(result.text(i, 0)), std::nullopt};
      if (!result.is_null(i, 1) && !result.boolean(i, 1)) {
        period.window = std::pair{result.timestamp_us(i, 2), result.timestamp_us(i, 3)};
      }
      periods.push_back(std::move(period));
    }
    return periods;
  }

  std::vector<PeriodWindow> live_periods_meeting(UtcMicros start_us, UtcMicros end_us) override {
    auto result =
        m_db.exec(sql("SELECT operating_period_id, start_at, finish_at FROM {s}.operating_period "
                      "WHERE NOT deleted AND start_at <= $2::timestamptz AND finish_at >= $1::timestamptz"),
                  {time_param(start_us), time_param(end_us)});
    std::vector<PeriodWindow> periods;
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
  // not pay for reading a day of fixes back (measured: about 1.2 s of 9.7 s for 1M rows).
  void for_each_fix(std::span<const TimeWindow> windows,
                    const std::function<void(std::string_view, const model::Fix&)>& visit) override {
    StoredFixCursor stored(m_db, sql(kStoredFixesOutsideSpans), stored_intervals(windows));
    std::uint64_t from_memory = 0;
    for_each_segment_fix(m_segments, [&](const LocationRow& fix, std::size_t segment) {
      if (m_may_clash[segment] || !in_any_window(windows, fix.at_us)) return;
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
  Params stored_intervals(std::span<const TimeWindow> windows) {
    auto vehicles =
        m_db.exec(sql(std::string(kEachVehicle) + "SELECT id FROM vehicles WHERE id IS NOT NULL"));
    std::string ids = "{", los = "{", his = "{";
    auto add = [&](std::string_view vehicle, UtcMicros lo, UtcMicros hi) {
      const char* comma = ids.size() > 1 ? "," : "";
      ids += comma + array_element(vehicle);
      los += comma + time_param(lo);
      his += comma + time_param(hi);
    };
    std::size_t vehicle_segments = 0;  // segments are in the same (byte) order of vehicles
    for (int row = 0; row < vehicles.rows(); ++row) {
      const std::string_view vehicle = vehicles.text(row, 0);
      while (vehicle_segments < m_segments.size() && m_segments[vehicle_segments].vehicle_id < vehicle) {
        ++vehicle_segments;
      }
      for (const TimeWindow& window : windows) {
        UtcMicros lo = window.start_us;  // the start of the part not yet covered
        for (std::size_t segment = vehicle_segments;
             segment < m_segments.size() && m_segments[segment].vehicle_id == vehicle; ++segment) {
          const FixSegment& copied = m_segments[segment];
          if (m_may_clash[segment] || copied.last_at_us < lo || copied.first_at_us > window.finish_us)
            continue;
          if (copied.first_at_us > lo) add(vehicle, lo, copied.first_at_us - 1);
          lo = copied.last_at_us + 1;
        }
        if (lo <= window.finish_us) add(vehicle, lo, window.finish_us);
      }
    }
    return {ids + "}", los + "}", his + "}"};
  }

  // The stored fixes within intervals (vehicle, lo, hi), in the intervals' order and each in time
  // order: the nested loop keeps the order of the array, each primary-key range scan is ordered.
  static constexpr std::string_view kStoredFixesOutsideSpans =
      "SELECT f.vehicle_id, f.at, f.lat, f.lng FROM unnest($1::text[], $2::timestamptz[], "
      "$3::timestamptz[]) WITH ORDINALITY AS r(vehicle_id, lo, hi, i) CROSS JOIN LATERAL (SELECT "
      "u.vehicle_id, u.at, u.lat, u.lng FROM {s}.location_update u WHERE u.vehicle_id = r.vehicle_id "
      "COLLATE \"C\" AND u.at >= r.lo AND u.at <= r.hi ORDER BY u.at) f";

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
      if (++m_row == m_batch->rows())
        fetch();
      else
        decode();
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
    std::optional<pg::Result> m_batch;
    int m_row = 0;
    model::Fix m_fix{};
    std::uint64_t m_read = 0;
  };

  // The distinct vehicles of location_update in order, one primary-key probe each (a loose index
  // scan), as the CTE `vehicles(id)`; its last row is NULL.
  static constexpr std::string_view kEachVehicle =
      "WITH RECURSIVE vehicles(id) AS (SELECT MIN(vehicle_id) FROM {s}.location_update UNION ALL "
      "SELECT (SELECT MIN(u.vehicle_id) FROM {s}.location_update u WHERE u.vehicle_id > vehicles.id) FROM "
      "vehicles WHERE vehicles.id IS NOT NULL) ";

  std::vector<std::pair<std::string, model::BreakSpan>> breaks_overlapping(UtcMicros start_us,
                                                                           UtcMicros finish_us) override {
    auto result =
        m_db.exec(sql("SELECT vehicle_id, start_at, end_at FROM {s}.vehicle_break WHERE start_at <= "
                      "$2::timestamptz AND (end_at IS NULL OR end_at > $1::timestamptz)"),
                  {time_param(start_us), time_param(finish_us)});
    std::vector<std::pair<std::string, model::BreakSpan>> breaks;
    breaks.reserve(static_cast<std::size_t>(result.rows()));
    for (int i = 0; i < result.rows(); ++i) {
      breaks.emplace_back(std::string(result.text(i, 0)),
                          model::BreakSpan{result.timestamp_us(i, 1), end_of_break(result, i, 2)});
    }
    return breaks;
  }

  void replace_distances(const std::string& period_id, const std::vector<DistanceRow>& rows) override {
    m_db.exec(sql("DELETE FROM {s}.vehicle_operating_period_distance WHERE operating_period_id = $1"),
              {period_id});
    if (rows.empty()) return;
    CopyWriter copy(
        m_db, sql("COPY {s}.vehicle_operating_period_distance (operating_period_id, vehicle_id, distance_m, "
                  "updates) FROM STDIN (FORMAT binary)"));
    for (const DistanceRow& row : rows) {
      copy.begin_row(4);
      copy.text(period_id);
      copy.text(row.vehicle_id);
      copy.float64(row.distance_m);
      copy.int64(row.updates);
    }
    copy.finish();
  }

  Connection& m_db;
  std::string m_s;  // quoted schema
  std::string m_lake_date;
  std::int64_t m_lake_day = 0;
  std::int64_t m_run_id;
  bool m_open = false;
  FixSorter m_fixes;                   // the date's fixes: each key's best version, in key order
  std::vector<FixSegment> m_segments;  // of m_fixes, by vehicle and UTC day (merge_locations)
  std::vector<bool> m_may_clash;       // per segment: staged, not copied from memory
  // Breaks, a batch of vehicles at a time (repair_breaks).
  std::vector<std::string> m_break_vehicles;  // whose break events changed, in the order given out
  std::size_t m_break_batch_end = 0;          // in m_break_vehicles: where the batch read last ends
  std::map<std::string, std::vector<model::BreakSpan>, std::less<>> m_batch_stored_breaks;
  std::map<std::string, std::vector<model::BreakEvent>, std::less<>> m_batch_break_events;
  std::vector<std::string> m_replaced_break_vehicles;  // not yet written
  std::vector<std::pair<std::string, model::BreakSpan>> m_replacement_breaks;
  std::unique_ptr<CopyWriter> m_rejected;  // open from the first rejected line until merge
  std::vector<PeriodEventRow> m_periods;
  std::vector<VehicleRow> m_vehicles;
  std::vector<BreakEventRow> m_breaks;
  DaySet m_changed_days;
  std::set<std::int64_t> m_fix_days;  // UTC days of the staged fixes
  std::int64_t m_last_fix_day = std::numeric_limits<std::int64_t>::min();
  std::optional<UtcMicros> m_latest_fix_at;
};

class PostgresWarehouse final : public Warehouse {
 public:
  explicit PostgresWarehouse(WarehouseOptions options) : m_options(std::move(options)) {
    check_pg_schema(m_options.pg_schema);  // before any connection: nothing is touched on a bad name
    if (m_options.uri == "postgresql:") m_options.uri.clear();  // libpq's PG* environment only
    connect();
    if (m_options.read_only) {
      if (m_db->exec(sql("SELECT to_regclass($1) IS NULL"), {sql("{s}.schema_migration")}).boolean(0, 0)) {
        throw core::Error(
            core::ErrorKind::Warehouse,
            fmt::format("no warehouse at {}: run `d2d run` or `d2d migrate up` first", describe()));
      }
      require_current_schema(migration_status(), describe());
    }
  }

  std::vector<MigrationState> migration_status() override {
    ensure_migration_table();
    return status_from(
        m_db->exec(sql("SELECT version::bigint, name, to_char(applied_at AT TIME ZONE 'UTC', "
                       "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') FROM {s}.schema_migration ORDER BY version")));
  }

  int migrate_up() override {
    refuse_if_read_only("migrate up");
    ensure_migration_table();
    // A current schema is left alone without a write, so read-only accounts can report.
    const auto states = migration_status();
    if (std::all_of(states.begin(), states.end(), [](const MigrationState& s) { return s.applied; }))
      return 0;
    // All pending migrations in one transaction (PostgreSQL's DDL is transactional), under a
    // lock so that two processes never apply the same one.
    m_db->exec_script("BEGIN");
    try {
      lock_migrations();
      if (m_options.pg_analyst_role) m_db->exec_script("SET LOCAL d2d.create_analyst_role = 'on'");
      int count = 0;
      for (const MigrationState& state : migration_status_in_transaction()) {
        if (state.applied) continue;
        m_db->exec_script(sql(find(state.version).up_sql));
        m_db->exec(sql("INSERT INTO {s}.schema_migration (version, name) VALUES ($1::int, $2)"),
                   {std::to_string(state.version), state.name});
        ++count;
      }
      m_db->exec_script("COMMIT");
      return count;
    } catch (...) {
      rollback_quietly();
      throw;
    }
  }

  int migrate_down(int steps) override {
    refuse_if_read_only("migrate down");
    ensure_migration_table();
    m_db->exec_script("BEGIN");
    try {
      lock_migrations();
      auto states = migration_status_in_transaction();
      int count = 0;
      for (auto it = states.rbegin(); it != states.rend() && count < steps; ++it) {
        if (!it->applied) continue;
        m_db->exec_script(sql(find(it->version).down_sql));
        m_db->exec(sql("DELETE FROM {s}.schema_migration WHERE version = $1::int"),
                   {std::to_string(it->version)});
        ++count;
      }
      m_db->exec_script("COMMIT");
      return count;
    } catch (...) {
      rollback_quietly();
      throw;
    }
  }

  std::vector<TableRows> rows_dropped_by_down(int steps) override {
    std::vector<TableRows> tables;
    const auto states = migration_status();
    int left = steps;
    for (auto it = states.rbegin(); it != states.rend() && left > 0; ++it) {
      if (!it->applied) continue;
      --left;
      for (const std::string& table : tables_dropped_by(find(it->version).down_sql)) {
        const std::string qualified = sql("{s}.") + m_db->quote_identifier(table);
        if (m_db->exec("SELECT to_regclass($1) IS NULL", {qualified}).boolean(0, 0)) continue;
        const std::int64_t rows = m_db->exec("SELECT count(*) FROM " + qualified).int64(0, 0);
        if (rows > 0) tables.push_back({table, rows});
      }
    }
    return tables;
  }

  std::int64_t start_run(const std::string& lake_date) override {
    reconnect_if_needed();
    auto result =
        m_db->exec(sql("INSERT INTO {s}.etl_run (lake_date, status, started_at, code_version, phase) "
                       "VALUES ($1::date, 'running', now(), $2, 'extract') RETURNING run_id"),
                   {lake_date, std::string(core::code_version())});
    return result.int64(0, 0);
  }

  void set_run_phase(std::int64_t run_id, RunPhase phase) override {
    reconnect_if_needed();
    m_db->exec(sql("UPDATE {s}.etl_run SET phase = $2 WHERE run_id = $1::bigint"),
               {std::to_string(run_id), std::string(run_phase_name(phase))});
  }

  void fail_run(std::int64_t run_id, const std::string& error, RunPhase phase) override {
    reconnect_if_needed();
    m_db->exec(sql("UPDATE {s}.etl_run SET status = 'failed', finished_at = now(), error = $2, phase = $3 "
                   "WHERE run_id = $1::bigint"),
               {std::to_string(run_id), error, std::string(run_phase_name(phase))});
  }

  std::optional<LastRun> last_finished_run(const std::string& lake_date) override {
    reconnect_if_needed();
    auto result = m_db->exec(sql("SELECT run_id, status, COALESCE(raw_manifest_md5, ''), code_version FROM "
                                 "{s}.etl_run WHERE lake_date = $1::date AND status <> 'running' "
                                 "ORDER BY run_id DESC LIMIT 1"),
                             {lake_date});
    if (result.rows() == 0) return std::nullopt;
    return LastRun{result.int64(0, 0), result.text(0, 1) == "succeeded", std::string(result.text(0, 2)),
                   std::string(result.text(0, 3))};
  }

  void finish_unchanged(std::int64_t run_id, const RunFigures& f) override {
    reconnect_if_needed();
    m_db->exec(sql("UPDATE {s}.etl_run SET status = 'succeeded', finished_at = now(), unchanged = true, "
                   "extract_ms = $2, objects = $3, objects_copied = $4, bytes = $5, raw_manifest_md5 = $6, "
                   "objects_refused = $7, phase = NULL WHERE run_id = $1::bigint"),
               {std::to_string(run_id), std::to_string(f.extract_ms), std::to_string(f.objects),
                std::to_string(f.objects_copied), std::to_string(f.bytes), f.raw_manifest_md5,
                std::to_string(f.objects_refused)});
  }

  std::unique_ptr<LakeDateLoad> begin_load(const std::string& lake_date, std::int64_t run_id) override {
    reconnect_if_needed();
    return std::make_unique<PgLoad>(*m_db, m_schema, lake_date, run_id, m_options.wait_for_lock);
  }

  std::vector<PeriodAnswer> report(const ReportFilter& filter) override {
    reconnect_if_needed();
    auto optional_time = [](const std::optional<UtcMicros>& at_us) -> std::optional<std::string> {
      if (!at_us) return std::nullopt;
      return time_param(*at_us);
    };
    auto result = m_db->exec(
        sql("SELECT operating_period_id, vehicles, avg_distance_m, total_distance_m, start_at, finish_at, "
            "organization_id FROM {s}.operating_period_avg_distance WHERE ($1::timestamptz IS NULL OR "
            "start_at >= $1::timestamptz) AND ($2::timestamptz IS NULL OR start_at < $2::timestamptz) AND "
            "($3::text IS NULL OR organization_id = $3::text) ORDER BY operating_period_id"),
        {optional_time(filter.start_from_us), optional_time(filter.start_before_us), filter.organization_id});
    std::vector<PeriodAnswer> answers;
    answers.reserve(static_cast<std::size_t>(result.rows()));
    for (int i = 0; i < result.rows(); ++i) {
      PeriodAnswer answer;
      answer.operating_period_id = result.text(i, 0);
      answer.vehicles = result.int64(i, 1);
      if (!result.is_null(i, 2)) answer.avg_distance_m = result.float64(i, 2);
      answer.total_distance_m = result.float64(i, 3);
      answer.start_us = result.timestamp_us(i, 4);
      answer.finish_us = result.timestamp_us(i, 5);
      if (!result.is_null(i, 6)) answer.organization_id = std::string(result.text(i, 6));
      answers.push_back(std::move(answer));
    }
    mark_reject_gate_failures(answers);
    return answers;
  }

  std::vector<RunRecord> runs(const RunFilter& filter) override {
    reconnect_if_needed();
    std::string text = fmt::format(
        "SELECT run_id, lake_date::text, status, started_at, finished_at, {}, code_version, error, "
        "unchanged, objects_refused, phase FROM "
        "{{s}}.etl_run WHERE ($1::date IS NULL OR lake_date = $1::date)",
        detail::kLedgerFigureColumns);
    if (filter.latest_per_date)
      text += " AND run_id IN (SELECT MAX(run_id) FROM {s}.etl_run GROUP BY lake_date)";
    auto result = m_db->exec(sql(text + " ORDER BY lake_date, run_id"), {filter.lake_date});
    std::vector<RunRecord> records;
    records.reserve(static_cast<std::size_t>(result.rows()));
    for (int i = 0; i < result.rows(); ++i) {
      RunRecord record;
      record.run_id = result.int64(i, 0);
      record.lake_date = result.text(i, 1);
      record.status = result.text(i, 2);
      record.started_at_us = result.timestamp_us(i, 3);
      if (!result.is_null(i, 4)) record.finished_at_us = result.timestamp_us(i, 4);
      if (!result.is_null(i, 12)) {
        record.figures = detail::ledger_figures([&result, i](int column) { return result.int64(i, column); });
      }
      record.code_version = result.text(i, 16);
      if (!result.is_null(i, 17)) record.error = std::string(result.text(i, 17));
      record.unchanged = result.boolean(i, 18);
      record.objects_refused = static_cast<std::uint64_t>(result.int64(i, 19));
      if (!result.is_null(i, 20)) record.phase = parse_run_phase(result.text(i, 20));
      records.push_back(std::move(record));
    }
    return records;
  }

  std::vector<RejectReason> reject_reasons(const std::string& lake_date, int samples_per_reason) override {
    reconnect_if_needed();
    auto groups = m_db->exec(sql("SELECT reason_code, COUNT(*) FROM {s}.rejected_event WHERE lake_date = "
                                 "$1::date GROUP BY reason_code ORDER BY COUNT(*) DESC, reason_code"),
                             {lake_date});
    std::vector<RejectReason> reasons;
    for (int i = 0; i < groups.rows(); ++i) {
      RejectReason reason{std::string(groups.text(i, 0)), groups.int64(i, 1), {}};
      auto samples = m_db->exec(sql("SELECT source, line, reason, raw, raw_length FROM {s}.rejected_event "
                                    "WHERE lake_date = $1::date AND reason_code = $2 ORDER BY source, line "
                                    "LIMIT $3::bigint"),
                                {lake_date, reason.reason_code, std::to_string(samples_per_reason)});
      for (int j = 0; j < samples.rows(); ++j) {
        reason.samples.push_back({std::string(samples.text(j, 0)),
                                  static_cast<std::uint64_t>(samples.int64(j, 1)),
                                  std::string(samples.text(j, 2)), std::string(samples.text(j, 3)),
                                  static_cast<std::uint64_t>(samples.int64(j, 4))});
      }
      reasons.push_back(std::move(reason));
    }
    return reasons;
  }

  std::vector<PeriodVehicle> period_vehicles(const std::string& period_id) override {
    reconnect_if_needed();
    auto result = m_db->exec(
        sql("SELECT d.vehicle_id, d.distance_m, d.updates FROM {s}.vehicle_operating_period_distance d "
            "JOIN {s}.operating_period p ON p.operating_period_id = d.operating_period_id "
            "WHERE d.operating_period_id = $1 AND NOT p.deleted ORDER BY d.vehicle_id"),
        {period_id});
    std::vector<PeriodVehicle> vehicles;
    vehicles.reserve(static_cast<std::size_t>(result.rows()));
    for (int i = 0; i < result.rows(); ++i) {
      vehicles.push_back({std::string(result.text(i, 0)), result.float64(i, 1), result.int64(i, 2)});
    }
    return vehicles;
  }

  std::optional<VehicleTrack> vehicle_track(const std::string& period_id,
                                            const std::string& vehicle_id) override {
    reconnect_if_needed();
    auto period = m_db->exec(sql("SELECT start_at, finish_at FROM {s}.operating_period WHERE "
                                 "operating_period_id = $1 AND NOT deleted"),
                             {period_id});
    if (period.rows() == 0) return std::nullopt;
    VehicleTrack track{vehicle_id, period.timestamp_us(0, 0), period.timestamp_us(0, 1), {}, {}};
    const Params window = {vehicle_id, time_param(track.start_us), time_param(track.finish_us)};
    auto fixes =
        m_db->exec(sql("SELECT at, lat, lng FROM {s}.location_update WHERE vehicle_id = $1 AND at >= "
                       "$2::timestamptz AND at <= $3::timestamptz ORDER BY at"),
                   window);
    track.fixes.reserve(static_cast<std::size_t>(fixes.rows()));
    for (int i = 0; i < fixes.rows(); ++i) {
      track.fixes.push_back({fixes.timestamp_us(i, 0), fixes.float64(i, 1), fixes.float64(i, 2)});
    }
    auto breaks =
        m_db->exec(sql("SELECT start_at, end_at FROM {s}.vehicle_break WHERE vehicle_id = $1 AND "
                       "start_at <= $3::timestamptz AND (end_at IS NULL OR end_at > $2::timestamptz) "
                       "ORDER BY start_at"),
                   window);
    for (int i = 0; i < breaks.rows(); ++i) {
      track.breaks.push_back({breaks.timestamp_us(i, 0),
                              breaks.is_null(i, 1) ? model::BreakSpan::kOpenEnd : breaks.timestamp_us(i, 1)});
    }
    return track;
  }

  std::string describe() const override {
    return fmt::format("{} (schema {})",
                       m_options.uri.empty() ? "postgresql: (PG* environment)" : pg::mask_uri(m_options.uri),
                       m_options.pg_schema);
  }

 private:
  void connect() {
    m_db = std::make_unique<Connection>(m_options.uri, m_options.connect_attempts);
    m_schema = m_db->quote_identifier(m_options.pg_schema);
    // The server, not only this code, then refuses any write or DDL of a read command.
    if (m_options.read_only) m_db->exec_script("SET default_transaction_read_only = on");
  }
  void refuse_if_read_only(std::string_view what) const {
    if (m_options.read_only)
      throw core::Error(core::ErrorKind::Internal, fmt::format("{} on a read-only warehouse", what));
  }

  // As in SQLite: the lake dates whose latest load failed its reject gate, then, only if there
  // are any, whether a period's vehicles have fixes in its window from one of them. Analyst
  // relations only, so the read-only d2d_analyst role marks periods too.
  void mark_reject_gate_failures(std::vector<PeriodAnswer>& answers) {
    auto dates = m_db->exec(sql("SELECT string_agg(lake_date::text, ',') FROM (" +
                                detail::reject_gate_failed_dates("{s}.etl_run") + ") failed"));
    if (dates.is_null(0, 0) || answers.empty()) return;
    const std::string failed = "{" + std::string(dates.text(0, 0)) + "}";
    auto touched = m_db->exec(
        sql("SELECT p.operating_period_id FROM {s}.operating_period p WHERE NOT p.deleted AND EXISTS ("
            "SELECT 1 FROM {s}.vehicle_operating_period_distance d JOIN {s}.location_update u ON "
            "u.vehicle_id = d.vehicle_id AND u.at >= p.start_at AND u.at <= p.finish_at WHERE "
            "d.operating_period_id = p.operating_period_id AND u.lake_date = ANY($1::date[]))"),
        {failed});
    std::set<std::string, std::less<>> marked;
    for (int i = 0; i < touched.rows(); ++i) marked.emplace(touched.text(i, 0));
    for (PeriodAnswer& answer : answers)
      answer.reject_gate_failed = marked.contains(answer.operating_period_id);
  }
  void reconnect_if_needed() {
    if (!m_db->is_ok()) connect();
  }
  void rollback_quietly() {
    PGresult* result = PQexec(m_db->handle(), "ROLLBACK");
    PQclear(result);
  }
  // Migrations name the schema {{schema}}, d2d's own statements {s}: replaced in code only, so a
  // comment that mentions the placeholder stays a comment.
  std::string sql(std::string_view text) const {
    return replace_in_sql_code(replace_in_sql_code(text, "{{schema}}", m_schema), "{s}", m_schema);
  }

  void ensure_migration_table() {
    reconnect_if_needed();
    if (m_options.read_only) return;  // checked when opened; a read-only session cannot create it
    // Read-only accounts (d2d_analyst) get this far too: no DDL when the table is there.
    if (!m_db->exec(sql("SELECT to_regclass($1) IS NULL"), {sql("{s}.schema_migration")}).boolean(0, 0))
      return;
    // Processes started together on a fresh schema create it one at a time, under the lock
    // migrations take (IF NOT EXISTS alone lets the second fail on a unique catalog index).
    m_db->exec_script("BEGIN");
    try {
      lock_migrations();
      m_db->exec_script(
          sql("CREATE SCHEMA IF NOT EXISTS {s}; CREATE TABLE IF NOT EXISTS {s}.schema_migration ("
              "version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL "
              "DEFAULT now())"));
      m_db->exec_script("COMMIT");
    } catch (...) {
      rollback_quietly();
      throw;
    }
  }

  // Held until the transaction ends: one process at a time reads what is applied and applies
  // what is missing (or creates the migration table).
  void lock_migrations() {
    m_db->exec("SELECT pg_advisory_xact_lock(hashtext($1))", {"d2d:" + m_schema + ":migrate"});
  }

  std::vector<MigrationState> migration_status_in_transaction() {
    return status_from(
        m_db->exec(sql("SELECT version::bigint, name, '' FROM {s}.schema_migration ORDER BY version")));
  }

  std::vector<MigrationState> status_from(const pg::Result& result) {
    std::map<int, AppliedMigration> applied;
    for (int i = 0; i < result.rows(); ++i) {
      applied[static_cast<int>(result.int64(i, 0))] = {std::string(result.text(i, 1)),
                                                       std::string(result.text(i, 2))};
    }
    return migration_states(postgres_migrations(), std::move(applied), describe());
  }

  static const Migration& find(int version) { return find_migration(postgres_migrations(), version); }

  WarehouseOptions m_options;
  std::unique_ptr<Connection> m_db;
  std::string m_schema;  // quoted
};

}  // namespace

void encode_location_update(pg::CopyEncoder& copy, const LocationRow& fix, std::int64_t lake_day) {
  copy.begin_row(7);
  copy.text(fix.vehicle_id);
  copy.timestamp_us(fix.at_us);
  copy.float64(fix.lat_deg);
  copy.float64(fix.lng_deg);
  copy.optional_text(fix.organization_id);
  copy.date_days(lake_day);
  copy.timestamp_us(fix.event_at_us);
}

std::unique_ptr<Warehouse> open_postgres_warehouse(const WarehouseOptions& options) {
  return std::make_unique<PostgresWarehouse>(options);
}

}  // namespace d2d::warehouse
