#include "warehouse/postgres/postgres_warehouse.h"

#include <fmt/format.h>

#include "core/error.h"
#include "warehouse/postgres/ledger.h"
#include "warehouse/postgres/load.h"
#include "warehouse/postgres/migrator.h"
#include "warehouse/postgres/queries.h"
#include "warehouse/postgres/session.h"

namespace d2d::warehouse {
namespace {

class PgLoader final : public Loader {
 public:
  explicit PgLoader(pg::PgSession& session) : m_session(session) {}
  std::unique_ptr<LakeDateLoad> begin_load(const core::LakeDate& lake_date, std::int64_t run_id) override {
    m_session.refuse_if_read_only("a load");
    return std::make_unique<pg::PgLoad>(m_session.connection(), m_session.schema(), lake_date, run_id,
                                        m_session.options().wait_for_lock);
  }

 private:
  pg::PgSession& m_session;
};

class PostgresWarehouse final : public Warehouse {
 public:
  explicit PostgresWarehouse(const WarehouseOptions& options)
      : m_session(options),
        m_migrator(m_session),
        m_ledger(m_session),
        m_loader(m_session),
        m_queries(m_session) {
    if (!options.read_only) return;
    pg::Connection& db = m_session.connection();
    if (db.exec(m_session.sql("SELECT to_regclass($1) IS NULL"), {m_session.sql("{s}.schema_migration")})
            .boolean(0, 0)) {
      throw core::Error(
          core::ErrorKind::Warehouse,
          fmt::format("no warehouse at {}: run `d2d run` or `d2d migrate up` first", describe()));
    }
    require_current_schema(m_migrator.migration_status(), describe());
  }

  Migrator& migrator() override { return m_migrator; }
  RunLedger& ledger() override { return m_ledger; }
  Loader& loader() override { return m_loader; }
  Queries& queries() override { return m_queries; }
  std::string describe() const override { return m_session.describe(); }

 private:
  pg::PgSession m_session;
  pg::PgMigrator m_migrator;
  pg::PgLedger m_ledger;
  PgLoader m_loader;
  pg::PgQueries m_queries;
};

}  // namespace

std::unique_ptr<Warehouse> open_postgres_warehouse(const WarehouseOptions& options) {
  return std::make_unique<PostgresWarehouse>(options);
}

}  // namespace d2d::warehouse
