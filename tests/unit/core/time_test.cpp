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

// Expected values are published figures written out as numbers, never derived from the constant
// under test: a wrong radius or a wrong formula both fail.
TEST(Haversine, KnownDistances) {
  EXPECT_DOUBLE_EQ(haversine_m(52.5, 13.4, 52.5, 13.4), 0.0);
  // Rosetta Code, "Haversine formula" (https://rosettacode.org/wiki/Haversine_formula): Nashville
  // BNA (36.12, -86.67) to Los Angeles LAX (33.94, -118.40) is 2887.2599506071106 km on a sphere of
  // radius 6372.8 km. Distance scales with the radius: SPEC §4's mean radius 6371.0088 km (IUGG's
  // mean radius R1 of GRS 80, Moritz 1980) gives 2887259.9506071106 m * 6371.0088 / 6372.8.
  EXPECT_NEAR(haversine_m(36.12, -86.67, 33.94, -118.40), 2887259.9506071106 * 6371.0088 / 6372.8, 1e-6);
  EXPECT_NEAR(haversine_m(33.94, -118.40, 36.12, -86.67), 2886448.4297648543, 1e-6);  // the same, symmetric
  // One degree of latitude on the 6371.0088 km sphere: 6371008.8 m * pi / 180 = 111195.08 m,
  // computed apart and written out.
  EXPECT_NEAR(haversine_m(0, 0, 1, 0), 111195.08023353, 1e-6);
  // Half the equator: pi * 6371.0088 km = 20015.114 km, the mean half circumference.
  EXPECT_NEAR(haversine_m(0, 0, 0, 180), 20015114.442035925, 1e-6);
}

}  // namespace
}  // namespace d2d::core
