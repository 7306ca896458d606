// `d2d backfill`: several generated lake dates, two at a time, give the warehouse three sequential
// `d2d run`s give (both engines); a failing date fails the backfill but not the other dates; the
// summary table tells the truth; progress is plain log lines in a pipe and one updating line on
// a terminal.
#include <gtest/gtest.h>
#include <pty.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sstream>

#include "harness.h"

namespace d2d::testing {
namespace {
namespace fs = std::filesystem;

const std::vector<std::string> kDates = {"2019-06-01", "2019-06-02", "2019-06-03"};

// Three operating days of a small fleet (breaks and a few bad lines), flat layout; the last
// day's late files spill into 2019-06-04, which no test loads.
void generate_three_days(const fs::path& out) {
  auto generated =
      run_d2d({"generate", "--out", out.string(), "--date", kDates.front(), "--days", "3", "--vehicles", "6",
               "--interval-s", "60", "--layout", "flat", "--breaks", "--bad-ratio", "0.002", "--seed", "11"});
  ASSERT_EQ(generated.exit_code, 0) << generated.err;
}

std::vector<std::string> with(std::vector<std::string> args, const std::vector<std::string>& more) {
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

std::vector<std::string> words(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> out;
  for (std::string word; in >> word;) out.push_back(word);
  return out;
}

// The summary table's row of `date`, split on blanks ("" when absent).
std::vector<std::string> summary_row(const std::string& out, const std::string& date) {
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with(date + " ")) return words(line);
  }
  return {};
}

class Backfill : public ::testing::TestWithParam<Engine> {
 protected:
  void SetUp() override { generate_three_days(m_dir / "source"); }

  std::vector<std::string> backfill_args(const WarehouseUnderTest& warehouse, const std::string& lake,
                                         const std::vector<std::string>& extra = {}) {
    return with(with({"backfill", "--source", (m_dir / "source").string(), "--lake", (m_dir / lake).string(),
                      "--from", kDates.front(), "--to", kDates.back(), "--max-reject-ratio", "1"},
                     warehouse.args()),
                extra);
  }

  TempDir m_dir;
  WarehouseUnderTest m_backfilled{GetParam(), m_dir / "backfilled"};
  WarehouseUnderTest m_sequential{GetParam(), m_dir / "sequential"};
};
D2D_FOR_EACH_WAREHOUSE(Backfill);

TEST_P(Backfill, TwoAtATimeGivesTheWarehouseOfSequentialRuns) {
  m_backfilled.reset();
  m_sequential.reset();
  fs::create_directories(m_dir / "backfilled");
  fs::create_directories(m_dir / "sequential");
  for (const auto& date : kDates) {
    auto run = run_d2d(with({"run", "--source", (m_dir / "source").string(), "--lake",
                             (m_dir / "lake_sequential").string(), "--date", date, "--max-reject-ratio", "1"},
                            m_sequential.args()));
    ASSERT_EQ(run.exit_code, 0) << date << ": " << run.err;
  }

  auto backfill = run_d2d(backfill_args(m_backfilled, "lake_backfilled", {"--jobs", "2"}));
  ASSERT_EQ(backfill.exit_code, 0) << backfill.err;
  EXPECT_EQ(first_difference(m_sequential.dump(), m_backfilled.dump()), "");
  EXPECT_EQ(m_backfilled.query("SELECT lake_date, status FROM etl_run ORDER BY lake_date"),
            "2019-06-01|succeeded\n2019-06-02|succeeded\n2019-06-03|succeeded");

  // Two dates really ran at once: the second started before the first finished.
  const auto second_started = backfill.err.find("backfill: 2019-06-02 started");
  const auto first_finished = backfill.err.find("backfill: 2019-06-01 succeeded");
  ASSERT_NE(second_started, std::string::npos) << backfill.err;
  ASSERT_NE(first_finished, std::string::npos) << backfill.err;
  EXPECT_LT(second_started, first_finished) << backfill.err;

  // The summary table agrees with the ledger, date by date.
  EXPECT_EQ(
      words(backfill.out.substr(0, backfill.out.find('\n'))),
      (std::vector<std::string>{"lake_date", "status", "events", "rejected", "rows", "seconds", "error"}));
  for (const auto& date : kDates) {
    const auto row = summary_row(backfill.out, date);
    ASSERT_EQ(row.size(), 6U) << backfill.out;
    const std::string ledger = m_backfilled.query(
        "SELECT status, events_read, events_rejected, rows_loaded FROM etl_run WHERE lake_date = '" + date +
        "'");
    EXPECT_EQ(row[1] + "|" + row[2] + "|" + row[3] + "|" + row[4], ledger);
    EXPECT_NE(row[2], "0") << "the generated day has events";
  }
  EXPECT_NE(backfill.out.find("3 dates: 3 succeeded, 0 unchanged, 0 failed"), std::string::npos)
      << backfill.out;

  // Backfilling again finds every date unchanged and loads nothing; with --force it loads every
  // date again (each date is an idempotent run): the same warehouse either way.
  auto again = run_d2d(backfill_args(m_backfilled, "lake_backfilled", {"--jobs", "3"}));
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.out.find("3 dates: 0 succeeded, 3 unchanged, 0 failed"), std::string::npos) << again.out;
  EXPECT_EQ(summary_row(again.out, "2019-06-02").at(1), "unchanged") << again.out;
  EXPECT_EQ(first_difference(m_sequential.dump(), m_backfilled.dump()), "");
  auto forced = run_d2d(backfill_args(m_backfilled, "lake_backfilled", {"--jobs", "3", "--force"}));
  ASSERT_EQ(forced.exit_code, 0) << forced.err;
  EXPECT_NE(forced.out.find("3 dates: 3 succeeded, 0 unchanged, 0 failed"), std::string::npos) << forced.out;
  EXPECT_EQ(first_difference(m_sequential.dump(), m_backfilled.dump()), "");
}

