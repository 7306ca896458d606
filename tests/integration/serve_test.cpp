// `d2d serve` as a process: the scheduler catches up generated lake dates, is killed
// (SIGKILL) mid-way, is restarted "later" (libfaketime moves the process clock forward, so the
// real binary sees days pass), and every missed date runs exactly once; /metrics parses as
// Prometheus text and its counters equal the ledger; /healthz, / and /report answer.
#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <thread>

#include "harness.h"
#include "prometheus_text.h"

namespace d2d::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::string faketime_library() {
  for (const char* path :
       {"/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1",
        "/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1", "/usr/lib/faketime/libfaketime.so.1"}) {
    if (fs::exists(path)) return path;
  }
  return "";
}

// Waits up to `limit` for `done`, checking every 200 ms.
template <typename Condition>
bool eventually(Condition done, std::chrono::seconds limit) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < until) {
    try {
      if (done()) return true;
    } catch (const std::exception&) {
      // the warehouse file or the server may not be there yet
    }
    std::this_thread::sleep_for(200ms);
  }
  return false;
}

class ServeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(faketime_library().empty()) << "libfaketime missing: run scripts/install-deps.sh";
    const auto generated =
        run_d2d({"generate", "--out", (m_work / "source").string(), "--date", "2019-06-01", "--days", "5",
                 "--vehicles", "6", "--breaks", "--bad-ratio", "0.002", "--seed", "11"});
    ASSERT_EQ(generated.exit_code, 0) << generated.err;
  }

  fs::path db() const { return m_work / "w.db"; }

  // d2d serve with its clock set to `fake_now` (UTC), lake dates owed from 2019-06-01, due at
  // 02:00 Berlin time: at 06:00Z on day N the dates up to N-1 are due.
  std::unique_ptr<BackgroundRun> start_serve(const std::string& fake_now, int port, const std::string& log) {
    return std::make_unique<BackgroundRun>(
        std::vector<std::string>{"serve", "--source", (m_work / "source").string(), "--lake",
                                 (m_work / "lake").string(), "--warehouse", db().string(), "--start-date",
                                 "2019-06-01", "--at", "02:00", "--tz", "Europe/Berlin", "--port",
                                 std::to_string(port), "--retry-delay-s", "1"},
        m_work / log,
        std::vector<std::string>{"LD_PRELOAD=" + faketime_library(), "FAKETIME=@" + fake_now,
                                 "FAKETIME_DONT_FAKE_MONOTONIC=1"});
  }

  std::string count(const std::string& where) const {
    return query_one(db(), "SELECT COUNT(*) FROM etl_run WHERE " + where);
  }

  TempDir m_work;
};

