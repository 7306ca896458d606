// The reads and writes derivation (model/derivation.h) needs from PostgreSQL, inside the load's
// transaction. Fixes the load copied straight from memory are read back from memory, not from
// the server (see for_each_fix); breaks are read and written a batch of vehicles per round trip.
#pragma once

#include <optional>
#include <string>

#include "model/derivation.h"
#include "warehouse/postgres/load_fixes.h"
#include "warehouse/postgres/session.h"

namespace d2d::warehouse::pg {

// The newest location.at (NULL when there is no fix): one primary-key probe of location_fix per
// vehicle key (the table has no B-tree on `at`).
inline std::string newest_fix_sql() {
  return "SELECT MAX((SELECT MAX(f.at) FROM {s}.location_fix f WHERE f.vehicle_key = k.vehicle_key)) FROM "
         "{s}.vehicle_key k";
}

class PgDeriveStore final : public model::DeriveStore {
 public:
  PgDeriveStore(Connection& db, const std::string& quoted_schema, DateFixes& fixes)
      : m_db(db), m_schema(quoted_schema), m_fixes(fixes) {}
  std::vector<std::string> vehicles_with_changed_break_events() override;
  model::BreaksByVehicle breaks_of(std::span<const std::string> vehicles) override;
  void replace_breaks(const model::BreakSpansByVehicle& spans) override;
  std::vector<core::UtcMicros> previous_fix_times_by_day() override;
  core::UtcMicros latest_fix_at() override;
  std::vector<model::PeriodWindow> changed_periods() override;
  std::vector<model::PeriodWindow> live_periods_meeting(core::UtcMicros start_us,
                                                        core::UtcMicros end_us) override;
  void for_each_fix(std::span<const model::TimeWindow> windows,
                    const std::function<void(std::string_view, const model::Fix&)>& visit) override;
  std::vector<std::pair<std::string, model::BreakSpan>> breaks_overlapping(
      core::UtcMicros start_us, core::UtcMicros finish_us) override;
  void replace_distances(const std::string& period_id, const std::vector<model::DistanceRow>& rows) override;
  void for_each_fix_of(std::span<const model::VehicleWindow> windows,
                       const std::function<void(std::string_view, const model::Fix&)>& visit) override;
  void replace_pair_distances(std::span<const model::PairDistance> pairs) override;
  std::vector<std::vector<model::Fix>> fixes_around(std::span<const model::TrackPieceRequest> requests,
                                                    int neighbours) override;
  std::vector<model::StoredPairDistance> stored_distances(std::span<const model::PairKey> pairs) override;
  std::vector<std::vector<model::BreakSpan>> stored_breaks_meeting(
      std::span<const model::TrackPieceRequest> windows) override;

 private:
  std::string sql(std::string_view text) const { return with_schema(text, m_schema); }
  Params stored_intervals(std::span<const model::TimeWindow> windows);

  Connection& m_db;
  const std::string& m_schema;  // quoted
  DateFixes& m_fixes;
  std::optional<core::UtcMicros> m_latest_fix_at;
};

}  // namespace d2d::warehouse::pg
