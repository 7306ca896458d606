// The etl_run row as both engines read it: one list of columns, found by name (never by a fixed
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
      "code_version, error, unchanged, objects_refused, phase, load_mode, objects_loaded",
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

// Where each column of run_columns_sql() sits in a result, looked up by name once per query (a
// ledger read decodes every run; thousands with `serve --every`).
struct RunColumns {
  int run_id, lake_date, status, started_at, finished_at, extract_ms, transform_ms, load_ms, derive_ms,
      objects, objects_copied, bytes, events_read, events_rejected, rows_loaded, periods_derived,
      code_version, error, unchanged, objects_refused, phase, load_mode, objects_loaded;
  // `index_of(name)`: the column's position in the result; throws when it has none.
  template <typename IndexOf>
  static RunColumns find(IndexOf&& index_of) {
    return {index_of("run_id"),          index_of("lake_date"),       index_of("status"),
            index_of("started_at"),      index_of("finished_at"),     index_of("extract_ms"),
            index_of("transform_ms"),    index_of("load_ms"),         index_of("derive_ms"),
            index_of("objects"),         index_of("objects_copied"),  index_of("bytes"),
            index_of("events_read"),     index_of("events_rejected"), index_of("rows_loaded"),
            index_of("periods_derived"), index_of("code_version"),    index_of("error"),
            index_of("unchanged"),       index_of("objects_refused"), index_of("phase"),
            index_of("load_mode"),       index_of("objects_loaded")};
  }
};

// The current row of a query that selected run_columns_sql(). `row` reads a column by position:
// is_null, int64, text, time (UTC microseconds) and boolean.
template <typename Row>
RunRecord decode_run_record(const Row& row, const RunColumns& at) {
  RunRecord record;
  record.run_id = row.int64(at.run_id);
  record.lake_date = row.text(at.lake_date);
  record.status = row.text(at.status);
  record.started_at_us = row.time(at.started_at);
  if (!row.is_null(at.finished_at)) record.finished_at_us = row.time(at.finished_at);
  // Figures are recorded when the load committed, all at once: events_read tells.
  if (!row.is_null(at.events_read)) {
    auto count = [&row](int column) { return static_cast<std::uint64_t>(row.int64(column)); };
    RunFigures& f = record.figures.emplace();
    f.extract_ms = row.int64(at.extract_ms);
    f.transform_ms = row.int64(at.transform_ms);
    f.load_ms = row.int64(at.load_ms);
    f.derive_ms = row.int64(at.derive_ms);
    f.objects = count(at.objects);
    f.objects_copied = count(at.objects_copied);
    f.bytes = count(at.bytes);
    f.events_read = count(at.events_read);
    f.events_rejected = count(at.events_rejected);
    f.rows_loaded = count(at.rows_loaded);
    f.periods_derived = count(at.periods_derived);
    if (!row.is_null(at.load_mode)) {
      f.load_mode =
          row.text(at.load_mode) == load_mode_name(LoadMode::Full) ? LoadMode::Full : LoadMode::Incremental;
    }
    if (!row.is_null(at.objects_loaded)) f.objects_loaded = count(at.objects_loaded);
  }
  record.code_version = row.text(at.code_version);
  if (!row.is_null(at.error)) record.error = std::string(row.text(at.error));
  record.unchanged = row.boolean(at.unchanged);
  record.objects_refused = static_cast<std::uint64_t>(row.int64(at.objects_refused));
  if (!row.is_null(at.phase)) record.phase = parse_run_phase(row.text(at.phase));
  return record;
}

}  // namespace d2d::warehouse::detail
