// A SQLite warehouse keeps the query planner's statistics of location_fix (the table behind the
// location_update view), so that analysts' time-window queries across the fleet read it vehicle by
// vehicle through the primary key instead of scanning every fix (docs/decisions.md, "Statistics
// for analysts").
#include <sqlite3.h>

#include <string>

#include "harness.h"

namespace d2d::testing {
namespace {

// The plan SQLite picks for `sql` on the file, its details joined by newlines.
std::string query_plan(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* statement = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, ("EXPLAIN QUERY PLAN " + sql).c_str(), -1, &statement, nullptr), SQLITE_OK)
      << sqlite3_errmsg(db);
  std::string plan;
  while (statement != nullptr && sqlite3_step(statement) == SQLITE_ROW) {
    plan += reinterpret_cast<const char*>(sqlite3_column_text(statement, 3));
    plan += '\n';
  }
  sqlite3_finalize(statement);
  sqlite3_close(db);
  return plan;
}

TEST(SqliteStatistics, AFleetWideTimeWindowIsReadThroughThePrimaryKeyAfterALoad) {
  TempDir dir;
  WarehouseUnderTest warehouse(Engine::Sqlite, dir / "w");
  const auto generated = run_d2d({"generate", "--out", (dir / "source").string(), "--date", "2019-06-01",
                                  "--days", "1", "--vehicles", "4", "--seed", "3"});
  ASSERT_EQ(generated.exit_code, 0) << generated.err;
  const std::string db = warehouse.args().at(1);
  const std::string hour =
      "SELECT * FROM location_update WHERE at >= '2019-06-01T12:00:00.000000Z' AND at < "
      "'2019-06-01T13:00:00.000000Z'";
  ASSERT_EQ(run_d2d({"migrate", "up", "--warehouse", db}).exit_code, 0);
  // location_update is a view over location_fix (alias f) and vehicle_key (alias k).
  EXPECT_NE(query_plan(db, hour).find("SCAN f"), std::string::npos)
      << "an empty warehouse without statistics scans every fix (the test's premise)";

  const auto ran = run_d2d(run_args_for(dir.path(), warehouse, "2019-06-01"));
  ASSERT_EQ(ran.exit_code, 0) << ran.err;
  const std::string plan = query_plan(db, hour);
  EXPECT_NE(plan.find("SCAN k"), std::string::npos) << plan;
  EXPECT_NE(plan.find("SEARCH f USING PRIMARY KEY (vehicle_key=? AND at>? AND at<?)"), std::string::npos)
      << plan;
}

}  // namespace
}  // namespace d2d::testing
