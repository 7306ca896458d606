// generate_fleet's options on small fleets of their own: seeds, ratios, invalid options, unwritable output.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <set>
#include <string>
#include <vector>

#include "core/error.h"
#include "generate/fleet_simulator.h"
#include "generated_lake_fixture.h"

namespace d2d::generate {
namespace {
namespace fs = std::filesystem;
using test_support::Lake;
using test_support::read_tree;
using test_support::TempDir;

TEST(GenerateFleet, ADifferentSeedGivesADifferentFleet) {
  TempDir first, second;
  GenerateOptions options = test_support::small_options(first.path());
  options.vehicles = 2;
  options.interval_s = 60;
  generate_fleet(options);
  options.out_dir = second.path();
  options.seed = 8;
  generate_fleet(options);
  const Lake a = test_support::read_lake(first.path());
  const Lake b = test_support::read_lake(second.path());
  std::set<std::string> ids_a, ids_b;
  for (const auto& line : a.valid) ids_a.insert(line.event.id);
  for (const auto& line : b.valid) ids_b.insert(line.event.id);
  EXPECT_FALSE(read_tree(first.path()) == read_tree(second.path()));
  std::vector<std::string> common;
  std::set_intersection(ids_a.begin(), ids_a.end(), ids_b.begin(), ids_b.end(), std::back_inserter(common));
  for (const auto& id : common) EXPECT_TRUE(id.starts_with("op_")) << id;  // vehicle ids differ
}

TEST(GenerateFleet, OnlyBadLinesWithRatioOne) {
  TempDir dir;
  GenerateOptions options = test_support::small_options(dir.path());
  options.vehicles = 1;
  options.interval_s = 300;
  options.bad_ratio = 1.0;
  const GenerateSummary summary = generate_fleet(options);
  const Lake lake = test_support::read_lake(dir.path());
  EXPECT_EQ(summary.events, 0u);
  EXPECT_TRUE(lake.valid.empty());
  EXPECT_EQ(lake.bad.size(), summary.bad_lines);
  EXPECT_GT(summary.bad_lines, 50u);
}

TEST(GenerateFleet, WithoutBreaksThereAreNoBreakEvents) {
  TempDir dir;
  GenerateOptions options = test_support::small_options(dir.path());
  options.vehicles = 3;
  options.interval_s = 60;
  const GenerateSummary summary = generate_fleet(options);
  const Lake lake = test_support::read_lake(dir.path());
  EXPECT_TRUE(lake.bad.empty());
  EXPECT_EQ(summary.bad_lines, 0u);
  for (const auto& line : lake.valid) EXPECT_FALSE(line.event.event.starts_with("break_")) << line.raw;
}

TEST(GenerateFleet, InvalidOptionsAreUsageErrors) {
  TempDir dir;
  auto usage_error = [&](auto change) {
    GenerateOptions options = test_support::small_options(dir.path() / "never");
    change(options);
    try {
      generate_fleet(options);
    } catch (const core::Error& error) {
      return error.kind() == core::ErrorKind::Usage && !std::string(error.what()).empty();
    }
    return false;
  };
  EXPECT_TRUE(usage_error([](GenerateOptions& o) { o.vehicles = 0; }));
  EXPECT_TRUE(usage_error([](GenerateOptions& o) { o.interval_s = 0; }));
  EXPECT_TRUE(usage_error([](GenerateOptions& o) { o.days = 0; }));
  EXPECT_TRUE(usage_error([](GenerateOptions& o) { o.bad_ratio = -0.1; }));
  EXPECT_TRUE(usage_error([](GenerateOptions& o) { o.bad_ratio = 1.5; }));
  EXPECT_TRUE(
      usage_error([](GenerateOptions& o) { o.bad_ratio = std::numeric_limits<double>::quiet_NaN(); }));
  EXPECT_TRUE(usage_error([](GenerateOptions& o) { o.conflict_ratio = 1.5; }));
  EXPECT_TRUE(usage_error([](GenerateOptions& o) { o.file_seconds = 0; }));
  EXPECT_TRUE(usage_error([](GenerateOptions& o) { o.gzip_level = 10; }));
  EXPECT_TRUE(usage_error([](GenerateOptions& o) { o.out_dir.clear(); }));
  EXPECT_FALSE(fs::exists(dir.path() / "never"));  // validated before anything is written
}

TEST(GenerateFleet, AnUnwritableOutputIsAnInputError) {
  TempDir dir;
  std::ofstream(dir.path() / "file") << "not a directory";
  GenerateOptions options = test_support::small_options(dir.path() / "file" / "out");
  options.vehicles = 1;
  try {
    generate_fleet(options);
    FAIL() << "expected an error";
  } catch (const core::Error& error) {
    EXPECT_EQ(error.kind(), core::ErrorKind::Input);
    EXPECT_NE(std::string(error.what()).find("cannot create directory"), std::string::npos) << error.what();
  }
}

}  // namespace
}  // namespace d2d::generate
