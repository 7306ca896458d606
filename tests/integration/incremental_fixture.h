// The fixture the incremental_*_test.cpp suites derive from: a work folder, its warehouse, one-shot loads.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "harness.h"
#include "incremental_generated_day.h"

namespace d2d::testing::incremental {

// What a warehouse answers: every relation (WarehouseUnderTest::dump) and `d2d report`.
struct State {
  std::string dump;
  std::string report;
};

class IncrementalLoad : public ::testing::TestWithParam<Engine> {
 protected:
  void SetUp() override { m_warehouse.reset(); }

  std::filesystem::path source() const { return m_work / "source"; }

  // `d2d run` of one date of the work folder's source; a small increment may be mostly bad
  // lines, so the reject gate is off (it judges lines, not these tests' subject).
  CliResult run(const std::string& date, std::vector<std::string> extra = {}) const {
    extra.insert(extra.begin(), {"--max-reject-ratio", "1"});
    return run_d2d(run_args_for(m_work, m_warehouse, date, extra));
  }
  void run_ok(const std::string& date, const std::vector<std::string>& extra = {}) const {
    const CliResult result = run(date, extra);
    ASSERT_EQ(result.exit_code, 0) << date << ": " << result.err;
  }

  // Starts over: no source objects, no lake, an empty warehouse.
  void start_over() const {
    std::filesystem::remove_all(source());
    std::filesystem::remove_all(m_work / "lake");
    m_warehouse.reset();
  }

  State state_of(const WarehouseUnderTest& warehouse) const;
  State state() const { return state_of(m_warehouse); }

  // The reference: `keys` of `from` copied into a fresh work folder and each of their dates loaded
  // once into a fresh warehouse.
  State one_shot(const std::filesystem::path& from, const std::vector<std::string>& keys);
  State one_shot_of_source() { return one_shot(source(), keys_under(source())); }

  // The generated object of kDay in the source with the most fixes among `keys`.
  std::string fullest_object(const std::vector<std::string>& keys) const;

  // A statement that changes the warehouse (WarehouseUnderTest::query opens SQLite read-only).
  void execute(const std::string& sql) const;

  TempDir m_dir;
  std::filesystem::path m_work = m_dir / "work";
  WarehouseUnderTest m_warehouse{GetParam(), m_work};
  int m_one_shots = 0;
};

// Both states equal, relation by relation and in the report.
void expect_same(const State& expected, const State& actual, const std::string& what);

}  // namespace d2d::testing::incremental
