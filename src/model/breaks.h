// Breaks (SPEC §4): a vehicle's break_start/break_end events, from any number of lake dates,
// paired into spans. Pairing is a pure function of the set of events, so the result does not
// depend on the order in which lake dates were loaded.
#pragma once

#include <vector>

#include "core/time.h"
#include "model/distance.h"

namespace d2d::model {

struct BreakEvent {
  core::UtcMicros at_us = 0;
  bool is_start = false;
  bool operator==(const BreakEvent&) const = default;
};

// Rules, in time order (at equal times an end is applied before a start, so back-to-back
// breaks stay two breaks):
//  - a start opens a break; a start while a break is already open is a repeat and is ignored;
//  - an end closes the open break; an end with no open break is ignored (its start is lost or
//    has not arrived yet: when it arrives, re-pairing picks it up);
//  - a start left without an end is open-ended (end = BreakSpan::kOpenEnd).
std::vector<BreakSpan> pair_breaks(std::vector<BreakEvent> events);

}  // namespace d2d::model
