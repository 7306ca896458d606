// What PostgreSQL answers analysts and the pages: the report, rejected lines by reason, a
// period's vehicles and one vehicle's track. Analyst relations only, so the read-only
// d2d_analyst role can ask all of it.
#pragma once

#include "warehouse/postgres/session.h"
#include "warehouse/warehouse.h"

namespace d2d::warehouse::pg {

class PgQueries final : public Queries {
 public:
  explicit PgQueries(PgSession& session) : m_session(session) {}
  std::vector<PeriodAnswer> report(const ReportFilter& filter) override;
  std::vector<RejectReason> reject_reasons(const std::string& lake_date, int samples_per_reason) override;
  std::vector<PeriodVehicle> period_vehicles(const std::string& period_id) override;
  std::optional<VehicleTrack> vehicle_track(const std::string& period_id,
                                            const std::string& vehicle_id) override;
  std::optional<core::UtcMicros> newest_fix_at() override;

 private:
  void mark_reject_gate_failures(Connection& db, std::vector<PeriodAnswer>& answers);
  PgSession& m_session;
};

}  // namespace d2d::warehouse::pg
