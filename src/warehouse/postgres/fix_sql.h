// SQL pieces both halves of a PostgreSQL fix load write (load_fixes.cpp: appends, staging and
// increments; reload_fixes.cpp: what a full load of a held date replaces). {s} is the schema
// (with_schema).
#pragma once

#include <fmt/format.h>

#include <string>
#include <string_view>

namespace d2d::warehouse::pg {

// location_fix's and location_fix_superseded's columns, in table order (migration 0011).
inline constexpr std::string_view kFixColumns =
    "at, lat, lng, lake_object_id, vehicle_key, lake_date, event_at_delta_us, organization_key";

// A fix table's rows with the two columns the version rules read (model/winners.*) as
// location_update names them: event_at and organization_id.
inline std::string versions_of(std::string_view table) {
  return fmt::format(
      "(SELECT f.*, COALESCE(f.at + f.event_at_delta_us * interval '1 microsecond', (SELECT x.event_at FROM "
      "{{s}}.location_fix_event_at x WHERE x.vehicle_key = f.vehicle_key AND x.at = f.at AND x.lake_date = "
      "f.lake_date)) AS event_at, o.organization_id FROM {{s}}.{} f LEFT JOIN {{s}}.organization_key o ON "
      "o.organization_key = f.organization_key)",
      table);
}

// The event_at of the staged versions (alias c) whose offset does not fit location_fix, as the
// versions of lake date $1: written where the version is.
inline std::string keep_far_event_at(std::string_view from_where) {
  return fmt::format(
      "INSERT INTO {{s}}.location_fix_event_at (vehicle_key, at, lake_date, event_at) SELECT c.vehicle_key, "
      "c.at, $1::date, c.event_at {} AND c.event_at_delta_us IS NULL ON CONFLICT (vehicle_key, at, "
      "lake_date) "
      "DO UPDATE SET event_at = EXCLUDED.event_at",
      from_where);
}

// The far event_at rows of lake date $1 whose version is no winner of the date: those of its
// replaced winners and of its superseded versions (deleted before). Kept winners keep theirs.
inline constexpr std::string_view kForgetFarEventAtWithoutWinner =
    "DELETE FROM {s}.location_fix_event_at x WHERE x.lake_date = $1::date AND NOT EXISTS (SELECT 1 FROM "
    "{s}.location_fix f WHERE f.vehicle_key = x.vehicle_key AND f.at = x.at AND f.lake_date = x.lake_date)";

}  // namespace d2d::warehouse::pg
