#include "server/scheduler.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

#include "core/error.h"

namespace d2d::server {

core::UtcMicros system_now() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Scheduler::Scheduler(SchedulerOptions options, Clock clock)
    : m_options(std::move(options)), m_clock(std::move(clock)) {}

std::vector<warehouse::RunRecord> Scheduler::read_ledger() {
  try {
    if (!m_ledger) {
      m_ledger = warehouse::open_warehouse(m_options.warehouse);
      m_ledger->migrator().migrate_up();  // a fresh warehouse has an empty ledger, not a missing table
    }
    return m_ledger->ledger().runs({});
  } catch (...) {
    m_ledger.reset();  // reconnect on the next tick
    throw;
  }
}

Plan Scheduler::tick() {
  Plan next = plan(m_clock(), m_options.schedule, read_ledger());
  if (next.skipped) {
    const std::string message = skipped_message(*next.skipped, m_options.schedule);
    if (message != m_warned_skipped) spdlog::warn("scheduler: {}", message);
    m_warned_skipped = message;
  }
  {
    std::lock_guard lock(m_mutex);
    m_state.last_plan = next;
  }
  if (next.run_now) {
    run_date(*next.run_now, false);
  } else if (next.fresh_now) {
    run_date(*next.fresh_now, true);
  }
  return next;
}

void Scheduler::run_date(const core::LakeDate& date, bool freshness) {
  const std::string& lake_date = date.text();
  {
    std::lock_guard lock(m_mutex);
    m_state.running = lake_date;
    m_state.running_freshness = freshness;
    ++m_state.runs_started;
    if (freshness) ++m_state.freshness_runs_started;
  }
  pipeline::RunOptions options = m_options.run;
  options.lake_date = date;
  options.on_phase = [this](warehouse::RunPhase phase) {
    std::lock_guard lock(m_mutex);
    m_state.running_phase = phase;
  };
  std::optional<std::string> error;
  try {
    spdlog::info("scheduler: running lake date {}{}", lake_date, freshness ? " (freshness run)" : "");
    auto warehouse = warehouse::open_warehouse(m_options.warehouse);
    const auto outcome = pipeline::run_lake_date(options, *warehouse);
    spdlog::info("scheduler: lake date {} succeeded (run {}, {} events, {} rejected)", lake_date,
                 outcome.run_id, outcome.figures.events_read, outcome.figures.events_rejected);
  } catch (const std::exception& failure) {
    // The ledger says failed (when the warehouse could be reached); the plan retries later.
    error = failure.what();
    spdlog::error("scheduler: lake date {} failed: {}", lake_date, failure.what());
  }
  std::lock_guard lock(m_mutex);
  m_state.running.reset();
  m_state.running_phase.reset();
  m_state.running_freshness = false;
  if (error) {
    ++m_state.runs_failed;
    m_state.last_error = lake_date + ": " + *error;
  } else {
    ++m_state.runs_succeeded;
  }
}

void Scheduler::run_until_stopped() {
  constexpr auto kReplanEvery = std::chrono::seconds(60);
  constexpr auto kAfterLedgerError = std::chrono::seconds(30);
  for (;;) {
    {
      std::lock_guard lock(m_mutex);
      if (m_stopping) return;
    }
    std::chrono::microseconds wait{0};
    try {
      const Plan followed = tick();
      if (!followed.run_now && !followed.fresh_now) {
        wait = std::chrono::microseconds(std::max<core::UtcMicros>(followed.wake_at - m_clock(), 0));
      }
    } catch (const std::exception& failure) {
      spdlog::error("scheduler: cannot read the ledger: {}", failure.what());
      std::lock_guard lock(m_mutex);
      m_state.last_error = failure.what();
      wait = kAfterLedgerError;
    }
    std::unique_lock lock(m_mutex);
    m_wake.wait_for(lock, std::min<std::chrono::microseconds>(wait, kReplanEvery),
                    [this] { return m_stopping; });
  }
}

void Scheduler::stop() {
  std::lock_guard lock(m_mutex);
  m_stopping = true;
  m_wake.notify_all();
}

SchedulerState Scheduler::state() const {
  std::lock_guard lock(m_mutex);
  return m_state;
}

}  // namespace d2d::server
