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
