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

}  // namespace
}  // namespace d2d::server
