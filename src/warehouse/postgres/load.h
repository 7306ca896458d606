// One lake date's load into PostgreSQL: one transaction. A transaction-scoped advisory lock per
// (schema, lake date) keeps two runs of one date from interleaving (wait or fail, by
// wait_for_lock); merges of different dates take a second lock so they apply one after the
// other, while their extract and decode overlap. Rejected lines stream to the server as they come;
// the small entities are kept until merge, the fixes in DateFixes. A full load replaces what the
// date held; an incremental one merges its new objects' rows into the date's (SPEC §8).
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "model/derivation.h"
#include "warehouse/postgres/derive_store.h"
#include "warehouse/postgres/load_fixes.h"
#include "warehouse/postgres/session.h"
#include "warehouse/warehouse.h"

namespace d2d::warehouse::pg {

class PgLoad final : public LakeDateLoad {
 public:
  PgLoad(Connection& connection, std::string quoted_schema, const core::LakeDate& lake_date,
         std::int64_t run_id, bool wait_for_lock);
  ~PgLoad() override;
  PgLoad(const PgLoad&) = delete;
  PgLoad& operator=(const PgLoad&) = delete;

  std::vector<LoadedObject> loaded_objects() override;
  void start(LoadMode mode) override;
  std::int64_t add_object(const ObjectRow& object) override;
  // Kept until merge: the connection carries the rejected lines' COPY while objects are decoded.
  void set_object_lines(std::int64_t object_id, const LineCounts& lines) override {
    m_object_lines.emplace_back(object_id, lines);
  }
  LineCounts date_lines() override;
  void add_location(const LocationRow& row) override;
  void add_rejected(const RejectedRow& row) override;
  void add_period_event(const PeriodEventRow& row) override { m_periods.push_back(row); }
  void add_vehicle(const VehicleRow& row) override { m_vehicles.push_back(row); }
  void add_break_event(const BreakEventRow& row) override { m_breaks.push_back(row); }
  std::uint64_t merge() override;
  std::uint64_t derive() override;
  void commit(const RunFigures& figures) override;

 private:
  std::string sql(std::string_view text) const { return with_schema(text, m_s); }
  void exec(std::string_view text, const Params& params = {}) { m_db.exec(sql(text), params); }
  void remember_and_forget_previous_rows(const Params& date);
  void create_empty_affected_tables();
  void record_object_lines();
  void merge_small_rows_into_date();
  void copy_small_rows();
  void merge_vehicles(const Params& date);
  void merge_periods(const Params& date);

  Connection& m_db;
  std::string m_s;  // quoted schema
  std::string m_lake_date;
  std::int64_t m_lake_day = 0;
  std::int64_t m_run_id;
  bool m_open = false;
  LoadMode m_mode = LoadMode::Full;
  std::vector<std::pair<std::int64_t, LineCounts>> m_object_lines;
  DateFixes m_fixes;
  std::unique_ptr<CopyWriter> m_rejected;  // open from the first rejected line until merge
  std::vector<PeriodEventRow> m_periods;
  std::vector<VehicleRow> m_vehicles;
  std::vector<BreakEventRow> m_breaks;
  model::Changes m_changes;  // where the load changed fixes and breaks, for derivation
  PgDeriveStore m_derive_store;
};

}  // namespace d2d::warehouse::pg
