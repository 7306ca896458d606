// What one lake date says, as rows: the fixes (duplicates allowed: SPEC §4 chooses), and the
// small entities the reducer keeps one row of per id. The pipeline makes them, the rules in
// model/ choose between them, the warehouse stores them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/time.h"

namespace d2d::model {

// One GPS fix as decoded. Its views live as long as the decoded chunk (or the sorter's walk).
struct LocationRow {
  std::string_view vehicle_id;
  core::UtcMicros at_us = 0;        // location.at: the key with vehicle_id
  core::UtcMicros event_at_us = 0;  // the event's `at`: decides between versions
  double lat_deg = 0;
  double lng_deg = 0;
  std::optional<std::string_view> organization_id;
  // Lineage: the lake_object the fix came from (0 where none is known). Between identical
  // versions of a fix within one date, the one from the object with the smaller key is kept, so
  // which object a row names never depends on the order objects arrived in.
  std::int64_t object_id = 0;
};

// The winning event of one operating period within one lake date.
struct PeriodEventRow {
  std::string id;
  core::UtcMicros event_at_us = 0;
  bool deleted = false;
  core::UtcMicros start_us = 0;  // meaningful when !deleted
  core::UtcMicros finish_us = 0;
  std::optional<std::string> organization_id;
};

// What one lake date says about one vehicle.
struct VehicleRow {
  std::string id;
  std::optional<core::UtcMicros> first_registered_us;
  std::optional<core::UtcMicros> last_deregistered_us;
  std::optional<std::string> organization_id;
  core::UtcMicros organization_at_us = 0;  // when organization_id was last stated
};

struct BreakEventRow {
  std::string vehicle_id;
  core::UtcMicros at_us = 0;
  bool is_start = false;
};

// Where a lake date's small entities go once reduced (the warehouse's load).
class LakeDateEntitySink {
 public:
  virtual ~LakeDateEntitySink() = default;
  virtual void add_period_event(const PeriodEventRow& row) = 0;
  virtual void add_vehicle(const VehicleRow& row) = 0;
  virtual void add_break_event(const BreakEventRow& row) = 0;
};

}  // namespace d2d::model