TEST_F(ServeTest, KilledServeCatchesUpMissedDatesExactlyOnceAndMetricsMatchTheLedger) {
  const int port = free_port();
  // Day 4, 06:00 UTC: 06-01..06-03 are due. Kill it once the first date has succeeded.
  auto first = start_serve("2019-06-04 06:00:00", port, "serve1");
  ASSERT_TRUE(eventually([&] { return count("status = 'succeeded'") != "0"; }, 120s))
      << read_text(m_work / "serve1.err");
  first->signal(SIGKILL);
  EXPECT_EQ(first->wait().exit_code, 128 + SIGKILL);
  const std::string done_before_kill = query_one(
      db(),
      "SELECT group_concat(lake_date) FROM (SELECT lake_date FROM etl_run WHERE status = 'succeeded' "
      "ORDER BY lake_date)");
  ASSERT_FALSE(done_before_kill.empty());
  EXPECT_EQ(count("lake_date > '2019-06-03'"), "0");  // nothing was due after 06-03 yet

  // "Later": day 6, 06:00 UTC. 06-04 and 06-05 became due while it was down.
  auto second = start_serve("2019-06-06 06:00:00", port, "serve2");
  ASSERT_TRUE(eventually(
      [&] {
        return query_one(db(), "SELECT COUNT(DISTINCT lake_date) FROM etl_run WHERE status = 'succeeded'") ==
               "5";
      },
      180s))
      << read_text(m_work / "serve2.err");
  httplib::Client http("127.0.0.1", port);
  ASSERT_TRUE(eventually(
      [&] {
        auto health = http.Get("/healthz");
        return health && health->status == 200 && health->body.find("scheduler: idle") != std::string::npos;
      },
      30s));
  std::this_thread::sleep_for(2s);  // room for a wrong extra run to show up

  // Exactly one succeeded run per date, none failed; dates done before the kill never ran again;
  // the only other row is the run the kill interrupted (left 'running').
  for (const char* date : {"2019-06-01", "2019-06-02", "2019-06-03", "2019-06-04", "2019-06-05"}) {
    EXPECT_EQ(count(std::string("status = 'succeeded' AND lake_date = '") + date + "'"), "1") << date;
    if (done_before_kill.find(date) != std::string::npos) {
      EXPECT_EQ(count(std::string("lake_date = '") + date + "'"), "1")
          << date << " ran again after the restart";
    }
  }
  EXPECT_EQ(count("status = 'failed'"), "0");
  EXPECT_LE(std::stoi(count("status = 'running'")), 1);
  // Lake dates ran oldest first: run ids grow with the date among succeeded runs.
  EXPECT_EQ(query_one(db(),
                      "SELECT group_concat(lake_date) FROM (SELECT lake_date FROM etl_run WHERE status = "
                      "'succeeded' ORDER BY run_id)"),
            "2019-06-01,2019-06-02,2019-06-03,2019-06-04,2019-06-05");

  // /metrics: valid exposition format, counters equal to the ledger.
  auto metrics = http.Get("/metrics");
  ASSERT_TRUE(metrics);
  ASSERT_EQ(metrics->status, 200);
  EXPECT_EQ(metrics->get_header_value("Content-Type").rfind("text/plain; version=0.0.4", 0), 0U);
  std::map<std::string, PromFamily> families;
  ASSERT_NO_THROW(families = parse_prometheus_text(metrics->body)) << metrics->body;
  EXPECT_EQ(families.at("d2d_events_read_total").type, "counter");
  EXPECT_EQ(families.at("d2d_phase_duration_seconds").type, "summary");
  for (const char* status : {"succeeded", "failed", "running"}) {
    EXPECT_EQ(prom_value(families, "d2d_runs", {{"status", status}}),
              std::stod(count(std::string("status = '") + status + "'")))
        << status;
  }
  const auto sum = [&](const std::string& column) {
    return std::stod(query_one(db(), "SELECT COALESCE(SUM(" + column + "), 0) FROM etl_run"));
  };
  EXPECT_EQ(prom_value(families, "d2d_events_read_total"), sum("events_read"));
  EXPECT_EQ(prom_value(families, "d2d_events_rejected_total"), sum("events_rejected"));
  EXPECT_GT(prom_value(families, "d2d_events_rejected_total"), 0);  // --bad-ratio made some
  EXPECT_EQ(prom_value(families, "d2d_rows_loaded_total"), sum("rows_loaded"));
  for (const char* phase : {"extract", "transform", "load", "derive"}) {
    EXPECT_NEAR(prom_value(families, "d2d_phase_duration_seconds_sum", {{"phase", phase}}),
                sum(std::string(phase) + "_ms") / 1000.0, 0.0005)
        << phase;
    EXPECT_EQ(prom_value(families, "d2d_phase_duration_seconds_count", {{"phase", phase}}), 5);
  }
  // The newest success finished on the fake day 6 (the ledger's own finished_at).
  const double last_success = prom_value(families, "d2d_last_success_timestamp_seconds");
  EXPECT_EQ(
      static_cast<std::int64_t>(last_success),
      std::stoll(query_one(db(),
                           "SELECT CAST(strftime('%s', MAX(finished_at)) AS INTEGER) FROM etl_run WHERE "
                           "status = 'succeeded'")));
  EXPECT_EQ(prom_value(families, "d2d_last_success_lake_date_timestamp_seconds"), 1559692800);  // 2019-06-05
  EXPECT_EQ(prom_value(families, "d2d_scheduler_owed_dates"), 0);
  // Freshness (SPEC §8): the newest fix the warehouse holds, and how far it lags behind serve's
  // (fake) now, which is on day 6 while the newest fix is on day 5.
  EXPECT_EQ(
      static_cast<std::int64_t>(prom_value(families, "d2d_newest_fix_timestamp_seconds")),
      std::stoll(query_one(db(), "SELECT CAST(strftime('%s', MAX(at)) AS INTEGER) FROM location_update")));
  const double lag = prom_value(families, "d2d_freshness_seconds");
  EXPECT_GT(lag, 0);
  EXPECT_LT(lag, 2 * 86400.0);

  // The pages answer from the same ledger.
  auto status_page = http.Get("/?date=2019-06-03");
  ASSERT_TRUE(status_page);
  EXPECT_EQ(status_page->status, 200);
  EXPECT_NE(status_page->body.find("data-date=\"2019-06-05\" data-phase=\"derive\" data-state=\"success\""),
            std::string::npos);
  EXPECT_NE(status_page->body.find("<p id=\"freshness\">Newest fix loaded: <b>2019-06-05"),
            std::string::npos);
  auto bad_date = http.Get("/?date=%3Cscript%3E");
  ASSERT_TRUE(bad_date);
  EXPECT_EQ(bad_date->status, 400);
  EXPECT_EQ(bad_date->body.find("<script>"), std::string::npos);
  auto report = http.Get("/report");
  ASSERT_TRUE(report);
  EXPECT_EQ(report->status, 200);
  EXPECT_NE(report->body.find("class=\"bar\""), std::string::npos);

  // SIGTERM stops it cleanly.
  second->signal(SIGTERM);
  EXPECT_EQ(second->wait().exit_code, 0);

  // The warehouse equals five sequential `d2d run`s of the same dates.
  TempDir sequential;
  for (const char* date : {"2019-06-01", "2019-06-02", "2019-06-03", "2019-06-04", "2019-06-05"}) {
    const auto result = run_d2d({"run", "--quiet", "--source", (m_work / "source").string(), "--lake",
                                 (sequential / "lake").string(), "--warehouse",
                                 (sequential / "w.db").string(), "--date", date});
    ASSERT_EQ(result.exit_code, 0) << result.err;
  }
  EXPECT_EQ(first_difference(dump_warehouse(sequential / "w.db"), dump_warehouse(db())), "");
}

