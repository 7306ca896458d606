// Versioned schema migrations, embedded in the binary at build time from
// src/warehouse/migrations/<dialect>/NNNN_name.sql and NNNN_name.rollback.sql.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace d2d::warehouse {

struct Migration {
  int version;
  const char* name;
  const char* up_sql;
  const char* down_sql;
};

struct MigrationState {
  int version = 0;
  std::string name;
  bool applied = false;
  std::string applied_at;  // empty when not applied
};

// What a warehouse's schema_migration table records about one applied migration.
struct AppliedMigration {
  std::string name;
  std::string applied_at;
};

// The state of every migration this binary knows, given what the warehouse has applied.
// Throws core::Error when the warehouse holds a migration this binary does not know (it was
// written by a newer d2d, which this one must not touch).
std::vector<MigrationState> migration_states(const std::vector<Migration>& known,
                                             std::map<int, AppliedMigration> applied,
                                             const std::string& warehouse);

// For commands that only read: throws core::Error naming `d2d migrate up` when a migration this
// binary knows is not applied (a schema behind the binary).
void require_current_schema(const std::vector<MigrationState>& states, const std::string& warehouse);

// The tables a rollback script drops (`DROP TABLE [IF EXISTS] [schema.]name`), bare names.
std::vector<std::string> tables_dropped_by(std::string_view rollback_sql);

// The tables a rollback script drops only after copying every row into the tables it restores,
// as its author declares in a comment line `-- rows kept: name, name, ...`. The declaration is
// checked by the migration's own test, which converts a loaded warehouse forward and back and
// compares every value.
std::vector<std::string> tables_kept_by(std::string_view rollback_sql);

// A table a `migrate down` would drop, with the rows it holds now.
struct TableRows {
  std::string table;
  std::int64_t rows = 0;
};

// The tables the rollbacks of the newest `steps` applied migrations drop that hold rows now, so
// `migrate down` can ask before it destroys data (tables a rollback keeps the rows of are not
// counted: tables_kept_by). `rows_of(table)`: its rows, 0 when it is absent.
std::vector<TableRows> tables_with_rows_dropped_by_down(
    const std::vector<MigrationState>& states, const std::vector<Migration>& known, int steps,
    const std::function<std::int64_t(const std::string&)>& rows_of);

const Migration& find_migration(const std::vector<Migration>& known, int version);

const std::vector<Migration>& sqlite_migrations();
const std::vector<Migration>& postgres_migrations();

}  // namespace d2d::warehouse
