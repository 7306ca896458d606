// The ledger read API on both engines, through the commands that use it: `d2d status` and the
// pages of `d2d serve --no-scheduler` (runs, reject reasons with samples, a period's vehicles
// and their tracks), checked against the warehouse's own SQL.
#include <httplib.h>

#include <chrono>
#include <csignal>
#include <sstream>
#include <thread>

#include "harness.h"

namespace d2d::testing {
namespace {

namespace fs = std::filesystem;

std::size_t occurrences(const std::string& text, const std::string& what) {
  std::size_t count = 0;
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size()))
    ++count;
  return count;
}

class LedgerRead : public ::testing::TestWithParam<Engine> {
 protected:
  void SetUp() override {
    m_warehouse.reset();
    const auto generated =
        run_d2d({"generate", "--out", (m_dir / "source").string(), "--date", "2019-06-01", "--days", "2",
                 "--vehicles", "5", "--breaks", "--bad-ratio", "0.01", "--seed", "4"});
    ASSERT_EQ(generated.exit_code, 0) << generated.err;
  }
  std::vector<std::string> with_warehouse(std::vector<std::string> args) const {
    const auto target = m_warehouse.args();
    args.insert(args.end(), target.begin(), target.end());
    return args;
  }
  TempDir m_dir;
  WarehouseUnderTest m_warehouse{GetParam(), m_dir / "w"};
};

D2D_FOR_EACH_WAREHOUSE(LedgerRead);

TEST_P(LedgerRead, StatusAndPagesShowWhatTheWarehouseHolds) {
  for (const char* date : {"2019-06-01", "2019-06-02", "2019-06-02"}) {
    const auto run = run_d2d(run_args_for(m_dir.path(), m_warehouse, date));
    ASSERT_EQ(run.exit_code, 0) << run.err;
  }
  const auto failed = run_d2d(run_args_for(m_dir.path(), m_warehouse, "2019-05-20"));  // no files that day
  ASSERT_EQ(failed.exit_code, 1);

  // d2d status: latest run per date by default, every run with --all, one date with --date.
  const auto latest = run_d2d(with_warehouse({"status"}));
  ASSERT_EQ(latest.exit_code, 0) << latest.err;
  EXPECT_EQ(occurrences(latest.out, "succeeded"), 2U) << latest.out;
  EXPECT_EQ(occurrences(latest.out, "failed"), 1U) << latest.out;
  EXPECT_NE(latest.out.find("no objects for lake date 2019-05-20"), std::string::npos);
  // Figures of a loaded date; the second run of 2019-06-02 found nothing to do and says so.
  const std::string rejected_0601 = m_warehouse.query(
      "SELECT events_read || ' ' || events_rejected FROM etl_run WHERE lake_date = '2019-06-01'");
  const std::string line_0601 = latest.out.substr(latest.out.find("2019-06-01"));
  const std::string read_0601 = rejected_0601.substr(0, rejected_0601.find(' '));
  const std::string rejects_0601 = rejected_0601.substr(rejected_0601.find(' ') + 1);
  EXPECT_NE(line_0601.substr(0, line_0601.find('\n')).find(" " + read_0601 + " "), std::string::npos)
      << latest.out;
  EXPECT_NE(line_0601.substr(0, line_0601.find('\n')).find(" " + rejects_0601 + " "), std::string::npos)
      << latest.out;
  EXPECT_NE(latest.out.find("(unchanged: nothing to do)"), std::string::npos) << latest.out;
  const auto all = run_d2d(with_warehouse({"status", "--all"}));
  EXPECT_EQ(occurrences(all.out, "succeeded"), 3U) << all.out;
  const auto one = run_d2d(with_warehouse({"status", "--date", "2019-06-01"}));
  EXPECT_EQ(occurrences(one.out, "2019-06-01"), 1U) << one.out;
  EXPECT_EQ(occurrences(one.out, "2019-06-02"), 0U) << one.out;

  // The pages, from a server that only reads.
  const int port = free_port();
  BackgroundRun serve(with_warehouse({"serve", "--no-scheduler", "--port", std::to_string(port)}),
                      m_dir / "serve");
  httplib::Client http("127.0.0.1", port);
  for (int i = 0; i < 100 && !http.Get("/healthz"); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  auto page = http.Get("/?date=2019-06-02");
  ASSERT_TRUE(page) << read_text(m_dir / "serve.err");
  ASSERT_EQ(page->status, 200);
  // Every reject reason of the date, with its count, as the warehouse groups them.
  const std::string reasons = m_warehouse.query(
      "SELECT reason_code, COUNT(*) FROM rejected_event WHERE lake_date = '2019-06-02' GROUP BY reason_code");
  ASSERT_FALSE(reasons.empty());
  std::istringstream lines(reasons);
  for (std::string line; std::getline(lines, line);) {
    const std::string code = line.substr(0, line.find('|')), count = line.substr(line.find('|') + 1);
    EXPECT_NE(page->body.find("<tr data-reason=\"" + code + "\"><td><code>" + code +
                              "</code></td><td class=\"num\">" + count + "</td>"),
              std::string::npos)
        << code;
  }
  EXPECT_EQ(occurrences(page->body, "data-phase=\"derive\" data-state=\"success\""), 2U);
  // 2019-05-20 (no files) failed in extract: that phase is red, derive was never reached.
  EXPECT_EQ(occurrences(page->body, "data-phase=\"extract\" data-state=\"failed\""), 1U);
  EXPECT_EQ(occurrences(page->body, "data-phase=\"derive\" data-state=\"upstream_failed\""), 1U);

  // A period's tracks: one per vehicle that took part, each with the fixes in its window.
  const std::string period = m_warehouse.query(
      "SELECT operating_period_id FROM vehicle_operating_period_distance GROUP BY operating_period_id "
      "ORDER BY COUNT(*) DESC, operating_period_id LIMIT 1");
  auto report = http.Get("/report?period=" + period);
  ASSERT_TRUE(report);
  ASSERT_EQ(report->status, 200);
  const std::string vehicles = m_warehouse.query(
      "SELECT COUNT(*) FROM vehicle_operating_period_distance WHERE operating_period_id = '" + period + "'");
  EXPECT_EQ(occurrences(report->body, "<svg class=\"track\""), std::stoul(vehicles));
  EXPECT_EQ(
      occurrences(report->body, "class=\"bar\""),
      std::stoul(m_warehouse.query("SELECT COUNT(*) FROM operating_period_avg_distance WHERE vehicles > 0")));
  auto unknown = http.Get("/report?period=no%3Csuch%3E");
  ASSERT_TRUE(unknown);
  EXPECT_NE(unknown->body.find("No live operating period no&lt;such&gt;"), std::string::npos);

  serve.signal(SIGTERM);
  EXPECT_EQ(serve.wait().exit_code, 0);
}

}  // namespace
}  // namespace d2d::testing
