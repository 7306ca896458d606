#include "warehouse/migrations.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "core/error.h"

namespace d2d::warehouse {
namespace {

using Names = std::vector<std::string>;

TEST(TablesDroppedBy, FindsEachDroppedTableOnceAndSkipsCommentsViewsAndIndexes) {
  EXPECT_EQ(tables_dropped_by("-- DROP TABLE not_this;\n"
                              "DROP TABLE {{schema}}.etl_run;\n"
                              "drop table if exists \"quoted\";\n"
                              "DROP VIEW operating_period_avg_distance; DROP INDEX x_by_date;\n"
                              "DROP   TABLE\n  lake_vehicle; DROP TABLE etl_run;"),
            (Names{"etl_run", "quoted", "lake_vehicle"}));
  EXPECT_EQ(tables_dropped_by("ALTER TABLE etl_run DROP COLUMN objects_refused;"), Names{});
}

// Every table the initial schema creates is dropped by its rollback, in both dialects, so
// `migrate down` can count them all before it asks.
TEST(TablesDroppedBy, TheInitialRollbacksDropEveryTableTheyCreated) {
  for (const auto* known : {&sqlite_migrations(), &postgres_migrations()}) {
    const Migration& initial = find_migration(*known, 1);
    const Names dropped = tables_dropped_by(initial.down_sql);
    for (const char* table :
         {"etl_run", "location_update", "operating_period", "rejected_event", "vehicle"}) {
      EXPECT_NE(std::find(dropped.begin(), dropped.end(), table), dropped.end()) << table;
    }
  }
}

// A rollback that copies its rows back into the tables it restores declares the tables it drops
// afterwards; `migrate down` does not ask --yes for those, and still does for every other table.
TEST(TablesKeptBy, ReadsTheDeclarationAndMigrateDownCountsOnlyTheOtherTables) {
  EXPECT_EQ(tables_kept_by("-- Back to one table.\n-- rows kept: a, b ,c\nDROP TABLE a;\n"
                           "SELECT 1; -- rows kept: not_a_declaration\n"),
            (Names{"a", "b", "c"}));
  EXPECT_EQ(tables_kept_by("DROP TABLE a;"), Names{});
  EXPECT_EQ(tables_kept_by("-- rows kept: a,\tb\r\nDROP TABLE a;\r\n"), (Names{"a", "b"})) << "CRLF";
  const std::vector<Migration> known = {
      {1, "one", "", "DROP TABLE t;"},
      {2, "two", "", "-- rows kept: v\nDROP TABLE v; DROP TABLE w;"},
  };
  const std::vector<MigrationState> states = {{1, "one", true, "t"}, {2, "two", true, "t"}};
  const auto rows_of = [](const std::string&) { return std::int64_t{5}; };
  const std::vector<TableRows> dropped = tables_with_rows_dropped_by_down(states, known, 2, rows_of);
  Names names;
  for (const TableRows& table : dropped) names.push_back(table.table);
  EXPECT_EQ(names, (Names{"w", "t"}));
}

// The storage v2 rollbacks copy every row back (their tests compare every value forward and
// back), so each table they drop is declared kept.
TEST(TablesKeptBy, TheStorageV2RollbacksKeepEveryTableTheyDrop) {
  for (const auto& [known, version] :
       {std::pair{&sqlite_migrations(), 8}, std::pair{&postgres_migrations(), 11}}) {
    const Migration& migration = find_migration(*known, version);
    const Names kept = tables_kept_by(migration.down_sql);
    const Names dropped = tables_dropped_by(migration.down_sql);
    EXPECT_FALSE(dropped.empty()) << migration.name;
    for (const std::string& table : dropped) {
      EXPECT_NE(std::find(kept.begin(), kept.end(), table), kept.end()) << migration.name << ": " << table;
    }
  }
}

TEST(RequireCurrentSchema, NamesMigrateUpWhenAMigrationIsPending) {
  const std::vector<MigrationState> current = {{1, "a", true, "t"}, {2, "b", true, "t"}};
  EXPECT_NO_THROW(require_current_schema(current, "w.db"));
  const std::vector<MigrationState> behind = {{1, "a", true, "t"}, {2, "b", false, ""}};
  try {
    require_current_schema(behind, "w.db");
    FAIL() << "a pending migration must be refused";
  } catch (const core::Error& error) {
    EXPECT_NE(std::string(error.what()).find("run `d2d migrate up`"), std::string::npos) << error.what();
    EXPECT_NE(std::string(error.what()).find("0002 (b)"), std::string::npos) << error.what();
  }
}

TEST(MigrationStates, AMigrationThisBinaryDoesNotKnowSaysTheBinaryIsTooOld) {
  std::map<int, AppliedMigration> applied = {{9999, {"future", "t"}}};
  try {
    migration_states(sqlite_migrations(), applied, "w.db");
    FAIL() << "an unknown migration must be refused";
  } catch (const core::Error& error) {
    EXPECT_NE(std::string(error.what()).find("this d2d is too old"), std::string::npos) << error.what();
  }
}

}  // namespace
}  // namespace d2d::warehouse
