// Per-lake-date bookkeeping of the small entities (vehicles, operating periods, break events):
// they are few, so they are reduced in memory while the many location updates stream straight
// to the warehouse.
#pragma once

#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "core/string_map.h"
#include "events/event.h"
#include "warehouse/warehouse.h"

namespace d2d::pipeline {

class LakeDateReducer {
 public:
  void observe(const events::Event& event);
  // Hands every reduced row to the load.
  void flush_to(warehouse::LakeDateLoad& load) const;

 private:
  void observe_vehicle(const events::Event& event);

  core::StringMap<warehouse::VehicleRow> m_vehicles;
  core::StringMap<warehouse::PeriodEventRow> m_periods;
  std::set<std::tuple<std::string, core::UtcMicros, bool>> m_break_events;
};

}  // namespace d2d::pipeline
