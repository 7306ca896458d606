// A real network fails: the tests' proxy injects throttling, 5xx, resets, stalls, truncated
// and corrupted bodies between d2d and s3rver. With a bounded number of faults the run
// recovers and the warehouse is identical to a clean run; with faults that never stop, the run
// fails with one line and the warehouse is unchanged. A truncated object is never loaded.
// Also: every request the client sends carries the signature botocore computes for it.
#include <gtest/gtest.h>

#include <algorithm>

#include "harness.h"
#include "s3_support.h"

namespace d2d::testing {
namespace {
namespace fs = std::filesystem;

constexpr const char* kDate = "2019-06-01";

class S3Fixture {
 public:
  S3Fixture() {
    use_s3_test_credentials();
    const CliResult generated = run_d2d({"generate", "--out", (m_work / "source").string(), "--date", kDate,
                                         "--vehicles", "8", "--file-seconds", "1800", "--layout", "nested",
                                         "--gzip", "--breaks", "--bad-ratio", "0.003"});
    if (generated.exit_code != 0) throw std::runtime_error(generated.err);
    m_prefix = unique_prefix("faults");
    aws_cli_upload(m_work / "source", "s3://d2d-source/" + m_prefix + "/");
  }
  CliResult run(const std::string& endpoint, const std::string& lake, const fs::path& db,
                const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args{"run",       "--date",        kDate,    "--source",
                                  source(),    "--lake",        lake,     "--warehouse",
                                  db.string(), "--s3-endpoint", endpoint, "--s3-stall-timeout-s",
                                  "1"};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_d2d(args);
  }
  std::string source() const { return "s3://d2d-source/" + m_prefix; }
  TempDir m_work;
  std::string m_prefix;
};

struct Fault {
  const char* name;
  std::vector<std::string> options;  // s3_proxy.py
  bool resumes = false;              // the client keeps the bytes it got and asks for the rest
};

class S3Faults : public ::testing::TestWithParam<Fault> {};

TEST_P(S3Faults, RunRecoversWithIdenticalResults) {
  S3Fixture fixture;
  const CliResult clean =
      fixture.run(s3_endpoint(), (fixture.m_work / "lake-clean").string(), fixture.m_work / "clean.db");
  ASSERT_EQ(clean.exit_code, 0) << clean.err;

  FaultProxy proxy(fixture.m_work.path(), GetParam().options);
  // The lake is in S3 too, so the raw zone's writes and reads cross the proxy as well.
  const CliResult faulty =
      fixture.run(proxy.endpoint(), "s3://d2d-lake/" + fixture.m_prefix, fixture.m_work / "faulty.db");
  ASSERT_EQ(faulty.exit_code, 0) << faulty.err;
  const auto records = proxy.records();
  const auto faults =
      std::count_if(records.begin(), records.end(), [](const auto& r) { return !r.fault.empty(); });
  EXPECT_GT(faults, 0) << "the proxy injected nothing";
  EXPECT_NE(faulty.err.find("retry"), std::string::npos) << "retries are logged";
  if (GetParam().resumes) {
    EXPECT_TRUE(std::any_of(records.begin(), records.end(), [](const auto& r) { return r.ranged; }))
        << "a body cut in the middle is resumed with Range, not fetched again";
  }
  EXPECT_EQ(first_difference(dump_warehouse(fixture.m_work / "clean.db"),
                             dump_warehouse(fixture.m_work / "faulty.db")),
            "");
}

INSTANTIATE_TEST_SUITE_P(
    S3, S3Faults,
    ::testing::Values(
        Fault{"slowdown_503", {"--fault", "503", "--kind", "get", "--every", "3", "--limit", "12"}},
        Fault{"throttled_429_listing", {"--fault", "429", "--kind", "list", "--every", "1", "--limit", "2"}},
        Fault{"internal_500_on_put", {"--fault", "500", "--kind", "put", "--every", "4", "--limit", "8"}},
        Fault{"reset_mid_body", {"--fault", "reset", "--kind", "get", "--every", "5", "--limit", "8"}, true},
        Fault{"stall_mid_body", {"--fault", "stall", "--kind", "get", "--every", "9", "--limit", "2"}, true},
        Fault{"truncated_body", {"--fault", "truncate", "--kind", "get", "--every", "4", "--limit", "8"}},
        Fault{"corrupted_body", {"--fault", "corrupt", "--kind", "get", "--every", "6", "--limit", "5"}}),
    [](const ::testing::TestParamInfo<Fault>& param) { return std::string(param.param.name); });

class S3PermanentFaults : public ::testing::TestWithParam<Fault> {};

TEST_P(S3PermanentFaults, RunFailsCleanlyAndTheWarehouseIsUnchanged) {
  S3Fixture fixture;
  const fs::path db = fixture.m_work / "w.db";
  const CliResult first = fixture.run(s3_endpoint(), (fixture.m_work / "lake1").string(), db);
  ASSERT_EQ(first.exit_code, 0) << first.err;
  const std::string before = dump_warehouse(db);

  FaultProxy proxy(fixture.m_work.path(), GetParam().options);
  const CliResult failed = fixture.run(proxy.endpoint(), (fixture.m_work / "lake2").string(), db,
                                       {"--s3-attempts", "3", "--quiet"});
  EXPECT_EQ(failed.exit_code, 1);
  // Retries are logged as warnings; the failure itself is one line, the last.
  const std::string last = last_line(failed.err);
  EXPECT_TRUE(last.starts_with("d2d: error: S3 GET s3://d2d-source/")) << failed.err;
  EXPECT_NE(last.find("after 3 attempts"), std::string::npos) << failed.err;
  EXPECT_EQ(failed.err.find("d2d: error:"), failed.err.rfind("d2d: error:")) << failed.err;
  EXPECT_EQ(first_difference(before, dump_warehouse(db)), "");
  EXPECT_EQ(query_one(db, "SELECT status FROM etl_run ORDER BY run_id DESC LIMIT 1"), "failed");
  EXPECT_FALSE(fs::exists(fixture.m_work / "lake2/raw/lake_date=2019-06-01/_manifest.tsv"))
      << "no manifest: transform never saw a partial extract";
}

INSTANTIATE_TEST_SUITE_P(S3, S3PermanentFaults,
                         ::testing::Values(Fault{"slowdown_503", {"--fault", "503", "--kind", "get"}},
                                           Fault{"truncated_body", {"--fault", "truncate", "--kind", "get"}},
                                           Fault{"reset_mid_body", {"--fault", "reset", "--kind", "get"}}),
                         [](const ::testing::TestParamInfo<Fault>& param) {
                           return std::string(param.param.name);
                         });

TEST(S3Signing, EveryRequestCarriesTheSignatureBotocoreComputes) {
  S3Fixture fixture;
  FaultProxy proxy(fixture.m_work.path());  // records only
  const CliResult result =
      fixture.run(proxy.endpoint(), "s3://d2d-lake/" + fixture.m_prefix, fixture.m_work / "w.db");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  // What the pipeline does not send: HEAD, a multipart upload, keys that need encoding.
  auto client = test_client("d2d-lake", proxy.endpoint());
  std::string big(11 << 20, '\0');
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>((i * 7919) >> 3);
  s3::ClientOptions options = client->options();
  options.multipart_threshold = 5 << 20;
  options.part_size = 5 << 20;
  s3::Client multipart("d2d-lake", options, client->credentials());
  const std::string key = fixture.m_prefix + "/odd keys/ä+b=c&d~e (1).bin";
  multipart.put(key, big);
  const auto head = multipart.head(key);
  ASSERT_TRUE(head);
  EXPECT_EQ(head->size, big.size());
  EXPECT_TRUE(multipart.get_if_exists(key) == big);
  EXPECT_FALSE(multipart.head(key + ".missing"));
  // The same through temporary files (how the pipeline moves objects): parts read one at a time.
  s3::SpoolFile upload;
  upload.append(std::string_view(big).substr(0, 3 << 20));
  upload.append(std::string_view(big).substr(3 << 20));
  multipart.put_from(key + ".spooled", upload);
  auto download = std::make_unique<s3::SpoolFile>();
  ASSERT_TRUE(multipart.get_into(key + ".spooled", std::nullopt, *download));
  EXPECT_EQ(download->size(), big.size());
  s3::SpoolFileReader reader(std::move(download));
  EXPECT_TRUE(core::read_all(reader) == big);
  s3::SpoolFile absent;
  EXPECT_FALSE(multipart.get_into(key + ".missing", std::nullopt, absent, true));

  const CliResult verified =
      run_program("/usr/bin/python3", {D2D_S3_VERIFY, proxy.log().string(), "S3RVER", "S3RVER"});
  EXPECT_EQ(verified.exit_code, 0) << verified.out << verified.err;
  EXPECT_NE(verified.out.find(" requests checked against botocore, 0 problems"), std::string::npos)
      << verified.out;
  const auto records = proxy.records();
  EXPECT_TRUE(std::any_of(records.begin(), records.end(),
                          [](const auto& r) { return r.target.find("uploads=") != std::string::npos; }));
}

}  // namespace
}  // namespace d2d::testing
