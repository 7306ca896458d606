#include "warehouse/sqlite/load.h"

#include <fmt/format.h>

#include "core/error.h"
#include "core/utf8.h"
#include "model/lake_date_reducer.h"
#include "model/winners.h"
#include "warehouse/sqlite/ledger.h"
#include "warehouse/sqlite/load_fixes.h"

namespace d2d::warehouse::sqlite {

using detail::Statement;

namespace {

std::optional<std::string_view> optional_view(const std::optional<std::string>& text) {
  return text ? std::optional<std::string_view>(*text) : std::nullopt;
}

}  // namespace

SqliteLoad::SqliteLoad(SqliteFile& file, const core::LakeDate& lake_date, std::int64_t run_id)
    : m_gate(*file.gate),
      m_db(file.db),
      m_path(file.path),
      m_lake_date(lake_date.text()),
      m_lake_day(lake_date.day()),
      m_run_id(run_id),
      m_derive_store(file.db) {
  begin_transaction(file.wait_for_lock);
  m_db.exec(
      "CREATE TEMP TABLE IF NOT EXISTS previous_span (first_at TEXT, last_at TEXT);"
      "CREATE TEMP TABLE IF NOT EXISTS affected_vehicle (vehicle_id TEXT PRIMARY KEY) WITHOUT ROWID;"
      "CREATE TEMP TABLE IF NOT EXISTS affected_period (operating_period_id TEXT PRIMARY KEY) WITHOUT "
      "ROWID;"
      "CREATE TEMP TABLE IF NOT EXISTS affected_break_vehicle (vehicle_id TEXT PRIMARY KEY) WITHOUT ROWID;"
      "DELETE FROM temp.previous_span; DELETE FROM temp.affected_vehicle;"
      "DELETE FROM temp.affected_period; DELETE FROM temp.affected_break_vehicle;");
  m_insert_rejected = std::make_unique<Statement>(m_db,
                                                  "INSERT OR REPLACE INTO rejected_event (lake_date, "
                                                  "source, line, reason_code, reason, raw, raw_length) "
                                                  "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
}

// Threads of this process wait at the gate (taken in the constructor). Another process holding
// the file's write lock is waited for on the busy timeout; without wait_for_lock that timeout is
// short (kNoWaitBusyTimeout) and the load is refused with one clear line: SQLite has one writer
// per file, and which lake date the other one loads cannot be told.
void SqliteLoad::begin_transaction(bool wait_for_lock) {
  if (wait_for_lock) {
    m_db.exec("BEGIN IMMEDIATE");
  } else if (!m_db.try_exec("BEGIN IMMEDIATE")) {
    throw core::Error(core::ErrorKind::Warehouse,
                      fmt::format("another process is writing to warehouse {} (without --no-wait this run "
                                  "would wait for it)",
                                  m_path));
  }
  m_open = true;
}

SqliteLoad::~SqliteLoad() {
  finalize_statements();
  if (m_open) sqlite3_exec(m_db.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
}

// What this date contributed before is replaced: remember its keys, then forget its rows (its
// winners in location_fix go in merge_fixes, where others may take their place).
void SqliteLoad::forget_previous_rows() {
  // Where the date's fixes lay (its spans: winners and superseded versions), for derivation.
  run_for_date(
      "INSERT INTO temp.previous_span SELECT first_at, last_at FROM lake_location_span WHERE lake_date = ?1");
  run_for_date(
      "INSERT OR IGNORE INTO temp.affected_vehicle SELECT vehicle_id FROM lake_vehicle WHERE lake_date = ?1");
  run_for_date(
      "INSERT OR IGNORE INTO temp.affected_period SELECT operating_period_id FROM "
      "lake_operating_period_event WHERE lake_date = ?1");
  run_for_date(
      "INSERT OR IGNORE INTO temp.affected_break_vehicle SELECT vehicle_id FROM lake_break_event WHERE "
      "lake_date = ?1");
  Statement(m_db, "DELETE FROM location_fix_superseded WHERE lake_day = ?1").bind(1, m_lake_day).run();
  for (const char* table :
       {"lake_vehicle", "lake_operating_period_event", "lake_break_event", "rejected_event"}) {
    run_for_date(fmt::format("DELETE FROM {} WHERE lake_date = ?1", table));
  }
}

std::vector<LoadedObject> SqliteLoad::loaded_objects() {
  std::vector<LoadedObject> objects;
  Statement query(
      m_db,
      "SELECT o.object_key, o.size, o.md5, COALESCE(r.code_version, ''), o.run_id FROM lake_object o "
      "LEFT JOIN etl_run r ON r.run_id = o.run_id WHERE o.lake_date = ?1");
  query.bind(1, std::string_view(m_lake_date));
  while (query.step()) {
    objects.push_back({std::string(query.column_text(0)), static_cast<std::uint64_t>(query.column_int(1)),
                       std::string(query.column_text(2)), std::string(query.column_text(3)),
                       query.column_int(4)});
  }
  return objects;
}

void SqliteLoad::start(LoadMode mode) {
  m_mode = mode;
  if (mode == LoadMode::Full) {
    forget_previous_rows();
    run_for_date("DELETE FROM lake_object WHERE lake_date = ?1");
  }
}

std::int64_t SqliteLoad::add_object(const ObjectRow& object) {
  Statement insert(
      m_db,
      "INSERT INTO lake_object (lake_date, source, object_key, size, md5, run_id) VALUES (?1, ?2, ?3, "
      "?4, ?5, ?6)");
  insert.bind(1, std::string_view(m_lake_date)).bind(2, std::string_view(core::utf8_lossy(object.key)));
  insert.bind_blob(3, object.key).bind(4, static_cast<std::int64_t>(object.size));
  insert.bind(5, object.md5).bind(6, m_run_id).run();
  return sqlite3_last_insert_rowid(m_db.handle());
}

void SqliteLoad::set_object_lines(std::int64_t object_id, const LineCounts& lines) {
  Statement update(m_db, "UPDATE lake_object SET lines = ?2, lines_rejected = ?3 WHERE lake_object_id = ?1");
  update.bind(1, object_id).bind(2, static_cast<std::int64_t>(lines.read));
  update.bind(3, static_cast<std::int64_t>(lines.rejected)).run();
}

LineCounts SqliteLoad::date_lines() {
  Statement query(m_db,
                  "SELECT COALESCE(SUM(lines), 0), COALESCE(SUM(lines_rejected), 0) FROM lake_object WHERE "
                  "lake_date = ?1");
  query.bind(1, std::string_view(m_lake_date));
  query.step();
  return {static_cast<std::uint64_t>(query.column_int(0)), static_cast<std::uint64_t>(query.column_int(1))};
}

void SqliteLoad::add_location(const LocationRow& row) {
  m_changes.add_fix(m_mode == LoadMode::Full, row.vehicle_id, row.at_us);
  m_fixes.add(row);
}

void SqliteLoad::add_rejected(const RejectedRow& row) {
  m_insert_rejected->bind(1, std::string_view(m_lake_date))
      .bind(2, row.source)
      .bind(3, static_cast<std::int64_t>(row.line))
      .bind(4, row.reason_code)
      .bind(5, row.reason)
      .bind(6, row.raw)
      .bind(7, static_cast<std::int64_t>(row.raw_length))
      .run();
}

// Incremental: the date's stored row of the period, if any (to merge with, model::merge_period_rows).
std::optional<PeriodEventRow> SqliteLoad::stored_period_event(const std::string& id) {
  Statement query(
      m_db,
      "SELECT event_at, deleted, start_at, finish_at, organization_id FROM lake_operating_period_event "
      "WHERE operating_period_id = ?1 AND lake_date = ?2");
  query.bind(1, std::string_view(id)).bind(2, std::string_view(m_lake_date));
  if (!query.step()) return std::nullopt;
  PeriodEventRow row{id, query.column_time(0), query.column_int(1) != 0, 0, 0, std::nullopt};
  if (!query.column_is_null(2)) row.start_us = query.column_time(2);
  if (!query.column_is_null(3)) row.finish_us = query.column_time(3);
  if (!query.column_is_null(4)) row.organization_id = std::string(query.column_text(4));
  return row;
}

void SqliteLoad::add_period_event(const PeriodEventRow& added) {
  PeriodEventRow merged = added;
  if (m_mode == LoadMode::Incremental) {
    if (auto stored = stored_period_event(added.id)) {
      if (!model::merge_period_rows(*stored, added)) return;  // the date's row stands
      merged = std::move(*stored);
    }
    mark_affected("affected_period", merged.id);
  }
  const PeriodEventRow& row = merged;
  Statement& insert = prepared(
      m_insert_period,
      "INSERT OR REPLACE INTO lake_operating_period_event (operating_period_id, lake_date, event_at, "
      "deleted, start_at, finish_at, organization_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
  insert.bind(1, std::string_view(row.id))
      .bind(2, std::string_view(m_lake_date))
      .bind_time(3, row.event_at_us);
  insert.bind(4, static_cast<std::int64_t>(row.deleted ? 1 : 0));
  insert.bind_time(5, row.deleted ? std::nullopt : std::optional(row.start_us));
  insert.bind_time(6, row.deleted ? std::nullopt : std::optional(row.finish_us));
  insert.bind(7, optional_view(row.organization_id)).run();
}

// Incremental: the date's stored row of the vehicle, if any (model::merge_vehicle_rows).
std::optional<VehicleRow> SqliteLoad::stored_vehicle(const std::string& id) {
  Statement query(m_db,
                  "SELECT first_registered_at, last_deregistered_at, organization_id, organization_at FROM "
                  "lake_vehicle WHERE vehicle_id = ?1 AND lake_date = ?2");
  query.bind(1, std::string_view(id)).bind(2, std::string_view(m_lake_date));
  if (!query.step()) return std::nullopt;
  VehicleRow row{id, std::nullopt, std::nullopt, std::nullopt, 0};
  if (!query.column_is_null(0)) row.first_registered_us = query.column_time(0);
  if (!query.column_is_null(1)) row.last_deregistered_us = query.column_time(1);
  if (!query.column_is_null(2)) {
    row.organization_id = std::string(query.column_text(2));
    row.organization_at_us = query.column_time(3);
  }
  return row;
}

void SqliteLoad::add_vehicle(const VehicleRow& added) {
  VehicleRow merged = added;
  if (m_mode == LoadMode::Incremental) {
    if (auto stored = stored_vehicle(added.id)) {
      if (!model::merge_vehicle_rows(*stored, added)) return;
      merged = std::move(*stored);
    }
    mark_affected("affected_vehicle", merged.id);
  }
  const VehicleRow& row = merged;
  Statement& insert =
      prepared(m_insert_vehicle,
               "INSERT OR REPLACE INTO lake_vehicle (vehicle_id, lake_date, first_registered_at, "
               "last_deregistered_at, organization_id, organization_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
  insert.bind(1, std::string_view(row.id)).bind(2, std::string_view(m_lake_date));
  insert.bind_time(3, row.first_registered_us).bind_time(4, row.last_deregistered_us);
  insert.bind(5, optional_view(row.organization_id));
  insert.bind_time(6, row.organization_id ? std::optional(row.organization_at_us) : std::nullopt).run();
}

void SqliteLoad::add_break_event(const BreakEventRow& row) {
  prepared(
      m_insert_break,
      "INSERT OR IGNORE INTO lake_break_event (vehicle_id, at, is_start, lake_date) VALUES (?1, ?2, ?3, ?4)")
      .bind(1, std::string_view(row.vehicle_id))
      .bind_time(2, row.at_us)
      .bind(3, static_cast<std::int64_t>(row.is_start ? 1 : 0))
      .bind(4, std::string_view(m_lake_date))
      .run();
  if (m_mode == LoadMode::Incremental && sqlite3_changes(m_db.handle()) > 0) {
    mark_affected("affected_break_vehicle", row.vehicle_id);
  }
}

// Incremental loads name the keys whose date row changed; a full load takes every key of the date.
void SqliteLoad::mark_affected(std::string_view table, std::string_view id) {
  Statement(m_db, fmt::format("INSERT OR IGNORE INTO temp.{} VALUES (?1)", table)).bind(1, id).run();
}

std::uint64_t SqliteLoad::merge() {
  // Before the date's fixes change: the stretches of track an increment replaces (derivation).
  if (m_mode == LoadMode::Incremental) model::snapshot_tracks(m_derive_store, m_changes);
  MergedFixes merged = merge_fixes(m_db, m_lake_date, m_lake_day, m_fixes, m_mode);
  const std::uint64_t rows = merged.keys;
  m_derive_store.read_fixes_from_memory(m_fixes, std::move(merged.spans_held_alone));
  merge_vehicles();
  merge_periods();
  if (m_mode == LoadMode::Full) {
    run_for_date(
        "INSERT OR IGNORE INTO temp.affected_break_vehicle SELECT vehicle_id FROM lake_break_event WHERE "
        "lake_date = ?1");
  }
  model::repair_breaks(m_derive_store, m_changes);
  return rows;
}

std::uint64_t SqliteLoad::derive() { return model::derive_distances(m_derive_store, m_changes); }

void SqliteLoad::commit(const RunFigures& figures) {
  record_succeeded_run(m_db, m_run_id, figures);
  finalize_statements();
  // Statistics for analysts' queries: with them SQLite reads "every fix of one hour" vehicle by
  // vehicle through the primary key (a skip-scan) instead of the whole table, about twice as fast
  // at 1M fixes. Sampled (analysis_limit), so it costs milliseconds; a full load only, since an
  // increment hardly changes the shape of the table (docs/decisions.md, "Statistics for analysts").
  if (m_mode == LoadMode::Full)
    m_db.exec("PRAGMA analysis_limit = 1000; ANALYZE location_fix; ANALYZE vehicle_key");
  m_db.exec("COMMIT");
  m_open = false;
}

void SqliteLoad::merge_vehicles() {
  if (m_mode == LoadMode::Full) {
    run_for_date(
        "INSERT OR IGNORE INTO temp.affected_vehicle SELECT vehicle_id FROM lake_vehicle WHERE lake_date = "
        "?1");
  }
  m_db.exec(
      "DELETE FROM vehicle WHERE vehicle_id IN (SELECT vehicle_id FROM temp.affected_vehicle);"
      "INSERT INTO vehicle (vehicle_id, organization_id, first_registered_at, last_deregistered_at) "
      "SELECT v.vehicle_id, "
      "(SELECT o.organization_id FROM lake_vehicle o WHERE o.vehicle_id = v.vehicle_id AND "
      "o.organization_id IS NOT NULL ORDER BY " +
      model::organization_best_first_sql("o") +
      " LIMIT 1), MIN(v.first_registered_at), MAX(v.last_deregistered_at) "
      "FROM lake_vehicle v WHERE v.vehicle_id IN (SELECT vehicle_id FROM temp.affected_vehicle) GROUP BY "
      "v.vehicle_id;");
}

void SqliteLoad::merge_periods() {
  if (m_mode == LoadMode::Full) {
    run_for_date(
        "INSERT OR IGNORE INTO temp.affected_period SELECT operating_period_id FROM "
        "lake_operating_period_event WHERE lake_date = ?1");
  }
  // Each affected period's best event across dates (SPEC §4), then the later lake date.
  m_db.exec(
      "DELETE FROM operating_period WHERE operating_period_id IN (SELECT operating_period_id FROM "
      "temp.affected_period);"
      "INSERT INTO operating_period (operating_period_id, start_at, finish_at, deleted, organization_id, "
      "event_at) "
      "SELECT operating_period_id, start_at, finish_at, deleted, organization_id, event_at FROM ("
      "  SELECT e.*, row_number() OVER (PARTITION BY e.operating_period_id ORDER BY " +
      model::period_best_first_sql("e") +
      ", e.lake_date DESC) AS rank FROM lake_operating_period_event e "
      "  WHERE e.operating_period_id IN (SELECT operating_period_id FROM temp.affected_period)) WHERE rank = "
      "1;");
}

void SqliteLoad::run_for_date(std::string_view sql) {
  const auto started = std::chrono::steady_clock::now();
  Statement(m_db, sql).bind(1, std::string_view(m_lake_date)).run();
  detail::log_duration(sql, started);
}

// Prepares a statement on first use and keeps it for the rest of the load.
Statement& SqliteLoad::prepared(std::unique_ptr<Statement>& slot, std::string_view sql) {
  if (!slot) slot = std::make_unique<Statement>(m_db, sql);
  return *slot;
}

void SqliteLoad::finalize_statements() {
  for (auto* slot : {&m_insert_rejected, &m_insert_period, &m_insert_vehicle, &m_insert_break}) slot->reset();
}

}  // namespace d2d::warehouse::sqlite