TEST_P(Backfill, AFailingDateFailsTheBackfillWhileTheOthersLoad) {
  m_backfilled.reset();
  fs::create_directories(m_dir / "backfilled");
  // Not gzip at all, though named .gz: the run of 2019-06-02 fails on it.
  write_text(m_dir / "source/data/2019-06-02-10-00-0-events.json.gz", "this is not gzip\n");

  auto backfill = run_d2d(backfill_args(m_backfilled, "lake", {"--jobs", "2"}));
  EXPECT_EQ(backfill.exit_code, 1) << backfill.err;
  EXPECT_NE(backfill.err.find("d2d: error: backfill: 1 of 3 lake dates failed: 2019-06-02"),
            std::string::npos)
      << backfill.err;
  EXPECT_EQ(summary_row(backfill.out, "2019-06-01").at(1), "succeeded") << backfill.out;
  EXPECT_EQ(summary_row(backfill.out, "2019-06-03").at(1), "succeeded") << backfill.out;
  const auto failed = summary_row(backfill.out, "2019-06-02");
  ASSERT_GT(failed.size(), 6U) << backfill.out;
  EXPECT_EQ(failed[1], "failed");
  EXPECT_EQ(failed[4], "-") << "a failed date loaded no rows";
  EXPECT_NE(backfill.out.find("corrupt gzip object data/2019-06-02-10-00-0-events.json.gz"),
            std::string::npos)
      << backfill.out;
  EXPECT_NE(backfill.out.find("3 dates: 2 succeeded, 0 unchanged, 1 failed"), std::string::npos)
      << backfill.out;

  EXPECT_EQ(m_backfilled.query("SELECT lake_date, status FROM etl_run ORDER BY lake_date"),
            "2019-06-01|succeeded\n2019-06-02|failed\n2019-06-03|succeeded");
  EXPECT_EQ(m_backfilled.query("SELECT DISTINCT lake_date FROM location_update ORDER BY 1"),
            "2019-06-01\n2019-06-03");

  // Not a terminal: plain log lines, no carriage returns or terminal escapes.
  EXPECT_EQ(backfill.err.find('\r'), std::string::npos);
  EXPECT_EQ(backfill.err.find('\x1b'), std::string::npos);
  EXPECT_NE(backfill.err.find("info backfill: 2019-06-03 started\n"), std::string::npos) << backfill.err;
  EXPECT_NE(backfill.err.find("error backfill: 2019-06-02 failed in "), std::string::npos) << backfill.err;
}

TEST(BackfillUsage, BadRangesAreUsageErrors) {
  TempDir dir;
  auto args = [&](const std::string& from, const std::string& to) {
    return std::vector<std::string>{
        "backfill", "--source", dir.path().string(), "--warehouse", (dir / "w.db").string(), "--from", from,
        "--to",     to};
  };
  auto backwards = run_d2d(args("2019-06-03", "2019-06-01"));
  EXPECT_EQ(backwards.exit_code, 2);
  EXPECT_NE(backwards.err.find("--to 2019-06-01 is before --from 2019-06-03"), std::string::npos)
      << backwards.err;
  auto not_a_date = run_d2d(args("2019-02-30", "2019-03-01"));
  EXPECT_EQ(not_a_date.exit_code, 2);
  EXPECT_NE(not_a_date.err.find("--from '2019-02-30' is not a date"), std::string::npos) << not_a_date.err;
  EXPECT_FALSE(fs::exists(dir / "w.db")) << "nothing is opened before the flags are checked";
}

