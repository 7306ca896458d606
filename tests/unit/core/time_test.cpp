#include "core/time.h"

#include <gtest/gtest.h>

#include "core/geo.h"

namespace d2d::core {
namespace {

TEST(Rfc3339, ParsesZuluAndOffsetsToTheSameInstant) {
  EXPECT_EQ(parse_rfc3339("2019-06-01T18:17:06.094Z"), parse_rfc3339("2019-06-01T20:17:06.094+02:00"));
  EXPECT_EQ(parse_rfc3339("2019-06-01T18:17:06Z"), parse_rfc3339("2019-06-01T13:47:06-04:30"));
  EXPECT_EQ(format_utc(*parse_rfc3339("2019-06-01T18:17:06.094Z")), "2019-06-01T18:17:06.094000Z");
}

TEST(Rfc3339, TruncatesBeyondMicroseconds) {
  EXPECT_EQ(format_utc(*parse_rfc3339("2019-06-01T18:17:06.123456789Z")), "2019-06-01T18:17:06.123456Z");
  EXPECT_EQ(format_utc(*parse_rfc3339("2019-06-01T18:17:06.1Z")), "2019-06-01T18:17:06.100000Z");
}

TEST(Rfc3339, RejectsWhatIsNotATimestamp) {
  TimeError error{};
  EXPECT_FALSE(parse_rfc3339("2019-06-01T18:17:06", &error));
  EXPECT_EQ(error, TimeError::MissingZone);
  EXPECT_FALSE(parse_rfc3339("2019-02-29T00:00:00Z", &error));
  EXPECT_EQ(error, TimeError::OutOfRange);
  EXPECT_TRUE(parse_rfc3339("2020-02-29T00:00:00Z"));
  EXPECT_FALSE(parse_rfc3339("2019-06-01T18:17:60Z"));
  EXPECT_FALSE(parse_rfc3339("2019-06-01T18:17:06ZZ", &error));
  EXPECT_EQ(error, TimeError::Malformed);
  EXPECT_FALSE(parse_rfc3339("2019-6-01T18:17:06Z"));
  EXPECT_FALSE(parse_rfc3339("0000-01-01T00:00:00Z"));
}

TEST(Rfc3339, CrossesMidnightWithOffsets) {
  EXPECT_EQ(format_utc(*parse_rfc3339("2019-06-01T01:00:00+02:00")), "2019-05-31T23:00:00.000000Z");
  EXPECT_EQ(format_utc(*parse_rfc3339("1969-12-31T23:59:59.5Z")), "1969-12-31T23:59:59.500000Z");
}

TEST(Dates, ParseAndFormat) {
  EXPECT_EQ(parse_date("1970-01-02"), 1);
  EXPECT_EQ(format_date(*parse_date("2019-06-01")), "2019-06-01");
  EXPECT_FALSE(parse_date("2019-13-01"));
  EXPECT_FALSE(parse_date("2019-06-1"));
  EXPECT_FALSE(parse_date("yesterday"));
}

TEST(Haversine, KnownDistances) {
  EXPECT_DOUBLE_EQ(haversine_m(52.5, 13.4, 52.5, 13.4), 0.0);
  // One degree of latitude on the mean sphere is R * pi / 180.
  EXPECT_NEAR(haversine_m(0, 0, 1, 0), kEarthMeanRadiusM * M_PI / 180, 1e-6);
  EXPECT_NEAR(haversine_m(0, 0, 0, 180), kEarthMeanRadiusM * M_PI, 1e-3);
}

}  // namespace
}  // namespace d2d::core
