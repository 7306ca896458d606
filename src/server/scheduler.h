// The scheduler loop of `d2d serve`: plans from the ledger (schedule.h), runs the oldest date
// that is due through pipeline::run_lake_date, exactly as `d2d run` does, or else the date whose
// freshness run is due (--every), the same way, and sleeps until the next date is due, may be
// retried or is due a freshness run. Runs are serial: one lake date at a time, so the
// scheduler never runs a date twice at once (the warehouse's per-date lock also guards against
// other processes).
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>

#include "pipeline/run.h"
#include "server/schedule.h"
#include "warehouse/warehouse.h"

namespace d2d::server {

struct SchedulerOptions {
  Schedule schedule;
  pipeline::RunOptions run;  // lake_date is set per run
  warehouse::WarehouseOptions warehouse;
};

// What the scheduler is doing, for /healthz and /metrics.
struct SchedulerState {
  std::optional<std::string> running;                // the lake date being run
  std::optional<warehouse::RunPhase> running_phase;  // its phase, live (the ledger lags inside the load)
  bool running_freshness = false;                    // the run in progress is a freshness run (--every)
  Plan last_plan;
  std::uint64_t runs_started = 0, runs_succeeded = 0, runs_failed = 0;  // by this process
  std::uint64_t freshness_runs_started = 0;                             // of runs_started, the freshness runs
  std::optional<std::string> last_error;
};

class Scheduler {
 public:
  using Clock = std::function<core::UtcMicros()>;
  Scheduler(SchedulerOptions options, Clock clock);

  // Plans once and runs the date that is due now, if any (a daily run before a freshness run).
  // Returns the plan it followed.
  Plan tick();
  // Ticks until stop(); between ticks waits for the plan's wake time (re-planning at least
  // every minute, so a changed ledger or a jump of the clock is noticed).
  void run_until_stopped();
  void stop();
  SchedulerState state() const;

 private:
  void run_date(const core::LakeDate& date, bool freshness);
  std::vector<warehouse::RunRecord> read_ledger();

  SchedulerOptions m_options;
  Clock m_clock;
  std::unique_ptr<warehouse::Warehouse> m_ledger;  // for planning; each run opens its own
  mutable std::mutex m_mutex;
  std::condition_variable m_wake;
  bool m_stopping = false;
  SchedulerState m_state;
  std::string m_warned_skipped;  // the skipped range last warned about: one warning, not one a minute
};

// The system clock in UTC microseconds.
core::UtcMicros system_now();

}  // namespace d2d::server