TEST(BackfillRejectRatio, ADateAboveTheThresholdCountsAsFailed) {
  TempDir dir;
  // 20 of the fixture's 26 lines are bad: above the default 5%.
  const fs::path fixture = fs::path(D2D_TEST_DATA_DIR) / "mixed";
  auto backfill =
      run_d2d({"backfill", "--source", fixture.string(), "--lake", (dir / "lake").string(), "--warehouse",
               (dir / "w.db").string(), "--from", "2019-06-01", "--to", "2019-06-01"});
  EXPECT_EQ(backfill.exit_code, 1) << backfill.err;
  const auto row = summary_row(backfill.out, "2019-06-01");
  ASSERT_GT(row.size(), 6U) << backfill.out;
  EXPECT_EQ(row[1], "failed");
  EXPECT_EQ(row[2] + "|" + row[3], "26|20") << "the counts reached before the failure";
  EXPECT_NE(backfill.out.find("76.92% of lines rejected, above the threshold of 5.00%"), std::string::npos)
      << backfill.out;
  // Everything was stored before the run was failed (SPEC §3).
  EXPECT_EQ(query_one(dir / "w.db", "SELECT status FROM etl_run"), "failed");
  EXPECT_EQ(query_one(dir / "w.db", "SELECT COUNT(*) FROM rejected_event"), "20");
}

// Runs d2d on a pseudo-terminal (stdout and stderr both on it); returns everything it printed.
CliResult run_d2d_on_terminal(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  const std::string program = D2D_BINARY;
  argv.push_back(const_cast<char*>(program.c_str()));
  for (const auto& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  int terminal = -1;
  const pid_t pid = forkpty(&terminal, nullptr, nullptr, nullptr);
  if (pid < 0) throw std::runtime_error("forkpty failed");
  if (pid == 0) {
    execv(program.c_str(), argv.data());
    _exit(127);
  }
  CliResult result;
  char buffer[4096];
  for (;;) {
    const ssize_t got = read(terminal, buffer, sizeof buffer);
    if (got <= 0) break;  // EIO once the child has exited and closed its side
    result.out.append(buffer, static_cast<std::size_t>(got));
  }
  close(terminal);
  int status = 0;
  waitpid(pid, &status, 0);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

TEST(BackfillTerminal, ShowsOneUpdatingProgressLine) {
  TempDir dir;
  generate_three_days(dir / "source");
  auto backfill =
      run_d2d_on_terminal({"backfill", "--source", (dir / "source").string(), "--lake",
                           (dir / "lake").string(), "--warehouse", (dir / "w.db").string(), "--from",
                           kDates.front(), "--to", kDates.back(), "--jobs", "2", "--max-reject-ratio", "1"});
  ASSERT_EQ(backfill.exit_code, 0) << backfill.out;
  const std::string& screen = backfill.out;
  // The line is redrawn in place (carriage return, erase line) with dates, files, events, rate, ETA.
  std::size_t redraws = 0;
  for (auto at = screen.find("\r\x1b[Kbackfill: "); at != std::string::npos;
       at = screen.find("\r\x1b[Kbackfill: ", at + 1)) {
    ++redraws;
    const std::string line = screen.substr(at + 4, screen.find_first_of("\r\n", at + 4) - at - 4);
    EXPECT_NE(line.find(" dates ("), std::string::npos) << line;
    EXPECT_NE(line.find(" files, "), std::string::npos) << line;
    EXPECT_NE(line.find(" events at "), std::string::npos) << line;
    EXPECT_NE(line.find("/s, ETA "), std::string::npos) << line;
  }
  EXPECT_GE(redraws, 6U) << "redrawn at least when each date starts and ends";
  EXPECT_NE(screen.find("3/3 dates (0 failed, 0 running)"), std::string::npos) << screen;
  // Each finished date leaves a line of its own; the run's info logs stay off the screen.
  for (const auto& date : kDates)
    EXPECT_NE(screen.find("\x1b[K" + date + " succeeded in "), std::string::npos);
  EXPECT_EQ(screen.find(" info "), std::string::npos) << screen;
  EXPECT_NE(screen.find("3 dates: 3 succeeded, 0 unchanged, 0 failed"), std::string::npos) << screen;
}

}  // namespace
}  // namespace d2d::testing
