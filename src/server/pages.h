// The pages `d2d serve` renders: server-side HTML with inline CSS and SVG, no scripts and no
// external assets, so they work offline and behind any proxy. Every function is pure: the
// data comes in, a complete document comes out; tests/unit/server/pages_test.cpp and
// status_page_test.cpp call them without a server.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "server/scheduler.h"
#include "warehouse/warehouse.h"

namespace d2d::server {

// A phase's state in the grid, named after Airflow's task states.
// UpstreamFailed: not reached, because an earlier phase of the run failed.
enum class CellState { Success, Failed, Running, UpForRetry, Queued, UpstreamFailed };
std::string_view cell_state_name(CellState state);

// SPEC §8: how fresh the answers are.
struct Freshness {
  std::optional<core::UtcMicros> newest_fix_at;  // the newest location.at loaded; nullopt: none yet
  core::UtcMicros now = 0;
  // How far the newest fix lags behind now (negative when the warehouse holds fixes stamped after now).
  std::optional<core::UtcMicros> lag_us() const {
    if (!newest_fix_at) return std::nullopt;
    return now - *newest_fix_at;
  }
};

struct StatusPageData {
  std::vector<warehouse::RunRecord> runs;        // the whole ledger, by date then run id
  std::string selected_date;                     // details shown for this date ("" = none)
  std::vector<warehouse::RejectReason> rejects;  // of selected_date
  std::optional<SchedulerState> scheduler;       // absent with --no-scheduler
  core::UtcMicros now = 0;
  std::optional<core::UtcMicros> newest_fix_at;  // Freshness, with `now`
  std::string before;  // the grid shows the newest dates before this one ("" = the newest dates)
  int refresh_s = 0;   // > 0: the page reloads itself that often
};
// The grid's page size: like Airflow's default of 25 runs, a month fits.
inline constexpr std::size_t kGridDates = 30;
// What the page's "refresh" link asks for; ?refresh=N takes 5 to 3600.
inline constexpr int kDefaultRefreshS = 30;
std::string render_status_page(const StatusPageData& data);

struct TrackDrawing {
  warehouse::PeriodVehicle vehicle;
  warehouse::VehicleTrack track;
};
struct ReportPageData {
  std::vector<warehouse::PeriodAnswer> answers;
  std::string selected_period;  // "" when there is nothing to draw
  bool period_found = false;    // selected_period is a live period
  std::vector<TrackDrawing> tracks;
  std::size_t vehicles_total = 0;  // in the period; tracks may show fewer
};
std::string render_report_page(const ReportPageData& data);

// Prometheus text exposition format 0.0.4, from the ledger (and the scheduler when it runs), with
// the warehouse's freshness when it is known.
std::string render_metrics(const std::vector<warehouse::RunRecord>& runs,
                           const std::optional<SchedulerState>& scheduler, const Freshness& freshness = {});

}  // namespace d2d::server
