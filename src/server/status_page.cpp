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

using warehouse::RunRecord;

constexpr std::size_t kGridDates = 30;  // like Airflow's default of 25 runs, a month fits
constexpr std::array<std::string_view, 4> kPhases = {"extract", "transform", "load", "derive"};

struct DateColumn {
  std::string date;
  const RunRecord* latest = nullptr;  // null when owed but never run
  int runs = 0;
  bool owed = false;  // the scheduler still owes this date a run (waiting or retrying)
};

// The state of each phase of a date's latest run. The ledger records figures only when the load
// committed, so a run that failed before has no phase of its own: all four show failed. A run
// failed on the reject ratio stored everything: only transform, whose output it judges, is red.
std::array<CellState, 4> phase_states(const DateColumn& column) {
  std::array<CellState, 4> states{};
  if (column.latest == nullptr) {
    states.fill(CellState::Queued);
    return states;
  }
  const RunRecord& run = *column.latest;
  if (run.status == "running") {
    states.fill(CellState::Running);
  } else if (run.status == "succeeded") {
    states.fill(CellState::Success);
  } else {
    const CellState failed = column.owed ? CellState::UpForRetry : CellState::Failed;
    states.fill(failed);
    if (run.figures) states = {CellState::Success, failed, CellState::Success, CellState::Success};
  }
  return states;
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

std::vector<DateColumn> grid_columns(const StatusPageData& data) {
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
    if (data.scheduler->running) by_date[*data.scheduler->running].date = *data.scheduler->running;
  }
  std::vector<DateColumn> columns;
  columns.reserve(by_date.size());
  for (auto& [date, column] : by_date) columns.push_back(column);
  if (columns.size() > kGridDates) columns.erase(columns.begin(), columns.end() - kGridDates);
  return columns;
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

std::string render_grid(const std::vector<DateColumn>& columns, const std::string& selected) {
  std::int64_t longest_ms = 1;
  for (const auto& column : columns) {
    if (column.latest != nullptr) longest_ms = std::max(longest_ms, total_ms(*column.latest));
  }
  std::string head = "<tr><th></th>", bars = "<tr><th class=\"phase\">run</th>";
  std::array<std::string, 4> rows;
  for (std::size_t p = 0; p < kPhases.size(); ++p)
    rows[p] = fmt::format("<tr><th class=\"phase\">{}</th>", kPhases[p]);
  for (const DateColumn& column : columns) {
    const std::string link = "/?date=" + url_encode(column.date);
    head += fmt::format("<th class=\"date{}\">{}</th>", column.date == selected ? " selected" : "",
                        html_escape(column.date));
    const auto states = phase_states(column);
    // The run bar: height by duration, coloured by the run's state (Airflow's DAG-run bar).
    CellState run_state = states[1];
    if (std::find(states.begin(), states.end(), CellState::Failed) != states.end())
      run_state = CellState::Failed;
    const std::int64_t ms = column.latest != nullptr ? total_ms(*column.latest) : 0;
    const int height = 4 + static_cast<int>(40.0 * static_cast<double>(ms) / static_cast<double>(longest_ms));
    bars += fmt::format(
        "<td class=\"bar\"><a href=\"{}\" title=\"{}\"><span class=\"runbar {}\" style=\"height:{}px\" "
        "data-date=\"{}\" data-state=\"{}\"></span></a></td>",
        link, cell_title(column, "run", run_state), cell_state_name(run_state), height,
        html_escape(column.date), cell_state_name(run_state));
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
                                CellState::Failed, CellState::Queued}) {
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
  return out + "</p>";
}

std::string render_run_rows(const std::vector<const RunRecord*>& runs) {
  std::string out =
      "<table class=\"data runs\"><tr><th>run</th><th>lake date</th><th>status</th><th>started</th>"
      "<th class=\"num\">extract</th><th class=\"num\">transform</th><th class=\"num\">load</th>"
      "<th class=\"num\">derive</th><th class=\"num\">objects</th><th class=\"num\">events</th>"
      "<th class=\"num\">rejected</th><th class=\"num\">rows loaded</th><th class=\"num\">periods</th></tr>";
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

}  // namespace

std::string_view cell_state_name(CellState state) {
  switch (state) {
    case CellState::Success: return "success";
    case CellState::Failed: return "failed";
    case CellState::Running: return "running";
    case CellState::UpForRetry: return "up_for_retry";
    case CellState::Queued: return "queued";
  }
  return "queued";
}

std::string render_status_page(const StatusPageData& data) {
  const auto columns = grid_columns(data);
  std::string body = "<section><h2>Lake dates × phases</h2>";
  body += render_scheduler(data.scheduler, data.now);
  body += columns.empty() ? "<p class=\"muted\">The ledger is empty: no lake date has run yet.</p>"
                          : render_grid(columns, data.selected_date);
  body += "</section>";

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
            "<div><b>{}</b><span>periods derived</span></div><div><b>{}</b><span>total "
            "time</span></div></div>",
            display_count(f.objects), display_count(f.events_read), display_count(f.events_rejected),
            display_count(f.rows_loaded), display_count(f.periods_derived),
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
  return page_document("Status", "/", body);
}

}  // namespace d2d::server
