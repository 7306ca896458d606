// A Warehouse that hands every call to another one: the base of wrappers that change a few
// calls (the backfill's SQLite writer gate, test probes) without repeating the rest.
#pragma once

#include <memory>
#include <utility>

#include "warehouse/warehouse.h"

namespace d2d::warehouse {

class ForwardingWarehouse : public Warehouse {
 public:
  explicit ForwardingWarehouse(std::unique_ptr<Warehouse> inner) : m_inner(std::move(inner)) {}

  std::vector<MigrationState> migration_status() override { return m_inner->migration_status(); }
  int migrate_up() override { return m_inner->migrate_up(); }
  int migrate_down(int steps) override { return m_inner->migrate_down(steps); }
  std::vector<TableRows> rows_dropped_by_down(int steps) override {
    return m_inner->rows_dropped_by_down(steps);
  }
  std::int64_t start_run(const std::string& lake_date) override { return m_inner->start_run(lake_date); }
  void set_run_phase(std::int64_t run_id, RunPhase phase) override { m_inner->set_run_phase(run_id, phase); }
  void fail_run(std::int64_t run_id, const std::string& error, RunPhase phase) override {
    m_inner->fail_run(run_id, error, phase);
  }
  std::optional<LastRun> last_finished_run(const std::string& lake_date) override {
    return m_inner->last_finished_run(lake_date);
  }
  void finish_unchanged(std::int64_t run_id, const RunFigures& figures) override {
    m_inner->finish_unchanged(run_id, figures);
  }
  std::unique_ptr<LakeDateLoad> begin_load(const std::string& lake_date, std::int64_t run_id) override {
    return m_inner->begin_load(lake_date, run_id);
  }
  std::vector<PeriodAnswer> report(const ReportFilter& filter) override { return m_inner->report(filter); }
  std::vector<RunRecord> runs(const RunFilter& filter) override { return m_inner->runs(filter); }
  std::vector<RejectReason> reject_reasons(const std::string& lake_date, int samples_per_reason) override {
    return m_inner->reject_reasons(lake_date, samples_per_reason);
  }
  std::vector<PeriodVehicle> period_vehicles(const std::string& period_id) override {
    return m_inner->period_vehicles(period_id);
  }
  std::optional<VehicleTrack> vehicle_track(const std::string& period_id,
                                            const std::string& vehicle_id) override {
    return m_inner->vehicle_track(period_id, vehicle_id);
  }
  std::string describe() const override { return m_inner->describe(); }

 protected:
  Warehouse& inner() { return *m_inner; }

 private:
  std::unique_ptr<Warehouse> m_inner;
};

}  // namespace d2d::warehouse