// Issue 15: a serve with a start date long before today ran every date since. Catch-up now owes
// the newest --catchup-days dates up to --end-date; the older ones are skipped with one warning
// naming the backfill, also shown on the page. --no-catchup (here from the environment) owes only
// the newest date.
TEST_F(ServeTest, CatchUpIsBoundedByCatchupDaysAndEndDate) {
  const int port = free_port();
  const std::vector<std::string> faketime = {
      "LD_PRELOAD=" + faketime_library(), "FAKETIME=@2019-06-20 06:00:00", "FAKETIME_DONT_FAKE_MONOTONIC=1"};
  auto serve = [&](const std::vector<std::string>& extra, const std::vector<std::string>& env,
                   const std::string& log) {
    std::vector<std::string> args = {"serve",
                                     "--source",
                                     (m_work / "source").string(),
                                     "--lake",
                                     (m_work / "lake").string(),
                                     "--warehouse",
                                     db().string(),
                                     "--start-date",
                                     "2019-06-01",
                                     "--end-date",
                                     "2019-06-05",
                                     "--port",
                                     std::to_string(port)};
    args.insert(args.end(), extra.begin(), extra.end());
    std::vector<std::string> environment = faketime;
    environment.insert(environment.end(), env.begin(), env.end());
    return std::make_unique<BackgroundRun>(args, m_work / log, environment);
  };
  auto bounded = serve({"--catchup-days", "2"}, {}, "bounded");
  ASSERT_TRUE(eventually([&] { return count("status = 'succeeded'") == "2"; }, 120s))
      << read_text(m_work / "bounded.err");
  httplib::Client http("127.0.0.1", port);
  ASSERT_TRUE(eventually(
      [&] {
        auto health = http.Get("/healthz");
        return health && health->body.find("scheduler: idle") != std::string::npos;
      },
      30s));
  std::this_thread::sleep_for(2s);  // room for a wrong extra run, and for ticks that must not warn again
  auto page = http.Get("/");
  ASSERT_TRUE(page);
  EXPECT_NE(page->body.find("d2d backfill --from 2019-06-01 --to 2019-06-03"), std::string::npos);
  bounded->signal(SIGTERM);
  EXPECT_EQ(bounded->wait().exit_code, 0);
  // The window's dates, nothing older and nothing after the end date (2019-06-19 is due).
  EXPECT_EQ(
      query_one(db(), "SELECT group_concat(lake_date) FROM (SELECT lake_date FROM etl_run ORDER BY run_id)"),
      "2019-06-04,2019-06-05");
  const std::string log = read_text(m_work / "bounded.err");
  const std::string warning = "d2d backfill --from 2019-06-01 --to 2019-06-03";
  const auto first = log.find(warning);
  EXPECT_NE(first, std::string::npos) << log;
  EXPECT_EQ(log.find(warning, first + 1), std::string::npos) << "warned more than once:\n" << log;

  // --no-catchup from the environment: only the newest date, 2019-06-05, which already succeeded.
  fs::remove(db());
  auto newest = serve({}, {"D2D_SERVE_NO_CATCHUP=true"}, "newest");
  ASSERT_TRUE(eventually([&] { return count("status = 'succeeded'") == "1"; }, 120s))
      << read_text(m_work / "newest.err");
  std::this_thread::sleep_for(2s);
  newest->signal(SIGTERM);
  EXPECT_EQ(newest->wait().exit_code, 0);
  EXPECT_EQ(query_one(db(), "SELECT group_concat(lake_date) FROM etl_run"), "2019-06-05");
  EXPECT_NE(read_text(m_work / "newest.err").find("--no-catchup"), std::string::npos);
}

