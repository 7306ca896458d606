#include "model/lake_date_reducer.h"

#include <algorithm>
#include <functional>

#include "model/winners.h"

namespace d2d::model {
using events::EventKind;

void LakeDateReducer::observe_vehicle(const events::Event& event) {
  auto [it, inserted] = core::find_or_emplace(m_vehicles, event.id);
  VehicleRow& vehicle = it->second;
  if (inserted) vehicle.id = event.id;
  if (event.has_organization &&
      (!vehicle.organization_id || organization_wins(event.at_us, event.organization_id,
                                                     vehicle.organization_at_us, *vehicle.organization_id))) {
    if (vehicle.organization_id) {
      vehicle.organization_id->assign(event.organization_id);  // reuses its buffer: no allocation per event
    } else {
      vehicle.organization_id.emplace(event.organization_id);
    }
    vehicle.organization_at_us = event.at_us;
  }
  if (event.kind == EventKind::VehicleRegister) {
    vehicle.first_registered_us = std::min(vehicle.first_registered_us.value_or(event.at_us), event.at_us);
  } else if (event.kind == EventKind::VehicleDeregister) {
    vehicle.last_deregistered_us = std::max(vehicle.last_deregistered_us.value_or(event.at_us), event.at_us);
  }
}

void LakeDateReducer::observe(const events::Event& event) {
  switch (event.kind) {
    case EventKind::VehicleRegister:
    case EventKind::VehicleUpdate:
    case EventKind::VehicleDeregister: observe_vehicle(event); return;
    case EventKind::BreakStart:
    case EventKind::BreakEnd:
      observe_vehicle(event);
      m_break_events.emplace(std::string(event.id), event.at_us, event.kind == EventKind::BreakStart);
      return;
    case EventKind::PeriodCreate:
    case EventKind::PeriodDelete: {
      const bool deleted = event.kind == EventKind::PeriodDelete;
      const PeriodVersion candidate{
          event.at_us, deleted, deleted ? 0 : event.start_us, deleted ? 0 : event.finish_us,
          event.has_organization ? std::optional<std::string_view>(event.organization_id) : std::nullopt};
      auto [it, inserted] = core::find_or_emplace(m_periods, event.id);
      PeriodEventRow& row = it->second;
      if (!inserted && !period_version_wins(candidate, {row.event_at_us, row.deleted, row.start_us,
                                                        row.finish_us, row.organization_id})) {
        return;
      }
      row.id = event.id;
      row.event_at_us = candidate.event_at_us;
      row.deleted = candidate.deleted;
      row.start_us = candidate.start_us;
      row.finish_us = candidate.finish_us;
      row.organization_id =
          event.has_organization ? std::optional<std::string>(event.organization_id) : std::nullopt;
      return;
    }
  }
}

bool merge_vehicle_rows(VehicleRow& stored, const VehicleRow& added) {
  bool changed = false;
  // The earliest registration and the latest deregistration, as observe_vehicle keeps them.
  auto keep = [&changed](std::optional<core::UtcMicros>& mine, std::optional<core::UtcMicros> theirs,
                         auto better) {
    if (theirs && (!mine || better(*theirs, *mine))) {
      mine = theirs;
      changed = true;
    }
  };
  keep(stored.first_registered_us, added.first_registered_us, std::less<>());
  keep(stored.last_deregistered_us, added.last_deregistered_us, std::greater<>());
  if (added.organization_id &&
      (!stored.organization_id || organization_wins(added.organization_at_us, *added.organization_id,
                                                    stored.organization_at_us, *stored.organization_id))) {
    stored.organization_id = added.organization_id;
    stored.organization_at_us = added.organization_at_us;
    changed = true;
  }
  return changed;
}

bool merge_period_rows(PeriodEventRow& stored, const PeriodEventRow& added) {
  auto version = [](const PeriodEventRow& row) {
    return PeriodVersion{
        row.event_at_us, row.deleted, row.deleted ? 0 : row.start_us, row.deleted ? 0 : row.finish_us,
        row.organization_id ? std::optional<std::string_view>(*row.organization_id) : std::nullopt};
  };
  if (!period_version_wins(version(added), version(stored))) return false;
  stored = added;
  return true;
}

void LakeDateReducer::flush_to(LakeDateEntitySink& load) const {
  for (const auto& [id, vehicle] : m_vehicles) load.add_vehicle(vehicle);
  for (const auto& [id, period] : m_periods) load.add_period_event(period);
  for (const auto& [vehicle_id, at_us, is_start] : m_break_events) {
    load.add_break_event(BreakEventRow{vehicle_id, at_us, is_start});
  }
}

}  // namespace d2d::model
