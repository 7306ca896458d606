// A lake date read from s3:// (nested and flat layouts, gzip and plain, put by awscli) gives
// the same warehouse as the same files read from a local folder; an S3 lake is reused; the
// credential chain, anonymous access and virtual-hosted addressing work against s3rver.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <cstdio>
#include <fstream>

#include "harness.h"
#include "s3_support.h"

namespace d2d::testing {
namespace {
namespace fs = std::filesystem;

constexpr const char* kDate = "2019-06-01";

void generate(const fs::path& out, const std::string& layout, bool gzip) {
  std::vector<std::string> args{"generate", "--out",    out.string(), "--date",   kDate,
                                "--days",   "2",        "--vehicles", "12",       "--file-seconds",
                                "1800",     "--layout", layout,       "--breaks", "--bad-ratio",
                                "0.003",    "--seed",   "11"};
  if (gzip) args.push_back("--gzip");
  const CliResult result = run_d2d(args);
  ASSERT_EQ(result.exit_code, 0) << result.err;
}

CliResult run_date(const std::string& source, const std::string& lake, const fs::path& db,
                   const std::vector<std::string>& extra = {}) {
  std::vector<std::string> args{"run", "--date",      kDate,       "--source",      source,       "--lake",
                                lake,  "--warehouse", db.string(), "--s3-endpoint", s3_endpoint()};
  args.insert(args.end(), extra.begin(), extra.end());
  return run_d2d(args);
}

struct Layout {
  const char* layout;
  bool gzip;
};

class S3Layouts : public ::testing::TestWithParam<Layout> {
 protected:
  void SetUp() override { use_s3_test_credentials(); }
};

TEST_P(S3Layouts, ReadsExactlyWhatALocalFolderGives) {
  TempDir work;
  generate(work / "source", GetParam().layout, GetParam().gzip);
  const std::string prefix = unique_prefix(GetParam().layout);
  aws_cli_upload(work / "source", "s3://d2d-source/" + prefix + "/");

  const CliResult local = run_date((work / "source").string(), (work / "lake").string(), work / "local.db");
  ASSERT_EQ(local.exit_code, 0) << local.err;
  const CliResult remote = run_date("s3://d2d-source/" + prefix, "s3://d2d-lake/" + prefix, work / "s3.db");
  ASSERT_EQ(remote.exit_code, 0) << remote.err;
  EXPECT_EQ(first_difference(dump_warehouse(work / "local.db"), dump_warehouse(work / "s3.db")), "");
  // Same objects, events, rejects, rows and periods (the timing differs).
  EXPECT_EQ(local.out.substr(0, local.out.find(" in ")), remote.out.substr(0, remote.out.find(" in ")));
  const auto report = [](const fs::path& db) {
    return run_d2d({"report", "--warehouse", db.string(), "--format", "json"}).out;
  };
  EXPECT_EQ(report(work / "local.db"), report(work / "s3.db"));

  // The raw and rejected zones live in the lake bucket; a second run copies nothing again.
  auto lake = test_client("d2d-lake");
  const auto raw = lake->list_all(prefix + "/raw/lake_date=" + kDate + "/");
  const auto objects = query_one(work / "s3.db", "SELECT objects FROM etl_run ORDER BY run_id DESC LIMIT 1");
  EXPECT_EQ(raw.size(), std::stoul(objects) + 1) << "every object and the manifest";
  // The rejected zone: one file, the run's (rejected-run-<id>.jsonl).
  const std::string rejected_folder = prefix + "/rejected/lake_date=" + std::string(kDate) + "/";
  const auto run_of = [&](const fs::path& db) {
    return query_one(db,
                     "SELECT run_id FROM etl_run WHERE load_mode IS NOT NULL ORDER BY run_id DESC LIMIT 1");
  };
  const auto zone = lake->list_all(rejected_folder);
  ASSERT_EQ(zone.size(), 1U);
  EXPECT_EQ(zone[0].key, rejected_folder + "rejected-run-" + run_of(work / "s3.db") + ".jsonl");
  const CliResult again = run_date("s3://d2d-source/" + prefix, "s3://d2d-lake/" + prefix, work / "s3.db");
  ASSERT_EQ(again.exit_code, 0) << again.err;
  // The listing's ETags tell every object is the one the manifest holds: none is read again.
  EXPECT_NE(again.err.find("(0 copied, " + objects + " unchanged, 0 read again to compare)"),
            std::string::npos)
      << again.err;
  EXPECT_EQ(first_difference(dump_warehouse(work / "local.db"), dump_warehouse(work / "s3.db")), "");

  // A full load replaces the date: once committed, the file of the load it replaced is deleted.
  const CliResult forced =
      run_date("s3://d2d-source/" + prefix, "s3://d2d-lake/" + prefix, work / "s3.db", {"--force"});
  ASSERT_EQ(forced.exit_code, 0) << forced.err;
  const auto replaced = lake->list_all(rejected_folder);
  ASSERT_EQ(replaced.size(), 1U);
  EXPECT_EQ(replaced[0].key, rejected_folder + "rejected-run-" + run_of(work / "s3.db") + ".jsonl");
  EXPECT_NE(replaced[0].key, zone[0].key);
}

INSTANTIATE_TEST_SUITE_P(S3, S3Layouts, ::testing::Values(Layout{"nested", true}, Layout{"flat", false}),
                         [](const ::testing::TestParamInfo<Layout>& param) {
                           return std::string(param.param.layout) + (param.param.gzip ? "_gzip" : "_plain");
                         });

class S3Access : public ::testing::Test {
 protected:
  void SetUp() override {
    use_s3_test_credentials();
    generate(m_work / "source", "nested", true);
    m_prefix = unique_prefix("access");
    aws_cli_upload(m_work / "source", "s3://d2d-source/" + m_prefix + "/");
  }
  TempDir m_work;
  std::string m_prefix;
};

TEST_F(S3Access, ProfileFilesAnonymousAndBadKeysWithoutLeakingSecrets) {
  const std::string source = "s3://d2d-source/" + m_prefix;
  // AWS_PROFILE with ~/.aws/credentials, no key in the environment.
  unsetenv("AWS_ACCESS_KEY_ID");
  unsetenv("AWS_SECRET_ACCESS_KEY");
  fs::create_directories(m_work / "home/.aws");
  write_text(m_work / "home/.aws/credentials",
             "[ci]\naws_access_key_id = S3RVER\naws_secret_access_key = S3RVER\n");
  setenv("HOME", (m_work / "home").c_str(), 1);
  setenv("AWS_PROFILE", "ci", 1);
  CliResult result = run_date(source, (m_work / "lake1").string(), m_work / "profile.db");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.err.find("credentials: profile ci"), std::string::npos) << result.err;

