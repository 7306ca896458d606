// What SQLite answers analysts and the pages: the report, rejected lines by reason, a period's
// vehicles and one vehicle's track.
#pragma once

#include "warehouse/sqlite/sqlite_file.h"
#include "warehouse/warehouse.h"

namespace d2d::warehouse::sqlite {

class SqliteQueries final : public Queries {
 public:
  explicit SqliteQueries(SqliteFile& file) : m_file(file) {}
  std::vector<PeriodAnswer> report(const ReportFilter& filter) override;
  std::vector<RejectReason> reject_reasons(const std::string& lake_date, int samples_per_reason) override;
  std::vector<PeriodVehicle> period_vehicles(const std::string& period_id) override;
  std::optional<VehicleTrack> vehicle_track(const std::string& period_id,
                                            const std::string& vehicle_id) override;
  std::optional<core::UtcMicros> newest_fix_at() override;

 private:
  void mark_reject_gate_failures(std::vector<PeriodAnswer>& answers);
  SqliteFile& m_file;
};

}  // namespace d2d::warehouse::sqlite
