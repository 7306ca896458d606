#include "model/distance.h"

#include <gtest/gtest.h>

#include "core/geo.h"
#include "model/breaks.h"

namespace d2d::model {
namespace {

constexpr core::UtcMicros kS = core::kMicrosPerSecond;

// Fixes one second apart moving north by 0.001 degree each.
std::vector<Fix> straight_line(int count) {
  std::vector<Fix> fixes;
  for (int i = 0; i < count; ++i) fixes.push_back(Fix{i * kS, 52.0 + 0.001 * i, 13.0});
  return fixes;
}

double step_m() { return core::haversine_m(52.0, 13.0, 52.001, 13.0); }

TEST(DistanceInWindow, SumsConsecutivePairsInsideTheInclusiveWindow) {
  const auto fixes = straight_line(10);
  const auto result = distance_in_window(fixes, {}, 2 * kS, 5 * kS);
  EXPECT_EQ(result.updates, 4);  // fixes at 2, 3, 4, 5 s
  EXPECT_NEAR(result.distance_m, 3 * step_m(), 1e-6);
}

TEST(DistanceInWindow, NoFixesInWindowMeansNoParticipation) {
  const auto fixes = straight_line(3);
  EXPECT_EQ(distance_in_window(fixes, {}, 10 * kS, 20 * kS).updates, 0);
}

TEST(DistanceInWindow, OneFixTakesPartWithZeroDistance) {
  const auto fixes = straight_line(3);
  const auto result = distance_in_window(fixes, {}, 1 * kS, 1 * kS);
  EXPECT_EQ(result.updates, 1);
  EXPECT_EQ(result.distance_m, 0.0);
}

TEST(DistanceInWindow, FixesInsideABreakAndPairsAcrossItAreLeftOut) {
  const auto fixes = straight_line(10);
  // Break [3 s, 6 s): fixes 3, 4, 5 are inside; the pair (2, 6) spans the break.
  const std::vector<BreakSpan> breaks = {{3 * kS, 6 * kS}};
  const auto result = distance_in_window(fixes, breaks, 0, 9 * kS);
  EXPECT_EQ(result.updates, 7);                        // 0,1,2,6,7,8,9
  EXPECT_NEAR(result.distance_m, 5 * step_m(), 1e-6);  // 0-1,1-2,6-7,7-8,8-9
}

TEST(DistanceInWindow, ABreakBetweenTwoFixesDropsOnlyThatPair) {
  const auto fixes = straight_line(4);
  // [1.2 s, 1.5 s) holds no fix but lies inside the pair (1, 2).
  const std::vector<BreakSpan> breaks = {{1 * kS + 200000, 1 * kS + 500000}};
  const auto result = distance_in_window(fixes, breaks, 0, 3 * kS);
  EXPECT_EQ(result.updates, 4);
  EXPECT_NEAR(result.distance_m, 2 * step_m(), 1e-6);
}

TEST(DistanceInWindow, AnOpenBreakExcludesEverythingAfterIt) {
  const auto fixes = straight_line(10);
  const std::vector<BreakSpan> breaks = {{4 * kS, BreakSpan::kOpenEnd}};
  const auto result = distance_in_window(fixes, breaks, 0, 9 * kS);
  EXPECT_EQ(result.updates, 4);
  EXPECT_NEAR(result.distance_m, 3 * step_m(), 1e-6);
}

TEST(DistanceInWindow, BreakEndIsExclusive) {
  const auto fixes = straight_line(5);
  const std::vector<BreakSpan> breaks = {{1 * kS, 2 * kS}};
  const auto result = distance_in_window(fixes, breaks, 0, 4 * kS);
  EXPECT_EQ(result.updates, 4);                        // fix 1 inside; fix 2 is at the end, outside
  EXPECT_NEAR(result.distance_m, 2 * step_m(), 1e-6);  // (0,2) spans the break; 2-3, 3-4 count
}

TEST(PairBreaks, PairsStartsWithEnds) {
  const auto spans = pair_breaks({{50, false}, {10, true}, {20, false}, {40, true}});
  ASSERT_EQ(spans.size(), 2U);
  EXPECT_EQ(spans[0], (BreakSpan{10, 20}));
  EXPECT_EQ(spans[1], (BreakSpan{40, 50}));
}

TEST(PairBreaks, RepeatedStartsOrphanEndsAndOpenBreaks) {
  const auto spans = pair_breaks({{5, false}, {10, true}, {12, true}, {20, false}, {30, true}});
  ASSERT_EQ(spans.size(), 2U);
  EXPECT_EQ(spans[0], (BreakSpan{10, 20}));
  EXPECT_EQ(spans[1], (BreakSpan{30, BreakSpan::kOpenEnd}));
}

TEST(PairBreaks, BackToBackBreaksStayTwo) {
  const auto spans = pair_breaks({{10, true}, {20, true}, {20, false}, {30, false}});
  ASSERT_EQ(spans.size(), 2U);
  EXPECT_EQ(spans[0], (BreakSpan{10, 20}));
  EXPECT_EQ(spans[1], (BreakSpan{20, 30}));
}

TEST(PairBreaks, OrderOfInputDoesNotMatter) {
  std::vector<BreakEvent> events = {{10, true}, {20, false}, {40, true},
                                    {45, true}, {50, false}, {60, false}};
  const auto expected = pair_breaks(events);
  std::reverse(events.begin(), events.end());
  EXPECT_EQ(pair_breaks(events), expected);
}

}  // namespace
}  // namespace d2d::model
