// `/`: a grid of lake dates x phases like Airflow's grid view, then the selected date's runs
// and reject reasons with sample lines.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <map>
#include <set>

#include "server/html.h"
#include "server/pages.h"

namespace d2d::server {
namespace {

using warehouse::RunPhase;
using warehouse::RunRecord;

// The grid's rows, named as etl_run.phase names them.
constexpr std::array<std::string_view, 4> kPhases = {
    warehouse::run_phase_name(RunPhase::Extract), warehouse::run_phase_name(RunPhase::Transform),
    warehouse::run_phase_name(RunPhase::Load), warehouse::run_phase_name(RunPhase::Derive)};

struct DateColumn {
  std::string date;
  const RunRecord* latest = nullptr;  // null when owed but never run
  int runs = 0;
  bool owed = false;                   // the scheduler still owes this date a run (waiting or retrying)
  std::optional<RunPhase> live_phase;  // the scheduler is running this date, in this phase
};

// The state of each phase of a date's latest run. The ledger records the phase a run is in and
// the one it failed in: phases before it succeeded, later ones were not reached (or, after a
// reject-ratio failure, which judges transform's output once everything is stored, did their work).
// Runs recorded before the phase column mark all four phases, or transform when figures exist.
std::array<CellState, 4> phase_states(const DateColumn& column) {
  std::array<CellState, 4> states{};
  if (column.latest == nullptr) {
    states.fill(CellState::Queued);
    return states;
  }
  const RunRecord& run = *column.latest;
  // The scheduler's own run is seen live; the ledger shows `transform` until the load commits.
  const std::optional<RunPhase> phase = column.live_phase ? column.live_phase : run.phase;
  auto around = [&](CellState before, CellState at, CellState after) {
    for (std::size_t p = 0; p < kPhases.size(); ++p) {
      const auto index = static_cast<std::size_t>(*phase);
      states[p] = p < index ? before : p == index ? at : after;
    }
  };
  if (run.status == "running") {
    if (phase) {
      around(CellState::Success, CellState::Running, CellState::Queued);
    } else {
      states.fill(CellState::Running);
    }
  } else if (run.status == "succeeded") {
    states.fill(CellState::Success);
  } else {
    const CellState failed = column.owed ? CellState::UpForRetry : CellState::Failed;
    if (phase) {
      around(CellState::Success, failed, run.figures ? CellState::Success : CellState::UpstreamFailed);
    } else {
      states.fill(failed);
      if (run.figures) states = {CellState::Success, failed, CellState::Success, CellState::Success};
    }
  }
  return states;
}

// The run bar's colour: the worst of its phases.
CellState run_state(const std::array<CellState, 4>& states) {
  for (const CellState worst :
       {CellState::Failed, CellState::UpForRetry, CellState::Running, CellState::Queued}) {
    if (std::find(states.begin(), states.end(), worst) != states.end()) return worst;
  }
  return CellState::Success;
}

std::int64_t phase_ms(const warehouse::RunFigures& f, std::size_t phase) {
  const std::array<std::int64_t, 4> ms = {f.extract_ms, f.transform_ms, f.load_ms, f.derive_ms};
  return ms[phase];
}

std::int64_t total_ms(const RunRecord& run) {
  if (run.figures) {
    const auto& f = *run.figures;
    return f.extract_ms + f.transform_ms + f.load_ms + f.derive_ms;
  }
  if (run.finished_at_us) return (*run.finished_at_us - run.started_at_us) / 1000;
  return 0;
}

std::string run_status_badge(const RunRecord& run) {
  return fmt::format("<span class=\"badge {0}\">{0}</span>", html_escape(run.status));
}

// Every date of the ledger and the plan, oldest first.
std::vector<DateColumn> all_columns(const StatusPageData& data) {
  std::map<std::string, DateColumn> by_date;
  for (const RunRecord& run : data.runs) {
    DateColumn& column = by_date[run.lake_date];
    column.date = run.lake_date;
    if (column.latest == nullptr || run.run_id > column.latest->run_id) column.latest = &run;
    ++column.runs;
  }
  if (data.scheduler) {
    for (const std::string& date : data.scheduler->last_plan.owed) {
      DateColumn& column = by_date[date];
      column.date = date;
      column.owed = true;
    }
    if (data.scheduler->running) {
      DateColumn& column = by_date[*data.scheduler->running];
      column.date = *data.scheduler->running;
      // Only while the ledger's latest run of the date is the scheduler's (it is written first).
      if (column.latest != nullptr && column.latest->status == "running")
        column.live_phase = data.scheduler->running_phase;
    }
  }
  std::vector<DateColumn> columns;
  columns.reserve(by_date.size());
  for (auto& [date, column] : by_date) columns.push_back(column);
  return columns;
}

// One page of the grid: the kGridDates newest dates before `before` (all dates when empty), and
// where the older and newer pages start ("" when there is none; newer "" + has_newer = the newest).
struct GridPage {
  std::vector<DateColumn> columns;
  std::string older_before;
  bool has_newer = false;
  std::string newer_before;
};

GridPage grid_page(std::vector<DateColumn> all, const std::string& before) {
  GridPage page;
  const auto end =
      before.empty() ? all.end()
                     : std::lower_bound(all.begin(), all.end(), before,
                                        [](const DateColumn& c, const std::string& d) { return c.date < d; });
  const auto begin =
      end - std::min<std::ptrdiff_t>(end - all.begin(), static_cast<std::ptrdiff_t>(kGridDates));
  page.columns.assign(begin, end);
  if (begin != all.begin()) page.older_before = begin->date;
  page.has_newer = end != all.end();
  if (page.has_newer && all.end() - end > static_cast<std::ptrdiff_t>(kGridDates))
    page.newer_before = (end + static_cast<std::ptrdiff_t>(kGridDates))->date;
  return page;
}

// A link to the status page that keeps the other parameters.
std::string status_link(const std::string& before, const std::string& date, int refresh_s) {
  std::string query;
  auto add = [&query](std::string_view name, const std::string& value) {
    if (value.empty()) return;
    query += (query.empty() ? "?" : "&amp;") + std::string(name) + "=" + url_encode(value);
  };
  add("before", before);
  add("date", date);
  add("refresh", refresh_s > 0 ? std::to_string(refresh_s) : "");
  return "/" + query;
}

std::string cell_title(const DateColumn& column, std::string_view phase, CellState state) {
  std::string title = fmt::format("{} · {} · {}", column.date, phase, cell_state_name(state));
  if (column.latest != nullptr) {
    const RunRecord& run = *column.latest;
    title += fmt::format(" · run {}", run.run_id);
    if (run.figures && phase != "run") {
      const auto index =
          static_cast<std::size_t>(std::find(kPhases.begin(), kPhases.end(), phase) - kPhases.begin());
      if (index < kPhases.size()) title += " · " + display_duration_ms(phase_ms(*run.figures, index));
    }
    if (run.error) title += " · " + *run.error;
  }
  return html_escape(title);
}

std::string render_grid(const std::vector<DateColumn>& columns, const std::string& selected,
                        const std::string& before, int refresh_s) {
  std::int64_t longest_ms = 1;
  for (const auto& column : columns) {
    if (column.latest != nullptr) longest_ms = std::max(longest_ms, total_ms(*column.latest));
  }
  std::string head = "<tr><th></th>", bars = "<tr><th class=\"phase\">run</th>";
  std::array<std::string, 4> rows;
  for (std::size_t p = 0; p < kPhases.size(); ++p)
    rows[p] = fmt::format("<tr><th class=\"phase\">{}</th>", kPhases[p]);
  for (const DateColumn& column : columns) {
    const std::string link = status_link(before, column.date, refresh_s);
    head += fmt::format("<th class=\"date{}\">{}</th>", column.date == selected ? " selected" : "",
                        html_escape(column.date));
    const auto states = phase_states(column);
    // The run bar: height by duration, coloured by the run's state (Airflow's DAG-run bar).
    const CellState bar_state = run_state(states);
    const std::int64_t ms = column.latest != nullptr ? total_ms(*column.latest) : 0;
    const int height = 4 + static_cast<int>(40.0 * static_cast<double>(ms) / static_cast<double>(longest_ms));
    bars += fmt::format(
        "<td class=\"bar\"><a href=\"{}\" title=\"{}\"><span class=\"runbar {}\" style=\"height:{}px\" "
        "data-date=\"{}\" data-state=\"{}\"></span></a></td>",
        link, cell_title(column, "run", bar_state), cell_state_name(bar_state), height,
        html_escape(column.date), cell_state_name(bar_state));
    for (std::size_t p = 0; p < kPhases.size(); ++p) {
      rows[p] += fmt::format(
          "<td><a href=\"{}\" title=\"{}\"><span class=\"cell {}\" data-date=\"{}\" data-phase=\"{}\" "
          "data-state=\"{}\"></span></a></td>",
          link, cell_title(column, kPhases[p], states[p]), cell_state_name(states[p]),
          html_escape(column.date), kPhases[p], cell_state_name(states[p]));
    }
  }
  std::string out = "<table class=\"grid\" id=\"grid\">" + head + "</tr>" + bars + "</tr>";
  for (auto& row : rows) out += row + "</tr>";
  out += "</table><p class=\"legend muted\">";
  for (const CellState state : {CellState::Success, CellState::Running, CellState::UpForRetry,
                                CellState::Failed, CellState::UpstreamFailed, CellState::Queued}) {
    out += fmt::format("<span class=\"cell {0}\"></span>{0}", cell_state_name(state));
  }
  return out + "</p>";
}

std::string render_scheduler(const std::optional<SchedulerState>& scheduler, core::UtcMicros now) {
  if (!scheduler) {
    return "<p class=\"muted\">Scheduler off (<code>--no-scheduler</code>): runs come from elsewhere, e.g. "
           "Airflow.</p>";
  }
  const Plan& plan = scheduler->last_plan;
  std::string doing = scheduler->running
                          ? fmt::format("running lake date <b>{}</b>", html_escape(*scheduler->running))
                          : std::string("idle");
  std::string out = fmt::format("<p id=\"scheduler\">Scheduler: {}. ", doing);
  if (!plan.owed.empty()) out += fmt::format("{} date(s) owed a run. ", plan.owed.size());
  if (!plan.given_up.empty()) {
    out += fmt::format("<b>{} date(s) given up</b> after their retries ({}). ", plan.given_up.size(),
                       html_escape(plan.given_up.back()));
  }
  if (plan.wake_at > now) out += fmt::format("Next check {}.", html_escape(display_time(plan.wake_at)));
  out += "</p>";
  if (plan.skipped) {
    // Not run by serve (bounded catch-up), so the page names the command that loads them.
    out += fmt::format(
        "<p class=\"error\" id=\"skipped\"><b>{} older lake date(s) skipped</b>, {} to {}: older than the "
        "catch-up window. Load them with <code>d2d backfill --from {} --to {}</code>.</p>",
        plan.skipped->count, html_escape(plan.skipped->from), html_escape(plan.skipped->to),
        html_escape(plan.skipped->from), html_escape(plan.skipped->to));
  }
  return out;
}

// Issue 15: identical loads of one date showed 26, then 20. The count is of the periods this run
// re-derived, which depends on what the warehouse already held, not only on the date's data.
constexpr std::string_view kPeriodsDerivedTitle =
    "operating periods this run re-derived: those whose own events it changed, plus live periods "
    "meeting a UTC day whose fixes it changed. It depends on what the warehouse held before the run "
    "(a re-run, or a date loaded after its neighbours, re-derives fewer), so it is not the number of "
    "periods of the lake date";

std::string render_run_rows(const std::vector<const RunRecord*>& runs) {
  std::string out = fmt::format(
      "<table class=\"data runs\"><tr><th>run</th><th>lake date</th><th>status</th><th>started</th>"
      "<th class=\"num\">extract</th><th class=\"num\">transform</th><th class=\"num\">load</th>"
      "<th class=\"num\">derive</th><th class=\"num\">objects</th><th class=\"num\">events</th>"
      "<th class=\"num\">rejected</th><th class=\"num\">rows loaded</th><th class=\"num periods\" "
      "title=\"{}\">periods "
      "re-derived</th></tr>",
      kPeriodsDerivedTitle);
  for (const RunRecord* run : runs) {
    out += fmt::format(
        "<tr data-run=\"{}\"><td>{}</td><td class=\"date\"><a href=\"/?date={}\">{}</a></td><td>{}</td>"
        "<td class=\"time\">{}</td>",
        run->run_id, run->run_id, url_encode(run->lake_date), html_escape(run->lake_date),
        run_status_badge(*run), html_escape(display_time(run->started_at_us)));
    if (run->figures) {
      const auto& f = *run->figures;
      for (std::size_t p = 0; p < kPhases.size(); ++p) {
        out += fmt::format("<td class=\"num\">{}</td>", display_duration_ms(phase_ms(f, p)));
      }
      out += fmt::format(
          "<td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td "
          "class=\"num\">{}</td>"
          "<td class=\"num\">{}</td>",
          display_count(f.objects), display_count(f.events_read), display_count(f.events_rejected),
          display_count(f.rows_loaded), display_count(f.periods_derived));
    } else {
      out +=
          fmt::format("<td class=\"num muted\" colspan=\"9\">{}</td>",
                      run->unchanged ? "unchanged: same raw zone and code as the last success, nothing loaded"
                                     : "no figures recorded");
    }
    out += "</tr>";
    // The reason gets a row of its own: it is often long (paths, SQL messages).
    if (run->error)
      out += fmt::format("<tr><td></td><td colspan=\"12\" class=\"error\">{}</td></tr>",
                         html_escape(*run->error));
  }
  return out + "</table>";
}

std::string render_rejects(const std::string& date, const std::vector<warehouse::RejectReason>& rejects) {
  if (rejects.empty())
    return fmt::format("<p class=\"muted\">No rejected lines for {}.</p>", html_escape(date));
  std::string out =
      "<table class=\"data rejects\"><tr><th>reason</th><th class=\"num\">lines</th><th>samples</th></tr>";
  for (const auto& reason : rejects) {
    out +=
        fmt::format("<tr data-reason=\"{0}\"><td><code>{0}</code></td><td class=\"num\">{1}</td><td>",
                    html_escape(reason.reason_code), display_count(static_cast<std::uint64_t>(reason.count)));
    for (std::size_t i = 0; i < reason.samples.size(); ++i) {
      const auto& sample = reason.samples[i];
      // The first sample is shown; the others fold away, so that many reasons stay readable.
      if (i == 1)
        out += fmt::format("<details><summary class=\"muted\">{} more</summary>", reason.samples.size() - 1);
      out += fmt::format(
          "<div class=\"muted\">{}:{} — {}</div><pre class=\"raw\">{}{}</pre>", html_escape(sample.source),
          sample.line, html_escape(sample.reason), html_escape(sample.raw),
          sample.raw_length > sample.raw.size() ? fmt::format(" … ({} bytes in all)", sample.raw_length)
                                                : std::string());
    }
    if (reason.samples.size() > 1) out += "</details>";
    out += "</td></tr>";
  }
  return out + "</table>";
}

// A lag as people read it: seconds and minutes for minutes, hours for a day or two, then days.
std::string display_lag(core::UtcMicros lag_us) {
  const std::int64_t minutes = lag_us / core::kMicrosPerMinute;
  if (minutes < 60) return display_duration_ms(lag_us / 1000);
  if (minutes < 48 * 60) return fmt::format("{} h {} min", minutes / 60, minutes % 60);
  return fmt::format("{} d {} h", minutes / (24 * 60), minutes / 60 % 24);
}

// SPEC §8: the newest fix loaded and how far it lags behind now.
std::string render_freshness(const Freshness& freshness) {
  const auto lag = freshness.lag_us();
  if (!lag) return "<p class=\"muted\" id=\"freshness\">No fix loaded yet.</p>";
  const std::string behind = *lag >= 0 ? display_lag(*lag) + " behind now"
                                       : display_lag(-*lag) + " ahead of now (fixes from the future)";
  return fmt::format("<p id=\"freshness\">Newest fix loaded: <b>{}</b> ({})</p>",
                     display_time(*freshness.newest_fix_at), behind);
}

}  // namespace

std::string_view cell_state_name(CellState state) {
  switch (state) {
    case CellState::Success: return "success";
    case CellState::Failed: return "failed";
    case CellState::Running: return "running";
    case CellState::UpForRetry: return "up_for_retry";
    case CellState::Queued: return "queued";
    case CellState::UpstreamFailed: return "upstream_failed";
  }
  return "queued";
}

std::string render_status_page(const StatusPageData& data) {
  const GridPage page = grid_page(all_columns(data), data.before);
  std::string body = "<section><h2>Lake dates × phases</h2>";
  body += render_freshness(Freshness{data.newest_fix_at, data.now});
  body += render_scheduler(data.scheduler, data.now);
  if (page.columns.empty()) {
    body += data.before.empty()
                ? "<p class=\"muted\">The ledger is empty: no lake date has run yet.</p>"
                : fmt::format("<p class=\"muted\">No lake date before {}.</p>", html_escape(data.before));
  } else {
    body += render_grid(page.columns, data.selected_date, data.before, data.refresh_s);
  }
  // Paging and refreshing are links, not scripts: each state of the page has its own URL.
  body += "<p class=\"pager\">";
  if (!page.older_before.empty()) {
    body += fmt::format("<a id=\"older\" href=\"{}\">← older dates</a>",
                        status_link(page.older_before, data.selected_date, data.refresh_s));
  }
  if (page.has_newer) {
    body += fmt::format("<a id=\"newer\" href=\"{}\">newer dates →</a>",
                        status_link(page.newer_before, data.selected_date, data.refresh_s));
  }
  body += data.refresh_s > 0
              ? fmt::format("<a id=\"refresh\" href=\"{}\">stop refreshing (every {} s)</a>",
                            status_link(data.before, data.selected_date, 0), data.refresh_s)
              : fmt::format("<a id=\"refresh\" href=\"{}\">refresh every {} s</a>",
                            status_link(data.before, data.selected_date, kDefaultRefreshS), kDefaultRefreshS);
  body += "</p></section>";

  if (!data.selected_date.empty()) {
    std::vector<const RunRecord*> of_date;
    for (const RunRecord& run : data.runs) {
      if (run.lake_date == data.selected_date) of_date.push_back(&run);
    }
    std::reverse(of_date.begin(), of_date.end());
    body +=
        fmt::format("<section id=\"date-details\"><h2>Lake date {}</h2>", html_escape(data.selected_date));
    if (!of_date.empty()) {
      const auto* latest = of_date.front();
      if (latest->objects_refused > 0) {
        body += fmt::format(
            "<p class=\"error refused\"><b>{} source object(s) refused</b>: their keys could not be used as "
            "paths in the lake (<code>..</code> or <code>.</code> segments, a leading <code>/</code>, a "
            "backslash or control characters) and were skipped; the run's log names them.</p>",
            display_count(latest->objects_refused));
      }
      if (latest->figures) {
        const auto& f = *latest->figures;
        body += fmt::format(
            "<div class=\"kv\"><div><b>{}</b><span>objects</span></div><div><b>{}</b><span>events "
            "read</span></div>"
            "<div><b>{}</b><span>rejected</span></div><div><b>{}</b><span>location rows</span></div>"
            "<div title=\"{}\"><b>{}</b><span>periods re-derived</span></div><div><b>{}</b><span>total "
            "time</span></div></div>",
            display_count(f.objects), display_count(f.events_read), display_count(f.events_rejected),
            display_count(f.rows_loaded), kPeriodsDerivedTitle, display_count(f.periods_derived),
            display_duration_ms(total_ms(*latest)));
      }
      body += "<h3>Runs</h3>" + render_run_rows(of_date);
    } else {
      body += "<p class=\"muted\">No run yet.</p>";
    }
    body += "<h3>Reject reasons</h3>" + render_rejects(data.selected_date, data.rejects) + "</section>";
  }

  std::vector<const RunRecord*> recent;
  for (auto it = data.runs.rbegin(); it != data.runs.rend(); ++it) recent.push_back(&*it);
  std::sort(recent.begin(), recent.end(),
            [](const RunRecord* a, const RunRecord* b) { return a->run_id > b->run_id; });
  if (recent.size() > 20) recent.resize(20);
  body += "<section><h2>Latest runs</h2>" + render_run_rows(recent) + "</section>";
  return page_document("Status", "/", body, data.refresh_s);
}

}  // namespace d2d::server
