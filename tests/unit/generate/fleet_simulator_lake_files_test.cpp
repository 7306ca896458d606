// The files the simulator writes: keys, counts, quirks, layouts and compression, reproducible byte for byte.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <regex>

#include "core/time.h"
#include "generate/fleet_simulator.h"
#include "generated_lake_fixture.h"

namespace d2d::generate {
namespace {
namespace fs = std::filesystem;
using test_support::distinct_valid_lines;
using test_support::GeneratedLake;
using test_support::Lake;
using test_support::read_tree;
using test_support::TempDir;

TEST_F(GeneratedLake, SummaryCountsWhatIsOnDisk) {
  EXPECT_EQ(s_summary.files, s_lake->files.size());
  EXPECT_EQ(s_summary.bytes, s_lake->bytes);
  EXPECT_EQ(s_summary.events, s_lake->valid.size());
  EXPECT_EQ(s_summary.bad_lines, s_lake->bad.size());
  EXPECT_EQ(s_summary.blank_lines, s_lake->blank_lines);
  EXPECT_GT(s_summary.events, 10'000u);
}

TEST_F(GeneratedLake, KeysNameTheirLakeDate) {
  // The seconds field is not zero-padded, like the real writer's.
  const std::regex flat(R"(^data/\d{4}-\d\d-\d\d-\d\d-\d\d-(0|[1-9]|[1-5]\d)-events\.json$)");
  std::map<std::int64_t, int> files_per_date;
  for (const auto& file : s_lake->files) {
    EXPECT_TRUE(std::regex_match(file.key, flat)) << file.key;
    ++files_per_date[file.lake_date];
  }
  // Two operating days, then the spill-over of the second night into the third lake date.
  ASSERT_EQ(files_per_date.size(), 3u);
  EXPECT_EQ(files_per_date.begin()->first, s_options.first_day);
  EXPECT_EQ(files_per_date.rbegin()->first, s_options.first_day + 2);
  // A new file every file_seconds while anything is received.
  EXPECT_GT(files_per_date[s_options.first_day], 86'400 / s_options.file_seconds * 2 / 3);
  EXPECT_LE(files_per_date[s_options.first_day], 86'400 / s_options.file_seconds);
}

TEST_F(GeneratedLake, FilesShowEveryValidQuirk) {
  int bom = 0, crlf = 0, no_final_newline = 0;
  for (const auto& file : s_lake->files) {
    bom += file.bom ? 1 : 0;
    crlf += file.crlf ? 1 : 0;
    no_final_newline += file.final_newline ? 0 : 1;
  }
  EXPECT_GT(bom, 0);
  EXPECT_GT(crlf, 0);
  EXPECT_GT(no_final_newline, 0);
  EXPECT_GT(s_lake->blank_lines, 0u);
}

TEST_F(GeneratedLake, SameOptionsGiveTheSameBytes) {
  TempDir again;
  GenerateOptions options = s_options;
  options.out_dir = again.path();
  const GenerateSummary summary = generate_fleet(options);
  EXPECT_EQ(summary.bytes, s_summary.bytes);
  EXPECT_TRUE(read_tree(again.path()) == read_tree(s_dir->path()));
}

TEST_F(GeneratedLake, ValidEventsDoNotDependOnLayoutCompressionOrBadLines) {
  TempDir other;
  GenerateOptions options = s_options;
  options.out_dir = other.path();
  options.layout = KeyLayout::Nested;
  options.gzip = true;
  options.bad_ratio = 0;
  options.file_seconds = 7200;
  const GenerateSummary summary = generate_fleet(options);
  const Lake lake = test_support::read_lake(other.path());
  EXPECT_EQ(summary.bad_lines, 0u);
  EXPECT_TRUE(lake.bad.empty());
  EXPECT_TRUE(distinct_valid_lines(lake) == distinct_valid_lines(*s_lake));
  const std::regex nested(
      R"(^(\d{4})/(\d\d)/(\d\d)/(\d\d)/(\d\d)/\1-\2-\3-\4-\5-(0|[1-9]|[1-5]\d)-events\.txt\.gz$)");
  for (const auto& file : lake.files) {
    EXPECT_TRUE(std::regex_match(file.key, nested)) << file.key;
    std::string folders = core::format_date(file.lake_date);  // YYYY-MM-DD as YYYY/MM/DD
    folders[4] = folders[7] = '/';  // not replace(): in this file GCC 12 sees a -Wrestrict that is not there
    EXPECT_EQ(file.key.substr(0, 10), folders);
  }
  EXPECT_LT(lake.files.size(), s_lake->files.size() / 3);  // two-hour files
  EXPECT_EQ(summary.bytes, lake.bytes);
  EXPECT_LT(lake.bytes * 4, s_summary.bytes);  // compressed
}

}  // namespace
}  // namespace d2d::generate
