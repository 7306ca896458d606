#include "warehouse/postgres/migrator.h"

#include <algorithm>
#include <map>

namespace d2d::warehouse::pg {
namespace {

const Migration& find(int version) { return find_migration(postgres_migrations(), version); }

}  // namespace

std::vector<MigrationState> PgMigrator::migration_status() {
  ensure_migration_table();
  return status_from(m_session.connection().exec(
      m_session.sql("SELECT version::bigint, name, to_char(applied_at AT TIME ZONE 'UTC', "
                    "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') FROM {s}.schema_migration ORDER BY version")));
}

int PgMigrator::migrate_up() {
  m_session.refuse_if_read_only("migrate up");
  ensure_migration_table();
  // A current schema is left alone without a write, so read-only accounts can report.
  const auto states = migration_status();
  if (std::all_of(states.begin(), states.end(), [](const MigrationState& s) { return s.applied; })) return 0;
  // All pending migrations in one transaction (PostgreSQL's DDL is transactional).
  return in_locked_transaction([this](Connection& db) {
    if (m_session.options().pg_analyst_role) db.exec_script("SET LOCAL d2d.create_analyst_role = 'on'");
    int count = 0;
    for (const MigrationState& state : migration_status_in_transaction(db)) {
      if (state.applied) continue;
      db.exec_script(m_session.sql(find(state.version).up_sql));
      db.exec(m_session.sql("INSERT INTO {s}.schema_migration (version, name) VALUES ($1::int, $2)"),
              {std::to_string(state.version), state.name});
      ++count;
    }
    return count;
  });
}

int PgMigrator::migrate_down(int steps) {
  m_session.refuse_if_read_only("migrate down");
  ensure_migration_table();
  return in_locked_transaction([this, steps](Connection& db) {
    auto states = migration_status_in_transaction(db);
    int count = 0;
    for (auto it = states.rbegin(); it != states.rend() && count < steps; ++it) {
      if (!it->applied) continue;
      db.exec_script(m_session.sql(find(it->version).down_sql));
      db.exec(m_session.sql("DELETE FROM {s}.schema_migration WHERE version = $1::int"),
              {std::to_string(it->version)});
      ++count;
    }
    return count;
  });
}

std::vector<TableRows> PgMigrator::rows_dropped_by_down(int steps) {
  return tables_with_rows_dropped_by_down(
      migration_status(), postgres_migrations(), steps, [this](const std::string& table) -> std::int64_t {
        Connection& db = m_session.connection();
        const std::string qualified = m_session.sql("{s}.") + db.quote_identifier(table);
        if (db.exec("SELECT to_regclass($1) IS NULL", {qualified}).boolean(0, 0)) return 0;
        return db.exec("SELECT count(*) FROM " + qualified).int64(0, 0);
      });
}

void PgMigrator::ensure_migration_table() {
  Connection& db = m_session.connection();
  if (m_session.options().read_only) return;  // checked when opened; a read-only session cannot create it
  // Read-only accounts (d2d_analyst) get this far too: no DDL when the table is there.
  if (!db.exec(m_session.sql("SELECT to_regclass($1) IS NULL"), {m_session.sql("{s}.schema_migration")})
           .boolean(0, 0))
    return;
  // Processes started together on a fresh schema create it one at a time, under the lock
  // migrations take (IF NOT EXISTS alone lets the second fail on a unique catalog index).
  in_locked_transaction([this](Connection& locked) {
    locked.exec_script(
        m_session.sql("CREATE SCHEMA IF NOT EXISTS {s}; CREATE TABLE IF NOT EXISTS {s}.schema_migration ("
                      "version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL "
                      "DEFAULT now())"));
    return 0;
  });
}

// Held until the transaction ends (on the transaction's connection: never reconnected inside it): one process
// at a time reads what is applied and applies what is missing (or creates the migration table).
void PgMigrator::lock_migrations(Connection& db) {
  db.exec("SELECT pg_advisory_xact_lock(hashtext($1))", {"d2d:" + m_session.schema() + ":migrate"});
}

std::vector<MigrationState> PgMigrator::migration_status_in_transaction(Connection& db) {
  return status_from(
      db.exec(m_session.sql("SELECT version::bigint, name, '' FROM {s}.schema_migration ORDER BY version")));
}

std::vector<MigrationState> PgMigrator::status_from(const Result& result) {
  std::map<int, AppliedMigration> applied;
  for (int i = 0; i < result.rows(); ++i) {
    applied[static_cast<int>(result.int64(i, 0))] = {std::string(result.text(i, 1)),
                                                     std::string(result.text(i, 2))};
  }
  return migration_states(postgres_migrations(), std::move(applied), m_session.describe());
}

}  // namespace d2d::warehouse::pg
