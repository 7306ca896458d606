// SQLite has one writer per file, and the engine owns how writers take turns (warehouse/sqlite/
// writer_gate.h): threads of one process queue at an in-process gate; other processes wait on
// SQLite's busy timeout, or, with --no-wait, are refused with one clear line.
#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "core/error.h"
#include "harness.h"
#include "warehouse/sqlite/sqlite_warehouse.h"

namespace d2d::testing {
namespace {

using Clock = std::chrono::steady_clock;

class SqliteWriter : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto generated = run_d2d({"generate", "--out", (m_dir / "source").string(), "--date", "2019-06-01",
                                    "--days", "1", "--vehicles", "3", "--seed", "5"});
    ASSERT_EQ(generated.exit_code, 0) << generated.err;
    const auto migrated = run_d2d({"migrate", "up", "--warehouse", db()});
    ASSERT_EQ(migrated.exit_code, 0) << migrated.err;
  }
  std::string db() const { return m_warehouse.args().at(1); }
  std::vector<std::string> run_args(const std::vector<std::string>& extra = {}) const {
    return run_args_for(m_dir.path(), m_warehouse, "2019-06-01", extra);
  }
  // Another process's write transaction, as SQLite sees it.
  struct OtherWriter {
    explicit OtherWriter(const std::string& path) {
      EXPECT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
      EXPECT_EQ(sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
    }
    void release() {
      if (db == nullptr) return;
      sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
      sqlite3_close(db);
      db = nullptr;
    }
    ~OtherWriter() { release(); }
    sqlite3* db = nullptr;
  };

  TempDir m_dir;
  WarehouseUnderTest m_warehouse{Engine::Sqlite, m_dir / "w"};
};

TEST_F(SqliteWriter, NoWaitIsRefusedAtOnceWhileAnotherProcessWrites) {
  OtherWriter other(db());
  const auto started = Clock::now();
  const CliResult refused = run_d2d(run_args({"--no-wait"}));
  const auto seconds = std::chrono::duration<double>(Clock::now() - started).count();
  EXPECT_EQ(refused.exit_code, 1) << refused.err;
  EXPECT_NE(refused.err.find("another process is writing to"), std::string::npos) << refused.err;
  EXPECT_LT(seconds, 15.0) << "--no-wait waited for the other writer";
  other.release();
  const CliResult later = run_d2d(run_args({"--no-wait"}));
  EXPECT_EQ(later.exit_code, 0) << later.err;
}

TEST_F(SqliteWriter, WithoutNoWaitARunWaitsForTheOtherWriter) {
  OtherWriter other(db());
  std::thread releaser([&other] {
    std::this_thread::sleep_for(std::chrono::seconds(3));
    other.release();
  });
  const auto started = Clock::now();
  const CliResult waited = run_d2d(run_args());
  const auto seconds = std::chrono::duration<double>(Clock::now() - started).count();
  releaser.join();
  EXPECT_EQ(waited.exit_code, 0) << waited.err;
  EXPECT_GE(seconds, 2.5) << "it did not wait for the other writer";
}

// Two connections of one process (a backfill's dates): the second load waits at the gate for the
// first to end, even with wait_for_lock off, instead of failing on SQLite's lock.
TEST_F(SqliteWriter, LoadsOfOneProcessTakeTurnsAtTheGate) {
  auto first = warehouse::open_sqlite_warehouse(db(), false, /*wait_for_lock=*/false);
  auto second = warehouse::open_sqlite_warehouse(db(), false, /*wait_for_lock=*/false);
  const auto date_a = *core::LakeDate::parse("2019-06-01"), date_b = *core::LakeDate::parse("2019-06-02");
  const std::int64_t run_a = first->ledger().start_run(date_a);
  const std::int64_t run_b = second->ledger().start_run(date_b);
  auto load_a = first->loader().begin_load(date_a, run_a);
  std::atomic<bool> b_began{false};
  std::string b_error;
  std::thread other([&] {
    try {
      auto load_b = second->loader().begin_load(date_b, run_b);
      b_began = true;
      load_b->merge();
      load_b->derive();
      load_b->commit({});
    } catch (const std::exception& error) {
      b_error = error.what();
    }
  });
  std::this_thread::sleep_for(std::chrono::seconds(3));  // longer than --no-wait's busy timeout
  EXPECT_FALSE(b_began.load()) << "a second load of this process began while the first held the file";
  load_a->merge();
  load_a->derive();
  load_a->commit({});
  load_a.reset();
  other.join();
  EXPECT_EQ(b_error, "");
  EXPECT_TRUE(b_began.load());
  const auto runs = first->ledger().runs({});
  ASSERT_EQ(runs.size(), 2U);
  EXPECT_EQ(runs[0].status, "succeeded");
  EXPECT_EQ(runs[1].status, "succeeded");
}

}  // namespace
}  // namespace d2d::testing
