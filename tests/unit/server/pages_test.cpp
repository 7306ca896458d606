// The renderers of `d2d serve` (server/pages.h), called without a server: untrusted text comes
// out escaped, the report marks answers a failed reject gate may have left partial, the status
// page says what the scheduler is doing, and /metrics sums only runs whose load committed.
// (The grid's phase marking, paging and refused objects: status_page_test.cpp.)
#include "server/pages.h"

#include <gtest/gtest.h>

#include <initializer_list>

namespace d2d::server {
namespace {

using warehouse::RunPhase;
using warehouse::RunRecord;

core::UtcMicros utc(const char* text) { return *core::parse_rfc3339(text); }

warehouse::PeriodAnswer answer(std::string id, std::int64_t vehicles, double avg_distance_m) {
  warehouse::PeriodAnswer a;
  a.operating_period_id = std::move(id);
  a.vehicles = vehicles;
  a.avg_distance_m = avg_distance_m;
  a.total_distance_m = avg_distance_m * static_cast<double>(vehicles);
  return a;
}

RunRecord run(std::int64_t id, const char* date, const char* status, const char* started,
              std::optional<RunPhase> phase = std::nullopt) {
  RunRecord r;
  r.run_id = id;
  r.lake_date = date;
  r.status = status;
  r.started_at_us = utc(started);
  r.phase = phase;
  return r;
}

RunRecord finished(RunRecord r, const char* at, std::optional<std::string> error = std::nullopt) {
  r.finished_at_us = utc(at);
  r.error = std::move(error);
  return r;
}

// Text a hostile writer can put in an id, a key or a line, and what it must become on a page.
constexpr std::string_view kHostile = "<script>alert(\"x&y\")</script>'";
constexpr std::string_view kHostileEscaped = "&lt;script&gt;alert(&quot;x&amp;y&quot;)&lt;/script&gt;&#39;";

std::size_t occurrences(const std::string& text, std::string_view needle) {
  std::size_t count = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++count;
  return count;
}

// The pages carry no scripts at all: any "<script" is text that escaped its escaping.
void expect_no_markup_from(const std::string& page) {
  EXPECT_EQ(page.find("<script"), std::string::npos) << page;
}

TEST(ReportPage, EscapesHostilePeriodAndVehicleIds) {
  ReportPageData data;
  data.answers = {answer(std::string(kHostile), 1, 1234.0)};
  data.selected_period = std::string(kHostile);
  data.period_found = true;
  data.vehicles_total = 1;
  TrackDrawing drawing;
  drawing.vehicle = {.vehicle_id = std::string(kHostile), .distance_m = 1234.0, .updates = 2};
  drawing.track.vehicle_id = std::string(kHostile);
  drawing.track.start_us = utc("2019-06-01T08:00:00Z");
  drawing.track.finish_us = utc("2019-06-01T18:00:00Z");
  drawing.track.fixes = {{utc("2019-06-01T09:00:00Z"), 52.50, 13.40},
                         {utc("2019-06-01T09:05:00Z"), 52.51, 13.41}};
  data.tracks = {drawing};
  const std::string page = render_report_page(data);
  expect_no_markup_from(page);
  // The bar's label, title and data attribute, the tracks' heading; the track's attribute and caption.
  EXPECT_GE(occurrences(page, kHostileEscaped), 6U) << page;
  EXPECT_NE(page.find("data-period=\"" + std::string(kHostileEscaped) + "\""), std::string::npos);
  EXPECT_NE(page.find("data-vehicle=\"" + std::string(kHostileEscaped) + "\""), std::string::npos);
  EXPECT_NE(page.find("href=\"/report?period=%3Cscript%3Ealert%28%22x%26y%22%29%3C%2Fscript%3E%27\""),
            std::string::npos);

  // ?period= is the visitor's text: a period that is not there is named, escaped, too.
  data.answers.clear();
  data.tracks.clear();
  data.period_found = false;
  const std::string missing = render_report_page(data);
  expect_no_markup_from(missing);
  EXPECT_NE(missing.find("No live operating period " + std::string(kHostileEscaped) + "."), std::string::npos)
      << missing;
}

TEST(ReportPage, MarksAnswersWhoseRejectGateFailed) {
  ReportPageData data;
  data.answers = {answer("p_partial", 2, 900.0), answer("p_whole", 1, 1500.0)};
  std::string page = render_report_page(data);
  EXPECT_EQ(page.find("gate-mark"), std::string::npos) << page;
  EXPECT_EQ(page.find("id=\"gate-note\""), std::string::npos);

  data.answers[0].reject_gate_failed = true;
  page = render_report_page(data);
  EXPECT_EQ(occurrences(page, "class=\"gate-mark\""), 1U) << page;
  EXPECT_NE(page.find(">p_partial<tspan class=\"gate-mark\""), std::string::npos) << page;
  EXPECT_NE(page.find(">p_whole</text>"), std::string::npos);
  EXPECT_NE(page.find("id=\"gate-note\""), std::string::npos);
  EXPECT_NE(page.find("failed its reject gate"), std::string::npos);
}

TEST(StatusPage, EscapesRunErrorsAndRejectedLines) {
  StatusPageData data;
  data.now = utc("2019-06-02T03:00:00Z");
  data.selected_date = "2019-06-01";
  data.runs = {finished(run(1, "2019-06-01", "failed", "2019-06-02T02:00:00Z", RunPhase::Extract),
                        "2019-06-02T02:00:01Z", "cannot read " + std::string(kHostile))};
  // A rejected line may hold any bytes: markup, invalid UTF-8 (0xFF), control characters (0x01).
  warehouse::RejectSample sample{.source = "raw/" + std::string(kHostile) + ".ndjson",
                                 .line = 3,
                                 .reason = "unexpected " + std::string(kHostile),
                                 .raw = "{\"id\":\"" + std::string(kHostile) + "\"}\xff\x01",
                                 .raw_length = 9000};
  data.rejects = {{.reason_code = std::string(kHostile), .count = 1, .samples = {sample}}};
  const std::string page = render_status_page(data);
  expect_no_markup_from(page);
  // The error in the cells' titles (four phases and the run bar) and its row in both run lists.
  EXPECT_GE(occurrences(page, "cannot read " + std::string(kHostileEscaped)), 7U) << page;
  EXPECT_NE(page.find("data-reason=\"" + std::string(kHostileEscaped) + "\""), std::string::npos);
  EXPECT_NE(page.find("raw/" + std::string(kHostileEscaped) + ".ndjson:3 — unexpected " +
                      std::string(kHostileEscaped)),
            std::string::npos);
  EXPECT_NE(page.find("<pre class=\"raw\">{&quot;id&quot;:&quot;" + std::string(kHostileEscaped) +
                      "&quot;}\xEF\xBF\xBD\xEF\xBF\xBD … (9000 bytes in all)</pre>"),
            std::string::npos)
      << page;
}

TEST(StatusPage, SaysWhatTheSchedulerRunsOwesAndGaveUp) {
  StatusPageData data;
  data.now = utc("2019-06-05T03:00:00Z");
  data.selected_date = "2019-06-04";
  data.runs = {finished(run(3, "2019-06-03", "failed", "2019-06-04T02:00:00Z", RunPhase::Load),
                        "2019-06-04T02:00:05Z", "load failed"),
               run(4, "2019-06-04", "running", "2019-06-05T02:00:00Z", RunPhase::Transform)};
  const std::string off = render_status_page(data);
  EXPECT_NE(off.find("Scheduler off"), std::string::npos);
  EXPECT_NE(off.find("data-date=\"2019-06-03\" data-phase=\"load\" data-state=\"failed\""),
            std::string::npos);

  data.scheduler = SchedulerState{};
  data.scheduler->running = "2019-06-04";
  data.scheduler->running_phase = RunPhase::Load;
  Plan& plan = data.scheduler->last_plan;
  plan.owed = {"2019-06-03", "2019-06-04", "2019-06-05"};
  plan.given_up = {"2019-05-30"};
  plan.wake_at = utc("2019-06-05T04:00:00Z");
  plan.skipped = Plan::Skipped{"2019-01-01", "2019-03-31", 90};
  const std::string page = render_status_page(data);
  EXPECT_NE(
      page.find("Scheduler: running lake date <b>2019-06-04</b>. 3 date(s) owed a run. <b>1 date(s) given "
                "up</b> after their retries (2019-05-30). Next check 2019-06-05 04:00:00 UTC."),
      std::string::npos)
      << page;
  EXPECT_NE(page.find("<b>90 older lake date(s) skipped</b>, 2019-01-01 to 2019-03-31"), std::string::npos);
  EXPECT_NE(page.find("<code>d2d backfill --from 2019-01-01 --to 2019-03-31</code>"), std::string::npos);
  // An owed failure waits for its retry; an owed date never run is queued; the running one's
  // cell titles name the live phase, and its row in the date's runs says it runs.
  EXPECT_NE(page.find("data-date=\"2019-06-03\" data-phase=\"load\" data-state=\"up_for_retry\""),
            std::string::npos);
  EXPECT_NE(page.find("data-date=\"2019-06-05\" data-phase=\"extract\" data-state=\"queued\""),
            std::string::npos);
  EXPECT_NE(page.find("title=\"2019-06-04 · load · running · run 4\""), std::string::npos) << page;
  EXPECT_NE(page.find("<span class=\"badge running\">running</span>"), std::string::npos);
  EXPECT_NE(page.find("no figures recorded"), std::string::npos);
}

// Whether `text` holds each of `lines` as a whole line.
void expect_lines(const std::string& text, std::initializer_list<std::string_view> lines) {
  const std::string framed = "\n" + text;
  for (const std::string_view line : lines) {
    EXPECT_NE(framed.find("\n" + std::string(line) + "\n"), std::string::npos) << line << "\nin\n" << text;
  }
}

warehouse::RunFigures figures(std::uint64_t events_read, std::uint64_t events_rejected, std::uint64_t rows,
                              std::int64_t each_phase_ms) {
  warehouse::RunFigures f;
  f.extract_ms = f.transform_ms = f.load_ms = f.derive_ms = each_phase_ms;
  f.objects = 2;
  f.bytes = 1000;
  f.events_read = events_read;
  f.events_rejected = events_rejected;
  f.rows_loaded = rows;
  return f;
}

TEST(Metrics, SumOnlyRunsWhoseLoadCommittedAndNameTheNewestSuccess) {
  // Not in date order, and the newest success is neither the newest date's run nor the last:
  // each "last success" is its own maximum.
  std::vector<RunRecord> runs = {
      finished(run(1, "2019-06-03", "succeeded", "2019-06-04T02:00:00Z"), "2019-06-04T02:00:01Z"),
      finished(run(2, "2019-06-01", "succeeded", "2019-06-06T02:00:00Z"), "2019-06-06T02:00:00.5Z"),
      // Unchanged: nothing loaded, no figures.
      finished(run(3, "2019-06-02", "succeeded", "2019-06-05T02:00:00Z"), "2019-06-05T02:00:01Z"),
      // Failed on the reject ratio after its load committed: its figures count.
      finished(run(4, "2019-06-04", "failed", "2019-06-05T03:00:00Z"), "2019-06-05T03:00:01Z"),
      run(5, "2019-06-05", "failed", "2019-06-06T03:00:00Z"),
      run(6, "2019-06-06", "running", "2019-06-07T02:00:00Z"),
  };
  runs[0].figures = figures(100, 1, 90, 1000);
  runs[1].figures = figures(50, 0, 50, 250);
  runs[3].figures = figures(10, 10, 0, 1);
  const std::string text = render_metrics(runs, std::nullopt);
  expect_lines(text,
               {
                   "# TYPE d2d_runs gauge", "d2d_runs{status=\"failed\"} 2", "d2d_runs{status=\"running\"} 1",
                   "d2d_runs{status=\"succeeded\"} 3", "# TYPE d2d_events_read_total counter",
                   "d2d_events_read_total 160", "d2d_events_rejected_total 11", "d2d_rows_loaded_total 140",
                   "d2d_objects_total 6", "d2d_bytes_total 3000", "# TYPE d2d_phase_duration_seconds summary",
                   "d2d_phase_duration_seconds_sum{phase=\"extract\"} 1.251",
                   "d2d_phase_duration_seconds_sum{phase=\"derive\"} 1.251",
                   "d2d_phase_duration_seconds_count{phase=\"load\"} 3",
                   "d2d_last_success_timestamp_seconds 1559786400.500",        // 2019-06-06T02:00:00.5Z
                   "d2d_last_success_lake_date_timestamp_seconds 1559520000",  // 2019-06-03
               });
  EXPECT_EQ(text.find("d2d_scheduler"), std::string::npos) << text;
}

TEST(Metrics, EmptyLedgerGivesZerosAndTheSchedulerItsOwnFamilies) {
  SchedulerState scheduler;
  scheduler.running = "2019-06-04";
  scheduler.runs_started = 4;
  scheduler.runs_succeeded = 3;
  scheduler.runs_failed = 1;
  scheduler.last_plan.owed = {"2019-06-04", "2019-06-05"};
  scheduler.last_plan.given_up = {"2019-05-30"};
  const std::string text = render_metrics({}, scheduler);
  expect_lines(text, {
                         "d2d_runs{status=\"succeeded\"} 0",
                         "d2d_runs{status=\"failed\"} 0",
                         "d2d_runs{status=\"running\"} 0",
                         "d2d_phase_duration_seconds_count{phase=\"extract\"} 0",
                         "d2d_last_success_timestamp_seconds 0.000",
                         "d2d_last_success_lake_date_timestamp_seconds 0",
                         "# TYPE d2d_scheduler_running gauge",
                         "d2d_scheduler_running 1",
                         "d2d_scheduler_owed_dates 2",
                         "d2d_scheduler_given_up_dates 1",
                         "# TYPE d2d_scheduler_runs_total counter",
                         "d2d_scheduler_runs_total{outcome=\"succeeded\"} 3",
                         "d2d_scheduler_runs_total{outcome=\"failed\"} 1",
                     });
}

// SPEC §8: the newest fix loaded and its lag, on /metrics and on the status page.
TEST(Freshness, MetricsAndStatusPageShowTheNewestFixAndItsLag) {
  const core::UtcMicros newest = *core::parse_rfc3339("2019-06-05T23:59:30Z");
  const core::UtcMicros now = *core::parse_rfc3339("2019-06-06T00:04:30Z");
  const std::string metrics = render_metrics({}, std::nullopt, Freshness{newest, now});
  EXPECT_NE(metrics.find("\nd2d_newest_fix_timestamp_seconds 1559779170.000000\n"), std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("\nd2d_freshness_seconds 300.000\n"), std::string::npos) << metrics;
  const std::string none = render_metrics({}, std::nullopt, Freshness{std::nullopt, now});
  EXPECT_NE(none.find("# TYPE d2d_freshness_seconds gauge"), std::string::npos);
  EXPECT_EQ(none.find("\nd2d_freshness_seconds "), std::string::npos) << "no sample without a fix";

  StatusPageData data;
  data.now = now;
  data.newest_fix_at = newest;
  const std::string page = render_status_page(data);
  EXPECT_NE(page.find("Newest fix loaded: <b>2019-06-05"), std::string::npos) << page;
  EXPECT_NE(page.find("5 min 0 s behind now"), std::string::npos) << page;
  data.now = newest + (26 * 60 + 3) * core::kMicrosPerMinute;
  EXPECT_NE(render_status_page(data).find("26 h 3 min behind now"), std::string::npos);
  data.now = newest + 3 * core::kMicrosPerDay + 4 * core::kMicrosPerHour;
  EXPECT_NE(render_status_page(data).find("3 d 4 h behind now"), std::string::npos);
  data.now = now;
  data.newest_fix_at = now + 90 * core::kMicrosPerSecond;
  EXPECT_NE(render_status_page(data).find("ahead of now"), std::string::npos);
  data.newest_fix_at.reset();
  EXPECT_NE(render_status_page(data).find("No fix loaded yet."), std::string::npos);
}

}  // namespace
}  // namespace d2d::server
