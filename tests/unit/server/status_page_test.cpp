// The status page's renderer, without a server: what an operator must see of a date.
#include <gtest/gtest.h>

#include "server/pages.h"

namespace d2d::server {
namespace {

warehouse::RunRecord succeeded_run(std::uint64_t refused) {
  warehouse::RunRecord run;
  run.run_id = 7;
  run.lake_date = "2019-06-01";
  run.status = "succeeded";
  run.started_at_us = *core::parse_rfc3339("2019-06-02T02:00:00Z");
  run.finished_at_us = run.started_at_us + 1'000'000;
  run.figures = warehouse::RunFigures{};
  run.figures->objects = 250;
  run.objects_refused = refused;
  return run;
}

// Issue 14: objects skipped for their keys are shown on the date's details, not only logged.
TEST(StatusPage, ShowsObjectsRefusedForTheirKeys) {
  StatusPageData data;
  data.selected_date = "2019-06-01";
  data.now = *core::parse_rfc3339("2019-06-02T03:00:00Z");
  data.runs = {succeeded_run(3)};
  const std::string page = render_status_page(data);
  EXPECT_NE(page.find("3 source object(s) refused"), std::string::npos) << page;

  data.runs = {succeeded_run(0)};
  EXPECT_EQ(render_status_page(data).find("refused"), std::string::npos);
}

// The state the grid gives one phase of one date, read from the cell's data attributes.
std::string cell_state(const std::string& page, const std::string& date, const std::string& phase) {
  const std::string needle = "data-date=\"" + date + "\" data-phase=\"" + phase + "\" data-state=\"";
  const auto at = page.find(needle);
  if (at == std::string::npos) return "(no cell)";
  const auto from = at + needle.size();
  return page.substr(from, page.find('"', from) - from);
}

warehouse::RunRecord failed_run(const char* date, std::int64_t id, std::optional<warehouse::RunPhase> phase) {
  warehouse::RunRecord run;
  run.run_id = id;
  run.lake_date = date;
  run.status = "failed";
  run.started_at_us = *core::parse_rfc3339("2019-06-02T02:00:00Z");
  run.finished_at_us = run.started_at_us + 1'000'000;
  run.error = "boom";
  run.phase = phase;
  return run;
}

// Issue 15: a failed run marks the phase it failed in; earlier phases succeeded, later ones were
// not reached. Runs recorded before the phase column keep the old marking (every phase).
TEST(StatusPage, MarksOnlyThePhaseARunFailedIn) {
  using warehouse::RunPhase;
  StatusPageData data;
  data.now = *core::parse_rfc3339("2019-06-05T03:00:00Z");
  data.runs = {failed_run("2019-06-01", 1, RunPhase::Load), failed_run("2019-06-02", 2, RunPhase::Extract),
               failed_run("2019-06-03", 3, std::nullopt)};
  const std::string page = render_status_page(data);
  EXPECT_EQ(cell_state(page, "2019-06-01", "extract"), "success");
  EXPECT_EQ(cell_state(page, "2019-06-01", "transform"), "success");
  EXPECT_EQ(cell_state(page, "2019-06-01", "load"), "failed");
  EXPECT_EQ(cell_state(page, "2019-06-01", "derive"), "upstream_failed");
  EXPECT_EQ(cell_state(page, "2019-06-02", "extract"), "failed");
  EXPECT_EQ(cell_state(page, "2019-06-02", "transform"), "upstream_failed");
  for (const char* phase : {"extract", "transform", "load", "derive"})
    EXPECT_EQ(cell_state(page, "2019-06-03", phase), "failed") << phase;

  // A running run: its phase runs, earlier ones are done, later ones wait; serve's own run is
  // seen live, ahead of the ledger (which shows transform until the load commits).
  warehouse::RunRecord running = failed_run("2019-06-04", 4, RunPhase::Transform);
  running.status = "running";
  running.finished_at_us.reset();
  data.runs.push_back(running);
  std::string live = render_status_page(data);
  EXPECT_EQ(cell_state(live, "2019-06-04", "extract"), "success");
  EXPECT_EQ(cell_state(live, "2019-06-04", "transform"), "running");
  EXPECT_EQ(cell_state(live, "2019-06-04", "load"), "queued");
  data.scheduler = SchedulerState{};
  data.scheduler->running = "2019-06-04";
  data.scheduler->running_phase = RunPhase::Derive;
  live = render_status_page(data);
  EXPECT_EQ(cell_state(live, "2019-06-04", "load"), "success");
  EXPECT_EQ(cell_state(live, "2019-06-04", "derive"), "running");
}

// Issue 15: the grid shows the newest 30 dates and pages back to older ones by links.
TEST(StatusPage, PagesBackThroughOlderDatesAndRefreshesByLink) {
  StatusPageData data;
  data.now = *core::parse_rfc3339("2019-08-01T03:00:00Z");
  for (int d = 0; d < 45; ++d) {
    warehouse::RunRecord run = succeeded_run(0);
    run.run_id = d + 1;
    run.lake_date = core::format_date(*core::parse_date("2019-06-01") + d);  // 06-01 .. 07-15
    data.runs.push_back(run);
  }
  std::string page = render_status_page(data);
  EXPECT_EQ(cell_state(page, "2019-07-15", "derive"), "success");
  EXPECT_EQ(cell_state(page, "2019-06-16", "derive"), "success");
  EXPECT_EQ(cell_state(page, "2019-06-15", "derive"), "(no cell)");
  EXPECT_NE(page.find("id=\"older\" href=\"/?before=2019-06-16\""), std::string::npos) << page;
  EXPECT_EQ(page.find("id=\"newer\""), std::string::npos);
  EXPECT_EQ(page.find("http-equiv=\"refresh\""), std::string::npos);
  EXPECT_NE(page.find("id=\"refresh\" href=\"/?refresh=30\""), std::string::npos);

  data.before = "2019-06-16";
  data.refresh_s = 60;
  page = render_status_page(data);
  EXPECT_EQ(cell_state(page, "2019-06-01", "load"), "success");
  EXPECT_EQ(cell_state(page, "2019-06-15", "load"), "success");
  EXPECT_EQ(cell_state(page, "2019-06-16", "load"), "(no cell)");
  EXPECT_EQ(page.find("id=\"older\""), std::string::npos);
  // Newer leads back to the newest page, keeping the refresh; refreshing can be stopped.
  EXPECT_NE(page.find("id=\"newer\" href=\"/?refresh=60\""), std::string::npos) << page;
  EXPECT_NE(page.find("<meta http-equiv=\"refresh\" content=\"60\">"), std::string::npos);
  EXPECT_NE(page.find("id=\"refresh\" href=\"/?before=2019-06-16\">stop refreshing"), std::string::npos);
}

// Issue 15, item 10: the column counts the periods a run re-derived, not the date's periods; the
// page says so where the number is shown.
TEST(StatusPage, ExplainsWhatThePeriodsColumnCounts) {
  StatusPageData data;
  data.selected_date = "2019-06-01";
  data.now = *core::parse_rfc3339("2019-06-02T03:00:00Z");
  data.runs = {succeeded_run(0)};
  const std::string page = render_status_page(data);
  EXPECT_NE(page.find("periods re-derived</th>"), std::string::npos);
  EXPECT_NE(page.find("title=\"operating periods this run re-derived"), std::string::npos);
}

}  // namespace
}  // namespace d2d::server
