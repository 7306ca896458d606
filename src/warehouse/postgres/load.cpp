#include "warehouse/postgres/load.h"

#include <fmt/format.h>

#include <ranges>

#include "core/checksum.h"
#include "core/error.h"
#include "core/string_map.h"
#include "core/utf8.h"
#include "model/lake_date_reducer.h"
#include "model/winners.h"
#include "warehouse/postgres/ledger.h"
#include "warehouse/postgres/pg_array.h"

namespace d2d::warehouse::pg {

using core::UtcMicros;

PgLoad::PgLoad(Connection& connection, std::string quoted_schema, const core::LakeDate& lake_date,
               std::int64_t run_id, bool wait_for_lock)
    : m_db(connection),
      m_s(std::move(quoted_schema)),
      m_lake_date(lake_date.text()),
      m_lake_day(lake_date.day()),
      m_run_id(run_id),
      m_derive_store(connection, m_s, m_fixes) {
  m_db.exec_script("BEGIN");
  m_open = true;
  // The reads of derivation look expensive to the planner (a million rows), which then compiles
  // them with JIT for nothing: they are index scans, not expressions (figures: docs/decisions.md).
  m_db.exec_script("SET LOCAL jit = off");
  // Two runs of one lake date never interleave.
  const std::string key = fmt::format("d2d:{}:{}", m_s, m_lake_date);
  if (wait_for_lock) {
    m_db.exec("SELECT pg_advisory_xact_lock(hashtext($1))", {key});
  } else if (!m_db.exec("SELECT pg_try_advisory_xact_lock(hashtext($1))", {key}).boolean(0, 0)) {
    throw core::Error(
        core::ErrorKind::Warehouse,
        fmt::format("another d2d run is loading lake date {} into {} (without --no-wait it would "
                    "wait for it)",
                    m_lake_date, m_s));
  }
}

PgLoad::~PgLoad() {
  if (m_open && m_db.is_ok()) {
    // The server ends a COPY in progress when the transaction is rolled back.
    PQputCopyEnd(m_db.handle(), "run abandoned");
    while (PGresult* result = PQgetResult(m_db.handle())) PQclear(result);
    PQclear(PQexec(m_db.handle(), "ROLLBACK"));
  }
}

std::vector<LoadedObject> PgLoad::loaded_objects() {
  auto result = m_db.exec(
      sql("SELECT o.object_key, o.size, o.md5, COALESCE(r.code_version, ''), o.run_id FROM {s}.lake_object o "
          "LEFT JOIN {s}.etl_run r ON r.run_id = o.run_id WHERE o.lake_date = $1::date"),
      {m_lake_date});
  std::vector<LoadedObject> objects;
  for (int row = 0; row < result.rows(); ++row) {
    objects.push_back({std::string(result.text(row, 0)), static_cast<std::uint64_t>(result.int64(row, 1)),
                       std::string(result.text(row, 2)), std::string(result.text(row, 3)),
                       result.int64(row, 4)});
  }
  return objects;
}

// A full load replaces the date's objects, but an object it held before keeps its lake_object_id
// (add_object): the stored fixes that come from it can then stay as they are (DateFixes). Objects
// the load did not add go in merge().
void PgLoad::start(LoadMode mode) { m_mode = mode; }

std::int64_t PgLoad::add_object(const ObjectRow& object) {
  const std::int64_t id =
      m_db.exec(sql("INSERT INTO {s}.lake_object (lake_date, source, object_key, size, md5, run_id) VALUES "
                    "($1::date, $2, decode($3, 'hex'), $4::bigint, $5, $6::bigint) ON CONFLICT (lake_date, "
                    "object_key) DO UPDATE SET source = EXCLUDED.source, size = EXCLUDED.size, md5 = "
                    "EXCLUDED.md5, "
                    "run_id = EXCLUDED.run_id, lines = 0, lines_rejected = 0 RETURNING lake_object_id"),
                {m_lake_date, core::utf8_lossy(object.key),
                 core::to_hex(object.key) /* decode($3, 'hex'): keys are untrusted bytes */,
                 std::to_string(object.size), std::string(object.md5), std::to_string(m_run_id)})
          .int64(0, 0);
  m_fixes.add_object(id);
  return id;
}

void PgLoad::record_object_lines() {
  for (const auto& [object_id, lines] : m_object_lines) {
    exec(
        "UPDATE {s}.lake_object SET lines = $2::bigint, lines_rejected = $3::bigint WHERE lake_object_id = "
        "$1::bigint",
        {std::to_string(object_id), std::to_string(lines.read), std::to_string(lines.rejected)});
  }
}

LineCounts PgLoad::date_lines() {
  auto result =
      m_db.exec(sql("SELECT COALESCE(SUM(lines), 0)::bigint, COALESCE(SUM(lines_rejected), 0)::bigint "
                    "FROM {s}.lake_object WHERE lake_date = $1::date"),
                {m_lake_date});
  return {static_cast<std::uint64_t>(result.int64(0, 0)), static_cast<std::uint64_t>(result.int64(0, 1))};
}

void PgLoad::add_location(const LocationRow& row) {
  m_changes.add_fix(m_mode == LoadMode::Full, row.vehicle_id, row.at_us);
  m_fixes.add(row);
}

void PgLoad::add_rejected(const RejectedRow& row) {
  if (!m_rejected) {
    // Rejected lines go to the server as they come (the connection is otherwise idle while the
    // files are decoded), so memory does not grow with them. The date's lake-date lock is held,
    // so its previous rejected lines can go first (an incremental load adds to them).
    if (m_mode == LoadMode::Full)
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

std::uint64_t PgLoad::merge() {
  if (m_rejected) {
    m_rejected->finish();
  } else if (m_mode == LoadMode::Full) {
    exec("DELETE FROM {s}.rejected_event WHERE lake_date = $1::date", {m_lake_date});
  }
  if (m_mode == LoadMode::Full) {
    exec("DELETE FROM {s}.lake_object WHERE lake_date = $1::date AND run_id <> $2::bigint",
         {m_lake_date, std::to_string(m_run_id)});
  }
  record_object_lines();
  // Merges of different dates touch shared keys: apply them one at a time (no deadlocks,
  // no lost winners). Transform, which fills FixSorter, ran in parallel with other dates.
  m_db.exec("SELECT pg_advisory_xact_lock(hashtext($1))", {fmt::format("d2d:{}:merge", m_s)});
  const Params date = {m_lake_date};
  // Sorts of a day's rows fit in memory instead of spilling to disk.
  m_db.exec_script("SET LOCAL work_mem = '256MB'");
  if (m_mode == LoadMode::Full) {
    remember_and_forget_previous_rows(date);
    copy_small_rows();
  } else {
    create_empty_affected_tables();
    merge_small_rows_into_date();
  }
  // Before the date's fixes change: the stretches of track an increment replaces (derivation).
  if (m_mode == LoadMode::Incremental) model::snapshot_tracks(m_derive_store, m_changes);
  const std::uint64_t rows = m_fixes.merge(m_db, m_s, m_lake_date, m_lake_day, m_mode);
  if (m_mode == LoadMode::Full && !m_fixes.stored_first_fix_of_day().empty()) {
    std::vector<std::string> firsts;
    for (const UtcMicros at : m_fixes.stored_first_fix_of_day()) firsts.push_back(time_param(at));
    exec("INSERT INTO affected_fix (at) SELECT unnest($1::timestamptz[])", {text_array(firsts)});
  }
  merge_vehicles(date);
  merge_periods(date);
  if (m_mode == LoadMode::Full) {
    exec(
        "INSERT INTO affected_break_vehicle SELECT DISTINCT vehicle_id FROM {s}.lake_break_event WHERE "
        "lake_date = $1::date",
        date);
  }
  model::repair_breaks(m_derive_store, m_changes);
  return rows;
}

// Where this date held fixes before, as winner or as superseded version (none on a first load):
// the first of each UTC day is all derivation asks (previous_fix_times_by_day); the winners' are
// added after DateFixes read them. Then its rows of the small relations go: merge writes them anew.
void PgLoad::remember_and_forget_previous_rows(const Params& date) {
  exec(
      "CREATE TEMP TABLE affected_fix ON COMMIT DROP AS SELECT MIN(at) AS at FROM "
      "{s}.location_fix_superseded "
      "WHERE lake_date = $1::date GROUP BY date_trunc('day', at)",
      date);  // the winners' days come from DateFixes, which reads them anyway (merge)
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
       {"location_fix_superseded", "lake_vehicle", "lake_operating_period_event", "lake_break_event"}) {
    exec(fmt::format("DELETE FROM {{s}}.{} WHERE lake_date = $1::date", table), date);
  }
}

// An incremental load keeps what the date held: the affected keys are only those its new rows
// change (merge_small_rows_into_date, DateFixes).
void PgLoad::create_empty_affected_tables() {
  m_db.exec_script(
      "CREATE TEMP TABLE affected_fix (vehicle_key integer, at timestamptz) ON COMMIT DROP;"
      "CREATE TEMP TABLE affected_vehicle (vehicle_id text COLLATE \"C\") ON COMMIT DROP;"
      "CREATE TEMP TABLE affected_period (operating_period_id text COLLATE \"C\") ON COMMIT DROP;"
      "CREATE TEMP TABLE affected_break_vehicle (vehicle_id text COLLATE \"C\") ON COMMIT DROP;");
}

// Incremental: each vehicle's and period's row of the date becomes what one reduction of all the
// date's objects makes (model::merge_vehicle_rows, merge_period_rows, the rules written once);
// break events are a set. Only keys whose row changed are affected.
void PgLoad::merge_small_rows_into_date() {
  const Params date = {m_lake_date};
  {
    auto stored =
        m_db.exec(sql("SELECT vehicle_id, first_registered_at, last_deregistered_at, organization_id, "
                      "organization_at FROM {s}.lake_vehicle WHERE lake_date = $1::date"),
                  date);
    core::StringMap<VehicleRow> by_id;
    for (int row = 0; row < stored.rows(); ++row) {
      VehicleRow vehicle{std::string(stored.text(row, 0)), std::nullopt, std::nullopt, std::nullopt, 0};
      if (!stored.is_null(row, 1)) vehicle.first_registered_us = stored.timestamp_us(row, 1);
      if (!stored.is_null(row, 2)) vehicle.last_deregistered_us = stored.timestamp_us(row, 2);
      if (!stored.is_null(row, 3)) {
        vehicle.organization_id = std::string(stored.text(row, 3));
        vehicle.organization_at_us = stored.timestamp_us(row, 4);
      }
      by_id.emplace(vehicle.id, std::move(vehicle));
    }
    std::vector<VehicleRow> changed;
    for (const VehicleRow& added : m_vehicles) {
      const auto found = by_id.find(added.id);
      if (found == by_id.end()) {
        changed.push_back(added);
      } else if (VehicleRow merged = found->second; model::merge_vehicle_rows(merged, added)) {
        changed.push_back(std::move(merged));
      }
    }
    m_vehicles = std::move(changed);
  }
  {
    auto stored =
        m_db.exec(sql("SELECT operating_period_id, event_at, deleted, start_at, finish_at, organization_id "
                      "FROM {s}.lake_operating_period_event WHERE lake_date = $1::date"),
                  date);
    core::StringMap<PeriodEventRow> by_id;
    for (int row = 0; row < stored.rows(); ++row) {
      PeriodEventRow period{std::string(stored.text(row, 0)),
                            stored.timestamp_us(row, 1),
                            stored.boolean(row, 2),
                            0,
                            0,
                            std::nullopt};
      if (!stored.is_null(row, 3)) period.start_us = stored.timestamp_us(row, 3);
      if (!stored.is_null(row, 4)) period.finish_us = stored.timestamp_us(row, 4);
      if (!stored.is_null(row, 5)) period.organization_id = std::string(stored.text(row, 5));
      by_id.emplace(period.id, std::move(period));
    }
    std::vector<PeriodEventRow> changed;
    for (const PeriodEventRow& added : m_periods) {
      const auto found = by_id.find(added.id);
      if (found == by_id.end()) {
        changed.push_back(added);
      } else if (PeriodEventRow merged = found->second; model::merge_period_rows(merged, added)) {
        changed.push_back(std::move(merged));
      }
    }
    m_periods = std::move(changed);
  }
  const std::string vehicles = text_array(
      std::views::transform(m_vehicles, [](const VehicleRow& row) { return std::string_view(row.id); }));
  const std::string periods = text_array(
      std::views::transform(m_periods, [](const PeriodEventRow& row) { return std::string_view(row.id); }));
  exec("DELETE FROM {s}.lake_vehicle WHERE lake_date = $1::date AND vehicle_id = ANY($2::text[])",
       {m_lake_date, vehicles});
  exec("INSERT INTO affected_vehicle SELECT unnest($1::text[])", {vehicles});
  exec(
      "DELETE FROM {s}.lake_operating_period_event WHERE lake_date = $1::date AND operating_period_id = "
      "ANY($2::text[])",
      {m_lake_date, periods});
  exec("INSERT INTO affected_period SELECT unnest($1::text[])", {periods});
  // Break events the date did not hold yet: staged, then added, their vehicles affected.
  m_db.exec_script(
      "CREATE TEMP TABLE stage_break_event (vehicle_id text COLLATE \"C\", at timestamptz, is_start boolean) "
      "ON COMMIT DROP");
  {
    CopyWriter copy(m_db, "COPY stage_break_event FROM STDIN (FORMAT binary)");
    for (const auto& row : m_breaks) {
      copy.begin_row(3);
      copy.text(row.vehicle_id);
      copy.timestamp_us(row.at_us);
      copy.boolean(row.is_start);
    }
    copy.finish();
  }
  exec(
      "WITH added AS (INSERT INTO {s}.lake_break_event (vehicle_id, at, is_start, lake_date) SELECT "
      "vehicle_id, "
      "at, is_start, $1::date FROM stage_break_event ON CONFLICT DO NOTHING RETURNING vehicle_id) "
      "INSERT INTO affected_break_vehicle SELECT DISTINCT vehicle_id FROM added",
      date);
  m_breaks.clear();
  copy_small_rows();  // the changed vehicles and periods
}

void PgLoad::merge_vehicles(const Params& date) {
  if (m_mode == LoadMode::Full) {
    exec("INSERT INTO affected_vehicle SELECT vehicle_id FROM {s}.lake_vehicle WHERE lake_date = $1::date",
         date);
  }
  m_db.exec_script(
      sql("DELETE FROM {s}.vehicle WHERE vehicle_id IN (SELECT vehicle_id FROM affected_vehicle);"
          "INSERT INTO {s}.vehicle (vehicle_id, organization_id, first_registered_at, last_deregistered_at) "
          "SELECT v.vehicle_id, (SELECT o.organization_id FROM {s}.lake_vehicle o WHERE o.vehicle_id = "
          "v.vehicle_id AND "
          "o.organization_id IS NOT NULL ORDER BY " +
          model::organization_best_first_sql("o") +
          " LIMIT 1), MIN(v.first_registered_at), MAX(v.last_deregistered_at) FROM {s}.lake_vehicle v "
          "WHERE v.vehicle_id IN (SELECT vehicle_id FROM affected_vehicle) GROUP BY v.vehicle_id;"));
}

// Each affected period's best event across dates (SPEC §4), then the later lake date.
void PgLoad::merge_periods(const Params& date) {
  if (m_mode == LoadMode::Full) {
    exec(
        "INSERT INTO affected_period SELECT operating_period_id FROM {s}.lake_operating_period_event WHERE "
        "lake_date = $1::date",
        date);
  }
  m_db.exec_script(sql(
      "DELETE FROM {s}.operating_period WHERE operating_period_id IN (SELECT operating_period_id FROM "
      "affected_period);"
      "INSERT INTO {s}.operating_period (operating_period_id, start_at, finish_at, deleted, organization_id, "
      "event_at) "
      "SELECT DISTINCT ON (e.operating_period_id) e.operating_period_id, e.start_at, e.finish_at, e.deleted, "
      "e.organization_id, e.event_at FROM {s}.lake_operating_period_event e "
      "WHERE e.operating_period_id IN (SELECT operating_period_id FROM affected_period) "
      "ORDER BY e.operating_period_id, " +
      model::period_best_first_sql("e") + ", e.lake_date DESC;"));
}

std::uint64_t PgLoad::derive() { return model::derive_distances(m_derive_store, m_changes); }

void PgLoad::commit(const RunFigures& figures) {
  record_succeeded_run(m_db, m_s, m_run_id, figures);
  m_db.exec_script("COMMIT");
  m_open = false;
}

void PgLoad::copy_small_rows() {
  {
    CopyWriter copy(
        m_db, sql("COPY {s}.lake_vehicle (vehicle_id, lake_date, first_registered_at, "
                  "last_deregistered_at, organization_id, organization_at) FROM STDIN (FORMAT binary)"));
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
    CopyWriter copy(m_db,
                    sql("COPY {s}.lake_operating_period_event (operating_period_id, lake_date, event_at, "
                        "deleted, start_at, finish_at, organization_id) FROM STDIN (FORMAT binary)"));
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

}  // namespace d2d::warehouse::pg
