// The whole CLI on the real sample, on fixtures with every kind of bad line, and on every
// failure SPEC §6 says must be one clear line with a non-zero exit and an unchanged warehouse.
#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <map>
#include <sstream>

#include "harness.h"

namespace d2d::testing {
namespace {
namespace fs = std::filesystem;

// The SPEC suite runs against both warehouses.
class Pipeline : public ::testing::TestWithParam<Engine> {
 protected:
  CliResult run(const fs::path& source, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {
        "run", "--source", source.string(), "--lake", (m_dir / "lake").string(), "--date", "2019-06-01"};
    const auto target = m_warehouse.args();
    args.insert(args.end(), target.begin(), target.end());
    args.insert(args.end(), extra.begin(), extra.end());
    return run_d2d(args);
  }
  CliResult report(const std::string& format) {
    std::vector<std::string> args = {"report", "--format", format};
    const auto target = m_warehouse.args();
    args.insert(args.end(), target.begin(), target.end());
    return run_d2d(args);
  }
  TempDir m_dir;
  WarehouseUnderTest m_warehouse{GetParam(), m_dir / "w"};
};

D2D_FOR_EACH_WAREHOUSE(Pipeline);

TEST_P(Pipeline, AnswersTheSampleQuestion) {
  if (!sample_available()) GTEST_SKIP() << "sample not found at " << sample_dir();
  m_warehouse.reset();
  auto first = run(sample_dir());
  ASSERT_EQ(first.exit_code, 0) << first.err;
  auto json = report("json");
  ASSERT_EQ(json.exit_code, 0) << json.err;
  EXPECT_NE(
      json.out.find(R"({"operating_period_id": "op_2", "vehicles": 100, "avg_distance_m": 9016.877701, )"
                    R"("total_distance_m": 901687.770106, "start": "2019-06-01T18:17:04.079000Z", )"
                    R"("finish": "2019-06-01T18:22:04.079000Z", "organization_id": "org-id", )"
                    R"("reject_gate_failed": false})"),
      std::string::npos)
      << json.out;
  EXPECT_NE(report("table").out.find("9016.88"), std::string::npos);
  EXPECT_EQ(m_warehouse.query("SELECT COUNT(*) FROM location_update"), "28572");
  EXPECT_EQ(m_warehouse.query("SELECT COUNT(*) FROM vehicle"), "100");
  EXPECT_EQ(m_warehouse.query("SELECT status, events_read, events_rejected FROM etl_run"),
            "succeeded|28726|0");
}

TEST_P(Pipeline, RejectsEveryKindOfBadLineAndKeepsEveryGoodOne) {
  m_warehouse.reset();
  const fs::path fixture = fs::path(D2D_TEST_DATA_DIR) / "mixed";
  auto result = run(fixture, {"--max-reject-ratio", "1"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  std::map<std::string, int> expected;
  std::istringstream codes(read_text(fixture / "EXPECTED_REJECTS.txt"));
  for (std::string code; std::getline(codes, code);) ++expected[code];
  std::map<std::string, int> actual;
  std::istringstream rows(m_warehouse.query("SELECT reason_code, COUNT(*) FROM rejected_event GROUP BY 1"));
  for (std::string row; std::getline(rows, row);) {
    actual[row.substr(0, row.find('|'))] = std::stoi(row.substr(row.find('|') + 1));
  }
  EXPECT_EQ(actual, expected);
  EXPECT_EQ(expected.size(), 12U) << "the fixture covers every reject code";
  // Every good line survived: 3 fixes, the vehicle, the period with its distance.
  EXPECT_EQ(m_warehouse.query("SELECT COUNT(*) FROM location_update"), "3");
  EXPECT_EQ(m_warehouse.query("SELECT organization_id FROM vehicle"), "org-a");
  EXPECT_EQ(m_warehouse.query("SELECT vehicles, CAST(ROUND(avg_distance_m * 100) AS integer) FROM "
                              "operating_period_avg_distance"),
            "1|22239");
  EXPECT_EQ(m_warehouse.query("SELECT events_read, events_rejected FROM etl_run"), "26|20");
  // Reasons are for humans and lines point into the original object.
  EXPECT_EQ(
      m_warehouse.query("SELECT line, reason FROM rejected_event WHERE reason_code = 'out_of_range' ORDER BY "
                        "line LIMIT 1"),
      "20|out_of_range: field data.location.lat: 91 is outside [-90, 90]");
  EXPECT_EQ(m_warehouse.query("SELECT raw_length FROM rejected_event WHERE line = 7"), "7");
  // The lake's rejected zone holds the same lines.
  const std::string zone = read_rejected_zone(m_dir / "lake", "2019-06-01");
  EXPECT_EQ(std::count(zone.begin(), zone.end(), '\n'), 20);
  EXPECT_NE(zone.find("\"raw_base64\""), std::string::npos) << "invalid UTF-8 is kept byte for byte";
}

TEST_P(Pipeline, RejectRatioAboveThresholdFailsAfterStoringEverything) {
  m_warehouse.reset();
  auto result = run(fs::path(D2D_TEST_DATA_DIR) / "mixed");
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find("rejected, above the threshold of 5.00%"), std::string::npos) << result.err;
  EXPECT_EQ(m_warehouse.query("SELECT COUNT(*) FROM rejected_event"), "20");
  EXPECT_EQ(m_warehouse.query("SELECT COUNT(*) FROM location_update"), "3");
  EXPECT_EQ(m_warehouse.query("SELECT status FROM etl_run"), "failed");
}

class CliErrors : public ::testing::Test {
 protected:
  void SetUp() override {
    write_text(m_dir / "source/data/2019-06-01-10-00-0-events.json",
               read_text(fs::path(D2D_TEST_DATA_DIR) / "mixed/data/2019-06-01-10-00-0-events.json"));
    auto first = run({"--max-reject-ratio", "1"});
    ASSERT_EQ(first.exit_code, 0) << first.err;
    m_before = dump_warehouse(db());
  }
  std::string db() const { return (m_dir / "w.db").string(); }
  CliResult run(std::vector<std::string> extra, const std::string& date = "2019-06-01") {
    std::vector<std::string> args = {"run",
                                     "--source",
                                     (m_dir / "source").string(),
                                     "--lake",
                                     (m_dir / "lake").string(),
                                     "--warehouse",
                                     db(),
                                     "--date",
                                     date};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_d2d(args);
  }
  static void expect_one_line(const CliResult& result, int code, const std::string& needle) {
    EXPECT_EQ(result.exit_code, code) << result.err;
    EXPECT_EQ(result.err.rfind("d2d: error: ", 0) != std::string::npos ||
                  result.err.find("\nd2d: error: ") != std::string::npos,
              true)
        << result.err;
    EXPECT_NE(result.err.find(needle), std::string::npos) << result.err;
  }
  TempDir m_dir;
  std::string m_before;
};

TEST_F(CliErrors, MissingSourceFolder) {
  auto result = run_d2d({"run", "--source", (m_dir / "nowhere").string(), "--lake", (m_dir / "lake").string(),
                         "--warehouse", db(), "--date", "2019-06-01"});
  expect_one_line(result, 1, "does not exist");
  EXPECT_EQ(first_difference(m_before, dump_warehouse(db())), "");
}

TEST_F(CliErrors, DateThatIsNotADate) {
  expect_one_line(run({}, "2019-02-30"), 2, "is not a date");
  expect_one_line(run({}, "yesterday"), 2, "is not a date");
}

TEST_F(CliErrors, CorruptGzipFailsTheRunAndChangesNothing) {
  std::string good = read_text(m_dir / "source/data/2019-06-01-10-00-0-events.json");
  std::string compressed(good.size() + 128, '\0');
  uLongf length = compressed.size();
  compress2(reinterpret_cast<Bytef*>(compressed.data()), &length, reinterpret_cast<const Bytef*>(good.data()),
            good.size(), 6);  // zlib format, not gzip: a corrupt .gz as far as gunzip is concerned
  write_text(m_dir / "source/data/2019-06-01-11-00-0-events.json.gz", compressed.substr(0, length));
  auto result = run({"--max-reject-ratio", "1"});
  expect_one_line(result, 1, "corrupt gzip object data/2019-06-01-11-00-0-events.json.gz");
  EXPECT_EQ(first_difference(m_before, dump_warehouse(db())), "");
  EXPECT_EQ(query_one(db(), "SELECT status FROM etl_run ORDER BY run_id DESC LIMIT 1"), "failed");
  // Fix the object and re-run: the run completes.
  fs::remove(m_dir / "source/data/2019-06-01-11-00-0-events.json.gz");
  EXPECT_EQ(run({"--max-reject-ratio", "1"}).exit_code, 0);
  EXPECT_EQ(first_difference(m_before, dump_warehouse(db())), "");
}

TEST_F(CliErrors, UnreadableObject) {
  const fs::path object = m_dir / "source/data/2019-06-01-12-00-0-events.json";
  write_text(object, "{}\n");
  // Permissions do not stop root: d2d runs as nobody then (a link to /proc/self/mem was used
  // before, and is now refused as a link out of the source).
  std::vector<std::string> args = {"run",
                                   "--source",
                                   (m_dir / "source").string(),
                                   "--lake",
                                   (m_dir / "lake").string(),
                                   "--warehouse",
                                   db(),
                                   "--date",
                                   "2019-06-01",
                                   "--max-reject-ratio",
                                   "1"};
  open_to_unprivileged(m_dir.path());
  fs::permissions(object, fs::perms::none);
  auto result = run_d2d_unprivileged(args);
  expect_one_line(result, 1, "2019-06-01-12-00-0-events.json");
  EXPECT_EQ(first_difference(m_before, dump_warehouse(db())), "");
}

TEST_F(CliErrors, WarehouseThatIsNotSqlite) {
  write_text(m_dir / "not.db", std::string(4096, 'x'));
  auto result = run_d2d({"run", "--source", (m_dir / "source").string(), "--lake", (m_dir / "lake").string(),
                         "--warehouse", (m_dir / "not.db").string(), "--date", "2019-06-01"});
  expect_one_line(result, 1, "is not a SQLite database");
  auto report = run_d2d({"report", "--warehouse", "sqlite://" + (m_dir / "not.db").string()});
  expect_one_line(report, 1, "is not a SQLite database");
}

TEST_F(CliErrors, EmptyDateIsAnErrorUnlessAllowed) {
  expect_one_line(run({}, "2019-06-05"), 1, "no objects for lake date 2019-06-05");
  EXPECT_EQ(run({"--allow-empty"}, "2019-06-05").exit_code, 0);
}

TEST_F(CliErrors, UnknownConfigKeyIsAnError) {
  write_text(m_dir / "d2d.toml", "warehouse = \"x.db\"\nwarehuose = \"typo.db\"\n");
  auto result = run_d2d({"--config", (m_dir / "d2d.toml").string(), "report"});
  expect_one_line(result, 2, "unknown key `warehuose`");
}

TEST(Migrations, UpDownStatusRoundTrip) {
  TempDir dir;
  const std::string db = (dir / "w.db").string();
  auto up = run_d2d({"migrate", "up", "--warehouse", db});
  ASSERT_EQ(up.exit_code, 0) << up.err;
  EXPECT_NE(up.out.find("0001  initial_schema"), std::string::npos) << up.out;
  EXPECT_NE(up.out.find("applied"), std::string::npos);
  auto down = run_d2d({"migrate", "down", "99", "--warehouse", db});  // all of them
  ASSERT_EQ(down.exit_code, 0) << down.err;
  EXPECT_NE(down.out.find("pending"), std::string::npos) << down.out;
  EXPECT_EQ(query_one(db, "SELECT COUNT(*) FROM sqlite_schema WHERE name = 'location_update'"), "0");
  auto status = run_d2d({"migrate", "status", "--warehouse", db});
  EXPECT_NE(status.out.find("pending"), std::string::npos);
  EXPECT_EQ(run_d2d({"migrate", "up", "--warehouse", db}).exit_code, 0);
  EXPECT_EQ(query_one(db, "SELECT COUNT(*) FROM sqlite_schema WHERE name = 'location_update'"), "1");
}

}  // namespace
}  // namespace d2d::testing
