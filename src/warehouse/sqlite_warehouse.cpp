#include "warehouse/sqlite_warehouse.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <filesystem>
#include <limits>
#include <map>
#include <set>
#include <tuple>

#include "core/error.h"
#include "core/version.h"
#include "warehouse/derive.h"
#include "warehouse/fix_sorter.h"
#include "warehouse/ledger_row.h"
#include "warehouse/sqlite_db.h"

namespace d2d::warehouse {
namespace {

using core::UtcMicros;
using detail::SqliteDb;
using detail::Statement;

// How long a statement waits for another process's write transaction (a load of another lake
// date, or migrations) before it fails with "database is locked".
constexpr std::chrono::milliseconds kBusyTimeout(60'000);

// The winners a lake date holds in location_update (its ?1), found within the date's spans
// (lake_location_span: per vehicle, the first and last `at` the date brought), each a range of
// the primary key. There is no index on lake_date: it cost a second B-tree insert per fix.
constexpr std::string_view kWinnersOfDate =
    "SELECT u.vehicle_id, u.at FROM lake_location_span s JOIN location_update u ON u.vehicle_id = "
    "s.vehicle_id AND u.at >= s.first_at AND u.at <= s.last_at WHERE s.lake_date = ?1 AND u.lake_date = ?1";

std::string now_utc() {
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  return core::format_utc(std::chrono::duration_cast<std::chrono::microseconds>(now).count());
}

// The ledger's columns, in the order run_record() reads them.
std::string select_runs() {
  return fmt::format(
      "SELECT run_id, lake_date, status, started_at, finished_at, {}, code_version, error, unchanged, "
      "objects_refused, phase",
      detail::kLedgerFigureColumns);
}

RunRecord run_record(Statement& row) {
  RunRecord record;
  record.run_id = row.column_int(0);
  record.lake_date = row.column_text(1);
  record.status = row.column_text(2);
  record.started_at_us = row.column_time(3);
  if (!row.column_is_null(4)) record.finished_at_us = row.column_time(4);
  if (!row.column_is_null(12)) {
    record.figures = detail::ledger_figures([&row](int column) { return row.column_int(column); });
  }
  record.code_version = row.column_text(16);
  if (!row.column_is_null(17)) record.error = std::string(row.column_text(17));
  record.unchanged = row.column_int(18) != 0;
  record.objects_refused = static_cast<std::uint64_t>(row.column_int(19));
  if (!row.column_is_null(20)) record.phase = parse_run_phase(row.column_text(20));
  return record;
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
    // What this date contributed before is replaced: remember its keys, then forget its rows
    // (its winners in location_update go in merge_locations, where others may take their place).
    run_for_date(
        fmt::format("INSERT OR IGNORE INTO temp.affected_fix {} UNION ALL SELECT vehicle_id, at FROM "
                    "lake_location_superseded WHERE lake_date = ?1",
                    kWinnersOfDate));
    run_for_date(
        "INSERT OR IGNORE INTO temp.affected_vehicle SELECT vehicle_id FROM lake_vehicle WHERE lake_date = "
        "?1");
    run_for_date(
        "INSERT OR IGNORE INTO temp.affected_period SELECT operating_period_id FROM "
        "lake_operating_period_event WHERE lake_date = ?1");
    run_for_date(
        "INSERT OR IGNORE INTO temp.affected_break_vehicle SELECT vehicle_id FROM lake_break_event WHERE "
        "lake_date = ?1");
    for (const char* table : {"lake_location_superseded", "lake_vehicle", "lake_operating_period_event",
                              "lake_break_event", "rejected_event"}) {
      run_for_date(fmt::format("DELETE FROM {} WHERE lake_date = ?1", table));
    }

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
    // The UTC days the date's fixes fall on (derivation looks there); fixes come in runs of a day.
    if (const std::int64_t day = core::utc_day_of(row.at_us); day != m_last_fix_day) {
      m_last_fix_day = day;
      m_fix_days.insert(day);
    }
    m_fixes.add(row);
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
    const std::uint64_t rows = merge_locations();
    merge_vehicles();
    merge_periods();
    merge_breaks();
    return rows;
  }

  std::uint64_t derive() override { return derive_distances(*this, m_changed_days); }

  void commit(const RunFigures& figures) override {
    Statement update(
        m_db,
        "UPDATE etl_run SET status = 'succeeded', finished_at = ?2, extract_ms = ?3, transform_ms = ?4, "
        "load_ms = ?5, derive_ms = ?6, objects = ?7, objects_copied = ?8, bytes = ?9, events_read = ?10, "
        "events_rejected = ?11, rows_loaded = ?12, periods_derived = ?13, raw_manifest_md5 = ?14, "
        "objects_refused = ?15, error = NULL, phase = NULL "
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
    update.bind(14, std::string_view(figures.raw_manifest_md5))
        .bind(15, static_cast<std::int64_t>(figures.objects_refused))
        .run();
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
         {&m_insert_rejected, &m_insert_period, &m_insert_vehicle, &m_insert_break, &m_standing_date}) {
      slot->reset();
    }
  }

  // Prepares a statement on first use and keeps it for the rest of the load.
  Statement& prepared(std::unique_ptr<Statement>& slot, std::string_view sql) {
    if (!slot) slot = std::make_unique<Statement>(m_db, sql);
    return *slot;
  }

  void run_for_date(std::string_view sql) {
    const auto started = std::chrono::steady_clock::now();
    Statement(m_db, sql).bind(1, std::string_view(m_lake_date)).run();
    detail::log_duration(sql, started);
  }

  // Every version of a fix is stored once: the winner (SPEC §4's order, then the later lake date)
  // in location_update, every other date's best version in lake_location_superseded. Returns the
  // date's distinct fix keys. The same rules as PgLoad::merge_locations, shaped for SQLite: the
  // date's fixes come sorted from FixSorter, best version first, and each key's best version is
  // inserted once, in key order (B-tree appends). Only keys another date already holds (a
  // "clash", usually few) take the slower path of comparing with the standing winner.
  std::uint64_t merge_locations() {
    // Winners this date held before lose their ground: drop them, promote the best other version.
    m_db.exec(
        "CREATE TEMP TABLE IF NOT EXISTS orphaned_fix (vehicle_id TEXT, at TEXT, PRIMARY KEY (vehicle_id, "
        "at)) "
        "WITHOUT ROWID; DELETE FROM temp.orphaned_fix;");
    run_for_date(fmt::format("INSERT INTO temp.orphaned_fix {}", kWinnersOfDate));
    m_db.exec(
        "DELETE FROM location_update WHERE (vehicle_id, at) IN (SELECT vehicle_id, at FROM "
        "temp.orphaned_fix)");
    run_for_date("DELETE FROM lake_location_span WHERE lake_date = ?1");  // written anew below
    m_db.exec(
        "INSERT INTO location_update (vehicle_id, at, lat, lng, organization_id, lake_date, event_at) "
        "SELECT vehicle_id, at, lat, lng, organization_id, lake_date, event_at FROM ("
        "  SELECT s.*, row_number() OVER (PARTITION BY s.vehicle_id, s.at ORDER BY " +
        best_first("s") +
        ", s.lake_date DESC) AS rank FROM lake_location_superseded s "
        "  JOIN temp.orphaned_fix o ON o.vehicle_id = s.vehicle_id AND o.at = s.at) WHERE rank = 1;"
        "DELETE FROM lake_location_superseded WHERE EXISTS (SELECT 1 FROM temp.orphaned_fix o JOIN "
        "location_update u ON u.vehicle_id = o.vehicle_id AND u.at = o.at WHERE "
        "u.vehicle_id = lake_location_superseded.vehicle_id AND u.at = lake_location_superseded.at AND "
        "u.lake_date = lake_location_superseded.lake_date);"
        "DELETE FROM temp.orphaned_fix;");

    // kBatchRows rows per INSERT: while one statement runs its cursor stays open, and SQLite skips
    // the descent from the root for a row that goes after the last one of the B-tree, which is
    // every row of a new date in key order (FixSorter's order). sqlite_limit: 100 rows per INSERT
    // took 2.8 s of CPU for a million rows, one row per INSERT 6.3 s.
    Statement batch(m_db, insert_fixes_sql(kBatchRows)), single(m_db, insert_fixes_sql(1));
    ClashStatements clash(m_db);
    SpanWriter spans(m_db, m_lake_date);
    std::vector<OwnedFix> pending(kBatchRows);  // the rows bound to `batch`: the first `bound`
    std::size_t bound = 0;
    std::uint64_t rows = 0;
    m_fixes.for_each_best([&](const LocationRow& fix) {
      ++rows;
      spans.add(fix);
      pending[bound].assign(fix);
      bind_owned_fix(batch, pending[bound], static_cast<int>(kColumns * bound));
      if (++bound == kBatchRows) {
        batch.run();
        if (sqlite3_changes(m_db.handle()) < static_cast<int>(kBatchRows)) settle_batch(clash, pending);
        bound = 0;
      }
    });
    batch.reset();
    for (std::size_t i = 0; i < bound; ++i) {  // the last rows, one INSERT each
      bind_owned_fix(single, pending[i]).run();
      if (sqlite3_changes(m_db.handle()) == 0) settle_clash(clash, pending[i].row());
    }
    spans.flush();
    return rows;
  }

  static constexpr std::size_t kBatchRows = 100;
  static constexpr int kColumns = 7;  // of location_update, in the order of bind_fix

  static std::string insert_fixes_sql(std::size_t rows) {
    std::string sql =
        "INSERT INTO location_update (vehicle_id, at, lat, lng, organization_id, lake_date, event_at) "
        "VALUES ";
    for (std::size_t row = 0; row < rows; ++row) sql += row == 0 ? "(?,?,?,?,?,?,?)" : ",(?,?,?,?,?,?,?)";
    return sql + " ON CONFLICT (vehicle_id, at) DO NOTHING";
  }

  // A fix kept beyond FixSorter's visit (its views end there), its buffers reused batch after batch,
  // with its times already formatted: the batch INSERT binds all of it in place (bind_static).
  struct OwnedFix {
    std::string vehicle_id, organization_id;
    bool has_organization = false;
    UtcMicros at_us = 0, event_at_us = 0;
    double lat_deg = 0, lng_deg = 0;
    std::array<char, 32> at_text{}, event_at_text{};
    std::size_t at_length = 0, event_at_length = 0;
    void assign(const LocationRow& fix) {
      vehicle_id.assign(fix.vehicle_id);
      has_organization = fix.organization_id.has_value();
      organization_id.assign(fix.organization_id.value_or(""));
      at_us = fix.at_us;
      event_at_us = fix.event_at_us;
      lat_deg = fix.lat_deg;
      lng_deg = fix.lng_deg;
      at_length = core::format_utc(at_us, at_text.data());
      event_at_length = core::format_utc(event_at_us, event_at_text.data());
    }
    LocationRow row() const {
      LocationRow fix{vehicle_id, at_us, event_at_us, lat_deg, lng_deg, std::nullopt};
      if (has_organization) fix.organization_id = organization_id;
      return fix;
    }
  };

  // Records the date's span of each vehicle (lake_location_span); fixes come vehicle by vehicle,
  // times ascending.
  class SpanWriter {
   public:
    SpanWriter(SqliteDb& db, std::string_view lake_date)
        : m_lake_date(lake_date),
          m_insert(
              db,
              "INSERT INTO lake_location_span (lake_date, vehicle_id, first_at, last_at) VALUES (?1, ?2, "
              "?3, ?4)") {}
    void add(const LocationRow& fix) {
      if (m_first_at && m_vehicle_id == fix.vehicle_id) {
        m_last_at = fix.at_us;
        return;
      }
      flush();
      m_vehicle_id = fix.vehicle_id;
      m_first_at = m_last_at = fix.at_us;
    }
    void flush() {
      if (!m_first_at) return;
      m_insert.bind(1, m_lake_date).bind(2, std::string_view(m_vehicle_id));
      m_insert.bind_time(3, *m_first_at).bind_time(4, m_last_at).run();
      m_first_at.reset();
    }

   private:
    std::string_view m_lake_date;
    Statement m_insert;
    std::string m_vehicle_id;
    std::optional<UtcMicros> m_first_at;
    UtcMicros m_last_at = 0;
  };

  // The columns of location_update, in the order of the statements below; `offset`: the row's
  // first parameter less one, in a multi-row INSERT.
  Statement& bind_fix(Statement& statement, const LocationRow& fix, int offset = 0) {
    return statement.bind(offset + 1, fix.vehicle_id)
        .bind_time(offset + 2, fix.at_us)
        .bind(offset + 3, fix.lat_deg)
        .bind(offset + 4, fix.lng_deg)
        .bind(offset + 5, fix.organization_id)
        .bind(offset + 6, std::string_view(m_lake_date))
        .bind_time(offset + 7, fix.event_at_us);
  }

  // As bind_fix, from an OwnedFix that stays unchanged until the statement has run.
  Statement& bind_owned_fix(Statement& statement, const OwnedFix& fix, int offset = 0) {
    statement.bind_static(offset + 1, fix.vehicle_id)
        .bind_static(offset + 2, std::string_view(fix.at_text.data(), fix.at_length))
        .bind(offset + 3, fix.lat_deg)
        .bind(offset + 4, fix.lng_deg);
    if (fix.has_organization) {
      statement.bind_static(offset + 5, fix.organization_id);
    } else {
      statement.bind_null(offset + 5);
    }
    return statement.bind_static(offset + 6, m_lake_date)
        .bind_static(offset + 7, std::string_view(fix.event_at_text.data(), fix.event_at_length));
  }

  struct ClashStatements {
    explicit ClashStatements(SqliteDb& db)
        : standing(db,
                   "SELECT event_at, lat, lng, COALESCE(organization_id, ''), lake_date FROM location_update "
                   "WHERE vehicle_id = ?1 AND at = ?2"),
          demote(
              db,
              "INSERT INTO lake_location_superseded (vehicle_id, at, lake_date, event_at, lat, lng, "
              "organization_id) SELECT vehicle_id, at, lake_date, event_at, lat, lng, organization_id FROM "
              "location_update WHERE vehicle_id = ?1 AND at = ?2"),
          replace(db,
                  "UPDATE location_update SET lat = ?3, lng = ?4, organization_id = ?5, lake_date = ?6, "
                  "event_at = ?7 WHERE vehicle_id = ?1 AND at = ?2"),
          supersede(
              db,
              "INSERT INTO lake_location_superseded (vehicle_id, at, lat, lng, organization_id, lake_date, "
              "event_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)") {}
    Statement standing, demote, replace, supersede;
  };

  // Another date holds the key: the better version (SPEC §4, then the later lake date) stays in
  // location_update, the other goes to lake_location_superseded.
  void settle_clash(ClashStatements& clash, const LocationRow& fix) {
    clash.standing.bind(1, fix.vehicle_id).bind_time(2, fix.at_us);
    if (!clash.standing.step()) {
      clash.standing.reset();
      throw core::Error(core::ErrorKind::Internal, "a conflicting fix vanished during the load");
    }
    const std::string_view candidate_org = fix.organization_id.value_or("");
    const auto candidate = std::make_tuple(fix.event_at_us, fix.lat_deg, fix.lng_deg, candidate_org,
                                           std::string_view(m_lake_date));
    const std::string standing_org(clash.standing.column_text(3));
    const std::string standing_date(clash.standing.column_text(4));
    const auto standing = std::make_tuple(clash.standing.column_time(0), clash.standing.column_double(1),
                                          clash.standing.column_double(2), std::string_view(standing_org),
                                          std::string_view(standing_date));
    clash.standing.reset();
    if (candidate > standing) {
      clash.demote.bind(1, fix.vehicle_id).bind_time(2, fix.at_us).run();
      bind_fix(clash.replace, fix).run();
    } else {
      bind_fix(clash.supersede, fix).run();
    }
  }

  // A batch inserted fewer rows than it held: the missing ones are keys another date holds. Before
  // the batch no winner of this date was left (merge_locations dropped them), so a standing row
  // of this date is the batch's own; the others are settled one by one.
  void settle_batch(ClashStatements& clash, const std::vector<OwnedFix>& batch) {
    Statement& standing_date =
        prepared(m_standing_date, "SELECT lake_date FROM location_update WHERE vehicle_id = ?1 AND at = ?2");
    for (const OwnedFix& owned : batch) {
      const LocationRow fix = owned.row();
      standing_date.bind(1, fix.vehicle_id).bind_time(2, fix.at_us);
      const bool ours = standing_date.step() && standing_date.column_text(0) == m_lake_date;
      standing_date.reset();
      if (!ours) settle_clash(clash, fix);
    }
  }
  // SPEC §4's order of the versions of one fix, best first, for table alias `alias`.
  static std::string best_first(std::string_view alias) {
    return fmt::format(
        "{0}.event_at DESC, {0}.lat DESC, {0}.lng DESC, COALESCE({0}.organization_id, '') DESC", alias);
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
    // Days of the fixes this date held before, and of those it holds now.
    std::vector<UtcMicros> times;
    Statement query(m_db, "SELECT MIN(at) FROM temp.affected_fix GROUP BY substr(at, 1, 10)");
    while (query.step()) times.push_back(query.column_time(0));
    for (const std::int64_t day : m_fix_days) times.push_back(day * core::kMicrosPerDay);
    return times;
  }

  UtcMicros latest_fix_at() override {
    if (!m_latest_fix_at) {
      Statement latest(m_db, std::string(kEachVehicle) +
                                 "SELECT MAX((SELECT MAX(at) FROM location_update WHERE vehicle_id = v.id)) "
                                 "FROM vehicles v WHERE v.id IS NOT NULL");
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

  // location_update has no index on `at` (it would cost a random-order B-tree insert per fix):
  // the windows are read vehicle by vehicle, each window a range of the primary key.
  void for_each_fix(std::span<const TimeWindow> windows,
                    const std::function<void(std::string_view, const model::Fix&)>& visit) override {
    std::vector<std::string> vehicles;
    Statement list(m_db, std::string(kEachVehicle) + "SELECT id FROM vehicles WHERE id IS NOT NULL");
    while (list.step()) vehicles.emplace_back(list.column_text(0));
    Statement query(
        m_db,
        "SELECT at, lat, lng FROM location_update WHERE vehicle_id = ?1 AND at >= ?2 AND at <= ?3 "
        "ORDER BY at");
    for (const std::string& vehicle : vehicles) {
      for (const TimeWindow& window : windows) {
        query.bind(1, std::string_view(vehicle)).bind_time(2, window.start_us).bind_time(3, window.finish_us);
        while (query.step()) {
          visit(vehicle, model::Fix{query.column_time(0), query.column_double(1), query.column_double(2)});
        }
        query.reset();
      }
    }
  }

  // The distinct vehicles of location_update in order, one primary-key seek each (a loose index
  // scan, which SQLite does not do by itself), as the CTE `vehicles(id)`.
  static constexpr std::string_view kEachVehicle =
      "WITH RECURSIVE vehicles(id) AS (SELECT MIN(vehicle_id) FROM location_update UNION ALL "
      "SELECT (SELECT MIN(vehicle_id) FROM location_update WHERE vehicle_id > vehicles.id) FROM vehicles "
      "WHERE vehicles.id IS NOT NULL) ";

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
  std::unique_ptr<Statement> m_insert_rejected;
  std::unique_ptr<Statement> m_insert_period, m_insert_vehicle, m_insert_break;
  std::unique_ptr<Statement> m_standing_date;  // merge_locations' check of a batch that clashed
  DaySet m_changed_days;
  FixSorter m_fixes;                  // the date's fixes, until merge
  std::set<std::int64_t> m_fix_days;  // UTC days of the staged fixes
  std::int64_t m_last_fix_day = std::numeric_limits<std::int64_t>::min();
  std::optional<UtcMicros> m_latest_fix_at;
};

class SqliteWarehouse final : public Warehouse {
 public:
  SqliteWarehouse(const std::string& path, bool read_only)
      : m_path(path), m_db(path, read_only), m_read_only(read_only) {
    // Any first statement tells a non-SQLite file apart (SQLITE_NOTADB).
    m_db.exec(fmt::format("PRAGMA busy_timeout = {}", kBusyTimeout.count()));
    m_db.exec("SELECT count(*) FROM sqlite_schema");
    if (read_only) {
      // journal_mode and page_size would write; the cache and temp settings do not.
      m_db.exec("PRAGMA cache_size = -65536; PRAGMA temp_store = MEMORY;");
      Statement table(m_db, "SELECT count(*) FROM sqlite_schema WHERE name = 'schema_migration'");
      table.step();
      if (table.column_int(0) == 0) {
        throw core::Error(core::ErrorKind::Warehouse,
                          fmt::format("no warehouse at {} (the file holds no d2d schema): run `d2d run` "
                                      "or `d2d migrate up` first",
                                      m_path));
      }
      require_current_schema(migration_status(), m_path);
      return;
    }
    // Only a new, empty file takes a page size (an existing one keeps its own). 64 KB pages:
    // a load writes a sixteenth of the WAL frames and page allocations (docs/decisions.md).
    m_db.exec("PRAGMA page_size = 65536");
    // Processes started together on a fresh file race to switch it to WAL.
    m_db.exec_patiently(detail::kConnectionPragmas, kBusyTimeout);
    m_db.exec(
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
    refuse_if_read_only("migrate up");
    // A current schema is left alone without the write lock, so a read-only file still reports.
    const auto states = migration_status();
    if (std::all_of(states.begin(), states.end(), [](const MigrationState& s) { return s.applied; }))
      return 0;
    // Two processes may start on the same fresh file: the applied versions are read again under
    // the write lock (BEGIN IMMEDIATE waits out the busy timeout), so the one that comes second
    // finds the other's migrations applied instead of running them again.
    int count = 0;
    for (;;) {
      m_db.exec("BEGIN IMMEDIATE");
      try {
        const auto locked = migration_status();
        const auto pending =
            std::find_if(locked.begin(), locked.end(), [](const MigrationState& s) { return !s.applied; });
        if (pending == locked.end()) {
          m_db.exec("COMMIT");
          return count;
        }
        const Migration& migration = find(pending->version);
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
  }

  int migrate_down(int steps) override {
    refuse_if_read_only("migrate down");
    int count = 0;
    // Like migrate_up: what is applied is read under the write lock, one migration at a time.
    while (count < steps) {
      m_db.exec("BEGIN IMMEDIATE");
      try {
        const auto locked = migration_status();
        const auto newest =
            std::find_if(locked.rbegin(), locked.rend(), [](const MigrationState& s) { return s.applied; });
        if (newest == locked.rend()) {
          m_db.exec("COMMIT");
          return count;
        }
        const Migration& migration = find(newest->version);
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

  std::vector<TableRows> rows_dropped_by_down(int steps) override {
    std::vector<TableRows> tables;
    const auto states = migration_status();
    int left = steps;
    for (auto it = states.rbegin(); it != states.rend() && left > 0; ++it) {
      if (!it->applied) continue;
      --left;
      for (const std::string& table : tables_dropped_by(find(it->version).down_sql)) {
        Statement exists(m_db, "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = ?1");
        exists.bind(1, std::string_view(table));
        if (!exists.step() || exists.column_int(0) == 0) continue;
        Statement count(m_db, fmt::format("SELECT count(*) FROM \"{}\"", table));
        count.step();
        if (const std::int64_t rows = count.column_int(0); rows > 0) tables.push_back({table, rows});
      }
    }
    return tables;
  }

  std::int64_t start_run(const std::string& lake_date) override {
    Statement insert(m_db,
                     "INSERT INTO etl_run (lake_date, status, started_at, code_version, phase) "
                     "VALUES (?1, 'running', ?2, ?3, 'extract')");
    insert.bind(1, std::string_view(lake_date)).bind(2, std::string_view(now_utc()));
    insert.bind(3, std::string_view(core::code_version())).run();
    return sqlite3_last_insert_rowid(m_db.handle());
  }

  void set_run_phase(std::int64_t run_id, RunPhase phase) override {
    Statement update(m_db, "UPDATE etl_run SET phase = ?2 WHERE run_id = ?1");
    update.bind(1, run_id).bind(2, run_phase_name(phase)).run();
  }

  void fail_run(std::int64_t run_id, const std::string& error, RunPhase phase) override {
    Statement update(m_db,
                     "UPDATE etl_run SET status = 'failed', finished_at = ?2, error = ?3, phase = ?4 "
                     "WHERE run_id = ?1");
    update.bind(1, run_id).bind(2, std::string_view(now_utc())).bind(3, std::string_view(error));
    update.bind(4, run_phase_name(phase)).run();
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
        "objects = ?4, objects_copied = ?5, bytes = ?6, raw_manifest_md5 = ?7, objects_refused = ?8, "
        "phase = NULL WHERE run_id = ?1");
    update.bind(1, run_id).bind(2, std::string_view(now_utc())).bind(3, figures.extract_ms);
    update.bind(4, static_cast<std::int64_t>(figures.objects))
        .bind(5, static_cast<std::int64_t>(figures.objects_copied));
    update.bind(6, static_cast<std::int64_t>(figures.bytes))
        .bind(7, std::string_view(figures.raw_manifest_md5))
        .bind(8, static_cast<std::int64_t>(figures.objects_refused))
        .run();
  }

  std::unique_ptr<LakeDateLoad> begin_load(const std::string& lake_date, std::int64_t run_id) override {
    return std::make_unique<SqliteLoad>(m_db, lake_date, run_id);
  }

  std::vector<PeriodAnswer> report(const ReportFilter& filter) override {
    std::vector<PeriodAnswer> answers;
    Statement query(m_db,
                    "SELECT operating_period_id, vehicles, avg_distance_m, total_distance_m, start_at, "
                    "finish_at, organization_id FROM operating_period_avg_distance "
                    "WHERE (?1 IS NULL OR start_at >= ?1) AND (?2 IS NULL OR start_at < ?2) "
                    "AND (?3 IS NULL OR organization_id = ?3) ORDER BY operating_period_id");
    query.bind_time(1, filter.start_from_us).bind_time(2, filter.start_before_us);
    if (filter.organization_id) query.bind(3, std::string_view(*filter.organization_id));
    while (query.step()) {
      PeriodAnswer answer;
      answer.operating_period_id = query.column_text(0);
      answer.vehicles = query.column_int(1);
      if (!query.column_is_null(2)) answer.avg_distance_m = query.column_double(2);
      answer.total_distance_m = query.column_double(3);
      answer.start_us = query.column_time(4);
      answer.finish_us = query.column_time(5);
      if (!query.column_is_null(6)) answer.organization_id = std::string(query.column_text(6));
      answers.push_back(std::move(answer));
    }
    mark_reject_gate_failures(answers);
    return answers;
  }

  std::vector<RunRecord> runs(const RunFilter& filter) override {
    std::string sql = select_runs() + " FROM etl_run WHERE (?1 IS NULL OR lake_date = ?1)";
    if (filter.latest_per_date) sql += " AND run_id IN (SELECT MAX(run_id) FROM etl_run GROUP BY lake_date)";
    Statement query(m_db, sql + " ORDER BY lake_date, run_id");
    if (filter.lake_date) query.bind(1, std::string_view(*filter.lake_date));
    std::vector<RunRecord> records;
    while (query.step()) records.push_back(run_record(query));
    return records;
  }

  std::vector<RejectReason> reject_reasons(const std::string& lake_date, int samples_per_reason) override {
    std::vector<RejectReason> reasons;
    Statement groups(m_db,
                     "SELECT reason_code, COUNT(*) FROM rejected_event WHERE lake_date = ?1 "
                     "GROUP BY reason_code ORDER BY COUNT(*) DESC, reason_code");
    groups.bind(1, std::string_view(lake_date));
    while (groups.step()) reasons.push_back({std::string(groups.column_text(0)), groups.column_int(1), {}});
    Statement samples(m_db,
                      "SELECT source, line, reason, raw, raw_length FROM rejected_event WHERE lake_date = ?1 "
                      "AND reason_code = ?2 ORDER BY source, line LIMIT ?3");
    for (RejectReason& reason : reasons) {
      samples.bind(1, std::string_view(lake_date)).bind(2, std::string_view(reason.reason_code));
      samples.bind(3, static_cast<std::int64_t>(samples_per_reason));
      while (samples.step()) {
        reason.samples.push_back({std::string(samples.column_text(0)),
                                  static_cast<std::uint64_t>(samples.column_int(1)),
                                  std::string(samples.column_text(2)), std::string(samples.column_text(3)),
                                  static_cast<std::uint64_t>(samples.column_int(4))});
      }
      samples.reset();
    }
    return reasons;
  }

  std::vector<PeriodVehicle> period_vehicles(const std::string& period_id) override {
    Statement query(m_db,
                    "SELECT d.vehicle_id, d.distance_m, d.updates FROM vehicle_operating_period_distance d "
                    "JOIN operating_period p ON p.operating_period_id = d.operating_period_id "
                    "WHERE d.operating_period_id = ?1 AND p.deleted = 0 ORDER BY d.vehicle_id");
    query.bind(1, std::string_view(period_id));
    std::vector<PeriodVehicle> vehicles;
    while (query.step()) {
      vehicles.push_back({std::string(query.column_text(0)), query.column_double(1), query.column_int(2)});
    }
    return vehicles;
  }

  std::optional<VehicleTrack> vehicle_track(const std::string& period_id,
                                            const std::string& vehicle_id) override {
    Statement period(m_db,
                     "SELECT start_at, finish_at FROM operating_period WHERE operating_period_id = ?1 AND "
                     "deleted = 0");
    period.bind(1, std::string_view(period_id));
    if (!period.step()) return std::nullopt;
    VehicleTrack track{vehicle_id, period.column_time(0), period.column_time(1), {}, {}};
    Statement fixes(
        m_db,
        "SELECT at, lat, lng FROM location_update WHERE vehicle_id = ?1 AND at >= ?2 AND at <= ?3 "
        "ORDER BY at");
    fixes.bind(1, std::string_view(vehicle_id)).bind_time(2, track.start_us).bind_time(3, track.finish_us);
    while (fixes.step()) {
      track.fixes.push_back({fixes.column_time(0), fixes.column_double(1), fixes.column_double(2)});
    }
    Statement breaks(m_db,
                     "SELECT start_at, end_at FROM vehicle_break WHERE vehicle_id = ?1 AND start_at <= ?3 "
                     "AND (end_at IS NULL OR end_at > ?2) ORDER BY start_at");
    breaks.bind(1, std::string_view(vehicle_id)).bind_time(2, track.start_us).bind_time(3, track.finish_us);
    while (breaks.step()) {
      track.breaks.push_back({breaks.column_time(0),
                              breaks.column_is_null(1) ? model::BreakSpan::kOpenEnd : breaks.column_time(1)});
    }
    return track;
  }

  std::string describe() const override { return "sqlite:" + m_path; }

 private:
  void refuse_if_read_only(std::string_view what) const {
    if (m_read_only)
      throw core::Error(core::ErrorKind::Internal, fmt::format("{} on a read-only warehouse", what));
  }

  // Lake dates whose latest load (a run that recorded figures) failed: the reject gate, which
  // fails a run after everything was stored. Usually none, and then no period is looked at.
  void mark_reject_gate_failures(std::vector<PeriodAnswer>& answers) {
    Statement dates(m_db, detail::reject_gate_failed_dates("etl_run"));
    std::vector<std::string> failed;
    while (dates.step()) failed.emplace_back(dates.column_text(0));
    if (failed.empty() || answers.empty()) return;
    Statement touched(m_db,
                      "SELECT 1 FROM vehicle_operating_period_distance d JOIN location_update u ON "
                      "u.vehicle_id = d.vehicle_id AND u.at >= ?2 AND u.at <= ?3 WHERE "
                      "d.operating_period_id = ?1 AND u.lake_date IN (SELECT value FROM json_each(?4)) "
                      "LIMIT 1");
    std::string dates_json = "[";
    for (const std::string& date : failed) dates_json += (dates_json.size() > 1 ? ",\"" : "\"") + date + "\"";
    dates_json += "]";
    for (PeriodAnswer& answer : answers) {
      touched.bind(1, std::string_view(answer.operating_period_id))
          .bind_time(2, answer.start_us)
          .bind_time(3, answer.finish_us)
          .bind(4, std::string_view(dates_json));
      answer.reject_gate_failed = touched.step();
      touched.reset();
    }
  }

  static const Migration& find(int version) { return find_migration(sqlite_migrations(), version); }

  std::string m_path;
  SqliteDb m_db;
  bool m_read_only = false;
};

}  // namespace

std::unique_ptr<Warehouse> open_sqlite_warehouse(const std::string& path, bool read_only) {
  if (read_only) {
    // A typo in --warehouse must not leave an empty database (and an empty report) behind.
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) {
      throw core::Error(core::ErrorKind::Warehouse,
                        fmt::format("no warehouse at {}: run `d2d run` or `d2d migrate up` first", path));
    }
    try {
      return std::make_unique<SqliteWarehouse>(path, true);
    } catch (const core::Error&) {
      // A WAL database is read through its -shm index, which a reader creates when no writer
      // has it open; in a folder the reader may not write, SQLite answers "readonly database".
      const std::filesystem::path file(path);
      const std::filesystem::path folder = file.parent_path().empty() ? "." : file.parent_path();
      if (!std::filesystem::exists(path + "-shm", ec) && ::access(folder.c_str(), W_OK) != 0) {
        throw core::Error(core::ErrorKind::Warehouse,
                          fmt::format("cannot read warehouse {} read-only: SQLite needs {}-shm, which only "
                                      "a user who may write in {} can create (it exists while a d2d run "
                                      "or serve has the warehouse open)",
                                      path, path, folder.string()));
      }
      throw;
    }
  }
  // Like the lake, the warehouse file's folder is created on first use.
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  std::error_code ec;
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  return std::make_unique<SqliteWarehouse>(path, false);
}

}  // namespace d2d::warehouse
