// Winner rules of SPEC §4 that are decided in memory, within one lake date. The warehouse
// applies the same orders across dates in SQL (see the migrations and sqlite_warehouse.cpp).
#pragma once

#include <string_view>
#include <tuple>

#include "core/time.h"

namespace d2d::model {

// An operating-period event reduced to what decides between versions.
struct PeriodVersion {
  core::UtcMicros event_at_us = 0;
  bool deleted = false;
  core::UtcMicros start_us = 0;
  core::UtcMicros finish_us = 0;
};

// The latest `at` wins; at equal `at` a delete beats a create (cancelling is the safer
// reading), then the later window, so the result never depends on file order.
inline bool period_version_wins(const PeriodVersion& candidate, const PeriodVersion& incumbent) {
  return std::tuple(candidate.event_at_us, candidate.deleted, candidate.start_us, candidate.finish_us) >
         std::tuple(incumbent.event_at_us, incumbent.deleted, incumbent.start_us, incumbent.finish_us);
}

// A vehicle's organization is the one named by its latest event; ties: the greater id.
inline bool organization_wins(core::UtcMicros candidate_at_us, std::string_view candidate,
                              core::UtcMicros incumbent_at_us, std::string_view incumbent) {
  return std::tuple(candidate_at_us, candidate) > std::tuple(incumbent_at_us, incumbent);
}

}  // namespace d2d::model
