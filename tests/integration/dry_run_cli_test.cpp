// Issue 15, item 5: `run --dry-run` and `backfill --dry-run` list what would be copied (new and
// changed objects, by the source's listing against the lake) and loaded, and write nothing: no
// lake folder or file, no warehouse file, no ledger row.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>

#include "harness.h"

namespace d2d::testing {
namespace {
namespace fs = std::filesystem;

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// Every file below `root` with its size and modification time: equal snapshots, nothing written.
std::string snapshot(const fs::path& root) {
  std::vector<std::string> lines;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    const auto stamp = fs::last_write_time(entry.path()).time_since_epoch().count();
    lines.push_back(fs::relative(entry.path(), root).string() + " " +
                    (entry.is_regular_file() ? std::to_string(entry.file_size()) : "dir") + " " +
                    std::to_string(stamp));
  }
  std::sort(lines.begin(), lines.end());
  std::string text;
  for (const auto& line : lines) text += line + "\n";
  return text;
}

class DryRunCli : public ::testing::Test {
 protected:
  void SetUp() override {
    auto generated = run_d2d({"generate", "--out", m_source.string(), "--date", "2019-06-01", "--days", "2",
                              "--vehicles", "2", "--interval-s", "300", "--layout", "flat", "--seed", "9"});
    ASSERT_EQ(generated.exit_code, 0) << generated.err;
    for (const auto& entry : fs::directory_iterator(m_source / "data")) {
      if (entry.path().filename().string().starts_with("2019-06-01-")) m_day_one.push_back(entry.path());
    }
    std::sort(m_day_one.begin(), m_day_one.end());
    ASSERT_GE(m_day_one.size(), 2U);
  }
  std::vector<std::string> args(const std::vector<std::string>& command) const {
    std::vector<std::string> all = command;
    for (const std::string& arg : std::vector<std::string>{
             "--source", m_source.string(), "--lake", m_lake.string(), "--warehouse", m_warehouse.string()})
      all.push_back(arg);
    return all;
  }
  TempDir m_dir;
  fs::path m_source = m_dir / "events", m_lake = m_dir / "lake", m_warehouse = m_dir / "w.db";
  std::vector<fs::path> m_day_one;
};

TEST_F(DryRunCli, OnAnEmptyLakeEveryObjectIsNewAndNothingIsCreated) {
  auto dry = run_d2d(args({"run", "--date", "2019-06-01", "--dry-run"}));
  ASSERT_EQ(dry.exit_code, 0) << dry.err;
  EXPECT_TRUE(contains(dry.out, std::to_string(m_day_one.size()) + " new, 0 changed, 0 unchanged"))
      << dry.out;
  EXPECT_TRUE(contains(dry.out, "  new      data/" + m_day_one.front().filename().string())) << dry.out;
  EXPECT_FALSE(fs::exists(m_lake)) << "the lake folder was created";
  EXPECT_FALSE(fs::exists(m_warehouse)) << "the warehouse was created";
}

TEST_F(DryRunCli, AfterARunItListsNewAndChangedObjectsAndWritesNothing) {
  auto run = run_d2d(args({"run", "--date", "2019-06-01", "--quiet"}));
  ASSERT_EQ(run.exit_code, 0) << run.err;
  // One object changes, one appears.
  {
    std::ofstream(m_day_one.front(), std::ios::app) << "{\"not\": \"an event\"}\n";
    std::ofstream(m_source / "data" / "2019-06-01-23-59-59-events.json") << "{}\n";
  }
  const std::string lake_before = snapshot(m_lake);
  const std::string warehouse_before = dump_warehouse(m_warehouse);
  const std::string runs_before = query_one(m_warehouse, "SELECT count(*) FROM etl_run");
  const auto size_before = fs::file_size(m_warehouse);

  auto dry = run_d2d(args({"run", "--date", "2019-06-01", "--dry-run"}));
  ASSERT_EQ(dry.exit_code, 0) << dry.err;
  EXPECT_TRUE(contains(dry.out, std::to_string(m_day_one.size() + 1) + " objects: 1 new, 1 changed, " +
                                    std::to_string(m_day_one.size() - 1) + " unchanged"))
      << dry.out;
  EXPECT_TRUE(contains(dry.out, "  changed  data/" + m_day_one.front().filename().string())) << dry.out;
  EXPECT_TRUE(contains(dry.out, "  new      data/2019-06-01-23-59-59-events.json")) << dry.out;
  EXPECT_TRUE(contains(dry.out, "would copy 2 and load all")) << dry.out;

  auto backfill = run_d2d(args({"backfill", "--from", "2019-06-01", "--to", "2019-06-02", "--dry-run"}));
  ASSERT_EQ(backfill.exit_code, 0) << backfill.err;
  EXPECT_TRUE(contains(backfill.out, "2019-06-01: dry run: ")) << backfill.out;
  EXPECT_TRUE(contains(backfill.out, "2019-06-02: dry run: ")) << backfill.out;
  EXPECT_TRUE(contains(backfill.out, "1 new, 1 changed")) << backfill.out;

  EXPECT_EQ(snapshot(m_lake), lake_before) << "the lake changed";
  EXPECT_EQ(first_difference(warehouse_before, dump_warehouse(m_warehouse)), "");
  EXPECT_EQ(query_one(m_warehouse, "SELECT count(*) FROM etl_run"), runs_before)
      << "a ledger row was written";
  EXPECT_EQ(fs::file_size(m_warehouse), size_before);
}

// An object gone from the source changes the raw zone (extract drops it from the manifest), so a
// real run loads the date again: the plan says so, where it used to promise nothing to do.
TEST_F(DryRunCli, ObjectsGoneFromTheSourceAreListedAndMeanALoad) {
  ASSERT_EQ(run_d2d(args({"run", "--date", "2019-06-01", "--quiet"})).exit_code, 0);
  fs::remove(m_day_one.front());
  auto dry = run_d2d(args({"run", "--date", "2019-06-01", "--dry-run"}));
  ASSERT_EQ(dry.exit_code, 0) << dry.err;
  EXPECT_TRUE(contains(dry.out, std::to_string(m_day_one.size() - 1) + " unchanged, 1 removed")) << dry.out;
  EXPECT_TRUE(contains(dry.out, "  removed  data/" + m_day_one.front().filename().string())) << dry.out;
  EXPECT_TRUE(contains(dry.out, "would copy 0 and load all")) << dry.out;
}

// Only new objects: a real run loads just those (an incremental load, SPEC §8), and says so.
TEST_F(DryRunCli, OnlyNewObjectsMeanAnIncrementalLoad) {
  ASSERT_EQ(run_d2d(args({"run", "--date", "2019-06-01", "--quiet"})).exit_code, 0);
  std::ofstream(m_source / "data" / "2019-06-01-23-59-59-events.json") << "{}\n";
  auto dry = run_d2d(args({"run", "--date", "2019-06-01", "--dry-run"}));
  ASSERT_EQ(dry.exit_code, 0) << dry.err;
  EXPECT_TRUE(contains(dry.out, "would copy 1 and load the 1 new object(s) (incremental)")) << dry.out;
  auto run = run_d2d(args({"run", "--date", "2019-06-01", "--max-reject-ratio", "1"}));
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_TRUE(contains(run.err, "incremental load: 1 new object(s)")) << run.err;
}

TEST_F(DryRunCli, AnUnchangedDateCopiesNothing) {
  ASSERT_EQ(run_d2d(args({"run", "--date", "2019-06-01", "--quiet"})).exit_code, 0);
  auto dry = run_d2d(args({"run", "--date", "2019-06-01", "--dry-run"}));
  ASSERT_EQ(dry.exit_code, 0) << dry.err;
  EXPECT_TRUE(contains(dry.out, "0 new, 0 changed, " + std::to_string(m_day_one.size()) + " unchanged"))
      << dry.out;
  EXPECT_TRUE(contains(dry.out, "would copy 0 ")) << dry.out;
  EXPECT_FALSE(contains(dry.out, "\n  ")) << "no object listed: " << dry.out;
}

}  // namespace
}  // namespace d2d::testing
