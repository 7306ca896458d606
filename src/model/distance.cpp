#include "model/distance.h"

#include <algorithm>
#include <cmath>

#include "core/geo.h"

namespace d2d::model {

VehicleDistance distance_in_window(std::span<const Fix> fixes, std::span<const BreakSpan> breaks,
                                   core::UtcMicros start_us, core::UtcMicros finish_us) {
  VehicleDistance result;
  auto first = std::lower_bound(fixes.begin(), fixes.end(), start_us,
                                [](const Fix& fix, core::UtcMicros at) { return fix.at_us < at; });
  std::size_t next_break = 0;  // the first break that has not ended before the current fix
  const Fix* previous = nullptr;
  bool break_since_previous = false;
  for (auto it = first; it != fixes.end() && it->at_us <= finish_us; ++it) {
    // Skip breaks that ended at or before this fix; remember if any lay after the previous fix,
    // because a pair whose span overlaps a break is left out (SPEC §4).
    while (next_break < breaks.size() && breaks[next_break].end_us <= it->at_us) {
      if (previous != nullptr && breaks[next_break].end_us > previous->at_us) break_since_previous = true;
      ++next_break;
    }
    const bool inside_break = next_break < breaks.size() && breaks[next_break].start_us <= it->at_us;
    if (inside_break) continue;
    // A break that starts after the fix but ended is handled above; one still pending starts later.
    if (previous != nullptr && !break_since_previous) {
      result.distance_nm += std::llround(
          core::haversine_m(previous->lat_deg, previous->lng_deg, it->lat_deg, it->lng_deg) * 1e9);
    }
    ++result.updates;
    previous = &*it;
    break_since_previous = false;
  }
  result.distance_m = metres_of_nm(result.distance_nm);
  return result;
}

}  // namespace d2d::model
