// Test probes around a real warehouse: a load that forwards every call (a probe overrides the
// ones it watches), and a warehouse whose loader or ledger a test replaces, the other roles
// being the real ones.
#pragma once

#include <memory>
#include <utility>

#include "warehouse/warehouse.h"

namespace d2d::testing {

class ForwardingLoad : public warehouse::LakeDateLoad {
 public:
  explicit ForwardingLoad(std::unique_ptr<warehouse::LakeDateLoad> inner) : m_inner(std::move(inner)) {}
  std::vector<warehouse::LoadedObject> loaded_objects() override { return m_inner->loaded_objects(); }
  void start(warehouse::LoadMode mode) override { m_inner->start(mode); }
  std::int64_t add_object(const warehouse::ObjectRow& object) override { return m_inner->add_object(object); }
  void set_object_lines(std::int64_t object_id, const warehouse::LineCounts& lines) override {
    m_inner->set_object_lines(object_id, lines);
  }
  warehouse::LineCounts date_lines() override { return m_inner->date_lines(); }
  void add_location(const warehouse::LocationRow& row) override { m_inner->add_location(row); }
  void add_rejected(const warehouse::RejectedRow& row) override { m_inner->add_rejected(row); }
  void add_period_event(const warehouse::PeriodEventRow& row) override { m_inner->add_period_event(row); }
  void add_vehicle(const warehouse::VehicleRow& row) override { m_inner->add_vehicle(row); }
  void add_break_event(const warehouse::BreakEventRow& row) override { m_inner->add_break_event(row); }
  std::uint64_t merge() override { return m_inner->merge(); }
  std::uint64_t derive() override { return m_inner->derive(); }
  void commit(const warehouse::RunFigures& figures) override { m_inner->commit(figures); }

 protected:
  void end_inner() { m_inner.reset(); }  // commits nothing: rolls back if not committed

 private:
  std::unique_ptr<warehouse::LakeDateLoad> m_inner;
};

class ForwardingLedger : public warehouse::RunLedger {
 public:
  explicit ForwardingLedger(warehouse::RunLedger& inner) : m_inner(inner) {}
  std::int64_t start_run(const core::LakeDate& lake_date) override { return m_inner.start_run(lake_date); }
  void set_run_phase(std::int64_t run_id, warehouse::RunPhase phase) override {
    m_inner.set_run_phase(run_id, phase);
  }
  void fail_run(std::int64_t run_id, const std::string& error, warehouse::RunPhase phase) override {
    m_inner.fail_run(run_id, error, phase);
  }
  std::optional<warehouse::LastRun> last_finished_run(const core::LakeDate& lake_date) override {
    return m_inner.last_finished_run(lake_date);
  }
  void finish_unchanged(std::int64_t run_id, const warehouse::RunFigures& figures) override {
    m_inner.finish_unchanged(run_id, figures);
  }
  std::vector<warehouse::RunRecord> runs(const warehouse::RunFilter& filter) override {
    return m_inner.runs(filter);
  }

 private:
  warehouse::RunLedger& m_inner;
};

class WrappedWarehouse final : public warehouse::Warehouse {
 public:
  explicit WrappedWarehouse(std::unique_ptr<warehouse::Warehouse> inner) : m_inner(std::move(inner)) {}
  warehouse::Migrator& migrator() override { return m_inner->migrator(); }
  warehouse::RunLedger& ledger() override { return m_ledger ? *m_ledger : m_inner->ledger(); }
  warehouse::Loader& loader() override { return m_loader ? *m_loader : m_inner->loader(); }
  warehouse::Queries& queries() override { return m_inner->queries(); }
  std::string describe() const override { return m_inner->describe(); }

  warehouse::Warehouse& inner() { return *m_inner; }
  // Replacements usually wrap the inner role they replace (inner().ledger(), inner().loader()).
  void replace_ledger(std::unique_ptr<warehouse::RunLedger> ledger) { m_ledger = std::move(ledger); }
  void replace_loader(std::unique_ptr<warehouse::Loader> loader) { m_loader = std::move(loader); }

 private:
  std::unique_ptr<warehouse::Warehouse> m_inner;  // declared first: outlives the replacements
  std::unique_ptr<warehouse::RunLedger> m_ledger;
  std::unique_ptr<warehouse::Loader> m_loader;
};

}  // namespace d2d::testing
