#include "model/breaks.h"

#include <algorithm>

namespace d2d::model {

std::vector<BreakSpan> pair_breaks(std::vector<BreakEvent> events) {
  std::sort(events.begin(), events.end(), [](const BreakEvent& a, const BreakEvent& b) {
    if (a.at_us != b.at_us) return a.at_us < b.at_us;
    return !a.is_start && b.is_start;  // end before start at the same instant
  });
  std::vector<BreakSpan> spans;
  bool open = false;
  for (const BreakEvent& event : events) {
    if (event.is_start) {
      if (open) continue;
      spans.push_back(BreakSpan{event.at_us, BreakSpan::kOpenEnd});
      open = true;
    } else if (open) {
      spans.back().end_us = event.at_us;
      open = false;
    }
  }
  return spans;
}

}  // namespace d2d::model