  // --s3-anonymous: unsigned requests, as for the operator's public bucket.
  result = run_date(source, (m_work / "lake2").string(), m_work / "anonymous.db", {"--s3-anonymous"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.err.find("credentials: anonymous"), std::string::npos) << result.err;
  EXPECT_EQ(first_difference(dump_warehouse(m_work / "profile.db"), dump_warehouse(m_work / "anonymous.db")),
            "");

  // A key the server does not know: one clear line, exit 1, and the secret nowhere.
  unsetenv("AWS_PROFILE");
  setenv("AWS_ACCESS_KEY_ID", "AKIDWRONGKEY", 1);
  setenv("AWS_SECRET_ACCESS_KEY", "TopSecretValue-123", 1);
  result = run_date(source, (m_work / "lake3").string(), m_work / "wrong.db", {"--quiet"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_TRUE(last_line(result.err).starts_with("d2d: error: S3 list s3://d2d-source/")) << result.err;
  EXPECT_NE(last_line(result.err).find("InvalidAccessKeyId"), std::string::npos) << result.err;
  EXPECT_EQ(result.err.find("d2d: error:"), result.err.rfind("d2d: error:")) << result.err;
  EXPECT_EQ((result.out + result.err).find("TopSecretValue-123"), std::string::npos);
}

TEST_F(S3Access, VirtualHostedAddressingNamesTheBucketInTheHost) {
  FaultProxy proxy(m_work.path());  // records only
  const std::string port = proxy.endpoint().substr(proxy.endpoint().rfind(':') + 1);
  // curl resolves *.localhost to loopback itself; s3rver maps <bucket>.s3.localhost to the bucket.
  const CliResult result =
      run_d2d({"run", "--date", kDate, "--source", "s3://d2d-source/" + m_prefix, "--lake",
               (m_work / "lake").string(), "--warehouse", (m_work / "v.db").string(), "--s3-endpoint",
               "http://s3.localhost:" + port, "--s3-addressing", "virtual"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto records = proxy.records();
  ASSERT_FALSE(records.empty());
  for (const auto& record : records) {
    EXPECT_FALSE(record.target.starts_with("/d2d-source")) << record.target;
  }
  const CliResult path_style =
      run_date("s3://d2d-source/" + m_prefix, (m_work / "lake2").string(), m_work / "p.db");
  ASSERT_EQ(path_style.exit_code, 0) << path_style.err;
  EXPECT_EQ(first_difference(dump_warehouse(m_work / "p.db"), dump_warehouse(m_work / "v.db")), "");
}

// Peak RSS (kB) of `d2d args`, by GNU time, and the run's result.
std::pair<long, CliResult> peak_rss_kb(const std::vector<std::string>& args) {
  std::vector<std::string> timed{"-f", "peak_rss_kb=%M", D2D_BINARY};
  timed.insert(timed.end(), args.begin(), args.end());
  CliResult result = run_program("/usr/bin/time", timed);
  const auto at = result.err.rfind("peak_rss_kb=");
  return {at == std::string::npos ? -1 : std::stol(result.err.substr(at + 12)), result};
}

// An object larger than what d2d may hold in memory: from an S3 source into an S3 lake and back
// out to transform, it passes through temporary files, so the run's peak memory is that of the
// same run on local folders (which stream) plus buffers, not plus copies of the object.
TEST(S3Memory, ALargeObjectCostsDiskNotMemory) {
  use_s3_test_credentials();
  TempDir work;
  const CliResult generated =
      run_d2d({"generate", "--out", (work / "source").string(), "--date", kDate, "--vehicles", "200",
               "--interval-s", "15", "--file-seconds", "86400", "--layout", "flat", "--seed", "5"});
  ASSERT_EQ(generated.exit_code, 0) << generated.err;
  std::uint64_t largest = 0;
  for (const auto& entry : fs::recursive_directory_iterator(work / "source")) {
    if (entry.is_regular_file()) largest = std::max<std::uint64_t>(largest, entry.file_size());
  }
  ASSERT_GT(largest, 50U << 20) << "the object must dwarf the allowance below";
  const std::string prefix = unique_prefix("large");
  aws_cli_upload(work / "source", "s3://d2d-source/" + prefix + "/");

  const auto [local_kb, local] =
      peak_rss_kb({"run", "--date", kDate, "--source", (work / "source").string(), "--lake",
                   (work / "lake").string(), "--warehouse", (work / "local.db").string(), "--quiet"});
  ASSERT_EQ(local.exit_code, 0) << local.err;
  const auto [s3_kb, remote] = peak_rss_kb(
      {"run", "--date", kDate, "--source", "s3://d2d-source/" + prefix, "--lake", "s3://d2d-lake/" + prefix,
       "--warehouse", (work / "s3.db").string(), "--s3-endpoint", s3_endpoint(), "--quiet"});
  ASSERT_EQ(remote.exit_code, 0) << remote.err;
  EXPECT_EQ(first_difference(dump_warehouse(work / "local.db"), dump_warehouse(work / "s3.db")), "");
  ASSERT_GT(local_kb, 0);
  std::printf("peak RSS: %ld kB from local folders, %ld kB from S3 into S3; object %llu bytes\n", local_kb,
              s3_kb, static_cast<unsigned long long>(largest));
  // curl's buffers and a few 1 MiB blocks; holding the object even once would add 50 MB.
  EXPECT_LT(s3_kb, local_kb + 24 * 1024)
      << "S3 run " << s3_kb << " kB, local run " << local_kb << " kB, object " << largest << " bytes";
}

}  // namespace
}  // namespace d2d::testing
