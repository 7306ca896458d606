// The IncrementalLoad fixture's longer members (incremental_fixture.h), compiled once for every suite.
#include "incremental_fixture.h"

#include <fmt/format.h>
#include <sqlite3.h>

namespace d2d::testing::incremental {
namespace fs = std::filesystem;

State IncrementalLoad::state_of(const WarehouseUnderTest& warehouse) const {
  std::vector<std::string> args = {"report", "--format", "csv"};
  const auto target = warehouse.args();
  args.insert(args.end(), target.begin(), target.end());
  const CliResult report = run_d2d(args);
  EXPECT_EQ(report.exit_code, 0) << report.err;
  return {warehouse.dump(), report.out};
}

State IncrementalLoad::one_shot(const fs::path& from, const std::vector<std::string>& keys) {
  const fs::path work = m_dir / fmt::format("one-shot-{}", ++m_one_shots);
  copy_objects(from, work / "source", keys);
  const WarehouseUnderTest fresh(GetParam(), work);
  fresh.reset();
  for (const auto& date : dates_of(keys)) {
    const CliResult result = run_d2d(run_args_for(work, fresh, date, {"--max-reject-ratio", "1"}));
    EXPECT_EQ(result.exit_code, 0) << "one-shot load of " << date << ": " << result.err;
  }
  const State state = state_of(fresh);
  fresh.reset();  // PostgreSQL: drops the schema
  fs::remove_all(work);
  return state;
}

std::string IncrementalLoad::fullest_object(const std::vector<std::string>& keys) const {
  std::string fullest;
  std::size_t most = 0;
  for (const auto& key : keys_of_date(keys, kDay)) {
    if (key.ends_with("-corrections.txt")) continue;
    const std::string body = read_text(source() / key);
    std::size_t fixes = 0;
    for (auto at = body.find("\"update\""); at != std::string::npos; at = body.find("\"update\"", at + 1))
      ++fixes;
    if (fixes > most) {
      fullest = key;
      most = fixes;
    }
  }
  return fullest;
}

void IncrementalLoad::execute(const std::string& sql) const {
  if (GetParam() == Engine::Postgres) {
    m_warehouse.query(sql);
    return;
  }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((m_work / "w.db").c_str(), &db), SQLITE_OK);
  char* error = nullptr;
  const int status = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
  const std::string message = error != nullptr ? error : "";
  sqlite3_free(error);
  sqlite3_close(db);
  ASSERT_EQ(status, SQLITE_OK) << message;
}

void expect_same(const State& expected, const State& actual, const std::string& what) {
  EXPECT_EQ(first_difference(expected.dump, actual.dump), "") << what;
  EXPECT_EQ(expected.report, actual.report) << what;
}

}  // namespace d2d::testing::incremental
