// PostgreSQL's etl_run ledger. A load records its success inside its own transaction
// (record_succeeded_run); everything else here is a statement of its own.
#pragma once

#include "warehouse/postgres/session.h"
#include "warehouse/warehouse.h"

namespace d2d::warehouse::pg {

class PgLedger final : public RunLedger {
 public:
  explicit PgLedger(PgSession& session) : m_session(session) {}
  std::int64_t start_run(const core::LakeDate& lake_date) override;
  void set_run_phase(std::int64_t run_id, RunPhase phase) override;
  void fail_run(std::int64_t run_id, const std::string& error, RunPhase phase) override;
  std::optional<LastRun> last_finished_run(const core::LakeDate& lake_date) override;
  void finish_unchanged(std::int64_t run_id, const RunFigures& figures) override;
  std::vector<RunRecord> runs(const RunFilter& filter) override;

 private:
  PgSession& m_session;
};

// Marks the run succeeded with its figures, in the caller's (the load's) transaction on `db`.
void record_succeeded_run(Connection& db, const std::string& quoted_schema, std::int64_t run_id,
                          const RunFigures& figures);

}  // namespace d2d::warehouse::pg
