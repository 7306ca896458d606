// The lake most fleet simulator tests read (generated once per suite) and helpers the topic files share.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "generate/fleet_simulator.h"
#include "generate_test_support.h"

namespace d2d::generate::test_support {

// The day (since 1970-01-01) of a time in microseconds, rounded down for times before 1970 too.
std::int64_t day_of(std::int64_t at_us);

// Every file under `root`, by path relative to it, with its bytes.
std::map<std::string, std::string> read_tree(const std::filesystem::path& root);

// The valid lines of a lake, each counted once however many times it was delivered.
std::multiset<std::string> distinct_valid_lines(const Lake& lake);

// One generated lake shared by most tests: two days, a small fleet, breaks and bad lines on.
class GeneratedLake : public ::testing::Test {
 protected:
  static void SetUpTestSuite();
  static void TearDownTestSuite();

  static std::unique_ptr<TempDir> s_dir;
  static GenerateOptions s_options;
  static GenerateSummary s_summary;
  static std::unique_ptr<Lake> s_lake;
};

}  // namespace d2d::generate::test_support
