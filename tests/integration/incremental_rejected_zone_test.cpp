// The rejected zone's files under incremental loads: one per load, replaced by a full load.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "harness.h"
#include "incremental_fixture.h"
#include "incremental_generated_day.h"

namespace d2d::testing::incremental {
namespace {
namespace fs = std::filesystem;

std::vector<std::string> zone_files(const fs::path& lake) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(lake / "rejected" / (std::string("lake_date=") + kDay))) {
    names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::vector<std::string> sorted_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  std::sort(lines.begin(), lines.end());
  return lines;
}

// The rejected zone under increments: each load writes only its own objects' lines, to a file of
// its own (an increment costs what it reads, not the day's rejects again); together they hold
// exactly the one-shot load's lines; a file of a run that never committed is removed; a full load,
// once committed, leaves its file alone.
TEST(RejectedZone, EachLoadKeepsItsOwnFileAndAFullLoadReplacesThem) {
  TempDir dir;
  ASSERT_EQ(run_d2d({"generate", "--out", (dir / "all").string(), "--date", kDay, "--vehicles", "3",
                     "--bad-ratio", "0.05", "--seed", "5"})
                .exit_code,
            0);
  const auto keys = keys_of_date(keys_under(dir / "all"), kDay);
  ASSERT_GT(keys.size(), 4U);
  auto run = [&](const std::string& source, const std::string& lake, const std::string& db,
                 const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {"run",
                                     "--date",
                                     kDay,
                                     "--source",
                                     (dir / source).string(),
                                     "--lake",
                                     (dir / lake).string(),
                                     "--warehouse",
                                     (dir / db).string(),
                                     "--quiet",
                                     "--max-reject-ratio",
                                     "1"};
    args.insert(args.end(), extra.begin(), extra.end());
    const CliResult result = run_d2d(args);
    EXPECT_EQ(result.exit_code, 0) << result.err;
  };
  run("all", "lake_one", "one.db");
  const auto one_shot = sorted_lines(read_rejected_zone(dir / "lake_one", kDay));
  ASSERT_FALSE(one_shot.empty());

  const std::vector<std::string> first(keys.begin(),
                                       keys.begin() + static_cast<std::ptrdiff_t>(keys.size() / 2));
  const std::vector<std::string> rest(keys.begin() + static_cast<std::ptrdiff_t>(keys.size() / 2),
                                      keys.end());
  copy_objects(dir / "all", dir / "source", first);
  run("source", "lake", "w.db");
  EXPECT_EQ(zone_files(dir / "lake"), std::vector<std::string>{"rejected-run-1.jsonl"});
  // A run that wrote its file and then failed to commit (say, killed): the next run removes it.
  write_text(dir / "lake/rejected" / (std::string("lake_date=") + kDay) / "rejected-run-77.jsonl", "{}\n");
  copy_objects(dir / "all", dir / "source", rest);
  run("source", "lake", "w.db");
  EXPECT_EQ(query_one(dir / "w.db", "SELECT load_mode FROM etl_run WHERE run_id = 2"), "incremental");
  EXPECT_EQ(zone_files(dir / "lake"),
            (std::vector<std::string>{"rejected-run-1.jsonl", "rejected-run-2.jsonl"}));
  EXPECT_EQ(sorted_lines(read_rejected_zone(dir / "lake", kDay)), one_shot);

  run("source", "lake", "w.db", {"--force"});
  EXPECT_EQ(zone_files(dir / "lake"), std::vector<std::string>{"rejected-run-3.jsonl"});
  EXPECT_EQ(sorted_lines(read_rejected_zone(dir / "lake", kDay)), one_shot);
}

}  // namespace
}  // namespace d2d::testing::incremental
