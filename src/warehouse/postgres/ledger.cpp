#include "warehouse/postgres/ledger.h"

#include "core/version.h"
#include "warehouse/ledger_row.h"

namespace d2d::warehouse::pg {
namespace {

// One row of a query on etl_run, read by position (detail::decode_run_record).
class LedgerRow {
 public:
  LedgerRow(const Result& result, int row) : m_result(result), m_row(row) {}
  bool is_null(int column) const { return m_result.is_null(m_row, column); }
  std::int64_t int64(int column) const { return m_result.int64(m_row, column); }
  std::string_view text(int column) const { return m_result.text(m_row, column); }
  core::UtcMicros time(int column) const { return m_result.timestamp_us(m_row, column); }
  bool boolean(int column) const { return m_result.boolean(m_row, column); }

 private:
  const Result& m_result;
  int m_row;
};

}  // namespace

std::int64_t PgLedger::start_run(const core::LakeDate& lake_date) {
  return m_session.connection()
      .exec(m_session.sql("INSERT INTO {s}.etl_run (lake_date, status, started_at, code_version, phase) "
                          "VALUES ($1::date, 'running', now(), $2, 'extract') RETURNING run_id"),
            {lake_date.text(), std::string(core::code_version())})
      .int64(0, 0);
}

void PgLedger::set_run_phase(std::int64_t run_id, RunPhase phase) {
  m_session.connection().exec(m_session.sql("UPDATE {s}.etl_run SET phase = $2 WHERE run_id = $1::bigint"),
                              {std::to_string(run_id), std::string(run_phase_name(phase))});
}

void PgLedger::fail_run(std::int64_t run_id, const std::string& error, RunPhase phase) {
  m_session.connection().exec(
      m_session.sql("UPDATE {s}.etl_run SET status = 'failed', finished_at = now(), error = $2, phase = $3 "
                    "WHERE run_id = $1::bigint"),
      {std::to_string(run_id), error, std::string(run_phase_name(phase))});
}

std::optional<LastRun> PgLedger::last_finished_run(const core::LakeDate& lake_date) {
  auto result = m_session.connection().exec(
      m_session.sql(
          "SELECT run_id, status, COALESCE(raw_manifest_md5, ''), code_version FROM "
          "{s}.etl_run WHERE lake_date = $1::date AND status <> 'running' ORDER BY run_id DESC LIMIT 1"),
      {lake_date.text()});
  if (result.rows() == 0) return std::nullopt;
  return LastRun{result.int64(0, 0), result.text(0, 1) == "succeeded", std::string(result.text(0, 2)),
                 std::string(result.text(0, 3))};
}

void PgLedger::finish_unchanged(std::int64_t run_id, const RunFigures& f) {
  m_session.connection().exec(
      m_session.sql("UPDATE {s}.etl_run SET status = 'succeeded', finished_at = now(), unchanged = true, "
                    "extract_ms = $2, objects = $3, objects_copied = $4, bytes = $5, raw_manifest_md5 = $6, "
                    "objects_refused = $7, phase = NULL WHERE run_id = $1::bigint"),
      {std::to_string(run_id), std::to_string(f.extract_ms), std::to_string(f.objects),
       std::to_string(f.objects_copied), std::to_string(f.bytes), f.raw_manifest_md5,
       std::to_string(f.objects_refused)});
}

std::vector<RunRecord> PgLedger::runs(const RunFilter& filter) {
  std::string text = "SELECT " + detail::run_columns_sql("lake_date::text") +
                     " FROM {s}.etl_run WHERE ($1::date IS NULL OR lake_date = $1::date)";
  if (filter.latest_per_date)
    text += " AND run_id IN (SELECT MAX(run_id) FROM {s}.etl_run GROUP BY lake_date)";
  auto result =
      m_session.connection().exec(m_session.sql(text + " ORDER BY lake_date, run_id"), {filter.lake_date});
  std::vector<RunRecord> records;
  records.reserve(static_cast<std::size_t>(result.rows()));
  const auto columns = detail::RunColumns::find([&result](const char* name) { return result.column(name); });
  for (int i = 0; i < result.rows(); ++i)
    records.push_back(detail::decode_run_record(LedgerRow(result, i), columns));
  return records;
}

void record_succeeded_run(Connection& db, const std::string& quoted_schema, std::int64_t run_id,
                          const RunFigures& f) {
  db.exec(with_schema("UPDATE {s}.etl_run SET status = 'succeeded', finished_at = now(), extract_ms = $2, "
                      "transform_ms = $3, load_ms = $4, derive_ms = $5, objects = $6, objects_copied = $7, "
                      "bytes = $8, events_read = $9, events_rejected = $10, rows_loaded = $11, "
                      "periods_derived = $12, raw_manifest_md5 = $13, objects_refused = $14, "
                      "load_mode = NULLIF($15, ''), objects_loaded = $16, error = NULL, phase = NULL "
                      "WHERE run_id = $1",
                      quoted_schema),
          {std::to_string(run_id), std::to_string(f.extract_ms), std::to_string(f.transform_ms),
           std::to_string(f.load_ms), std::to_string(f.derive_ms), std::to_string(f.objects),
           std::to_string(f.objects_copied), std::to_string(f.bytes), std::to_string(f.events_read),
           std::to_string(f.events_rejected), std::to_string(f.rows_loaded),
           std::to_string(f.periods_derived), f.raw_manifest_md5, std::to_string(f.objects_refused),
           f.load_mode ? std::string(load_mode_name(*f.load_mode)) : std::string(),
           std::to_string(f.objects_loaded)});
}

}  // namespace d2d::warehouse::pg
