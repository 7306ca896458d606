// A backfill: every lake date in a range, each its own idempotent run (run_lake_date) on its own
// warehouse connection, up to `jobs` dates at once. A failed date never stops the others; the
// caller gets one result per date and decides the exit status.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "pipeline/run.h"
#include "warehouse/warehouse.h"

namespace d2d::pipeline {

// Unchanged: the date's raw zone was exactly what an earlier run loaded, so nothing was loaded
// (a success; `--force` loads it again).
enum class DateStatus { Succeeded, Unchanged, Failed };

struct DateResult {
  std::string lake_date;
  DateStatus status = DateStatus::Failed;
  std::int64_t run_id = 0;         // 0 when the run never reached the ledger
  std::int64_t loaded_by_run = 0;  // for Unchanged: the run that loaded this raw zone
  // Complete for a success; for a failure, as far as the run got (rows_loaded stays 0).
  warehouse::RunFigures figures;
  double seconds = 0;
  std::string error;  // the one-line reason of a failure
};

// Told about each date as it goes. The backfill calls it from its worker threads, one call at
// a time, so an implementation needs no locking of its own.
class BackfillObserver {
 public:
  virtual ~BackfillObserver() = default;
  virtual void date_started(const std::string& lake_date) = 0;
  virtual void date_progress(const std::string& lake_date, const RunProgress& progress) = 0;
  virtual void date_finished(const DateResult& result) = 0;
};

struct BackfillOptions {
  RunOptions run;  // every field but lake_date and on_progress, which the backfill sets per date
  std::vector<core::LakeDate> lake_dates;
  unsigned jobs = 1;
  // Opens one warehouse connection; called once per date, on that date's thread. The engine
  // decides how the dates' writes take turns (SQLite: one writer per file).
  std::function<std::unique_ptr<warehouse::Warehouse>()> open_warehouse;
};

// Every date from `from` to `to`, both included. Throws core::Error (Usage) on a bad date or an
// empty range.
std::vector<core::LakeDate> lake_dates_between(const std::string& from, const std::string& to);

// Results in the order of options.lake_dates.
std::vector<DateResult> run_backfill(const BackfillOptions& options, BackfillObserver& observer);

}  // namespace d2d::pipeline
