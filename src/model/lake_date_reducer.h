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
