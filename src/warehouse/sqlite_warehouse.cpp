#include "warehouse/sqlite_warehouse.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>

#include "core/error.h"
#include "core/version.h"
#include "warehouse/derive.h"
#include "warehouse/sqlite_db.h"

namespace d2d::warehouse {
namespace {

using core::UtcMicros;
using detail::SqliteDb;
using detail::Statement;

std::string now_utc() {
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  return core::format_utc(std::chrono::duration_cast<std::chrono::microseconds>(now).count());
}

class SqliteLoad final : public LakeDateLoad, private DeriveStore {
 public:
  SqliteLoad(SqliteDb& db, std::string lake_date, std::int64_t run_id)
      : m_db(db), m_lake_date(std::move(lake_date)), m_run_id(run_id) {
    m_db.exec("BEGIN IMMEDIATE");
    m_open = true;
    m_db.exec(
        "CREATE TEMP TABLE IF NOT EXISTS affected_fix (vehicle_id TEXT, at TEXT, PRIMARY KEY (vehicle_id, "
        "at)) WITHOUT ROWID;"
        "CREATE TEMP TABLE IF NOT EXISTS affected_vehicle (vehicle_id TEXT PRIMARY KEY) WITHOUT ROWID;"
        "CREATE TEMP TABLE IF NOT EXISTS affected_period (operating_period_id TEXT PRIMARY KEY) WITHOUT "
        "ROWID;"
        "CREATE TEMP TABLE IF NOT EXISTS affected_break_vehicle (vehicle_id TEXT PRIMARY KEY) WITHOUT ROWID;"
        "DELETE FROM temp.affected_fix; DELETE FROM temp.affected_vehicle;"
        "DELETE FROM temp.affected_period; DELETE FROM temp.affected_break_vehicle;");
    // What this date contributed before is replaced: remember its keys, then forget its rows.
    run_for_date(
        "INSERT OR IGNORE INTO temp.affected_fix SELECT vehicle_id, at FROM lake_location_update WHERE "
        "lake_date = ?1");
    run_for_date(
        "INSERT OR IGNORE INTO temp.affected_vehicle SELECT vehicle_id FROM lake_vehicle WHERE lake_date = "
        "?1");
    run_for_date(
        "INSERT OR IGNORE INTO temp.affected_period SELECT operating_period_id FROM "
        "lake_operating_period_event WHERE lake_date = ?1");
    run_for_date(
        "INSERT OR IGNORE INTO temp.affected_break_vehicle SELECT vehicle_id FROM lake_break_event WHERE "
        "lake_date = ?1");
    run_for_date("DELETE FROM lake_location_update WHERE lake_date = ?1");
    run_for_date("DELETE FROM lake_vehicle WHERE lake_date = ?1");
    run_for_date("DELETE FROM lake_operating_period_event WHERE lake_date = ?1");
    run_for_date("DELETE FROM lake_break_event WHERE lake_date = ?1");
    run_for_date("DELETE FROM rejected_event WHERE lake_date = ?1");

    // Within one date, the same fix seen twice keeps the version SPEC §4 says wins
    // (later event `at`, then greater (lat, lng)); organization breaks exact ties.
    m_insert_location = std::make_unique<Statement>(
        m_db,
        "INSERT INTO lake_location_update (vehicle_id, at, lake_date, event_at, lat, lng, organization_id) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
        "ON CONFLICT (vehicle_id, at, lake_date) DO UPDATE SET event_at = excluded.event_at, lat = "
        "excluded.lat, "
        "lng = excluded.lng, organization_id = excluded.organization_id "
        "WHERE (excluded.event_at, excluded.lat, excluded.lng, COALESCE(excluded.organization_id, '')) > "
        "(lake_location_update.event_at, lake_location_update.lat, lake_location_update.lng, "
        "COALESCE(lake_location_update.organization_id, ''))");
    m_insert_rejected = std::make_unique<Statement>(m_db,
                                                    "INSERT OR REPLACE INTO rejected_event (lake_date, "
                                                    "source, line, reason_code, reason, raw, raw_length) "
                                                    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
  }

  ~SqliteLoad() override {
    finalize_statements();
    if (m_open) sqlite3_exec(m_db.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
  }

  void add_location(const LocationRow& row) override {
    m_insert_location->bind(1, row.vehicle_id)
        .bind_time(2, row.at_us)
        .bind(3, std::string_view(m_lake_date))
        .bind_time(4, row.event_at_us)
        .bind(5, row.lat_deg)
        .bind(6, row.lng_deg)
        .bind(7, row.organization_id)
        .run();
  }

  void add_rejected(const RejectedRow& row) override {
    m_insert_rejected->bind(1, std::string_view(m_lake_date))
        .bind(2, row.source)
        .bind(3, static_cast<std::int64_t>(row.line))
        .bind(4, row.reason_code)
        .bind(5, row.reason)
        .bind(6, row.raw)
        .bind(7, static_cast<std::int64_t>(row.raw_length))
        .run();
  }

  void add_period_event(const PeriodEventRow& row) override {
    Statement& insert =
        prepared(m_insert_period,
                 "INSERT INTO lake_operating_period_event (operating_period_id, lake_date, event_at, "
                 "deleted, start_at, finish_at, organization_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
    insert.bind(1, std::string_view(row.id))
        .bind(2, std::string_view(m_lake_date))
        .bind_time(3, row.event_at_us);
    insert.bind(4, static_cast<std::int64_t>(row.deleted ? 1 : 0));
    insert.bind_time(5, row.deleted ? std::nullopt : std::optional(row.start_us));
    insert.bind_time(6, row.deleted ? std::nullopt : std::optional(row.finish_us));
    insert.bind(7, optional_view(row.organization_id)).run();
  }

  void add_vehicle(const VehicleRow& row) override {
    Statement& insert =
        prepared(m_insert_vehicle,
                 "INSERT INTO lake_vehicle (vehicle_id, lake_date, first_registered_at, "
                 "last_deregistered_at, organization_id, organization_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
    insert.bind(1, std::string_view(row.id)).bind(2, std::string_view(m_lake_date));
    insert.bind_time(3, row.first_registered_us).bind_time(4, row.last_deregistered_us);
    insert.bind(5, optional_view(row.organization_id));
    insert.bind_time(6, row.organization_id ? std::optional(row.organization_at_us) : std::nullopt).run();
  }

  void add_break_event(const BreakEventRow& row) override {
    prepared(m_insert_break,
             "INSERT OR IGNORE INTO lake_break_event (vehicle_id, at, is_start, lake_date) VALUES (?1, ?2, "
             "?3, ?4)")
        .bind(1, std::string_view(row.vehicle_id))
        .bind_time(2, row.at_us)
        .bind(3, static_cast<std::int64_t>(row.is_start ? 1 : 0))
        .bind(4, std::string_view(m_lake_date))
        .run();
  }

  std::uint64_t merge() override {
    merge_locations();
    merge_vehicles();
    merge_periods();
    merge_breaks();
    Statement count(m_db, "SELECT COUNT(*) FROM lake_location_update WHERE lake_date = ?1");
    count.bind(1, std::string_view(m_lake_date)).step();
    return static_cast<std::uint64_t>(count.column_int(0));
  }

  std::uint64_t derive() override { return derive_distances(*this, m_changed_days); }

  void commit(const RunFigures& figures) override {
    Statement update(
        m_db,
        "UPDATE etl_run SET status = 'succeeded', finished_at = ?2, extract_ms = ?3, transform_ms = ?4, "
        "load_ms = ?5, derive_ms = ?6, objects = ?7, objects_copied = ?8, bytes = ?9, events_read = ?10, "
        "events_rejected = ?11, rows_loaded = ?12, periods_derived = ?13, raw_manifest_md5 = ?14, error = "
        "NULL "
        "WHERE run_id = ?1");
    update.bind(1, m_run_id).bind(2, std::string_view(now_utc()));
    update.bind(3, figures.extract_ms)
        .bind(4, figures.transform_ms)
        .bind(5, figures.load_ms)
        .bind(6, figures.derive_ms);
    update.bind(7, static_cast<std::int64_t>(figures.objects))
        .bind(8, static_cast<std::int64_t>(figures.objects_copied));
    update.bind(9, static_cast<std::int64_t>(figures.bytes))
        .bind(10, static_cast<std::int64_t>(figures.events_read));
    update.bind(11, static_cast<std::int64_t>(figures.events_rejected));
    update.bind(12, static_cast<std::int64_t>(figures.rows_loaded));
    update.bind(13, static_cast<std::int64_t>(figures.periods_derived));
    update.bind(14, std::string_view(figures.raw_manifest_md5)).run();
    finalize_statements();
    m_db.exec("COMMIT");
    m_open = false;
  }

 private:
  static std::optional<std::string_view> optional_view(const std::optional<std::string>& text) {
    return text ? std::optional<std::string_view>(*text) : std::nullopt;
  }

  void finalize_statements() {
    for (auto* slot :
         {&m_insert_location, &m_insert_rejected, &m_insert_period, &m_insert_vehicle, &m_insert_break}) {
      slot->reset();
    }
  }

  // Prepares a statement on first use and keeps it for the rest of the load.
  Statement& prepared(std::unique_ptr<Statement>& slot, std::string_view sql) {
    if (!slot) slot = std::make_unique<Statement>(m_db, sql);
    return *slot;
  }

  void run_for_date(std::string_view sql) {
    Statement(m_db, sql).bind(1, std::string_view(m_lake_date)).run();
  }

  void merge_locations() {
    run_for_date(
        "INSERT OR IGNORE INTO temp.affected_fix SELECT vehicle_id, at FROM lake_location_update WHERE "
        "lake_date = ?1");
    m_db.exec(
        "DELETE FROM location_update WHERE (vehicle_id, at) IN (SELECT vehicle_id, at FROM "
        "temp.affected_fix);"
        // The winner across dates: SPEC §4's order, then the later lake date for exact ties.
        "INSERT INTO location_update (vehicle_id, at, lat, lng, organization_id, lake_date, event_at) "
        "SELECT l.vehicle_id, l.at, l.lat, l.lng, l.organization_id, l.lake_date, l.event_at "
        "FROM temp.affected_fix a JOIN lake_location_update l ON l.vehicle_id = a.vehicle_id AND l.at = a.at "
        "WHERE NOT EXISTS (SELECT 1 FROM lake_location_update o WHERE o.vehicle_id = l.vehicle_id AND o.at = "
        "l.at "
        "AND (o.event_at, o.lat, o.lng, COALESCE(o.organization_id, ''), o.lake_date) > "
        "(l.event_at, l.lat, l.lng, COALESCE(l.organization_id, ''), l.lake_date));");
  }

  void merge_vehicles() {
    run_for_date(
        "INSERT OR IGNORE INTO temp.affected_vehicle SELECT vehicle_id FROM lake_vehicle WHERE lake_date = "
        "?1");
    m_db.exec(
        "DELETE FROM vehicle WHERE vehicle_id IN (SELECT vehicle_id FROM temp.affected_vehicle);"
        "INSERT INTO vehicle (vehicle_id, organization_id, first_registered_at, last_deregistered_at) "
        "SELECT v.vehicle_id, "
        "(SELECT o.organization_id FROM lake_vehicle o WHERE o.vehicle_id = v.vehicle_id AND "
        "o.organization_id IS NOT NULL "
        " ORDER BY o.organization_at DESC, o.organization_id DESC LIMIT 1), "
        "MIN(v.first_registered_at), MAX(v.last_deregistered_at) "
        "FROM lake_vehicle v WHERE v.vehicle_id IN (SELECT vehicle_id FROM temp.affected_vehicle) GROUP BY "
        "v.vehicle_id;");
  }

  void merge_periods() {
    run_for_date(
        "INSERT OR IGNORE INTO temp.affected_period SELECT operating_period_id FROM "
        "lake_operating_period_event "
        "WHERE lake_date = ?1");
    // The latest event wins; at equal `at` a delete beats a create, then the later window.
    m_db.exec(
        "DELETE FROM operating_period WHERE operating_period_id IN (SELECT operating_period_id FROM "
        "temp.affected_period);"
        "INSERT INTO operating_period (operating_period_id, start_at, finish_at, deleted, organization_id, "
        "event_at) "
        "SELECT e.operating_period_id, e.start_at, e.finish_at, e.deleted, e.organization_id, e.event_at "
        "FROM lake_operating_period_event e "
        "WHERE e.operating_period_id IN (SELECT operating_period_id FROM temp.affected_period) "
        "AND NOT EXISTS (SELECT 1 FROM lake_operating_period_event o WHERE o.operating_period_id = "
        "e.operating_period_id "
        "AND (o.event_at, o.deleted, COALESCE(o.start_at, ''), COALESCE(o.finish_at, ''), o.lake_date) > "
        "(e.event_at, e.deleted, COALESCE(e.start_at, ''), COALESCE(e.finish_at, ''), e.lake_date));");
  }

  void merge_breaks() {
    run_for_date(
        "INSERT OR IGNORE INTO temp.affected_break_vehicle SELECT vehicle_id FROM lake_break_event WHERE "
        "lake_date = ?1");
    repair_breaks(*this, m_changed_days);
  }

  // DeriveStore: the reads and writes derive.cpp needs, inside this transaction.
  std::vector<std::string> vehicles_with_changed_break_events() override {
    std::vector<std::string> vehicles;
    Statement list(m_db, "SELECT vehicle_id FROM temp.affected_break_vehicle");
    while (list.step()) vehicles.emplace_back(list.column_text(0));
    return vehicles;
  }

  std::vector<model::BreakSpan> stored_breaks(const std::string& vehicle_id) override {
    std::vector<model::BreakSpan> spans;
    Statement query(m_db, "SELECT start_at, end_at FROM vehicle_break WHERE vehicle_id = ?1");
    query.bind(1, std::string_view(vehicle_id));
    while (query.step()) spans.push_back({query.column_time(0), end_of_break(query, 1)});
    return spans;
  }

  std::vector<model::BreakEvent> break_events(const std::string& vehicle_id) override {
    std::vector<model::BreakEvent> events;
    Statement query(m_db, "SELECT DISTINCT at, is_start FROM lake_break_event WHERE vehicle_id = ?1");
    query.bind(1, std::string_view(vehicle_id));
    while (query.step()) events.push_back({query.column_time(0), query.column_int(1) != 0});
    return events;
  }

  void replace_breaks(const std::string& vehicle_id, const std::vector<model::BreakSpan>& spans) override {
    Statement(m_db, "DELETE FROM vehicle_break WHERE vehicle_id = ?1")
        .bind(1, std::string_view(vehicle_id))
        .run();
    Statement insert(m_db, "INSERT INTO vehicle_break (vehicle_id, start_at, end_at) VALUES (?1, ?2, ?3)");
    for (const auto& span : spans) {
      insert.bind(1, std::string_view(vehicle_id)).bind_time(2, span.start_us);
      if (span.end_us == model::BreakSpan::kOpenEnd) {
        insert.bind_null(3);
      } else {
        insert.bind_time(3, span.end_us);
      }
      insert.run();
    }
  }

  std::vector<UtcMicros> changed_fix_times_by_day() override {
    std::vector<UtcMicros> times;
    Statement query(m_db, "SELECT MIN(at) FROM temp.affected_fix GROUP BY substr(at, 1, 10)");
    while (query.step()) times.push_back(query.column_time(0));
    return times;
  }

  UtcMicros latest_fix_at() override {
    if (!m_latest_fix_at) {
      Statement latest(m_db, "SELECT MAX(at) FROM location_update");
      latest.step();
      m_latest_fix_at = latest.column_is_null(0) ? 0 : latest.column_time(0);
    }
    return *m_latest_fix_at;
  }

  std::vector<PeriodWindow> changed_periods() override {
    std::vector<PeriodWindow> periods;
    Statement query(
        m_db,
        "SELECT a.operating_period_id, p.deleted, p.start_at, p.finish_at FROM temp.affected_period a "
        "LEFT JOIN operating_period p ON p.operating_period_id = a.operating_period_id");
    while (query.step()) {
      PeriodWindow period{std::string(query.column_text(0)), std::nullopt};
      if (!query.column_is_null(1) && query.column_int(1) == 0) {
        period.window = std::pair{query.column_time(2), query.column_time(3)};
      }
      periods.push_back(std::move(period));
    }
    return periods;
  }

  std::vector<PeriodWindow> live_periods_meeting(UtcMicros start_us, UtcMicros end_us) override {
    std::vector<PeriodWindow> periods;
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

  void for_each_fix(UtcMicros start_us, UtcMicros finish_us,
                    const std::function<void(std::string_view, const model::Fix&)>& visit) override {
    Statement query(m_db,
                    "SELECT vehicle_id, at, lat, lng FROM location_update WHERE at >= ?1 AND at <= ?2 "
                    "ORDER BY vehicle_id, at");
    query.bind_time(1, start_us).bind_time(2, finish_us);
    while (query.step()) {
      visit(query.column_text(0),
            model::Fix{query.column_time(1), query.column_double(2), query.column_double(3)});
    }
  }

  std::vector<std::pair<std::string, model::BreakSpan>> breaks_overlapping(UtcMicros start_us,
                                                                           UtcMicros finish_us) override {
    std::vector<std::pair<std::string, model::BreakSpan>> breaks;
    Statement query(m_db,
                    "SELECT vehicle_id, start_at, end_at FROM vehicle_break "
                    "WHERE start_at <= ?2 AND (end_at IS NULL OR end_at > ?1)");
    query.bind_time(1, start_us).bind_time(2, finish_us);
    while (query.step()) {
      breaks.emplace_back(std::string(query.column_text(0)),
                          model::BreakSpan{query.column_time(1), end_of_break(query, 2)});
    }
    return breaks;
  }

  void replace_distances(const std::string& period_id, const std::vector<DistanceRow>& rows) override {
    Statement(m_db, "DELETE FROM vehicle_operating_period_distance WHERE operating_period_id = ?1")
        .bind(1, std::string_view(period_id))
        .run();
    Statement insert(
        m_db,
        "INSERT INTO vehicle_operating_period_distance (operating_period_id, vehicle_id, distance_m, "
        "updates) VALUES (?1, ?2, ?3, ?4)");
    for (const DistanceRow& row : rows) {
      insert.bind(1, std::string_view(period_id))
          .bind(2, std::string_view(row.vehicle_id))
          .bind(3, row.distance_m);
      insert.bind(4, row.updates).run();
    }
  }

  static UtcMicros end_of_break(Statement& query, int column) {
    return query.column_is_null(column) ? model::BreakSpan::kOpenEnd : query.column_time(column);
  }

  SqliteDb& m_db;
  std::string m_lake_date;
  std::int64_t m_run_id;
  bool m_open = false;
  std::unique_ptr<Statement> m_insert_location;
  std::unique_ptr<Statement> m_insert_rejected;
  std::unique_ptr<Statement> m_insert_period, m_insert_vehicle, m_insert_break;
  DaySet m_changed_days;
  std::optional<UtcMicros> m_latest_fix_at;
};

class SqliteWarehouse final : public Warehouse {
 public:
  explicit SqliteWarehouse(const std::string& path) : m_path(path), m_db(path) {
    // Any first statement tells a non-SQLite file apart (SQLITE_NOTADB).
    m_db.exec("PRAGMA busy_timeout = 60000");
    m_db.exec("SELECT count(*) FROM sqlite_schema");
    m_db.exec(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA cache_size = -65536;"
        "CREATE TABLE IF NOT EXISTS schema_migration (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
        "applied_at TEXT NOT NULL)");
  }

  std::vector<MigrationState> migration_status() override {
    std::map<int, AppliedMigration> applied;
    Statement query(m_db, "SELECT version, name, applied_at FROM schema_migration ORDER BY version");
    while (query.step()) {
      applied[static_cast<int>(query.column_int(0))] = {std::string(query.column_text(1)),
                                                        std::string(query.column_text(2))};
    }
    return migration_states(sqlite_migrations(), std::move(applied), m_path);
  }

  int migrate_up() override {
    int count = 0;
    for (const MigrationState& state : migration_status()) {
      if (state.applied) continue;
      const Migration& migration = find(state.version);
      m_db.exec("BEGIN IMMEDIATE");
      try {
        m_db.exec(migration.up_sql);
        Statement record(m_db,
                         "INSERT INTO schema_migration (version, name, applied_at) VALUES (?1, ?2, ?3)");
        record.bind(1, static_cast<std::int64_t>(migration.version))
            .bind(2, std::string_view(migration.name));
        record.bind(3, std::string_view(now_utc())).run();
        m_db.exec("COMMIT");
      } catch (...) {
        sqlite3_exec(m_db.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
        throw;
      }
      ++count;
    }
    return count;
  }

  int migrate_down(int steps) override {
    auto states = migration_status();
    int count = 0;
    for (auto it = states.rbegin(); it != states.rend() && count < steps; ++it) {
      if (!it->applied) continue;
      const Migration& migration = find(it->version);
      m_db.exec("BEGIN IMMEDIATE");
      try {
        m_db.exec(migration.down_sql);
        Statement forget(m_db, "DELETE FROM schema_migration WHERE version = ?1");
        forget.bind(1, static_cast<std::int64_t>(migration.version)).run();
        m_db.exec("COMMIT");
      } catch (...) {
        sqlite3_exec(m_db.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
        throw;
      }
      ++count;
    }
    return count;
  }

  std::int64_t start_run(const std::string& lake_date) override {
    Statement insert(
        m_db,
        "INSERT INTO etl_run (lake_date, status, started_at, code_version) VALUES (?1, 'running', ?2, ?3)");
    insert.bind(1, std::string_view(lake_date)).bind(2, std::string_view(now_utc()));
    insert.bind(3, std::string_view(core::code_version())).run();
    return sqlite3_last_insert_rowid(m_db.handle());
  }

  void fail_run(std::int64_t run_id, const std::string& error) override {
    Statement update(m_db,
                     "UPDATE etl_run SET status = 'failed', finished_at = ?2, error = ?3 WHERE run_id = ?1");
    update.bind(1, run_id).bind(2, std::string_view(now_utc())).bind(3, std::string_view(error)).run();
  }

  std::optional<LastRun> last_finished_run(const std::string& lake_date) override {
    Statement query(m_db,
                    "SELECT run_id, status, COALESCE(raw_manifest_md5, ''), code_version FROM etl_run "
                    "WHERE lake_date = ?1 AND status <> 'running' ORDER BY run_id DESC LIMIT 1");
    query.bind(1, std::string_view(lake_date));
    if (!query.step()) return std::nullopt;
    return LastRun{query.column_int(0), query.column_text(1) == "succeeded",
                   std::string(query.column_text(2)), std::string(query.column_text(3))};
  }

  void finish_unchanged(std::int64_t run_id, const RunFigures& figures) override {
    Statement update(
        m_db,
        "UPDATE etl_run SET status = 'succeeded', finished_at = ?2, unchanged = 1, extract_ms = ?3, "
        "objects = ?4, objects_copied = ?5, bytes = ?6, raw_manifest_md5 = ?7 WHERE run_id = ?1");
    update.bind(1, run_id).bind(2, std::string_view(now_utc())).bind(3, figures.extract_ms);
    update.bind(4, static_cast<std::int64_t>(figures.objects))
        .bind(5, static_cast<std::int64_t>(figures.objects_copied));
    update.bind(6, static_cast<std::int64_t>(figures.bytes))
        .bind(7, std::string_view(figures.raw_manifest_md5))
        .run();
  }

  std::unique_ptr<LakeDateLoad> begin_load(const std::string& lake_date, std::int64_t run_id) override {
    return std::make_unique<SqliteLoad>(m_db, lake_date, run_id);
  }

  std::vector<PeriodAnswer> report() override {
    std::vector<PeriodAnswer> answers;
    Statement query(m_db,
                    "SELECT operating_period_id, vehicles, avg_distance_m, total_distance_m "
                    "FROM operating_period_avg_distance ORDER BY operating_period_id");
    while (query.step()) {
      PeriodAnswer answer;
      answer.operating_period_id = query.column_text(0);
      answer.vehicles = query.column_int(1);
      if (!query.column_is_null(2)) answer.avg_distance_m = query.column_double(2);
      answer.total_distance_m = query.column_double(3);
      answers.push_back(std::move(answer));
    }
    return answers;
  }

  std::string describe() const override { return "sqlite:" + m_path; }

 private:
  static const Migration& find(int version) { return find_migration(sqlite_migrations(), version); }

  std::string m_path;
  SqliteDb m_db;
};

}  // namespace

std::unique_ptr<Warehouse> open_sqlite_warehouse(const std::string& path) {
  // Like the lake, the warehouse file's folder is created on first use.
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  std::error_code ec;
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  return std::make_unique<SqliteWarehouse>(path);
}

}  // namespace d2d::warehouse