TEST(ServeFlags, CatchUpFlagsAreCheckedBeforeAnythingStarts) {
  TempDir work;
  const std::vector<std::string> base = {
      "serve", "--source", work.path().string(), "--warehouse", (work / "w.db").string(), "--port", "0"};
  auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = base;
    args.insert(args.end(), extra.begin(), extra.end());
    return run_d2d(args);
  };
  for (const auto& bad :
       std::vector<std::vector<std::string>>{{"--catchup-days", "0"},
                                             {"--end-date", "2019-13-01"},
                                             {"--start-date", "2019-06-05", "--end-date", "2019-06-01"}}) {
    const auto result = with(bad);
    EXPECT_EQ(result.exit_code, 2) << bad.front() << ": " << result.err;
  }
  const auto help = run_d2d({"serve", "--help"});
  for (const char* flag : {"--catchup-days", "--no-catchup", "--end-date"})
    EXPECT_NE(help.out.find(flag), std::string::npos) << flag;
  write_text(work / "d2d.toml", "serve_catchup_days = 0\n");
  std::vector<std::string> configured = {"--config", (work / "d2d.toml").string()};
  configured.insert(configured.end(), base.begin(), base.end());
  const auto from_file = run_d2d(configured);
  EXPECT_EQ(from_file.exit_code, 2) << from_file.err;
  EXPECT_NE(from_file.err.find("serve_catchup_days"), std::string::npos) << from_file.err;
}

// A bad --start-date, --end-date, --at or --every is named where it was given: D2D_SERVE_* or
// d2d.toml, not a flag the command line does not hold.
TEST(ServeFlags, ScheduleErrorsNameTheVariableOrFileThatGaveTheValue) {
  TempDir work;
  const std::vector<std::string> base = {
      "serve", "--source", work.path().string(), "--warehouse", (work / "w.db").string(), "--port", "0"};
  auto with_env = [&](const std::vector<std::pair<const char*, const char*>>& variables,
                      std::vector<std::string> extra = {}) {
    for (const auto& [name, value] : variables) setenv(name, value, 1);
    std::vector<std::string> args = base;
    args.insert(args.end(), extra.begin(), extra.end());
    const auto result = run_d2d(args);
    for (const auto& [name, value] : variables) unsetenv(name);
    return result;
  };
  auto expect_error = [](const CliResult& result, const std::string& message, const std::string& flag) {
    EXPECT_EQ(result.exit_code, 2) << result.err;
    EXPECT_NE(result.err.find("d2d: error: " + message + "\n"), std::string::npos) << result.err;
    if (!flag.empty()) {
      EXPECT_EQ(result.err.find(flag), std::string::npos) << result.err;
    }
  };
  expect_error(with_env({{"D2D_SERVE_START_DATE", "2019-02-30"}}),
               "D2D_SERVE_START_DATE '2019-02-30' is not a date (expected YYYY-MM-DD)", "--start-date");
  expect_error(with_env({{"D2D_SERVE_END_DATE", "2019-13-01"}}),
               "D2D_SERVE_END_DATE '2019-13-01' is not a date (expected YYYY-MM-DD)", "--end-date");
  expect_error(with_env({{"D2D_SERVE_END_DATE", "2019-06-01"}}, {"--start-date", "2019-06-05"}),
               "D2D_SERVE_END_DATE 2019-06-01 is before --start-date 2019-06-05", "");
  expect_error(with_env({{"D2D_SERVE_AT", "25:00"}}),
               "D2D_SERVE_AT '25:00' is not a time of day (expected HH:MM)", "--at");
  // The flag wins over the variable, and is the one named.
  expect_error(with_env({{"D2D_SERVE_START_DATE", "2019-06-01"}}, {"--start-date", "2019-06-31"}),
               "--start-date '2019-06-31' is not a date (expected YYYY-MM-DD)", "");

  const fs::path toml = work / "d2d.toml";
  write_text(toml, "serve_start_date = \"2019-06-05\"\nserve_end_date = \"2019-06-01\"\n");
  std::vector<std::string> configured = {"--config", toml.string()};
  configured.insert(configured.end(), base.begin(), base.end());
  expect_error(run_d2d(configured),
               "serve_end_date in " + toml.string() + " 2019-06-01 is before serve_start_date in " +
                   toml.string() + " 2019-06-05",
               "--end-date");
}

