#include "warehouse/sqlite/sqlite_warehouse.h"

#include <fmt/format.h>
#include <unistd.h>

#include <filesystem>

#include "core/error.h"
#include "warehouse/sqlite/ledger.h"
#include "warehouse/sqlite/load.h"
#include "warehouse/sqlite/migrator.h"
#include "warehouse/sqlite/queries.h"
#include "warehouse/sqlite/sqlite_file.h"

namespace d2d::warehouse {
namespace {

using detail::Statement;
using sqlite::SqliteFile;

class SqliteLoader final : public Loader {
 public:
  explicit SqliteLoader(SqliteFile& file) : m_file(file) {}
  std::unique_ptr<LakeDateLoad> begin_load(const core::LakeDate& lake_date, std::int64_t run_id) override {
    m_file.refuse_if_read_only("a load");
    return std::make_unique<sqlite::SqliteLoad>(m_file, lake_date, run_id);
  }

 private:
  SqliteFile& m_file;
};

class SqliteWarehouse final : public Warehouse {
 public:
  SqliteWarehouse(const std::string& path, bool read_only, bool wait_for_lock)
      : m_file(path, read_only, wait_for_lock),
        m_migrator(m_file),
        m_ledger(m_file),
        m_loader(m_file),
        m_queries(m_file) {
    // Any first statement tells a non-SQLite file apart (SQLITE_NOTADB).
    m_file.db.set_busy_timeout(m_file.busy_timeout());
    m_file.db.exec("SELECT count(*) FROM sqlite_schema");
    if (read_only) {
      // journal_mode and page_size would write; the cache and temp settings do not.
      m_file.db.exec("PRAGMA cache_size = -65536; PRAGMA temp_store = MEMORY;");
      Statement table(m_file.db, "SELECT count(*) FROM sqlite_schema WHERE name = 'schema_migration'");
      table.step();
      if (table.column_int(0) == 0) {
        throw core::Error(core::ErrorKind::Warehouse,
                          fmt::format("no warehouse at {} (the file holds no d2d schema): run `d2d run` "
                                      "or `d2d migrate up` first",
                                      path));
      }
      require_current_schema(m_migrator.migration_status(), path);
      return;
    }
    // Only a new, empty file takes a page size (an existing one keeps its own). 64 KB pages:
    // a load writes a sixteenth of the WAL frames and page allocations (docs/decisions.md).
    m_file.db.exec("PRAGMA page_size = 65536");
    // Processes started together on a fresh file race to switch it to WAL.
    m_file.db.exec_patiently(detail::kConnectionPragmas, sqlite::kBusyTimeout);
    m_file.db.exec(
        "CREATE TABLE IF NOT EXISTS schema_migration (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
        "applied_at TEXT NOT NULL)");
  }

  Migrator& migrator() override { return m_migrator; }
  RunLedger& ledger() override { return m_ledger; }
  Loader& loader() override { return m_loader; }
  Queries& queries() override { return m_queries; }
  std::string describe() const override { return "sqlite:" + m_file.path; }

 private:
  SqliteFile m_file;
  sqlite::SqliteMigrator m_migrator;
  sqlite::SqliteLedger m_ledger;
  SqliteLoader m_loader;
  sqlite::SqliteQueries m_queries;
};

}  // namespace

std::unique_ptr<Warehouse> open_sqlite_warehouse(const std::string& path, bool read_only,
                                                 bool wait_for_lock) {
  if (read_only) {
    // A typo in --warehouse must not leave an empty database (and an empty report) behind.
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) {
      throw core::Error(core::ErrorKind::Warehouse,
                        fmt::format("no warehouse at {}: run `d2d run` or `d2d migrate up` first", path));
    }
    try {
      return std::make_unique<SqliteWarehouse>(path, true, wait_for_lock);
    } catch (const core::Error&) {
      // A WAL database is read through its -shm index, which a reader creates when no writer
      // has it open; in a folder the reader may not write, SQLite answers "readonly database".
      const std::filesystem::path file(path);
      const std::filesystem::path folder = file.parent_path().empty() ? "." : file.parent_path();
      if (!std::filesystem::exists(path + "-shm", ec) && ::access(folder.c_str(), W_OK) != 0) {
        throw core::Error(core::ErrorKind::Warehouse,
                          fmt::format("cannot read warehouse {} read-only: SQLite needs {}-shm, which only "
                                      "a user who may write in {} can create (it exists while a d2d run "
                                      "or serve has the warehouse open)",
                                      path, path, folder.string()));
      }
      throw;
    }
  }
  // Like the lake, the warehouse file's folder is created on first use.
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  std::error_code ec;
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  return std::make_unique<SqliteWarehouse>(path, false, wait_for_lock);
}

}  // namespace d2d::warehouse
