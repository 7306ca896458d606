// PostgreSQL's storage of fixes (migration 0011): integer keys behind the views location_update and
// lake_location_superseded. The migration converts a loaded warehouse forward and back with every
// SPEC relation unchanged, and loads after the round trip still give the same warehouse.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <sstream>
#include <vector>

#include "core/time.h"
#include "generate/fleet_simulator.h"
#include "harness.h"

namespace d2d::testing {
namespace {

namespace fs = std::filesystem;

class PostgresStorage : public ::testing::Test {
 protected:
  TempDir m_dir;
  WarehouseUnderTest m_warehouse{Engine::Postgres, m_dir.path()};
  void SetUp() override { m_warehouse.reset(); }
  void TearDown() override { m_warehouse.reset(); }

  CliResult d2d(std::vector<std::string> args) const {
    const auto target = m_warehouse.args();
    args.insert(args.end(), target.begin(), target.end());
    return run_d2d(args);
  }
  void load(const std::string& date, const std::vector<std::string>& extra = {}) const {
    const CliResult run = run_d2d(run_args_for(m_dir.path(), m_warehouse, date, extra));
    ASSERT_EQ(run.exit_code, 0) << run.err;
  }
  // Every relation (dump), the fix relations' raw rows (lake_object_id as stored) and their columns:
  // names, order, types and collations.
  std::string everything() const {
    return m_warehouse.dump() + "== raw location_update\n" +
           m_warehouse.query("SELECT * FROM location_update ORDER BY vehicle_id, at") +
           "\n== raw lake_location_superseded\n" +
           m_warehouse.query("SELECT * FROM lake_location_superseded ORDER BY vehicle_id, at, lake_date") +
           "\n== columns\n" +
           m_warehouse.query(
               "SELECT table_name, ordinal_position, column_name, data_type, collation_name FROM "
               "information_schema.columns WHERE table_schema = current_schema() AND table_name IN "
               "('location_update', 'lake_location_superseded') ORDER BY 1, 2");
  }
  // The dump of a fresh warehouse after one-shot loads of `dates` from `source`.
  std::string one_shot_dump(const fs::path& source, const std::vector<std::string>& dates) const {
    WarehouseUnderTest one_shot(Engine::Postgres, m_dir / "one_shot");
    one_shot.reset();
    for (const std::string& date : dates) {
      std::vector<std::string> args = {
          "run",    "--source", source.string(), "--lake", (m_dir / "lake2").string(),
          "--date", date,       "--quiet"};
      for (const std::string& arg : one_shot.args()) args.push_back(arg);
      const CliResult run = run_d2d(args);
      EXPECT_EQ(run.exit_code, 0) << run.err;
    }
    std::string dump = one_shot.dump();
    one_shot.reset();
    return dump;
  }
  std::string kind_of(const std::string& relation) const {
    return m_warehouse.query(
        "SELECT table_type FROM information_schema.tables WHERE table_schema = "
        "current_schema() AND table_name = '" +
        relation + "'");
  }
};

// Fixes whose event `at` is hours from location.at (event_at beyond an int4 of microseconds from
// `at`), in both dates so that one is superseded, and a fix without organization.
std::string far_fixes(int day) {
  std::string lines;
  for (int minute = 0; minute < 3; ++minute) {
    lines += fmt::format(
        R"({{"event":"update","on":"vehicle","at":"2021-03-0{}T{}:0{}:00.000001Z","data":{{"id":"far","location":)"
        R"({{"lat":52.5{},"lng":13.4{},"at":"2021-03-01T10:0{}:00Z"}}}},"organization_id":"org-far"}})"
        "\n",
        day, day == 1 ? "15" : "01", minute, day, minute, minute);
  }
  lines += fmt::format(
      R"({{"event":"update","on":"vehicle","at":"2021-03-01T10:0{0}:00Z","data":{{"id":"no-org","location":)"
      R"({{"lat":1.{0},"lng":2,"at":"2021-03-01T10:00:00Z"}}}}}})"
      "\n",
      day);
  return lines;
}

TEST_F(PostgresStorage, TheKeyMigrationConvertsALoadedWarehouseForwardAndBack) {
  generate::GenerateOptions options;
  options.out_dir = m_dir / "source";
  options.first_day = *core::parse_date("2021-03-01");
  options.days = 2;
  options.vehicles = 6;
  options.interval_s = 30;
  options.breaks = true;
  options.bad_ratio = 0.01;
  options.seed = 11;
  generate::generate_fleet(options);
  // An object of the first date again in the second: versions of one fix in two dates.
  std::vector<fs::path> first_day;
  for (const auto& entry : fs::recursive_directory_iterator(options.out_dir / "2021/03/01")) {
    if (entry.is_regular_file()) first_day.push_back(entry.path());
  }
  std::sort(first_day.begin(), first_day.end());
  ASSERT_GT(first_day.size(), 4U);
  write_text(options.out_dir / "2021/03/02/12/00/2021-03-02-12-00-0-events.txt",
             read_text(first_day[first_day.size() / 2]));
  write_text(options.out_dir / "2021/03/01/10/00/2021-03-01-10-00-9-events.txt", far_fixes(1));
  write_text(options.out_dir / "2021/03/02/10/00/2021-03-02-10-00-9-events.txt", far_fixes(2));
  for (const char* date : {"2021-03-01", "2021-03-02", "2021-03-03"}) load(date);

  EXPECT_EQ(kind_of("location_update"), "VIEW");
  EXPECT_EQ(kind_of("lake_location_superseded"), "VIEW");
  EXPECT_EQ(m_warehouse.query("SELECT COUNT(*) FROM location_fix_event_at"), "6")
      << "three far fixes, each in two dates";
  EXPECT_NE(m_warehouse.query("SELECT COUNT(*) FROM lake_location_superseded"), "0");
  EXPECT_NE(m_warehouse.query("SELECT COUNT(*) FROM location_update WHERE organization_id IS NULL"), "0");
  EXPECT_EQ(m_warehouse.query("SELECT event_at, lake_date FROM location_update WHERE vehicle_id = 'far' "
                              "ORDER BY at LIMIT 1"),
            "2021-03-02 01:00:00.000001+00|2021-03-02");
  const std::string loaded = everything();

  EXPECT_EQ(m_warehouse.query("SELECT relkind FROM pg_class WHERE oid = 'location_fix'::regclass"), "p");
  // Neither rollback loses a row, so neither asks for --yes.
  const CliResult unpartitioned = d2d({"migrate", "down", "1"});
  ASSERT_EQ(unpartitioned.exit_code, 0) << unpartitioned.err;
  EXPECT_EQ(m_warehouse.query("SELECT MAX(version) FROM schema_migration"), "11");
  EXPECT_EQ(m_warehouse.query("SELECT relkind FROM pg_class WHERE oid = 'location_fix'::regclass"), "r");
  EXPECT_EQ(first_difference(loaded, everything()), "") << "location_fix one table again";

  const CliResult down = d2d({"migrate", "down", "1"});
  ASSERT_EQ(down.exit_code, 0) << down.err;
  EXPECT_EQ(m_warehouse.query("SELECT MAX(version) FROM schema_migration"), "10");
  EXPECT_EQ(kind_of("location_update"), "BASE TABLE");
  EXPECT_EQ(kind_of("lake_location_superseded"), "BASE TABLE");
  EXPECT_EQ(kind_of("location_fix"), "");
  EXPECT_EQ(first_difference(loaded, everything()), "") << "migrated down";

  const CliResult up = d2d({"migrate", "up"});
  ASSERT_EQ(up.exit_code, 0) << up.err;
  EXPECT_EQ(kind_of("location_update"), "VIEW");
  EXPECT_EQ(m_warehouse.query("SELECT relkind FROM pg_class WHERE oid = 'location_fix'::regclass"), "p");
  EXPECT_EQ(m_warehouse.query("SELECT COUNT(*) FROM location_fix_event_at"), "6");
  EXPECT_EQ(first_difference(loaded, everything()), "") << "migrated up again";

  // The converted warehouse loads as one that never left the keys: dates again, in full (new
  // lake_object ids: the dump names each row's object by its key).
  const std::string relations = m_warehouse.dump();
  load("2021-03-02", {"--force"});
  load("2021-03-01", {"--force"});
  EXPECT_EQ(first_difference(relations, m_warehouse.dump()), "") << "loaded again after the round trip";
}

// One fix of vehicle "far" at 10:0<minute> on 2021-03-01, emitted at `event_at`.
std::string far_fix(int minute, const std::string& event_at) {
  return fmt::format(R"({{"event":"update","on":"vehicle","at":"{}","data":{{"id":"far","location":)"
                     R"({{"lat":52.5,"lng":13.4{},"at":"2021-03-01T10:0{}:00Z"}}}},"organization_id":"org"}})"
                     "\n",
                     event_at, minute, minute);
}

// An incremental load keeps each key's better version of the date (SPEC §4), wherever event_at is
// kept: in the offset, or, hours from the fix, in location_fix_event_at. A worse new version must
// not replace the stored one's event_at; a better near one leaves an unused far row behind.
TEST_F(PostgresStorage, IncrementalLoadsKeepTheBetterVersionsFarEventAt) {
  const fs::path source = m_dir / "source";
  write_text(source / "2021/03/01/10/00/2021-03-01-10-00-0-events.txt",
             far_fix(0, "2021-03-01T15:00:00Z") + far_fix(1, "2021-03-01T05:01:00Z") +
                 far_fix(2, "2021-03-01T15:02:00Z") + far_fix(3, "2021-03-01T15:03:00Z"));
  write_text(source / "2021/03/02/10/00/2021-03-02-10-00-0-events.txt",
             far_fix(0, "2021-03-02T01:00:00Z") + far_fix(1, "2021-03-02T01:01:00Z"));
  load("2021-03-01");
  load("2021-03-02");
  // New in 2021-03-01: a better far version of its winner at 10:02, a better far version of its
  // superseded 10:00 (2021-03-02 still wins), a better near version of its superseded 10:01 (which
  // was far), a worse version of 10:03 and a new fix.
  write_text(source / "2021/03/01/11/00/2021-03-01-11-00-0-events.txt",
             far_fix(2, "2021-03-01T16:02:00.5Z") + far_fix(0, "2021-03-01T16:00:00Z") +
                 far_fix(1, "2021-03-01T10:01:30Z") + far_fix(3, "2021-03-01T14:00:00Z") +
                 far_fix(4, "2021-03-01T10:04:00Z"));
  load("2021-03-01");
  EXPECT_EQ(m_warehouse.query("SELECT load_mode FROM etl_run ORDER BY run_id DESC LIMIT 1"), "incremental");
  EXPECT_EQ(m_warehouse.query("SELECT at::time, event_at, lake_date FROM location_update ORDER BY at"),
            "10:00:00|2021-03-02 01:00:00+00|2021-03-02\n"
            "10:01:00|2021-03-02 01:01:00+00|2021-03-02\n"
            "10:02:00|2021-03-01 16:02:00.5+00|2021-03-01\n"
            "10:03:00|2021-03-01 15:03:00+00|2021-03-01\n"
            "10:04:00|2021-03-01 10:04:00+00|2021-03-01");
  EXPECT_EQ(
      m_warehouse.query("SELECT at::time, event_at, lake_date FROM lake_location_superseded ORDER BY at"),
      "10:00:00|2021-03-01 16:00:00+00|2021-03-01\n"
      "10:01:00|2021-03-01 10:01:30+00|2021-03-01");
  const std::string incremental = m_warehouse.dump();

  // The same objects loaded at once into another warehouse.
  EXPECT_EQ(first_difference(one_shot_dump(source, {"2021-03-01", "2021-03-02"}), incremental), "");
  // A full reload of the date gives the same again (its far event_at rows replaced).
  load("2021-03-01", {"--force"});
  EXPECT_EQ(first_difference(incremental, m_warehouse.dump()), "");
}

// One fix of vehicle `id` at 2021-03-01T<fix_time>Z, emitted at `event_at`.
std::string fix_line(const std::string& id, const std::string& fix_time, const std::string& event_at,
                     double lat = 52.5) {
  return fmt::format(R"({{"event":"update","on":"vehicle","at":"{}","data":{{"id":"{}","location":)"
                     R"({{"lat":{},"lng":13.4,"at":"2021-03-01T{}Z"}}}},"organization_id":"org"}})"
                     "\n",
                     event_at, id, lat, fix_time);
}

// Every fix row as stored, with the transaction that wrote it (xmin): a row a load leaves alone
// keeps its xmin.
std::set<std::string> stored_fix_rows(const WarehouseUnderTest& warehouse) {
  const std::string rows = warehouse.query(
      "SELECT k.vehicle_id, f.at::time, f.lat, f.lake_date, f.xmin FROM location_fix f JOIN vehicle_key k ON "
      "k.vehicle_key = f.vehicle_key ORDER BY 1, 2");
  std::set<std::string> lines;
  std::istringstream stream(rows);
  for (std::string line; std::getline(stream, line);) lines.insert(line);
  return lines;
}

std::vector<std::string> rows_not_in(const std::set<std::string>& rows, const std::set<std::string>& before) {
  std::vector<std::string> added;
  for (const std::string& row : rows)
    if (!before.contains(row)) added.push_back(row.substr(0, row.rfind('|')));  // without xmin
  return added;
}

// A full reload of a date the warehouse holds writes only the fixes that changed: a stored winner
// equal to the new best version of its key (every column, the object's lake_object_id too) stays
// as it is. Vanished keys go (another date's version is promoted), changed and new ones are
// written, far event_at values of kept winners stay, and the warehouse is the one a one-shot load
// of the same objects gives.
TEST_F(PostgresStorage, AFullReloadWritesOnlyTheFixesThatChanged) {
  const fs::path source = m_dir / "source";
  const fs::path first = source / "2021/03/01/10/00/2021-03-01-10-00-0-events.txt";
  write_text(first, fix_line("a", "10:00:00", "2021-03-01T10:00:01Z") +
                        fix_line("a", "10:01:00", "2021-03-01T10:01:01Z") +
                        fix_line("a", "10:02:00", "2021-03-01T10:02:01Z") +
                        fix_line("a", "10:03:00", "2021-03-01T10:03:01Z") +
                        fix_line("b", "10:00:00", "2021-03-01T10:00:01Z"));
  write_text(source / "2021/03/01/11/00/2021-03-01-11-00-0-events.txt",
             fix_line("a", "11:00:00", "2021-03-01T11:00:01Z") +
                 fix_line("far", "11:00:00", "2021-03-01T16:00:00Z"));  // event_at hours after the fix
  // Another date's version of a 10:01, emitted earlier: superseded while 2021-03-01's stands.
  write_text(source / "2021/03/02/00/00/2021-03-02-00-00-0-events.txt",
             fix_line("a", "10:01:00", "2021-03-01T10:01:00Z", 1.5));
  load("2021-03-01");
  load("2021-03-02");
  const std::set<std::string> loaded = stored_fix_rows(m_warehouse);
  const std::string object_ids =
      m_warehouse.query("SELECT lake_object_id, source FROM lake_object ORDER BY 1");

  // --force with nothing changed: no fix row is written again, no object gets a new id.
  load("2021-03-01", {"--force"});
  EXPECT_EQ(rows_not_in(stored_fix_rows(m_warehouse), loaded), std::vector<std::string>{});
  EXPECT_EQ(m_warehouse.query("SELECT lake_object_id, source FROM lake_object ORDER BY 1"), object_ids);
  EXPECT_EQ(m_warehouse.query("SELECT at::time, event_at FROM location_update WHERE vehicle_id = 'far'"),
            "11:00:00|2021-03-01 16:00:00+00");

  // The first object changes: a's 10:01 vanishes, its 10:03 moves, a 10:04 is new.
  write_text(first, fix_line("a", "10:00:00", "2021-03-01T10:00:01Z") +
                        fix_line("a", "10:02:00", "2021-03-01T10:02:01Z") +
                        fix_line("a", "10:03:00", "2021-03-01T10:03:01Z", 52.7) +
                        fix_line("a", "10:04:00", "2021-03-01T10:04:01Z") +
                        fix_line("b", "10:00:00", "2021-03-01T10:00:01Z"));
  load("2021-03-01");
  EXPECT_EQ(m_warehouse.query("SELECT load_mode FROM etl_run ORDER BY run_id DESC LIMIT 1"), "full");
  EXPECT_EQ(rows_not_in(stored_fix_rows(m_warehouse), loaded),
            (std::vector<std::string>{"a|10:01:00|1.5|2021-03-02", "a|10:03:00|52.7|2021-03-01",
                                      "a|10:04:00|52.5|2021-03-01"}));
  EXPECT_EQ(m_warehouse.query("SELECT at::time, event_at FROM location_update WHERE vehicle_id = 'far'"),
            "11:00:00|2021-03-01 16:00:00+00");
  EXPECT_EQ(m_warehouse.query("SELECT COUNT(*) FROM lake_location_superseded"), "0");

  EXPECT_EQ(first_difference(one_shot_dump(source, {"2021-03-01", "2021-03-02"}), m_warehouse.dump()), "");
}

// location_fix is partitioned by month (migration 0012): a load adds the partitions of the months its
// fixes touch, here two, since a lake date's files hold fixes of the next month's first minutes.
TEST_F(PostgresStorage, ALoadAddsThePartitionsOfTheMonthsItsFixesTouch) {
  std::string lines;
  for (const char* at : {"2021-03-31T23:59:00Z", "2021-04-01T00:01:00Z"}) {
    lines += fmt::format(R"({{"event":"update","on":"vehicle","at":"{0}","data":{{"id":"v","location":)"
                         R"({{"lat":52.5,"lng":13.4,"at":"{0}"}}}},"organization_id":"org"}})"
                         "\n",
                         at);
  }
  write_text(m_dir / "source/2021/03/31/23/00/2021-03-31-23-00-0-events.txt", lines);
  load("2021-03-31");
  EXPECT_EQ(m_warehouse.query("SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                              "WHERE i.inhparent = 'location_fix'::regclass ORDER BY 1"),
            "location_fix_p202103\nlocation_fix_p202104");
  EXPECT_EQ(m_warehouse.query("SELECT at FROM location_update ORDER BY at"),
            "2021-03-31 23:59:00+00\n2021-04-01 00:01:00+00");
  load("2021-03-31", {"--force"});  // the partitions are there: nothing to add
  EXPECT_EQ(m_warehouse.query("SELECT COUNT(*) FROM location_update"), "2");
  // Time filters prune to the months they name.
  const std::string plan =
      m_warehouse.query("EXPLAIN SELECT * FROM location_update WHERE at >= '2021-04-01T00:00:00Z'");
  EXPECT_NE(plan.find("location_fix_p202104"), std::string::npos) << plan;
  EXPECT_EQ(plan.find("location_fix_p202103"), std::string::npos) << plan;
}

}  // namespace
}  // namespace d2d::testing
