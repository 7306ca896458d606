// `/metrics`: Prometheus text format 0.0.4. The ledger is the source of truth, so the counters
// are sums over etl_run and agree with it exactly; the scheduler adds what only it knows.
#include <fmt/format.h>

#include <array>
#include <map>

#include "server/pages.h"

namespace d2d::server {
namespace {

void family(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

}  // namespace

std::string render_metrics(const std::vector<warehouse::RunRecord>& runs,
                           const std::optional<SchedulerState>& scheduler, const Freshness& freshness) {
  std::map<std::string, std::uint64_t> by_status = {{"running", 0}, {"succeeded", 0}, {"failed", 0}};
  std::uint64_t read = 0, rejected = 0, loaded = 0, objects = 0, bytes = 0, with_figures = 0;
  std::array<std::int64_t, 4> phase_ms{};
  core::UtcMicros last_success_at = 0;
  std::string last_success_date;
  for (const auto& run : runs) {
    ++by_status[run.status];
    if (run.figures) {
      const auto& f = *run.figures;
      ++with_figures;
      read += f.events_read, rejected += f.events_rejected, loaded += f.rows_loaded;
      objects += f.objects, bytes += f.bytes;
      phase_ms[0] += f.extract_ms, phase_ms[1] += f.transform_ms, phase_ms[2] += f.load_ms,
          phase_ms[3] += f.derive_ms;
    }
    if (run.status == "succeeded") {
      last_success_at = std::max(last_success_at, run.finished_at_us.value_or(run.started_at_us));
      last_success_date = std::max(last_success_date, run.lake_date);
    }
  }

  std::string out;
  family(out, "d2d_runs", "gauge", "Runs in the etl_run ledger, by status.");
  for (const auto& [status, count] : by_status)
    out += fmt::format("d2d_runs{{status=\"{}\"}} {}\n", status, count);
  family(out, "d2d_events_read_total", "counter", "Event lines read, summed over runs whose load committed.");
  out += fmt::format("d2d_events_read_total {}\n", read);
  family(out, "d2d_events_rejected_total", "counter",
         "Event lines rejected, summed over runs whose load committed.");
  out += fmt::format("d2d_events_rejected_total {}\n", rejected);
  family(out, "d2d_rows_loaded_total", "counter",
         "Location rows loaded, summed over runs whose load committed.");
  out += fmt::format("d2d_rows_loaded_total {}\n", loaded);
  family(out, "d2d_objects_total", "counter",
         "Source objects extracted, summed over runs whose load committed.");
  out += fmt::format("d2d_objects_total {}\n", objects);
  family(out, "d2d_bytes_total", "counter", "Source bytes extracted, summed over runs whose load committed.");
  out += fmt::format("d2d_bytes_total {}\n", bytes);
  family(out, "d2d_phase_duration_seconds", "summary",
         "Time spent in each phase by runs whose load committed.");
  constexpr std::array<std::string_view, 4> kPhases = {"extract", "transform", "load", "derive"};
  for (std::size_t p = 0; p < kPhases.size(); ++p) {
    out += fmt::format("d2d_phase_duration_seconds_sum{{phase=\"{}\"}} {:.3f}\n", kPhases[p],
                       static_cast<double>(phase_ms[p]) / 1000.0);
    out += fmt::format("d2d_phase_duration_seconds_count{{phase=\"{}\"}} {}\n", kPhases[p], with_figures);
  }
  family(out, "d2d_last_success_timestamp_seconds", "gauge",
         "When the newest succeeded run finished (Unix time; 0 when none has).");
  out +=
      fmt::format("d2d_last_success_timestamp_seconds {:.3f}\n", static_cast<double>(last_success_at) / 1e6);
  family(out, "d2d_last_success_lake_date_timestamp_seconds", "gauge",
         "Midnight UTC of the newest lake date with a succeeded run (Unix time; 0 when none has).");
  const auto day = core::parse_date(last_success_date);
  out += fmt::format("d2d_last_success_lake_date_timestamp_seconds {}\n", day ? *day * 86400 : 0);
  // Freshness (SPEC §8): from the warehouse itself, not the ledger. No sample while it holds no fix.
  const auto lag = freshness.lag_us();
  family(out, "d2d_newest_fix_timestamp_seconds", "gauge",
         "The newest location.at the warehouse holds (Unix time).");
  if (lag) {
    out += fmt::format("d2d_newest_fix_timestamp_seconds {:.6f}\n",
                       static_cast<double>(*freshness.newest_fix_at) / 1e6);
  }
  family(out, "d2d_freshness_seconds", "gauge",
         "How far the newest fix the warehouse holds lags behind now (seconds; negative: fixes from the "
         "future).");
  if (lag) out += fmt::format("d2d_freshness_seconds {:.3f}\n", static_cast<double>(*lag) / 1e6);

  if (scheduler) {
    family(out, "d2d_scheduler_running", "gauge", "1 while the scheduler runs a lake date.");
    out += fmt::format("d2d_scheduler_running {}\n", scheduler->running ? 1 : 0);
    family(out, "d2d_scheduler_owed_dates", "gauge",
           "Lake dates the schedule owes a run (including retries).");
    out += fmt::format("d2d_scheduler_owed_dates {}\n", scheduler->last_plan.owed.size());
    family(out, "d2d_scheduler_given_up_dates", "gauge",
           "Lake dates whose retries are spent without success.");
    out += fmt::format("d2d_scheduler_given_up_dates {}\n", scheduler->last_plan.given_up.size());
    family(out, "d2d_scheduler_runs_total", "counter", "Runs this scheduler process started, by outcome.");
    out += fmt::format("d2d_scheduler_runs_total{{outcome=\"succeeded\"}} {}\n", scheduler->runs_succeeded);
    out += fmt::format("d2d_scheduler_runs_total{{outcome=\"failed\"}} {}\n", scheduler->runs_failed);
  }
  return out;
}

}  // namespace d2d::server
