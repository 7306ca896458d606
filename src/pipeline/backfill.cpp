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
#include "warehouse/warehouse.h"

namespace d2d::pipeline {
namespace {

using core::Error;
using core::ErrorKind;

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

DateResult run_one_date(const BackfillOptions& options, const core::LakeDate& date,
                        SerializedObserver& observer) {
  const auto started = std::chrono::steady_clock::now();
  DateResult result;
  const std::string& lake_date = date.text();
  result.lake_date = lake_date;
  RunOptions run = options.run;
  run.lake_date = date;
  run.on_progress = [&](const RunProgress& progress) {
    result.figures.objects = progress.objects_total;
    result.figures.events_read = progress.events_read;
    result.figures.events_rejected = progress.events_rejected;
    observer.progress(lake_date, progress);
  };
  try {
    const std::unique_ptr<warehouse::Warehouse> warehouse = options.open_warehouse();
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

std::vector<core::LakeDate> lake_dates_between(const std::string& from, const std::string& to) {
  const auto first = core::parse_date(from);
  if (!first)
    throw Error(ErrorKind::Usage, fmt::format("--from '{}' is not a date (expected YYYY-MM-DD)", from));
  const auto last = core::parse_date(to);
  if (!last) throw Error(ErrorKind::Usage, fmt::format("--to '{}' is not a date (expected YYYY-MM-DD)", to));
  if (*last < *first) throw Error(ErrorKind::Usage, fmt::format("--to {} is before --from {}", to, from));
  std::vector<core::LakeDate> dates;
  for (std::int64_t day = *first; day <= *last; ++day) dates.push_back(core::LakeDate::from_day(day));
  return dates;
}

std::vector<DateResult> run_backfill(const BackfillOptions& options, BackfillObserver& observer) {
  std::vector<DateResult> results(options.lake_dates.size());
  std::atomic<std::size_t> next{0};
  SerializedObserver serialized(observer);
  auto worker = [&] {
    for (std::size_t i = next++; i < options.lake_dates.size(); i = next++) {
      const core::LakeDate& lake_date = options.lake_dates[i];
      serialized.started(lake_date.text());
      results[i] = run_one_date(options, lake_date, serialized);
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
