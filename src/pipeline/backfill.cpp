#include "pipeline/backfill.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <exception>
#include <mutex>
#include <thread>

#include "core/error.h"
#include "core/time.h"
#include "warehouse/forwarding_warehouse.h"

namespace d2d::pipeline {
namespace {

using core::Error;
using core::ErrorKind;

// A load that holds the writer gate until it is committed or rolled back (destroyed).
class GatedLoad final : public warehouse::LakeDateLoad {
 public:
  GatedLoad(std::unique_lock<std::mutex> gate, std::unique_ptr<warehouse::LakeDateLoad> load)
      : m_gate(std::move(gate)), m_load(std::move(load)) {}
  ~GatedLoad() override { m_load.reset(); }  // roll back (if not committed) before the gate opens
  GatedLoad(const GatedLoad&) = delete;
  GatedLoad& operator=(const GatedLoad&) = delete;

  void add_location(const warehouse::LocationRow& row) override { m_load->add_location(row); }
  void add_rejected(const warehouse::RejectedRow& row) override { m_load->add_rejected(row); }
  void add_period_event(const warehouse::PeriodEventRow& row) override { m_load->add_period_event(row); }
  void add_vehicle(const warehouse::VehicleRow& row) override { m_load->add_vehicle(row); }
  void add_break_event(const warehouse::BreakEventRow& row) override { m_load->add_break_event(row); }
  std::uint64_t merge() override { return m_load->merge(); }
  std::uint64_t derive() override { return m_load->derive(); }
  void commit(const warehouse::RunFigures& figures) override { m_load->commit(figures); }

 private:
  std::unique_lock<std::mutex> m_gate;  // declared first: released last
  std::unique_ptr<warehouse::LakeDateLoad> m_load;
};

// Every write of a date (ledger rows, migrations, the load transaction) passes one gate shared by
// all dates of the backfill; reads go straight through.
class GatedWarehouse final : public warehouse::ForwardingWarehouse {
 public:
  GatedWarehouse(std::mutex& gate, std::unique_ptr<warehouse::Warehouse> inner)
      : ForwardingWarehouse(std::move(inner)), m_gate(gate) {}

  int migrate_up() override {
    const std::lock_guard lock(m_gate);
    return inner().migrate_up();
  }
  int migrate_down(int steps) override {
    const std::lock_guard lock(m_gate);
    return inner().migrate_down(steps);
  }
  std::int64_t start_run(const std::string& lake_date) override {
    const std::lock_guard lock(m_gate);
    return inner().start_run(lake_date);
  }
  void set_run_phase(std::int64_t run_id, warehouse::RunPhase phase) override {
    const std::lock_guard lock(m_gate);
    inner().set_run_phase(run_id, phase);
  }
  void fail_run(std::int64_t run_id, const std::string& error, warehouse::RunPhase phase) override {
    const std::lock_guard lock(m_gate);
    inner().fail_run(run_id, error, phase);
  }
  void finish_unchanged(std::int64_t run_id, const warehouse::RunFigures& figures) override {
    const std::lock_guard lock(m_gate);
    inner().finish_unchanged(run_id, figures);
  }
  std::unique_ptr<warehouse::LakeDateLoad> begin_load(const std::string& lake_date,
                                                      std::int64_t run_id) override {
    std::unique_lock lock(m_gate);
    return std::make_unique<GatedLoad>(std::move(lock), inner().begin_load(lake_date, run_id));
  }

 private:
  std::mutex& m_gate;
};

// Serializes the observer's calls from the worker threads.
class SerializedObserver {
 public:
  explicit SerializedObserver(BackfillObserver& observer) : m_observer(observer) {}
  void started(const std::string& lake_date) {
    const std::lock_guard lock(m_mutex);
    m_observer.date_started(lake_date);
  }
  void progress(const std::string& lake_date, const RunProgress& progress) {
    const std::lock_guard lock(m_mutex);
    m_observer.date_progress(lake_date, progress);
  }
  void finished(const DateResult& result) {
    const std::lock_guard lock(m_mutex);
    m_observer.date_finished(result);
  }

 private:
  std::mutex m_mutex;
  BackfillObserver& m_observer;
};

DateResult run_one_date(const BackfillOptions& options, const std::string& lake_date, std::mutex& writer_gate,
                        SerializedObserver& observer) {
  const auto started = std::chrono::steady_clock::now();
  DateResult result;
  result.lake_date = lake_date;
  RunOptions run = options.run;
  run.lake_date = lake_date;
  run.on_progress = [&](const RunProgress& progress) {
    result.figures.objects = progress.objects_total;
    result.figures.events_read = progress.events_read;
    result.figures.events_rejected = progress.events_rejected;
    observer.progress(lake_date, progress);
  };
  try {
    std::unique_ptr<warehouse::Warehouse> warehouse = options.open_warehouse();
    if (options.one_writer_at_a_time) {
      warehouse = std::make_unique<GatedWarehouse>(writer_gate, std::move(warehouse));
    }
    const RunOutcome outcome = run_lake_date(run, *warehouse);
    result.run_id = outcome.run_id;
    result.figures = outcome.figures;
    result.loaded_by_run = outcome.loaded_by_run;
    result.status = outcome.nothing_to_do ? DateStatus::Unchanged : DateStatus::Succeeded;
  } catch (const std::exception& error) {
    result.status = DateStatus::Failed;
    result.error = error.what();
  }
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return result;
}

}  // namespace

std::vector<std::string> lake_dates_between(const std::string& from, const std::string& to) {
  const auto first = core::parse_date(from);
  if (!first)
    throw Error(ErrorKind::Usage, fmt::format("--from '{}' is not a date (expected YYYY-MM-DD)", from));
  const auto last = core::parse_date(to);
  if (!last) throw Error(ErrorKind::Usage, fmt::format("--to '{}' is not a date (expected YYYY-MM-DD)", to));
  if (*last < *first) throw Error(ErrorKind::Usage, fmt::format("--to {} is before --from {}", to, from));
  std::vector<std::string> dates;
  for (std::int64_t day = *first; day <= *last; ++day) dates.push_back(core::format_date(day));
  return dates;
}

std::vector<DateResult> run_backfill(const BackfillOptions& options, BackfillObserver& observer) {
  std::vector<DateResult> results(options.lake_dates.size());
  std::atomic<std::size_t> next{0};
  std::mutex writer_gate;
  SerializedObserver serialized(observer);
  auto worker = [&] {
    for (std::size_t i = next++; i < options.lake_dates.size(); i = next++) {
      const std::string& lake_date = options.lake_dates[i];
      serialized.started(lake_date);
      results[i] = run_one_date(options, lake_date, writer_gate, serialized);
      serialized.finished(results[i]);
    }
  };
  const std::size_t threads =
      std::clamp<std::size_t>(options.jobs, 1, std::max<std::size_t>(1, results.size()));
  std::vector<std::jthread> workers;
  workers.reserve(threads - 1);
  for (std::size_t t = 1; t < threads; ++t) workers.emplace_back(worker);
  worker();         // this thread is one of the workers
  workers.clear();  // joins
  return results;
}

}  // namespace d2d::pipeline
