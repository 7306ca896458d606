// One run = one lake date: extract (source -> raw zone), transform (decode + validate, rejects
// quarantined), load (one warehouse transaction: replace the date, apply winners), derive
// (distances of every affected operating period), all recorded in the etl_run ledger.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "s3/client_options.h"
#include "warehouse/warehouse.h"

namespace d2d::pipeline {

// How far the transform of a date has got; reported after each object (for progress displays).
struct RunProgress {
  std::uint64_t objects_done = 0;   // transformed in this attempt
  std::uint64_t objects_total = 0;  // in the date's manifest
  std::uint64_t events_read = 0;
  std::uint64_t events_rejected = 0;
};

struct RunOptions {
  std::string source_uri;
  std::string lake_uri;
  core::LakeDate lake_date;
  double max_reject_ratio = 0.05;  // above this the run fails after storing everything
  bool allow_empty = false;        // a date with no objects is an error unless allowed
  int attempts = 3;                // transform+load tries when the warehouse fails transiently
  s3::ClientOptions s3;            // for s3:// sources and lakes
  bool force = false;              // load even when the raw zone is unchanged since the last run
  std::uint64_t max_line_bytes = std::uint64_t{16} << 20;  // longer lines are rejected as line_too_long
  std::int64_t max_period_days = 31;                       // longer operating periods: invalid_window
  // Called on the run's thread after each object is transformed; may be empty.
  std::function<void(const RunProgress&)> on_progress = {};
  // Each phase as it starts, from the run's thread: the ledger cannot show load and derive while
  // their transaction is open, an in-process watcher (serve's grid) can.
  std::function<void(warehouse::RunPhase)> on_phase = {};
};

struct RunOutcome {
  std::int64_t run_id = 0;
  warehouse::RunFigures figures;
  // The raw zone was exactly what run `loaded_by_run` loaded, by this same code: nothing was
  // transformed or loaded (the warehouse already holds that state).
  bool nothing_to_do = false;
  std::int64_t loaded_by_run = 0;
};

// Throws core::Error with one clear line when the run fails; the warehouse is then unchanged
// (its etl_run row says failed) unless the failure is a reject ratio over the threshold,
// which is reported after everything was stored.
RunOutcome run_lake_date(const RunOptions& options, warehouse::Warehouse& warehouse);

}  // namespace d2d::pipeline