// Issue 19 (5): `serve --every 1m` at a faked noon of 2019-06-05 keeps that lake date fresh: it
// runs at once (the day has had a minute), an object added afterwards is loaded by the next run a
// period later (and the warehouse equals one `d2d run` of all the objects), and the next day the
// daily run still runs 2019-06-05 once more, although freshness runs of it succeeded: they ran
// while the day was going on. Takes about 70 s (one real period).
TEST(ServeFreshness, EveryLoadsANewObjectOfTodayWithinAPeriodAndTheDailyRunStillFollows) {
  ASSERT_FALSE(faketime_library().empty()) << "libfaketime missing: run scripts/install-deps.sh";
  TempDir work;
  const auto generated = run_d2d({"generate", "--out", (work / "source").string(), "--date", "2019-06-05",
                                  "--days", "1", "--vehicles", "4", "--seed", "19"});
  ASSERT_EQ(generated.exit_code, 0) << generated.err;
  std::vector<fs::path> objects;
  for (const auto& entry : fs::recursive_directory_iterator(work / "source"))
    if (entry.is_regular_file() && entry.path().filename().string().rfind("2019-06-05", 0) == 0)
      objects.push_back(entry.path());  // the generator also writes objects of the next date
  std::sort(objects.begin(), objects.end());
  ASSERT_GT(objects.size(), 10U);
  // The newest object arrives later.
  const fs::path late = objects.back();
  const fs::path held = work / "held";
  fs::rename(late, held);
  const fs::path db = work / "w.db";
  const auto count = [&](const std::string& where) {
    return query_one(db, "SELECT COUNT(*) FROM etl_run WHERE " + where);
  };
  const int port = free_port();
  auto serve = [&](const std::string& fake_now, const std::string& log) {
    return std::make_unique<BackgroundRun>(
        std::vector<std::string>{"serve", "--source", (work / "source").string(), "--lake",
                                 (work / "lake").string(), "--warehouse", db.string(), "--start-date",
                                 "2019-06-05", "--end-date", "2019-06-05", "--every", "1m", "--port",
                                 std::to_string(port)},
        work / log,
        std::vector<std::string>{"LD_PRELOAD=" + faketime_library(), "FAKETIME=@" + fake_now,
                                 "FAKETIME_DONT_FAKE_MONOTONIC=1"});
  };

  // 2019-06-05 12:00Z: the date is not due (02:00 UTC the next day), so only freshness runs it.
  auto noon = serve("2019-06-05 12:00:00", "noon");
  ASSERT_TRUE(eventually([&] { return count("status = 'succeeded'") == "1"; }, 60s))
      << read_text(work / "noon.err");
  EXPECT_EQ(query_one(db, "SELECT objects FROM etl_run"), std::to_string(objects.size() - 1));
  fs::rename(held, late);
  // The next run comes a period (60 s) after the first started, and loads the new object.
  ASSERT_TRUE(eventually([&] { return count("status = 'succeeded'") == "2"; }, 90s))
      << read_text(work / "noon.err");
  EXPECT_EQ(query_one(db, "SELECT objects FROM etl_run ORDER BY run_id DESC LIMIT 1"),
            std::to_string(objects.size()));
  const int period = std::stoi(query_one(
      db,
      "SELECT CAST(ROUND((julianday(MAX(started_at)) - julianday(MIN(started_at))) * 86400) AS INTEGER) "
      "FROM etl_run"));
  EXPECT_GE(period, 59);
  EXPECT_LE(period, 75);
  noon->signal(SIGTERM);
  EXPECT_EQ(noon->wait().exit_code, 0);
  EXPECT_EQ(count("status <> 'succeeded'"), "0");
  EXPECT_NE(read_text(work / "noon.err").find("(freshness run)"), std::string::npos);

  TempDir one_shot;
  const auto all = run_d2d({"run", "--quiet", "--source", (work / "source").string(), "--lake",
                            (one_shot / "lake").string(), "--warehouse", (one_shot / "w.db").string(),
                            "--date", "2019-06-05"});
  ASSERT_EQ(all.exit_code, 0) << all.err;
  EXPECT_EQ(first_difference(dump_warehouse(one_shot / "w.db"), dump_warehouse(db)), "");

  // 2019-06-06 03:00Z: 2019-06-05 is due since 02:00 and its freshness successes do not count: the
  // daily run comes, finds nothing changed since the last run, and succeeds without loading. The
  // grace hour is over and 2019-06-06 is after the end date: nothing else runs.
  auto next_day = serve("2019-06-06 03:00:00", "next_day");
  ASSERT_TRUE(eventually([&] { return count("status = 'succeeded'") == "3"; }, 60s))
      << read_text(work / "next_day.err");
  std::this_thread::sleep_for(3s);  // room for a wrong extra run
  next_day->signal(SIGTERM);
  EXPECT_EQ(next_day->wait().exit_code, 0);
  EXPECT_EQ(count("1 = 1"), "3");
  EXPECT_EQ(query_one(db,
                      "SELECT lake_date || ' ' || unchanged || ' ' || (started_at >= '2019-06-06T02') FROM "
                      "etl_run ORDER BY run_id DESC LIMIT 1"),
            "2019-06-05 1 1");
  EXPECT_EQ(read_text(work / "next_day.err").find("(freshness run)"), std::string::npos);
}

