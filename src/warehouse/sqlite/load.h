// One lake date's load into SQLite: a single write transaction (BEGIN IMMEDIATE) holding the
// file's writer gate from the start to the commit or the rollback. The gate is not recursive: while
// a load is alive, its thread must not write the ledger through another role (run.cpp lets the
// load end before fail_run; phases inside the load go to RunOptions::on_phase, not the ledger). A full load
// forgets what the date contributed before (its keys remembered in temp tables); an incremental one keeps it
// and merges its new objects' rows into the date's. Then the winners are merged across dates and the
// affected distances derived again.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "model/derivation.h"
#include "model/fix_sorter.h"
#include "warehouse/sqlite/derive_store.h"
#include "warehouse/sqlite/sqlite_file.h"
#include "warehouse/warehouse.h"

namespace d2d::warehouse::sqlite {

class SqliteLoad final : public LakeDateLoad {
 public:
  SqliteLoad(SqliteFile& file, const core::LakeDate& lake_date, std::int64_t run_id);
  ~SqliteLoad() override;
  SqliteLoad(const SqliteLoad&) = delete;
  SqliteLoad& operator=(const SqliteLoad&) = delete;

  std::vector<LoadedObject> loaded_objects() override;
  void start(LoadMode mode) override;
  std::int64_t add_object(const ObjectRow& object) override;
  void set_object_lines(std::int64_t object_id, const LineCounts& lines) override;
  LineCounts date_lines() override;
  void add_location(const LocationRow& row) override;
  void add_rejected(const RejectedRow& row) override;
  void add_period_event(const PeriodEventRow& row) override;
  void add_vehicle(const VehicleRow& row) override;
  void add_break_event(const BreakEventRow& row) override;
  std::uint64_t merge() override;
  std::uint64_t derive() override;
  void commit(const RunFigures& figures) override;

 private:
  void begin_transaction(bool wait_for_lock);
  void forget_previous_rows();
  std::optional<PeriodEventRow> stored_period_event(const std::string& id);
  std::optional<VehicleRow> stored_vehicle(const std::string& id);
  void mark_affected(std::string_view table, std::string_view id);
  void merge_vehicles();
  void merge_periods();
  void run_for_date(std::string_view sql);
  detail::Statement& prepared(std::unique_ptr<detail::Statement>& slot, std::string_view sql);
  void finalize_statements();

  std::unique_lock<std::mutex> m_gate;  // declared first: released after the rollback below
  detail::SqliteDb& m_db;
  std::string m_path;
  std::string m_lake_date;
  std::int64_t m_lake_day;  // days since 1970-01-01 (location_fix.lake_day)
  std::int64_t m_run_id;
  bool m_open = false;
  LoadMode m_mode = LoadMode::Full;
  std::unique_ptr<detail::Statement> m_insert_rejected, m_insert_period, m_insert_vehicle, m_insert_break;
  model::Changes m_changes;  // where the load changed fixes and breaks, for derivation
  model::FixSorter m_fixes;  // the date's fixes: merged into the tables, then read by derivation
  SqliteDeriveStore m_derive_store;
};

}  // namespace d2d::warehouse::sqlite
