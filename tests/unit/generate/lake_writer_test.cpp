#include "generate/lake_writer.h"

#include <gtest/gtest.h>

#include "core/time.h"

namespace d2d::generate::detail {
namespace {

std::int64_t micros_of(const char* text) { return *core::parse_rfc3339(text); }

TEST(ObjectKey, NamesFilesLikeTheRealWriter) {
  const std::int64_t at_us = micros_of("2019-06-01T15:17:04Z");
  EXPECT_EQ(object_key(KeyLayout::Nested, at_us, false), "2019/06/01/15/17/2019-06-01-15-17-4-events.txt");
  EXPECT_EQ(object_key(KeyLayout::Flat, at_us, false), "data/2019-06-01-15-17-4-events.json");
  EXPECT_EQ(object_key(KeyLayout::Nested, at_us + 55 * kMicrosPerSecond, true),
            "2019/06/01/15/17/2019-06-01-15-17-59-events.txt.gz");
  EXPECT_EQ(object_key(KeyLayout::Flat, micros_of("2020-12-31T00:00:00Z"), true),
            "data/2020-12-31-00-00-0-events.json.gz");
}

TEST(WindowClock, TilesEachDayStartingAtMidnight) {
  for (const int file_seconds : {240, 7, 1, 3600, 86'400}) {
    const WindowClock clock(file_seconds, 42);
    const std::int64_t day = *core::parse_date("2019-06-01");
    std::int64_t at_us = day * kMicrosPerDay;
    Window previous = clock.window_at(at_us);
    EXPECT_EQ(previous.start_us, day * kMicrosPerDay) << file_seconds;
    int windows = 1;
    while (previous.end_us < (day + 1) * kMicrosPerDay) {
      const Window next = clock.window_at(previous.end_us);
      ASSERT_EQ(next.start_us, previous.end_us) << file_seconds;
      ASSERT_EQ(next.ordinal, previous.ordinal + 1);
      ASSERT_EQ(next.day, day);
      ASSERT_EQ(next.start_us % kMicrosPerSecond, 0);  // names have whole seconds
      ASSERT_LT(next.end_us - next.start_us, (file_seconds + 60) * kMicrosPerSecond);
      // The instant just before a window's end still belongs to it.
      ASSERT_EQ(clock.window_at(next.end_us - 1).ordinal, next.ordinal);
      previous = next;
      ++windows;
    }
    EXPECT_EQ(previous.end_us, (day + 1) * kMicrosPerDay) << file_seconds;
    EXPECT_EQ(windows, clock.windows_per_day()) << file_seconds;
    EXPECT_EQ(clock.window_at((day + 1) * kMicrosPerDay).day, day + 1);
  }
}

TEST(WindowClock, DefaultGivesAFewHundredFilesPerDay) {
  EXPECT_EQ(WindowClock(240, 1).windows_per_day(), 360);
}

}  // namespace
}  // namespace d2d::generate::detail
