// Per-lake-date bookkeeping of the small entities (vehicles, operating periods, break events):
// they are few, so they are reduced in memory while the many location updates stream straight
// to the warehouse.
#pragma once

#include <set>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

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

  std::unordered_map<std::string, warehouse::VehicleRow> m_vehicles;
  std::unordered_map<std::string, warehouse::PeriodEventRow> m_periods;
  std::set<std::tuple<std::string, core::UtcMicros, bool>> m_break_events;
};

}  // namespace d2d::pipeline
