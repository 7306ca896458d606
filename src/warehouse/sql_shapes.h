// Query shapes both engines use, written once. Table names are passed as each engine's SQL
// spells them (SQLite: `location_update`; PostgreSQL: `"schema".location_update`).
#pragma once

#include <fmt/format.h>

#include <optional>
#include <string>
#include <string_view>

#include "core/time.h"
#include "model/distance.h"

namespace d2d::warehouse::detail {

// The distinct vehicles of `location_update` in byte order, one primary-key probe each (a loose
// index scan, which neither engine does by itself), as the CTE `vehicles(id)`; its last row is
// NULL. Reading every vehicle of a day through DISTINCT walks every fix instead.
inline std::string each_vehicle_cte(std::string_view location_update) {
  return fmt::format(
      "WITH RECURSIVE vehicles(id) AS (SELECT MIN(vehicle_id) FROM {0} UNION ALL "
      "SELECT (SELECT MIN(u.vehicle_id) FROM {0} u WHERE u.vehicle_id > vehicles.id) FROM vehicles "
      "WHERE vehicles.id IS NOT NULL) ",
      location_update);
}

// The newest location.at of `location_update`, one primary-key probe per vehicle (the table has
// no index on `at`); NULL when it holds no fix.
inline std::string newest_fix_sql(std::string_view location_update) {
  return each_vehicle_cte(location_update) +
         fmt::format(
             "SELECT MAX((SELECT MAX(f.at) FROM {} f WHERE f.vehicle_id = v.id)) FROM vehicles v "
             "WHERE v.id IS NOT NULL",
             location_update);
}

// vehicle_break.end_at is NULL while a break is open.
inline core::UtcMicros end_of_break(const std::optional<core::UtcMicros>& end_at) {
  return end_at.value_or(model::BreakSpan::kOpenEnd);
}
inline std::optional<core::UtcMicros> end_at_column(core::UtcMicros end_us) {
  return end_us == model::BreakSpan::kOpenEnd ? std::nullopt : std::optional(end_us);
}

}  // namespace d2d::warehouse::detail
