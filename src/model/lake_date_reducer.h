// Per-lake-date bookkeeping of the small entities (vehicles, operating periods, break events),
// applying SPEC §4's rules within one date (model/winners.h): they are few, so they are reduced
// in memory while the many location updates stream straight to the warehouse.
#pragma once

#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "core/string_map.h"
#include "events/event.h"
#include "model/lake_date_rows.h"

namespace d2d::model {

// An incremental load (SPEC §8) meets a date's stored row with the row its new objects make: the
// date's row becomes what one reduction of all its objects would have made. Both return whether
// `stored` changed.
bool merge_vehicle_rows(VehicleRow& stored, const VehicleRow& added);
bool merge_period_rows(PeriodEventRow& stored, const PeriodEventRow& added);

class LakeDateReducer {
 public:
  void observe(const events::Event& event);
  // Hands every reduced row to `sink` (the load).
  void flush_to(LakeDateEntitySink& sink) const;

 private:
  void observe_vehicle(const events::Event& event);

  core::StringMap<VehicleRow> m_vehicles;
  core::StringMap<PeriodEventRow> m_periods;
  std::set<std::tuple<std::string, core::UtcMicros, bool>> m_break_events;
};

}  // namespace d2d::model
