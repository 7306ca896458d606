// Reads of location_fix (the table behind the location_update view, migration 0008) that the
// loader, derivation and the report share. They go to the table by vehicle_key, not through the
// view: SQLite cannot see that the view's join to vehicle_key keeps every row, so a MIN or MAX
// through the view reads every fix.
#pragma once

#include <string_view>

namespace d2d::warehouse::sqlite {

// The vehicles that hold a fix, as (vehicle_key, vehicle_id) in vehicle_id byte order: one
// primary-key probe of location_fix per vehicle (a day has a few hundred, a fix table millions).
inline constexpr std::string_view kVehiclesWithFixesSql =
    "SELECT k.vehicle_key, k.vehicle_id FROM vehicle_key k WHERE EXISTS (SELECT 1 FROM location_fix f "
    "WHERE f.vehicle_key = k.vehicle_key) ORDER BY k.vehicle_id";

// The newest fix's `at`, one primary-key probe per vehicle (there is no index on `at`); NULL
// when there is no fix.
inline constexpr std::string_view kNewestFixSql =
    "SELECT MAX((SELECT MAX(f.at) FROM location_fix f WHERE f.vehicle_key = k.vehicle_key)) FROM vehicle_key "
    "k";

}  // namespace d2d::warehouse::sqlite
