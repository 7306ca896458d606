// The etl_run row as both engines read it: one list of columns, decoded by name (never by
// position, so adding a column cannot shift the others), and the reject-gate query.
#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "warehouse/warehouse.h"

namespace d2d::warehouse::detail {

// The columns decode_run_record reads. `lake_date` is the SQL that gives the date as text
// (SQLite stores text; PostgreSQL casts its date).
inline std::string run_columns_sql(std::string_view lake_date) {
  return fmt::format(
      "run_id, {} AS lake_date, status, started_at, finished_at, extract_ms, transform_ms, load_ms, "
      "derive_ms, "
      "objects, objects_copied, bytes, events_read, events_rejected, rows_loaded, periods_derived, "
      "code_version, error, unchanged, objects_refused, phase",
      lake_date);
}

// The lake dates whose latest load failed its reject gate: of each date's runs that recorded
// figures (the load committed), the newest is 'failed' (only the gate fails a run after that).
// `etl_run` names the table as the engine's SQL spells it.
inline std::string reject_gate_failed_dates(std::string_view etl_run) {
  return fmt::format(
      "SELECT lake_date FROM {0} WHERE status = 'failed' AND run_id IN (SELECT MAX(run_id) FROM {0} "
      "WHERE events_read IS NOT NULL GROUP BY lake_date)",
      etl_run);
}

// One row of a query that selected run_columns_sql(). `Row` reads the current row by column
// name: is_null, int64, text, time (UTC microseconds) and boolean, each taking the name.
template <typename Row>
RunRecord decode_run_record(const Row& row) {
  RunRecord record;
  record.run_id = row.int64("run_id");
  record.lake_date = row.text("lake_date");
  record.status = row.text("status");
  record.started_at_us = row.time("started_at");
  if (!row.is_null("finished_at")) record.finished_at_us = row.time("finished_at");
  // Figures are recorded when the load committed, all at once: events_read tells.
  if (!row.is_null("events_read")) {
    auto count = [&row](const char* name) { return static_cast<std::uint64_t>(row.int64(name)); };
    RunFigures& f = record.figures.emplace();
    f.extract_ms = row.int64("extract_ms");
    f.transform_ms = row.int64("transform_ms");
    f.load_ms = row.int64("load_ms");
    f.derive_ms = row.int64("derive_ms");
    f.objects = count("objects");
    f.objects_copied = count("objects_copied");
    f.bytes = count("bytes");
    f.events_read = count("events_read");
    f.events_rejected = count("events_rejected");
    f.rows_loaded = count("rows_loaded");
    f.periods_derived = count("periods_derived");
  }
  record.code_version = row.text("code_version");
  if (!row.is_null("error")) record.error = std::string(row.text("error"));
  record.unchanged = row.boolean("unchanged");
  record.objects_refused = static_cast<std::uint64_t>(row.int64("objects_refused"));
  if (!row.is_null("phase")) record.phase = parse_run_phase(row.text("phase"));
  return record;
}

}  // namespace d2d::warehouse::detail
