// SQLite storage v2 (migration 0008, issue 18): location_update and lake_location_superseded are
// views over integer-keyed tables. The migration converts a loaded warehouse forward and back
// with every value exactly as it was (doubles to the last bit, types included), and a warehouse
// converted forward loads on as one that was created at v2.
#include <fmt/format.h>

#include <string>
#include <vector>

#include "harness.h"

namespace d2d::testing {
namespace {

const std::vector<std::string> kDates = {"2022-03-26", "2022-03-27", "2022-03-28"};

// Every column of the fix relations, exactly: doubles with 17 significant digits, NULL apart
// from '', and each value's storage class (EXCEPT and '=' take 5 and 5.0 for equal). `lineage`:
// with the object each version came from (a full reload loads the objects again, with new ids).
std::string exact_fixes(const std::filesystem::path& db, bool lineage = true) {
  std::string dump;
  for (const char* relation : {"location_update", "lake_location_superseded"}) {
    dump += std::string("== ") + relation + "\n" +
            query_one(db, fmt::format("SELECT vehicle_id, at, printf('%!.17g', lat), printf('%!.17g', lng), "
                                      "quote(organization_id), lake_date, event_at, {}, "
                                      "typeof(vehicle_id) || typeof(at) || typeof(lat) || typeof(lng) || "
                                      "typeof(lake_date) || typeof(event_at) FROM {} ORDER BY 1, 2, 6",
                                      lineage ? "quote(lake_object_id)" : "''", relation)) +
            "\n";
  }
  return dump;
}

// The three kDates in `work`/source, with fixes that several dates hold in other versions.
void generate_days(const std::filesystem::path& work) {
  const auto generated = run_d2d({"generate", "--out", (work / "source").string(), "--date", kDates.front(),
                                  "--days", "3", "--vehicles", "6", "--interval-s", "30", "--conflict-ratio",
                                  "0.2", "--breaks", "--seed", "7"});
  ASSERT_EQ(generated.exit_code, 0) << generated.err;
}

std::string kind_of(const std::filesystem::path& db, const std::string& name) {
  return query_one(db, "SELECT type FROM sqlite_schema WHERE name = '" + name + "'");
}

TEST(SqliteStorageV2, TheMigrationConvertsALoadedWarehouseForwardAndBack) {
  TempDir dir;
  WarehouseUnderTest warehouse(Engine::Sqlite, dir.path());
  ASSERT_NO_FATAL_FAILURE(generate_days(dir.path()));
  for (const std::string& date : kDates) {
    const auto ran = run_d2d(run_args_for(dir.path(), warehouse, date));
    ASSERT_EQ(ran.exit_code, 0) << ran.err;
  }
  const std::filesystem::path db = dir / "w.db";
  const std::string fixes = exact_fixes(db), relations = warehouse.dump();
  const std::string fixes_without_lineage = exact_fixes(db, false);
  ASSERT_NE(query_one(db, "SELECT count(*) FROM lake_location_superseded"), "0")
      << "the test's premise: dates hold other versions of the same fixes";
  ASSERT_EQ(kind_of(db, "location_update"), "view");

  const std::vector<std::string> target = warehouse.args();
  auto migrate = [&](std::vector<std::string> args) {
    args.insert(args.end(), target.begin(), target.end());
    return run_d2d(args);
  };
  const auto down = migrate({"migrate", "down", "1"});  // no --yes: every row is kept
  ASSERT_EQ(down.exit_code, 0) << down.err;
  EXPECT_EQ(kind_of(db, "location_update"), "table");
  EXPECT_EQ(kind_of(db, "lake_location_superseded"), "table");
  EXPECT_EQ(kind_of(db, "location_fix"), "");
  EXPECT_EQ(first_difference(fixes, exact_fixes(db)), "") << "migrated back";
  EXPECT_EQ(first_difference(relations, warehouse.dump()), "") << "migrated back";

  const auto up = migrate({"migrate", "up"});
  ASSERT_EQ(up.exit_code, 0) << up.err;
  EXPECT_EQ(kind_of(db, "location_update"), "view");
  EXPECT_EQ(first_difference(fixes, exact_fixes(db)), "") << "migrated forward";
  EXPECT_EQ(first_difference(relations, warehouse.dump()), "") << "migrated forward";
  EXPECT_EQ(query_one(db, "SELECT count(*) FROM vehicle_key"), "6");
  EXPECT_EQ(query_one(db, "SELECT count(*) FROM location_fix WHERE event_at = at"), "0")
      << "event_at is stored only where it differs from at";

  // The converted warehouse loads on: a date loaded again (full reload) changes nothing.
  const auto again = run_d2d(run_args_for(dir.path(), warehouse, kDates[1], {"--force"}));
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(first_difference(fixes_without_lineage, exact_fixes(db, false)), "") << "reloaded";
  EXPECT_EQ(first_difference(relations, warehouse.dump()), "") << "reloaded";
}

// Derivation after a load takes the fixes the load has just written from memory wherever the
// load held a vehicle's span alone, and reads only the rest of its windows from location_fix
// (reading a day back through the table cost 160 of 1,600 ms at 1M fixes). Whether the two
// together give the right answer is the Reference and OrderIndependence tests' (both fail when
// either part is left out); this one fails when derivation goes back to reading everything.
TEST(SqliteStorageV2, DerivationTakesTheFixesTheLoadWroteFromMemory) {
  TempDir dir;
  WarehouseUnderTest warehouse(Engine::Sqlite, dir.path());
  ASSERT_NO_FATAL_FAILURE(generate_days(dir.path()));
  std::uint64_t from_memory_later = 0;
  for (const std::string& date : kDates) {
    std::vector<std::string> args = run_args_for(dir.path(), warehouse, date, {"--log-level", "debug"});
    std::erase(args, "--quiet");  // it silences the log
    const auto ran = run_d2d(args);
    ASSERT_EQ(ran.exit_code, 0) << ran.err;
    const auto line = ran.err.find("fixes from memory, ");
    ASSERT_NE(line, std::string::npos) << ran.err;
    const auto start = ran.err.rfind(", ", line - 1) + 2;
    const std::uint64_t from_memory = std::stoull(ran.err.substr(start));
    const std::uint64_t read = std::stoull(ran.err.substr(line + std::string("fixes from memory, ").size()));
    if (date == kDates.front()) {
      EXPECT_GT(from_memory, 1000u) << date;
      EXPECT_EQ(read, 0u) << "a first load holds every vehicle's span alone: "
                          << ran.err.substr(start - 40, 120);
    } else {
      from_memory_later += from_memory;
    }
  }
  EXPECT_GT(from_memory_later, 1000u) << "later dates' own spans come from memory too";
}

}  // namespace
}  // namespace d2d::testing
