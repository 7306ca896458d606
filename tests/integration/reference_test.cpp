// The warehouse's answer against an independent implementation of SPEC §3-4
// (tests/integration/reference_answer.py, standard-library Python that shares no code with d2d),
// on generated days with breaks, late events, duplicates, moved and deleted periods, bad lines.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <regex>

#include "core/time.h"
#include "generate/fleet_simulator.h"
#include "harness.h"

namespace d2d::testing {
namespace {
namespace fs = std::filesystem;

struct Row {
  int vehicles = 0;
  std::string avg;  // "null" or a number
  double total = 0;
};

std::map<std::string, Row> parse_report(const std::string& json) {
  std::map<std::string, Row> rows;
  const std::regex entry(
      R"re(\{"operating_period_id": "([^"]+)", "vehicles": (\d+), "avg_distance_m": ([0-9.]+|null), "total_distance_m": ([0-9.]+)[^}]*\})re");
  for (std::sregex_iterator it(json.begin(), json.end(), entry), end; it != end; ++it) {
    rows[(*it)[1]] = Row{std::stoi((*it)[2]), (*it)[3], std::stod((*it)[4])};
  }
  return rows;
}

void expect_same_answers(const std::string& expected_json, const std::string& actual_json) {
  const auto expected = parse_report(expected_json);
  const auto actual = parse_report(actual_json);
  ASSERT_FALSE(expected.empty()) << expected_json;
  ASSERT_EQ(expected.size(), actual.size()) << "expected " << expected_json << "\nactual " << actual_json;
  for (const auto& [id, row] : expected) {
    const auto found = actual.find(id);
    ASSERT_NE(found, actual.end()) << id;
    EXPECT_EQ(found->second.vehicles, row.vehicles) << id;
    EXPECT_EQ(found->second.avg == "null", row.avg == "null") << id;
    // Sums of the same terms in another order may differ in the last bits: a micrometre is exact enough.
    if (row.avg != "null") {
      EXPECT_NEAR(std::stod(found->second.avg), std::stod(row.avg), 1e-6) << id;
    }
    EXPECT_NEAR(found->second.total, row.total, 1e-5) << id;
  }
}

// Runs `dates` in order (--force: a date loaded again really is) into `warehouse`, lake work/lake.
void load_dates(const WarehouseUnderTest& warehouse, const fs::path& source,
                const std::vector<std::string>& dates, const fs::path& work) {
  const auto target = warehouse.args();
  for (const auto& date : dates) {
    std::vector<std::string> args = {
        "run",    "--source", source.string(),      "--lake", (work / "lake").string(),
        "--date", date,       "--max-reject-ratio", "1",      "--quiet",
        "--force"};
    args.insert(args.end(), target.begin(), target.end());
    auto run = run_d2d(args);
    ASSERT_EQ(run.exit_code, 0) << run.err;
  }
}

// The warehouse's report equals the reference's answer for `dates` of `source`.
void expect_reference_report(const WarehouseUnderTest& warehouse, const fs::path& source,
                             const std::vector<std::string>& dates) {
  std::vector<std::string> report_args = {"report", "--format", "json"};
  const auto target = warehouse.args();
  report_args.insert(report_args.end(), target.begin(), target.end());
  auto report = run_d2d(report_args);
  ASSERT_EQ(report.exit_code, 0) << report.err;
  std::vector<std::string> args = {D2D_REFERENCE_SCRIPT, source.string()};
  args.insert(args.end(), dates.begin(), dates.end());
  auto reference = run_program("/usr/bin/python3", args);
  ASSERT_EQ(reference.exit_code, 0) << reference.err;
  expect_same_answers(reference.out, report.out);
}

void check_against_reference(Engine engine, const fs::path& source, const std::vector<std::string>& dates,
                             const fs::path& work) {
  WarehouseUnderTest warehouse(engine, work);
  warehouse.reset();
  load_dates(warehouse, source, dates, work);
  if (::testing::Test::HasFatalFailure()) return;
  expect_reference_report(warehouse, source, dates);
}

// One `update` line: vehicle's fix at `at` (location.at), sent at `seen` (the event's `at`).
std::string fix_line(std::string_view vehicle, std::string_view at, double lat, double lng,
                     std::string_view seen) {
  return fmt::format(
      R"({{"event":"update","on":"vehicle","at":"{}","data":{{"id":"{}","location":{{"lat":{:.5f},"lng":{:.5f},)"
      R"("at":"{}"}}}},"organization_id":"org"}})"
      "\n",
      seen, vehicle, lat, lng, at);
}

// A generated fleet in `dir`/source: the settings every test below states, the rest as given.
generate::GenerateOptions fleet(const TempDir& dir, const char* first_day, int vehicles, int interval_s,
                                std::uint64_t seed) {
  generate::GenerateOptions options;
  options.out_dir = dir / "source";
  options.first_day = *core::parse_date(first_day);
  options.days = 2;
  options.vehicles = vehicles;
  options.interval_s = interval_s;
  options.seed = seed;
  return options;
}

class Reference : public ::testing::TestWithParam<Engine> {};
D2D_FOR_EACH_WAREHOUSE(Reference);

TEST_P(Reference, SampleMatches) {
  if (!sample_available()) GTEST_SKIP() << "sample not found at " << sample_dir();
  TempDir dir;
  check_against_reference(GetParam(), sample_dir(), {"2019-06-01"}, dir / "work");
}

TEST_P(Reference, GeneratedDaysWithBreaksMatch) {
  TempDir dir;
  generate::GenerateOptions options = fleet(dir, "2022-10-30", 25, 15, 42);
  options.breaks = true;
  options.bad_ratio = 0.01;
  options.gzip = true;
  generate::generate_fleet(options);
  check_against_reference(GetParam(), dir / "source", {"2022-10-31", "2022-10-30", "2022-11-01"},
                          dir / "work");
}

TEST_P(Reference, FlatLayoutWithoutBreaksMatches) {
  TempDir dir;
  generate::GenerateOptions options = fleet(dir, "2020-02-28", 15, 10, 3);
  options.layout = generate::KeyLayout::Flat;
  generate::generate_fleet(options);
  check_against_reference(GetParam(), dir / "source", {"2020-02-28", "2020-02-29"}, dir / "work");
}

// One operating period across midnight whose fixes two lake dates bring: loading the second date,
// PostgreSQL derives from the fixes it just copied (in memory) merged with those the server holds
// (the other date's, a staged segment's, a vehicle the date lacks); every order must agree with
// the reference.
TEST_P(Reference, PeriodAcrossTwoDatesMatches) {
  TempDir dir;
  const auto& fix = fix_line;
  std::string first =
      R"({"event":"create","on":"operating_period","at":"2021-05-01T20:00:00Z","data":{"id":"op_night",)"
      R"("start":"2021-05-01T22:00:00Z","finish":"2021-05-02T02:00:00Z"},"organization_id":"org"})"
      "\n";
  std::string second;
  for (int minute = 0; minute < 120; minute += 10) {  // 22:00 .. 23:50 on the first day
    const std::string at = fmt::format("2021-05-01T{:02}:{:02}:00Z", 22 + minute / 60, minute % 60);
    first += fix("v1", at, 52.50 + minute * 1e-4, 13.40, at);
    first += fix("v3", at, 52.40, 13.30 + minute * 1e-4, at);
    if (minute >= 60) first += fix("v2", at, 52.45 - minute * 1e-4, 13.35, at);
  }
  for (int minute = 0; minute < 120; minute += 10) {  // 00:00 .. 01:50 on the second day
    const std::string at = fmt::format("2021-05-02T{:02}:{:02}:00Z", minute / 60, minute % 60);
    second += fix("v1", at, 52.52 + minute * 1e-4, 13.41, at);
    if (minute < 60) second += fix("v2", at, 52.44, 13.36 + minute * 1e-4, at);
    second += fix("v0", at, 52.30, 13.20 + minute * 1e-4, at);
  }
  // Within the first date's span of v1: a new key and a later version of a stored one.
  second += fix("v1", "2021-05-01T23:15:00Z", 52.51, 13.42, "2021-05-02T00:05:00Z");
  second += fix("v1", "2021-05-01T23:30:00Z", 52.53, 13.43, "2021-05-02T00:06:00Z");
  write_text(dir / "source/2021/05/01/22/00/2021-05-01-22-00-0-events.txt", first);
  write_text(dir / "source/2021/05/02/00/00/2021-05-02-00-00-0-events.txt", second);
  check_against_reference(GetParam(), dir / "source", {"2021-05-01", "2021-05-02"}, dir / "work-forward");
  check_against_reference(GetParam(), dir / "source", {"2021-05-02", "2021-05-01"}, dir / "work-backward");
  check_against_reference(GetParam(), dir / "source", {"2021-05-01", "2021-05-02", "2021-05-01"},
                          dir / "work-again");
}

// One load whose affected periods lie in three separate time windows (two shifts of its own day,
// one of three days before that a late fix reaches): derivation reads them all in one pass, in
// PostgreSQL merging the fixes just copied with the stored ones around them; a break spanning
// two of the windows counts once.
TEST_P(Reference, DisjointWindowsInOneLoadMatch) {
  TempDir dir;
  auto line = [](std::string_view body, std::string_view seen) {
    return fmt::format(R"({{{},"at":"{}","organization_id":"org"}})"
                       "\n",
                       body, seen);
  };
  auto fix = [&](std::string_view vehicle, const std::string& at, double lat, double lng) {
    return line(fmt::format(R"("event":"update","on":"vehicle","data":{{"id":"{}","location":{{"lat":{:.5f},)"
                            R"("lng":{:.5f},"at":"{}"}}}})",
                            vehicle, lat, lng, at),
                at);
  };
  auto period = [&](std::string_view id, std::string_view start, std::string_view finish,
                    std::string_view seen) {
    return line(fmt::format(R"("event":"create","on":"operating_period","data":{{"id":"{}","start":"{}",)"
                            R"("finish":"{}"}})",
                            id, start, finish),
                seen);
  };
  auto pause = [&](std::string_view event, std::string_view vehicle, std::string_view at) {
    return line(fmt::format(R"("event":"{}","on":"vehicle","data":{{"id":"{}"}})", event, vehicle), at);
  };
  std::string old_day =
      period("op_old", "2021-06-07T09:00:00Z", "2021-06-07T11:00:00Z", "2021-06-07T06:00:00Z");
  for (int minute = 0; minute <= 120; minute += 10) {  // 09:00 .. 11:00
    const std::string at = fmt::format("2021-06-07T{:02}:{:02}:00Z", 9 + minute / 60, minute % 60);
    if (minute >= 60) old_day += fix("v1", at, 52.50 + minute * 1e-4, 13.40);
    old_day += fix("v3", at, 52.40, 13.30 + minute * 1e-4);
  }
  std::string day =
      period("op_morning", "2021-06-10T08:00:00Z", "2021-06-10T10:00:00Z", "2021-06-10T06:00:00Z") +
      period("op_afternoon", "2021-06-10T14:00:00Z", "2021-06-10T16:00:00Z", "2021-06-10T06:00:00Z");
  for (int minute = 0; minute <= 600; minute += 10) {  // 07:00 .. 17:00
    const std::string at = fmt::format("2021-06-10T{:02}:{:02}:00Z", 7 + minute / 60, minute % 60);
    day += fix("v1", at, 52.50 + minute * 1e-4, 13.40);
    day += fix("v2", at, 52.45, 13.35 + minute * 1e-4);
  }
  day +=
      pause("break_start", "v1", "2021-06-10T08:30:00Z") + pause("break_end", "v1", "2021-06-10T09:00:00Z");
  day +=
      pause("break_start", "v2", "2021-06-10T09:30:00Z") + pause("break_end", "v2", "2021-06-10T14:30:00Z");
  // Late fixes of op_old's window, before the stored ones of v1 there.
  day += fix("v1", "2021-06-07T09:10:00Z", 52.49, 13.41) + fix("v1", "2021-06-07T09:40:00Z", 52.495, 13.42);
  write_text(dir / "source/2021/06/07/06/00/2021-06-07-06-00-0-events.txt", old_day);
  write_text(dir / "source/2021/06/10/06/00/2021-06-10-06-00-0-events.txt", day);
  check_against_reference(GetParam(), dir / "source", {"2021-06-07", "2021-06-10"}, dir / "work-forward");
  check_against_reference(GetParam(), dir / "source", {"2021-06-10", "2021-06-07"}, dir / "work-backward");
}

// Three dates t1 < t2 < t3 each hold a version of v1's 10:00 fix, with the event `at` and latitude
// given per date (the t3 version wins); the t3 date is then loaded again without it. The winner
// before and after (round(lat * 100)|lake_date) must be as expected, the answer the reference's,
// and the warehouse that of a fresh load of the three dates.
void reload_without_the_winner(Engine engine, const TempDir& dir, const std::string (&version_seen)[3],
                               const double (&version_lat)[3], const std::string& promoted) {
  const fs::path source = dir / "source";
  const std::vector<std::string> dates = {"2021-07-01", "2021-07-02", "2021-07-03"};
  auto date_file = [&](int d, bool with_version) {
    std::string lines;
    if (d == 0) {
      lines += R"({"event":"create","on":"operating_period","at":"2021-07-01T08:00:00Z","data":{"id":"op_1",)"
               R"("start":"2021-07-01T09:00:00Z","finish":"2021-07-01T11:00:00Z"},"organization_id":"org"})"
               "\n";
      for (const char* at : {"2021-07-01T09:50:00Z", "2021-07-01T10:10:00Z"}) {
        lines += fix_line("v1", at, 52.50, 13.40, at);
      }
    }
    // Something else each date holds, so that the t3 date still loads a fix once the version is gone.
    const std::string other_at = fmt::format("{}T12:00:00Z", dates[d]);
    lines += fix_line("v2", other_at, 52.40 + d * 0.01, 13.30, other_at);
    if (with_version) lines += fix_line("v1", "2021-07-01T10:00:00Z", version_lat[d], 13.41, version_seen[d]);
    write_text(source / fmt::format("data/{}-06-00-0-events.json", dates[d]), lines);
  };
  for (int d = 0; d < 3; ++d) date_file(d, true);

  const fs::path work = dir / "work";
  WarehouseUnderTest warehouse(engine, work);
  warehouse.reset();
  auto winner = [&] {
    return warehouse.query(
        "SELECT CAST(round(lat * 100) AS integer), lake_date FROM location_update WHERE vehicle_id = 'v1' "
        "AND at = '2021-07-01T10:00:00.000000Z'");
  };
  load_dates(warehouse, source, dates, work);
  EXPECT_EQ(winner(), fmt::format("{}|2021-07-03", static_cast<int>(std::lround(version_lat[2] * 100))));
  expect_reference_report(warehouse, source, dates);

  date_file(2, false);
  load_dates(warehouse, source, {"2021-07-03"}, work);
  EXPECT_EQ(winner(), promoted) << "the best version left (SPEC §4)";
  expect_reference_report(warehouse, source, dates);

  WarehouseUnderTest fresh(engine, dir / "fresh");
  fresh.reset();
  load_dates(fresh, source, dates, dir / "fresh");
  EXPECT_EQ(first_difference(fresh.dump(), warehouse.dump()), "");
}

// SPEC §4: the version with the later event `at` wins "whichever day's file it came from", also
// when the date holding the winner is loaded again without it. Each version's event `at` is on its
// own date, lat ordered t2 < t1 < t3, so the position does not pick the t2 version.
TEST_P(Reference, ReloadWithoutTheWinnerPromotesTheNextLatestVersion) {
  TempDir dir;
  reload_without_the_winner(GetParam(), dir,
                            {"2021-07-01T06:00:00Z", "2021-07-02T06:00:00Z", "2021-07-03T06:00:00Z"},
                            {52.52, 52.51, 52.53}, "5251|2021-07-02");
}

// As above, but the earlier date t1 holds the later event `at` of the two left: neither the later
// lake date nor the position may pick the version to promote.
TEST_P(Reference, ReloadWithoutTheWinnerPromotesTheLatestEventNotTheLatestDate) {
  TempDir dir;
  reload_without_the_winner(GetParam(), dir,
                            {"2021-07-01T10:00:05Z", "2021-07-01T10:00:02Z", "2021-07-01T10:00:09Z"},
                            {52.51, 52.52, 52.53}, "5251|2021-07-01");
}

// Identical versions left on t1 and t2: the later lake date's is promoted (SPEC §4's last rule).
TEST_P(Reference, ReloadWithoutTheWinnerPromotesTheLaterDateOfIdenticalVersions) {
  TempDir dir;
  reload_without_the_winner(GetParam(), dir,
                            {"2021-07-01T10:00:05Z", "2021-07-01T10:00:05Z", "2021-07-01T10:00:09Z"},
                            {52.51, 52.51, 52.53}, "5251|2021-07-02");
}

// Conflicting versions of fixes from the generator (--conflict-ratio): a fifth of the fixes sent
// again elsewhere, with the same event `at` (the greater (lat, lng) wins) or a later one, some in
// the next lake date's files; loaded in both orders.
TEST_P(Reference, ConflictingVersionsOfFixesMatch) {
  TempDir dir;
  generate::GenerateOptions options = fleet(dir, "2022-03-26", 20, 20, 5);
  options.breaks = true;
  options.conflict_ratio = 0.2;
  generate::generate_fleet(options);
  check_against_reference(GetParam(), dir / "source", {"2022-03-26", "2022-03-27", "2022-03-28"},
                          dir / "work-forward");
  check_against_reference(GetParam(), dir / "source", {"2022-03-28", "2022-03-27", "2022-03-26"},
                          dir / "work-backward");
}

// More vehicles with breaks than PostgreSQL reads and writes in one batch (64), over two dates in
// both orders: the breaks of every batch must be paired and stored as the reference does.
TEST_P(Reference, ManyVehiclesWithBreaksMatch) {
  TempDir dir;
  generate::GenerateOptions options = fleet(dir, "2023-01-10", 160, 300, 11);
  options.breaks = true;
  generate::generate_fleet(options);
  check_against_reference(GetParam(), dir / "source", {"2023-01-10", "2023-01-11"}, dir / "work-forward");
  check_against_reference(GetParam(), dir / "source", {"2023-01-11", "2023-01-10"}, dir / "work-backward");
}

}  // namespace
}  // namespace d2d::testing
