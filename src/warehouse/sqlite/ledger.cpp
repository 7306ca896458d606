#include "warehouse/sqlite/ledger.h"

#include "core/version.h"
#include "warehouse/ledger_row.h"

namespace d2d::warehouse::sqlite {
namespace {

using detail::Statement;

// The current row of a query on etl_run, read by position (detail::decode_run_record).
class LedgerRow {
 public:
  explicit LedgerRow(Statement& row) : m_row(row) {}
  bool is_null(int column) const { return m_row.column_is_null(column); }
  std::int64_t int64(int column) const { return m_row.column_int(column); }
  std::string_view text(int column) const { return m_row.column_text(column); }
  core::UtcMicros time(int column) const { return m_row.column_time(column); }
  bool boolean(int column) const { return int64(column) != 0; }

 private:
  Statement& m_row;
};

}  // namespace

std::int64_t SqliteLedger::start_run(const core::LakeDate& lake_date) {
  const std::lock_guard gate(*m_file.gate);
  Statement insert(m_file.db,
                   "INSERT INTO etl_run (lake_date, status, started_at, code_version, phase) "
                   "VALUES (?1, 'running', ?2, ?3, 'extract')");
  insert.bind(1, std::string_view(lake_date.text())).bind(2, std::string_view(now_utc()));
  insert.bind(3, std::string_view(core::code_version())).run();
  return sqlite3_last_insert_rowid(m_file.db.handle());
}

void SqliteLedger::set_run_phase(std::int64_t run_id, RunPhase phase) {
  const std::lock_guard gate(*m_file.gate);
  Statement update(m_file.db, "UPDATE etl_run SET phase = ?2 WHERE run_id = ?1");
  update.bind(1, run_id).bind(2, run_phase_name(phase)).run();
}

void SqliteLedger::fail_run(std::int64_t run_id, const std::string& error, RunPhase phase) {
  const std::lock_guard gate(*m_file.gate);
  Statement update(m_file.db,
                   "UPDATE etl_run SET status = 'failed', finished_at = ?2, error = ?3, phase = ?4 "
                   "WHERE run_id = ?1");
  update.bind(1, run_id).bind(2, std::string_view(now_utc())).bind(3, std::string_view(error));
  update.bind(4, run_phase_name(phase)).run();
}

std::optional<LastRun> SqliteLedger::last_finished_run(const core::LakeDate& lake_date) {
  Statement query(m_file.db,
                  "SELECT run_id, status, COALESCE(raw_manifest_md5, ''), code_version FROM etl_run "
                  "WHERE lake_date = ?1 AND status <> 'running' ORDER BY run_id DESC LIMIT 1");
  query.bind(1, std::string_view(lake_date.text()));
  if (!query.step()) return std::nullopt;
  return LastRun{query.column_int(0), query.column_text(1) == "succeeded", std::string(query.column_text(2)),
                 std::string(query.column_text(3))};
}

void SqliteLedger::finish_unchanged(std::int64_t run_id, const RunFigures& figures) {
  const std::lock_guard gate(*m_file.gate);
  Statement update(
      m_file.db,
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

std::vector<RunRecord> SqliteLedger::runs(const RunFilter& filter) {
  std::string sql =
      "SELECT " + detail::run_columns_sql("lake_date") + " FROM etl_run WHERE (?1 IS NULL OR lake_date = ?1)";
  if (filter.latest_per_date) sql += " AND run_id IN (SELECT MAX(run_id) FROM etl_run GROUP BY lake_date)";
  Statement query(m_file.db, sql + " ORDER BY lake_date, run_id");
  if (filter.lake_date) query.bind(1, std::string_view(*filter.lake_date));
  std::vector<RunRecord> records;
  const auto columns =
      detail::RunColumns::find([&query](const char* name) { return query.column_index(name); });
  const LedgerRow row(query);
  while (query.step()) records.push_back(detail::decode_run_record(row, columns));
  return records;
}

void record_succeeded_run(detail::SqliteDb& db, std::int64_t run_id, const RunFigures& figures) {
  Statement update(
      db,
      "UPDATE etl_run SET status = 'succeeded', finished_at = ?2, extract_ms = ?3, transform_ms = ?4, "
      "load_ms = ?5, derive_ms = ?6, objects = ?7, objects_copied = ?8, bytes = ?9, events_read = ?10, "
      "events_rejected = ?11, rows_loaded = ?12, periods_derived = ?13, raw_manifest_md5 = ?14, "
      "objects_refused = ?15, load_mode = ?16, objects_loaded = ?17, error = NULL, phase = NULL "
      "WHERE run_id = ?1");
  update.bind(1, run_id).bind(2, std::string_view(now_utc()));
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
      .bind(15, static_cast<std::int64_t>(figures.objects_refused));
  if (figures.load_mode) {
    update.bind(16, load_mode_name(*figures.load_mode));
  } else {
    update.bind_null(16);
  }
  update.bind(17, static_cast<std::int64_t>(figures.objects_loaded)).run();
}

}  // namespace d2d::warehouse::sqlite
