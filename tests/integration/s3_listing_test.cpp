// Listing touches only the lake date: a bucket with 10,000 keys of other dates is read with a
// handful of requests, and every full listing is of the date's own prefix (counted by the
// tests' proxy).
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "harness.h"
#include "s3_support.h"

namespace d2d::testing {
namespace {
namespace fs = std::filesystem;

constexpr int kOtherKeys = 10'000;

// Puts `keys` (tiny bodies) with 16 uploads at a time through d2d's own client.
void put_all(s3::Client& client, const std::vector<std::string>& keys) {
  std::atomic<std::size_t> next{0};
  std::vector<std::jthread> workers;
  for (int t = 0; t < 16; ++t) {
    workers.emplace_back([&] {
      for (std::size_t i = next++; i < keys.size(); i = next++) client.put(keys[i], "{}\n");
    });
  }
}

// Keys of May 2019: every day, hour and minute step until kOtherKeys.
std::vector<std::string> other_date_keys(const std::string& prefix, bool nested) {
  std::vector<std::string> keys;
  for (int i = 0; static_cast<int>(keys.size()) < kOtherKeys; ++i) {
    const int day = 1 + i % 31, hour = (i / 31) % 24, minute = (i / 744) % 60;
    const std::string name = fmt::format("2019-05-{:02}-{:02}-{:02}-{}-events", day, hour, minute, i);
    keys.push_back(nested
                       ? fmt::format("{}/2019/05/{:02}/{:02}/{:02}/{}.txt", prefix, day, hour, minute, name)
                       : fmt::format("{}/data/{}.json", prefix, name));
  }
  return keys;
}

class S3Listing : public ::testing::TestWithParam<bool> {};

TEST_P(S3Listing, TenThousandKeysOfOtherDatesAreNeverListed) {
  use_s3_test_credentials();
  const bool nested = GetParam();
  TempDir work;
  const std::string prefix = unique_prefix(nested ? "listing-nested" : "listing-flat");
  auto client = test_client("d2d-source");
  put_all(*client, other_date_keys(prefix, nested));
  const CliResult generated =
      run_d2d({"generate", "--out", (work / "source").string(), "--date", "2019-06-01", "--vehicles", "5",
               "--file-seconds", "3600", "--layout", nested ? "nested" : "flat"});
  ASSERT_EQ(generated.exit_code, 0) << generated.err;
  aws_cli_upload(work / "source", "s3://d2d-source/" + prefix + "/");

  FaultProxy proxy(work.path());  // records only
  const CliResult result = run_d2d({"run", "--date", "2019-06-01", "--source", "s3://d2d-source/" + prefix,
                                    "--lake", (work / "lake").string(), "--warehouse",
                                    (work / "w.db").string(), "--s3-endpoint", proxy.endpoint()});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const std::string objects = query_one(work / "w.db", "SELECT objects FROM etl_run");

  const std::string folder = nested ? prefix + "%2F" : prefix + "%2Fdata%2F";
  int listings = 0, full_listings = 0, gets = 0;
  for (const auto& record : proxy.records()) {
    if (record.target.find("list-type=2") == std::string::npos) {
      ++gets;
      continue;
    }
    ++listings;
    // Discovery samples a level (max-keys 20 with a delimiter, or 1); anything else is the
    // full listing, and it must be of the date's own prefix.
    const bool sample = record.target.find("max-keys=20&") != std::string::npos ||
                        record.target.find("max-keys=1&") != std::string::npos;
    if (!sample) {
      // The date's flat prefix, or its nested folder (probed as well when a level of dated files
      // was too long to see whether YYYY/ folders follow).
      ++full_listings;
      const bool of_the_date = record.target.ends_with("prefix=" + folder + "2019-06-01-") ||
                               record.target.ends_with("prefix=" + folder + "2019%2F06%2F01%2F");
      EXPECT_TRUE(of_the_date) << record.target;
    }
  }
  EXPECT_GE(full_listings, 1);
  EXPECT_LE(full_listings, 2);
  EXPECT_LE(listings, 4) << "discovery of the layout plus one listing of the date";
  EXPECT_EQ(std::to_string(gets), objects) << "one GET per object of the date, nothing else";
}

INSTANTIATE_TEST_SUITE_P(S3, S3Listing, ::testing::Values(true, false),
                         [](const ::testing::TestParamInfo<bool>& param) {
                           return std::string(param.param ? "nested" : "flat");
                         });

}  // namespace
}  // namespace d2d::testing
