// Several d2d processes started at once on a fresh warehouse (issue 14, item 9): each one finds
// the schema missing and migrates it. Only one may apply each migration; the others must wait
// for it and go on, never fail with "table ... already exists". Both engines, 2 to 4 processes
// (runs of one lake date and a `d2d migrate up`), a few rounds each, since a race may hide once.
#include <gtest/gtest.h>

#include <memory>

#include "harness.h"

namespace d2d::testing {
namespace {
namespace fs = std::filesystem;

class ConcurrentMigrations : public ::testing::TestWithParam<Engine> {
 protected:
  std::vector<std::string> on_warehouse(std::vector<std::string> args) const {
    const auto target = m_warehouse.args();
    args.insert(args.end(), target.begin(), target.end());
    return args;
  }

  TempDir m_dir;
  WarehouseUnderTest m_warehouse{GetParam(), m_dir / "work"};
};

TEST_P(ConcurrentMigrations, ProcessesStartedTogetherOnAFreshWarehouseAllSucceed) {
  const std::string source = std::string(D2D_TEST_DATA_DIR) + "/mixed";
  for (const int processes : {2, 3, 4}) {
    for (int round = 0; round < 3; ++round) {
      SCOPED_TRACE(std::to_string(processes) + " processes, round " + std::to_string(round));
      m_warehouse.reset();
      fs::remove_all(m_dir / "lake");
      std::vector<std::unique_ptr<BackgroundRun>> started;
      for (int i = 0; i < processes; ++i) {
        // From three processes on, the last one only migrates; the others run the same lake date.
        const bool migrate_only = processes > 2 && i + 1 == processes;
        const std::vector<std::string> args = migrate_only
                                                  ? std::vector<std::string>{"migrate", "up"}
                                                  : std::vector<std::string>{"run",
                                                                             "--source",
                                                                             source,
                                                                             "--lake",
                                                                             (m_dir / "lake").string(),
                                                                             "--date",
                                                                             "2019-06-01",
                                                                             "--max-reject-ratio",
                                                                             "1",
                                                                             "--quiet"};
        started.push_back(
            std::make_unique<BackgroundRun>(on_warehouse(args), m_dir / ("process" + std::to_string(i))));
      }
      for (auto& process : started) {
        const CliResult result = process->wait();
        EXPECT_EQ(result.exit_code, 0) << result.err;
        EXPECT_EQ(result.err.find("already exists"), std::string::npos) << result.err;
      }
      // Each migration applied once, and the date loaded as by one run.
      const CliResult status = run_d2d(on_warehouse({"migrate", "status"}));
      EXPECT_EQ(status.exit_code, 0) << status.err;
      EXPECT_EQ(status.out.find("pending"), std::string::npos) << status.out;
      EXPECT_EQ(m_warehouse.query("SELECT COUNT(*) FROM etl_run WHERE status <> 'succeeded'"), "0");
      EXPECT_NE(m_warehouse.query("SELECT COUNT(*) FROM location_update"), "0");
    }
  }
}

D2D_FOR_EACH_WAREHOUSE(ConcurrentMigrations);

}  // namespace
}  // namespace d2d::testing
