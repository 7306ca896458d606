// SQLite's schema migrations (SPEC §6): applied one at a time under the write lock, so two
// processes starting on one fresh file never apply the same migration twice.
#pragma once

#include "warehouse/sqlite/sqlite_file.h"
#include "warehouse/warehouse.h"

namespace d2d::warehouse::sqlite {

class SqliteMigrator final : public Migrator {
 public:
  explicit SqliteMigrator(SqliteFile& file) : m_file(file) {}
  std::vector<MigrationState> migration_status() override;
  int migrate_up() override;
  int migrate_down(int steps) override;
  std::vector<TableRows> rows_dropped_by_down(int steps) override;

 private:
  SqliteFile& m_file;
};

}  // namespace d2d::warehouse::sqlite