TEST(ServeFlags, EveryIsAStrictDurationFromThirtySecondsToADay) {
  TempDir work;
  const std::vector<std::string> base = {
      "serve", "--source", work.path().string(), "--warehouse", (work / "w.db").string(), "--port", "0"};
  for (const char* bad : {"5", "29s", "25h", "5min", "1h30m", "-5m", "1.5h"}) {
    std::vector<std::string> args = base;
    args.insert(args.end(), {"--every", bad});
    const auto result = run_d2d(args);
    EXPECT_EQ(result.exit_code, 2) << bad << ": " << result.err;
    EXPECT_NE(result.err.find("--every"), std::string::npos) << result.err;
  }
  const auto help = run_d2d({"serve", "--help"});
  EXPECT_NE(help.out.find("--every"), std::string::npos);
  write_text(work / "d2d.toml", "serve_every = \"10s\"\n");
  std::vector<std::string> configured = {"--config", (work / "d2d.toml").string()};
  configured.insert(configured.end(), base.begin(), base.end());
  const auto from_file = run_d2d(configured);
  EXPECT_EQ(from_file.exit_code, 2) << from_file.err;
  EXPECT_NE(from_file.err.find("serve_every"), std::string::npos) << from_file.err;
}

TEST(PrometheusTextParser, RefusesMalformedExpositions) {
  const std::string good = "# HELP a_total A.\n# TYPE a_total counter\na_total{x=\"1\"} 3\n";
  EXPECT_NO_THROW(parse_prometheus_text(good));
  for (const char* bad : {
           "a_total 3\n",                                                           // no TYPE
           "# HELP a_total A.\n# TYPE a_total counter\na_total 3",                  // no final newline
           "# HELP a_total A.\n# TYPE a_total counter\na_total{x=1} 3\n",           // unquoted label
           "# HELP a_total A.\n# TYPE a_total counter\na_total{x=\"1\"} three\n",   // not a number
           "# HELP a_total A.\n# TYPE a_total counter\na_total -1\n",               // negative counter
           "# HELP a_total A.\n# TYPE a_total counter\na_total 1\na_total 2\n",     // duplicate series
           "# HELP a A.\n# TYPE a gauge\n# HELP b B.\n# TYPE b gauge\nb 1\na 2\n",  // a sample out of family
           "# HELP a A.\n# TYPE a nonsense\na 1\n",                                 // unknown type
           "# HELP a A.\n# TYPE a gauge\na{x=\"\\q\"} 1\n",                         // bad escape
           "# HELP s S.\n# TYPE s summary\ns_bucket 1\n",                           // _bucket in a summary
       }) {
    EXPECT_THROW(parse_prometheus_text(bad), std::runtime_error) << bad;  // NOLINT
  }
}

}  // namespace
}  // namespace d2d::testing
