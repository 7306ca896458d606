#include "warehouse/sqlite/migrator.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>

namespace d2d::warehouse::sqlite {
namespace {

using detail::Statement;

const Migration& find(int version) { return find_migration(sqlite_migrations(), version); }

}  // namespace

std::vector<MigrationState> SqliteMigrator::migration_status() {
  std::map<int, AppliedMigration> applied;
  Statement query(m_file.db, "SELECT version, name, applied_at FROM schema_migration ORDER BY version");
  while (query.step()) {
    applied[static_cast<int>(query.column_int(0))] = {std::string(query.column_text(1)),
                                                      std::string(query.column_text(2))};
  }
  return migration_states(sqlite_migrations(), std::move(applied), m_file.path);
}

int SqliteMigrator::migrate_up() {
  m_file.refuse_if_read_only("migrate up");
  // A current schema is left alone without the write lock, so a read-only file still reports.
  const auto states = migration_status();
  if (std::all_of(states.begin(), states.end(), [](const MigrationState& s) { return s.applied; })) return 0;
  const std::lock_guard gate(*m_file.gate);
  // Two processes may start on the same fresh file: the applied versions are read again under
  // the write lock (BEGIN IMMEDIATE waits out the busy timeout), so the one that comes second
  // finds the other's migrations applied instead of running them again.
  int count = 0;
  for (;;) {
    m_file.db.exec("BEGIN IMMEDIATE");
    try {
      const auto locked = migration_status();
      const auto pending =
          std::find_if(locked.begin(), locked.end(), [](const MigrationState& s) { return !s.applied; });
      if (pending == locked.end()) {
        m_file.db.exec("COMMIT");
        return count;
      }
      const Migration& migration = find(pending->version);
      m_file.db.exec(migration.up_sql);
      Statement record(m_file.db,
                       "INSERT INTO schema_migration (version, name, applied_at) VALUES (?1, ?2, ?3)");
      record.bind(1, static_cast<std::int64_t>(migration.version)).bind(2, std::string_view(migration.name));
      record.bind(3, std::string_view(now_utc())).run();
      m_file.db.exec("COMMIT");
    } catch (...) {
      sqlite3_exec(m_file.db.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
      throw;
    }
    ++count;
  }
}

int SqliteMigrator::migrate_down(int steps) {
  m_file.refuse_if_read_only("migrate down");
  const std::lock_guard gate(*m_file.gate);
  int count = 0;
  // Like migrate_up: what is applied is read under the write lock, one migration at a time.
  while (count < steps) {
    m_file.db.exec("BEGIN IMMEDIATE");
    try {
      const auto locked = migration_status();
      const auto newest =
          std::find_if(locked.rbegin(), locked.rend(), [](const MigrationState& s) { return s.applied; });
      if (newest == locked.rend()) {
        m_file.db.exec("COMMIT");
        return count;
      }
      const Migration& migration = find(newest->version);
      m_file.db.exec(migration.down_sql);
      Statement forget(m_file.db, "DELETE FROM schema_migration WHERE version = ?1");
      forget.bind(1, static_cast<std::int64_t>(migration.version)).run();
      m_file.db.exec("COMMIT");
    } catch (...) {
      sqlite3_exec(m_file.db.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
      throw;
    }
    ++count;
  }
  return count;
}

std::vector<TableRows> SqliteMigrator::rows_dropped_by_down(int steps) {
  return tables_with_rows_dropped_by_down(
      migration_status(), sqlite_migrations(), steps, [this](const std::string& table) -> std::int64_t {
        // A view counts too: a table that a newer rollback turns a view back into (storage v2's
        // location_update, its rows kept) holds the view's rows when an older rollback drops it.
        Statement exists(m_file.db,
                         "SELECT count(*) FROM sqlite_schema WHERE type IN ('table', 'view') AND name = ?1");
        exists.bind(1, std::string_view(table));
        if (!exists.step() || exists.column_int(0) == 0) return 0;
        Statement count(m_file.db, fmt::format("SELECT count(*) FROM \"{}\"", table));
        count.step();
        return count.column_int(0);
      });
}

}  // namespace d2d::warehouse::sqlite
