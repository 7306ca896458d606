// SQLite's etl_run ledger. Its writes are small transactions of their own, through the file's
// writer gate; a load records its success inside its own transaction (record_succeeded_run).
#pragma once

#include "warehouse/sqlite/sqlite_file.h"
#include "warehouse/warehouse.h"

namespace d2d::warehouse::sqlite {

class SqliteLedger final : public RunLedger {
 public:
  explicit SqliteLedger(SqliteFile& file) : m_file(file) {}
  std::int64_t start_run(const core::LakeDate& lake_date) override;
  void set_run_phase(std::int64_t run_id, RunPhase phase) override;
  void fail_run(std::int64_t run_id, const std::string& error, RunPhase phase) override;
  std::optional<LastRun> last_finished_run(const core::LakeDate& lake_date) override;
  void finish_unchanged(std::int64_t run_id, const RunFigures& figures) override;
  std::vector<RunRecord> runs(const RunFilter& filter) override;

 private:
  SqliteFile& m_file;
};

// Marks the run succeeded with its figures, in the caller's (the load's) transaction.
void record_succeeded_run(detail::SqliteDb& db, std::int64_t run_id, const RunFigures& figures);

}  // namespace d2d::warehouse::sqlite
