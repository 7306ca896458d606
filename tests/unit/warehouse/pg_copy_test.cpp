// location_fix rows in COPY's binary format: integer keys, and event_at as an int4 offset from `at`
// or, beyond an int4 of microseconds, NULL (the version's event_at goes to location_fix_event_at).
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>

#include "warehouse/postgres/load_fixes.h"

namespace d2d::warehouse::pg {
namespace {

std::string hex(std::string_view bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (const char c : bytes) {
    const auto byte = static_cast<unsigned char>(c);
    out += digits[byte >> 4];
    out += digits[byte & 15];
  }
  return out;
}

TEST(PgCopy, IntegersAreBigEndianWithTheirLength) {
  CopyEncoder copy;
  copy.buffer().clear();  // the header
  copy.int32(-2);
  copy.int16(-2);
  copy.int16(300);
  EXPECT_EQ(hex(copy.buffer()),
            "00000004fffffffe"
            "00000002fffe"
            "00000002012c");
}

TEST(PgCopy, EventAtIsAnOffsetOnlyWhereItFitsAnInt4) {
  LocationRow fix{"v", 1'000'000'000'000, 0, 52.5, 13.4, std::nullopt, 0};
  auto offset_for = [&](std::int64_t delta) {
    fix.event_at_us = fix.at_us + delta;
    return event_at_delta_us(fix);
  };
  constexpr std::int64_t kMax = std::numeric_limits<std::int32_t>::max();
  constexpr std::int64_t kMin = std::numeric_limits<std::int32_t>::min();
  EXPECT_EQ(offset_for(0), 0);
  EXPECT_EQ(offset_for(kMax), kMax);
  EXPECT_EQ(offset_for(kMin), kMin);
  EXPECT_EQ(offset_for(kMax + 1), std::nullopt);
  EXPECT_EQ(offset_for(kMin - 1), std::nullopt);
  EXPECT_EQ(offset_for(5LL * 3600 * 1'000'000), std::nullopt) << "five hours";
}

TEST(PgCopy, ALocationFixRowHasItsEightColumnsInTableOrder) {
  CopyEncoder copy;
  copy.buffer().clear();                                                    // the header
  const LocationRow fix{"v", 0, 5'000'000'000, 1.0, 2.0, std::nullopt, 0};  // event_at far: NULL offset
  encode_location_fix(copy, fix, /*lake_day=*/10957, /*vehicle_key=*/7, std::nullopt);
  const std::string row = hex(copy.buffer());
  EXPECT_EQ(row.substr(0, 4), "0008");                            // fields
  EXPECT_EQ(row.substr(4 + 3 * 24, 8), "ffffffff");               // lake_object_id: NULL (not known)
  EXPECT_EQ(row.substr(4 + 3 * 24 + 8, 16), "0000000400000007");  // vehicle_key
  EXPECT_EQ(row.substr(row.size() - 16), "ffffffffffffffff");     // offset and organization: NULL
}

}  // namespace
}  // namespace d2d::warehouse::pg
