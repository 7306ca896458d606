// The reads and writes derivation (model/derivation.h) needs from SQLite, inside the load's
// transaction; the temp tables the load filled (affected_*) say what the date touched before.
#pragma once

#include <optional>

#include "model/derivation.h"
#include "model/fix_sorter.h"
#include "warehouse/sqlite/sqlite_db.h"

namespace d2d::warehouse::sqlite {

class SqliteDeriveStore final : public model::DeriveStore {
 public:
  explicit SqliteDeriveStore(detail::SqliteDb& db) : m_db(db) {}
  // After the load merged its fixes: within `spans_held_alone` (byte order of the vehicle ids)
  // location_fix holds exactly the best versions of `fixes`, so for_each_fix takes them from
  // `fixes` (memory) and reads only the rest of its windows from the table. `fixes` must outlive
  // this store's use.
  void read_fixes_from_memory(model::FixSorter& fixes,
                              std::vector<model::FixSorter::VehicleSpan> spans_held_alone) {
    m_fixes = &fixes;
    m_spans_held_alone = std::move(spans_held_alone);
  }
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
  detail::SqliteDb& m_db;
  std::optional<core::UtcMicros> m_latest_fix_at;
  model::FixSorter* m_fixes = nullptr;  // read_fixes_from_memory
  std::vector<model::FixSorter::VehicleSpan> m_spans_held_alone;
};

}  // namespace d2d::warehouse::sqlite
