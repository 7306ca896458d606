// The PostgreSQL server restarted in the middle of a load (issue 3), on a server of the test's
// own: a restart cuts every connection, and the fixture's server is shared by tests running in
// parallel. Without retries the run fails with one line and the warehouse keeps its previous
// state; with retries it rides out the restart and reaches the state a clean run gives.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "core/time.h"
#include "generate/fleet_simulator.h"
#include "harness.h"

namespace d2d::testing {
namespace {
namespace fs = std::filesystem;
using namespace std::chrono_literals;

const std::string kScripts = D2D_SCRIPTS_DIR;

// Runs scripts/<name> DIR with its output in a file: a server the script starts would hold
// a pipe open for as long as it runs.
CliResult run_script(const std::string& name, const fs::path& dir) {
  const fs::path log = dir.string() + "." + name + ".log";
  CliResult result = run_program("bash", {"-c", "bash \"$0\" \"$1\" >\"$2\" 2>&1 </dev/null",
                                          kScripts + "/" + name, dir.string(), log.string()});
  result.err = read_text(log);
  return result;
}

class PostgresRestart : public ::testing::Test {
 protected:
  void SetUp() override {
    const CliResult started = run_script("pg-start.sh", m_dir / "pg");
    ASSERT_EQ(started.exit_code, 0) << started.err;
    m_uri = read_text(m_dir / "pg" / "uri");
    while (!m_uri.empty() && m_uri.back() == '\n') m_uri.pop_back();
    generate::GenerateOptions options;
    options.out_dir = m_dir / "source";
    options.first_day = *core::parse_date("2023-05-01");
    options.days = 2;
    options.vehicles = 30;
    options.interval_s = 5;
    options.breaks = true;
    options.seed = 12;
    generate::generate_fleet(options);
  }
  void TearDown() override { run_script("pg-stop.sh", m_dir / "pg"); }

  std::vector<std::string> run_args(const WarehouseUnderTest& warehouse, const std::string& date,
                                    const std::vector<std::string>& extra = {}) {
    return run_args_for(m_dir.path(), warehouse, date, extra);
  }

  // Restarts the server once the d2d process named `app` is inside its load transaction.
  void restart_during_load(const std::string& app) {
    for (int i = 0; i < 1000; ++i) {
      if (!pg_query("SELECT pid FROM pg_stat_activity WHERE application_name = '" + app +
                        "' AND backend_xid IS NOT NULL",
                    m_uri)
               .empty()) {
        const CliResult restarted = run_script("pg-restart.sh", m_dir / "pg");
        ASSERT_EQ(restarted.exit_code, 0) << restarted.err;
        return;
      }
      std::this_thread::sleep_for(10ms);
    }
    FAIL() << "d2d never started loading";
  }

  std::string clean_dump(const std::vector<std::string>& dates) {
    WarehouseUnderTest reference(Engine::Postgres, m_dir / "reference", m_uri);
    reference.reset();
    for (const auto& date : dates) {
      auto run = run_d2d(run_args(reference, date));
      EXPECT_EQ(run.exit_code, 0) << run.err;
    }
    return reference.dump();
  }

  TempDir m_dir;
  std::string m_uri;
};

TEST_F(PostgresRestart, ServerRestartedMidLoadFailsCleanlyThenReRunCompletes) {
  WarehouseUnderTest warehouse(Engine::Postgres, m_dir / "w", m_uri);
  warehouse.reset();
  ASSERT_EQ(run_d2d(run_args(warehouse, "2023-05-02")).exit_code, 0);
  const std::string before = warehouse.dump();

  BackgroundRun run(run_args(warehouse, "2023-05-01", {"--attempts", "1"}), m_dir / "restarted",
                    {"PGAPPNAME=d2d-restart-1"});
  restart_during_load("d2d-restart-1");
  const CliResult failed = run.wait();
  EXPECT_EQ(failed.exit_code, 1) << failed.err;
  EXPECT_NE(failed.err.find("d2d: error: PostgreSQL warehouse"), std::string::npos) << failed.err;
  EXPECT_EQ(failed.err.find(m_uri), std::string::npos) << "the password never appears";
  EXPECT_EQ(first_difference(before, warehouse.dump()), "") << "previous state intact";
  EXPECT_EQ(warehouse.query("SELECT status FROM etl_run ORDER BY run_id DESC LIMIT 1"), "failed");

  const CliResult again = run_d2d(run_args(warehouse, "2023-05-01"));
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(first_difference(clean_dump({"2023-05-02", "2023-05-01"}), warehouse.dump()), "");
}

TEST_F(PostgresRestart, ServerRestartedMidLoadIsRiddenOutByRetries) {
  WarehouseUnderTest warehouse(Engine::Postgres, m_dir / "w", m_uri);
  warehouse.reset();
  std::vector<std::string> migrate = {"migrate", "up"};
  for (const std::string& arg : warehouse.args()) migrate.push_back(arg);
  ASSERT_EQ(run_d2d(migrate).exit_code, 0);  // so that the restart meets the load
  BackgroundRun run(run_args(warehouse, "2023-05-01", {"--log-level", "warn"}), m_dir / "retried",
                    {"PGAPPNAME=d2d-restart-2"});
  restart_during_load("d2d-restart-2");
  const CliResult retried = run.wait();
  ASSERT_EQ(retried.exit_code, 0) << retried.err;
  EXPECT_NE(retried.err.find("attempt 1 of 3 failed"), std::string::npos) << retried.err;
  EXPECT_EQ(first_difference(clean_dump({"2023-05-01"}), warehouse.dump()), "");
  EXPECT_EQ(warehouse.query("SELECT status FROM etl_run"), "succeeded");
}

}  // namespace
}  // namespace d2d::testing
