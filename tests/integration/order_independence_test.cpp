// SPEC §4's last rule: the same events split over several lake dates, loaded in every order
// and some dates again, give the identical warehouse (every relation, row for row).
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>

#include "core/time.h"
#include "generate/fleet_simulator.h"
#include "harness.h"

namespace d2d::testing {
namespace {
namespace fs = std::filesystem;

// Loads `dates` in order into a fresh warehouse and returns its dump. --force: a date loaded
// again really replaces its contribution (without it, an unchanged date is skipped).
std::string load_in_order(const WarehouseUnderTest& warehouse, const fs::path& source, const fs::path& work,
                          const std::vector<std::string>& dates) {
  fs::remove_all(work / "lake");
  warehouse.reset();
  for (const auto& date : dates) {
    std::vector<std::string> args = {
        "run",    "--source", source.string(),      "--lake", (work / "lake").string(),
        "--date", date,       "--max-reject-ratio", "1",      "--quiet",
        "--force"};
    const auto target = warehouse.args();
    args.insert(args.end(), target.begin(), target.end());
    auto run = run_d2d(args);
    EXPECT_EQ(run.exit_code, 0) << date << ": " << run.err;
  }
  return warehouse.dump();
}

class OrderIndependence : public ::testing::TestWithParam<Engine> {
 protected:
  TempDir m_dir;
  WarehouseUnderTest m_warehouse{GetParam(), m_dir / "work"};
  std::string load(const std::vector<std::string>& dates) {
    return load_in_order(m_warehouse, m_dir / "source", m_dir / "work", dates);
  }
};
D2D_FOR_EACH_WAREHOUSE(OrderIndependence);

// Splits the real sample over three lake dates: objects spread round-robin, every 7th also
// copied into the next date (the same object listed again), and a later version of every
// 50th fix (different position, later `at`) written into another date.
void split_sample(const fs::path& out) {
  std::vector<fs::path> files;
  for (const auto& entry : fs::recursive_directory_iterator(sample_dir())) {
    if (entry.is_regular_file()) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  const std::string dates[] = {"2019-06-01", "2019-06-02", "2019-06-03"};
  std::string corrections[3];
  std::size_t line_counter = 0;
  for (std::size_t i = 0; i < files.size(); ++i) {
    const std::string name = files[i].filename().string();  // 2019-06-01-15-17-4-events.txt
    const std::string body = read_text(files[i]);
    write_text(out / "data" / (dates[i % 3] + name.substr(10)), body);
    if (i % 7 == 0) write_text(out / "data" / (dates[(i + 1) % 3] + name.substr(10)), body);
    std::istringstream lines(body);
    for (std::string line; std::getline(lines, line);) {
      if (++line_counter % 50 != 0 || line.find("\"update\"") == std::string::npos) continue;
      const auto at = line.find("\"at\":\"") + 6;
      line.replace(at, line.find('"', at) - at, "2019-06-01T23:59:59.000Z");
      const auto lat = line.find("\"lat\":52");
      if (lat == std::string::npos) continue;
      line.replace(lat + 6, 2, "53");  // move the fix a degree north
      corrections[line_counter % 3] += line + "\n";
    }
  }
  for (int d = 0; d < 3; ++d)
    write_text(out / "data" / (dates[d] + "-23-59-59-corrections.json"), corrections[d]);
}

TEST_P(OrderIndependence, SampleSplitOverThreeDatesInEveryOrder) {
  if (!sample_available()) GTEST_SKIP() << "sample not found at " << sample_dir();
  split_sample(m_dir / "source");
  std::vector<std::string> dates = {"2019-06-01", "2019-06-02", "2019-06-03"};
  const std::string reference = load(dates);
  EXPECT_NE(reference.find("op_2|100|"), std::string::npos) << "op_2 is answered";
  // The corrections moved fixes: the answer differs from the unsplit sample's.
  EXPECT_EQ(reference.find("op_2|100|9016.877701"), std::string::npos);
  EXPECT_NE(reference.find("|2019-06-03|"), std::string::npos) << "winners come from every date";
  int orders = 0;
  while (std::next_permutation(dates.begin(), dates.end())) {
    EXPECT_EQ(first_difference(reference, load(dates)), "") << "order " << ++orders;
  }
  // Dates loaded again, in between and at the end.
  EXPECT_EQ(first_difference(reference, load({"2019-06-02", "2019-06-01", "2019-06-02", "2019-06-03",
                                              "2019-06-01", "2019-06-01"})),
            "");
}

TEST_P(OrderIndependence, GeneratedDaysWithEveryComplication) {
  generate::GenerateOptions options;
  options.out_dir = m_dir / "source";
  options.first_day = *core::parse_date("2021-03-01");
  options.days = 2;
  options.vehicles = 12;
  options.interval_s = 20;
  options.breaks = true;
  options.bad_ratio = 0.01;
  options.seed = 7;
  generate::generate_fleet(options);
  // One object of the first date delivered again, midday, in the second: loading that date after
  // the first mixes keys no other date holds with keys the first date holds (in PostgreSQL, fix
  // segments copied straight into location_update beside staged ones compared with the winners).
  std::vector<fs::path> first_day;
  for (const auto& entry : fs::recursive_directory_iterator(options.out_dir / "2021/03/01")) {
    if (entry.is_regular_file()) first_day.push_back(entry.path());
  }
  std::sort(first_day.begin(), first_day.end());
  ASSERT_GT(first_day.size(), 10U);
  write_text(options.out_dir / "2021/03/02/12/00/2021-03-02-12-00-0-events.txt",
             read_text(first_day[first_day.size() / 2]));
  const std::vector<std::string> forward = {"2021-03-01", "2021-03-02", "2021-03-03"};
  const std::string reference = load(forward);
  EXPECT_NE(reference.find("== vehicle_break\n"), std::string::npos);
  EXPECT_EQ(first_difference(reference, load({"2021-03-03", "2021-03-02", "2021-03-01"})), "");
  EXPECT_EQ(first_difference(reference, load({"2021-03-02", "2021-03-03", "2021-03-01", "2021-03-02"})), "");
  EXPECT_EQ(first_difference(reference,
                             load({"2021-03-01", "2021-03-03", "2021-03-01", "2021-03-02", "2021-03-03"})),
            "");
}

// Vehicle ids with the characters that need quoting in SQL text or in a PostgreSQL array literal
// (where PostgreSQL probes its fix segments), each fix seen by both dates in another version.
TEST_P(OrderIndependence, AwkwardVehicleIdsInBothDates) {
  const std::vector<std::string> ids = {R"(a\"b)", R"(c\\d)", "e,f",       "{g}",
                                        " h ",     "NULL",    "caf\u00e9", "i'j"};
  for (int day = 0; day < 2; ++day) {
    std::string lines;
    for (const auto& id : ids) {
      for (int minute = 0; minute < 3; ++minute) {
        lines += fmt::format(
            R"({{"event":"update","on":"vehicle","at":"2021-03-0{}T10:0{}:0{}Z","data":{{"id":"{}","location":)"
            R"({{"lat":52.5{},"lng":13.4{},"at":"2021-03-01T10:0{}:00Z"}}}},"organization_id":"org"}})"
            "\n",
            day + 1, minute, day, id, day, minute, minute);
      }
    }
    write_text(m_dir / "source" / fmt::format("2021/03/0{0}/10/00/2021-03-0{0}-10-00-0-events.txt", day + 1),
               lines);
  }
  const std::string reference = load({"2021-03-01", "2021-03-02"});
  EXPECT_NE(reference.find("|13.42|org|2021-03-02|"), std::string::npos) << "the later version wins";
  EXPECT_EQ(first_difference(reference, load({"2021-03-02", "2021-03-01"})), "");
  EXPECT_EQ(first_difference(reference, load({"2021-03-02", "2021-03-01", "2021-03-02"})), "");
}

class Idempotency : public OrderIndependence {};
D2D_FOR_EACH_WAREHOUSE(Idempotency);

TEST_P(Idempotency, ReRunningADateChangesNothingButTheLedger) {
  TempDir& dir = m_dir;
  m_warehouse.reset();
  generate::GenerateOptions options;
  options.out_dir = dir / "source";
  options.first_day = *core::parse_date("2021-03-01");
  options.vehicles = 5;
  options.interval_s = 30;
  options.breaks = true;
  generate::generate_fleet(options);
  auto run = [&](std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {
        "run",    "--source",  (dir / "source").string(), "--lake", (dir / "lake").string(),
        "--date", "2021-03-01"};
    const auto target = m_warehouse.args();
    args.insert(args.end(), target.begin(), target.end());
    args.insert(args.end(), extra.begin(), extra.end());
    return run_d2d(args);
  };
  auto last_run = [&] {
    return m_warehouse.query(
        "SELECT status, CASE WHEN unchanged THEN 1 ELSE 0 END, objects_copied, COALESCE(events_read, -1) "
        "FROM etl_run ORDER BY run_id DESC LIMIT 1");
  };
  ASSERT_EQ(run().exit_code, 0);
  const std::string once = m_warehouse.dump();
  const std::string events = m_warehouse.query("SELECT events_read FROM etl_run");

  // Same raw zone, same code: nothing to do, said plainly, recorded in the ledger.
  const CliResult again = run();
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.out.find("nothing to do"), std::string::npos) << again.out;
  EXPECT_EQ(last_run(), "succeeded|1|0|-1") << "unchanged objects are not copied again, nothing is read";
  EXPECT_EQ(first_difference(once, m_warehouse.dump()), "");

  // --force loads it again, for real, to the same state.
  const CliResult forced = run({"--force"});
  ASSERT_EQ(forced.exit_code, 0) << forced.err;
  EXPECT_EQ(forced.out.find("nothing to do"), std::string::npos) << forced.out;
  EXPECT_EQ(last_run(), "succeeded|0|0|" + events);
  EXPECT_EQ(first_difference(once, m_warehouse.dump()), "");

  // A changed source object means work to do. The manifest names the date's objects.
  const std::string manifest = read_text(dir / "lake/raw/lake_date=2021-03-01/_manifest.tsv");
  const auto first_key_at = manifest.find('\n') + 1;
  std::string first_key = manifest.substr(first_key_at, manifest.find('\t', first_key_at) - first_key_at);
  ASSERT_FALSE(first_key.ends_with(".gz")) << "the test appends plain text";
  const fs::path first_object = dir / "source" / first_key;
  std::string body = read_text(first_object);
  if (!body.ends_with('\n')) body += '\n';
  write_text(first_object, body + "not json\n");
  const CliResult changed = run({"--max-reject-ratio", "1"});
  ASSERT_EQ(changed.exit_code, 0) << changed.err;
  EXPECT_EQ(changed.out.find("nothing to do"), std::string::npos) << changed.out;
  EXPECT_EQ(last_run(), "succeeded|0|1|" + std::to_string(std::stoll(events) + 1));
  EXPECT_EQ(m_warehouse.query("SELECT COUNT(*) FROM etl_run WHERE status = 'succeeded'"), "4");
}

}  // namespace
}  // namespace d2d::testing
