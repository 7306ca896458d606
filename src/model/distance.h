// Distance derivation (SPEC §4): the pure computation, independent of any warehouse.
// The warehouse supplies a vehicle's fixes and breaks; this decides which fixes count and
// which consecutive pairs add to the distance.
#pragma once

#include <cstdint>
#include <limits>
#include <span>
#include <vector>

#include "core/time.h"

namespace d2d::model {

struct Fix {
  core::UtcMicros at_us = 0;
  double lat_deg = 0;
  double lng_deg = 0;
};

// A break [start_us, end_us); an open break (no end yet) has end_us = kOpenEnd.
struct BreakSpan {
  static constexpr core::UtcMicros kOpenEnd = std::numeric_limits<core::UtcMicros>::max();
  core::UtcMicros start_us = 0;
  core::UtcMicros end_us = kOpenEnd;
  bool operator==(const BreakSpan&) const = default;
};

// Each consecutive pair's distance is rounded to a whole nanometre and summed as an integer: the
// sum is then exact and the same in any order, so an incremental load can take a stretch of a
// track's distance out and put the new one in, and get what a one-shot load computes, to the bit
// (docs/decisions.md). The rounding moves a day's distance by micrometres at most.
struct VehicleDistance {
  double distance_m = 0;         // distance_nm in metres
  std::int64_t distance_nm = 0;  // the exact sum
  std::int64_t updates = 0;      // fixes that counted: inside the window, outside every break
};
constexpr double metres_of_nm(std::int64_t nanometres) { return static_cast<double>(nanometres) / 1e9; }

// `fixes` sorted by at_us without duplicate times; `breaks` sorted by start_us, not overlapping
// (pair_breaks guarantees both). The window [start_us, finish_us] is inclusive.
// updates == 0 means the vehicle did not take part.
VehicleDistance distance_in_window(std::span<const Fix> fixes, std::span<const BreakSpan> breaks,
                                   core::UtcMicros start_us, core::UtcMicros finish_us);

}  // namespace d2d::model
