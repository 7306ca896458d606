// PostgreSQL's schema migrations (SPEC §6): all pending ones in one transaction (its DDL is
// transactional), under an advisory lock so two processes never apply the same one.
#pragma once

#include "warehouse/postgres/session.h"
#include "warehouse/warehouse.h"

namespace d2d::warehouse::pg {

class PgMigrator final : public Migrator {
 public:
  explicit PgMigrator(PgSession& session) : m_session(session) {}
  std::vector<MigrationState> migration_status() override;
  int migrate_up() override;
  int migrate_down(int steps) override;
  std::vector<TableRows> rows_dropped_by_down(int steps) override;

 private:
  void ensure_migration_table();
  void lock_migrations(Connection& db);
  // Runs work(db) in a transaction holding the migrations' lock; rolls back when it throws.
  template <typename Work>
  auto in_locked_transaction(Work&& work) {
    Connection& db = m_session.connection();
    db.exec_script("BEGIN");
    try {
      lock_migrations(db);
      auto result = work(db);
      db.exec_script("COMMIT");
      return result;
    } catch (...) {
      m_session.rollback_quietly();
      throw;
    }
  }
  std::vector<MigrationState> migration_status_in_transaction(Connection& db);
  std::vector<MigrationState> status_from(const Result& result);
  PgSession& m_session;
};

}  // namespace d2d::warehouse::pg
