// The lines of the generated lake one by one: valid events in the feed's shape and the spec's bad lines.
#include <gtest/gtest.h>

#include <map>
#include <regex>
#include <set>
#include <string>

#include "core/time.h"
#include "generate/fleet_simulator.h"
#include "generated_lake_fixture.h"

namespace d2d::generate {
namespace {
using test_support::GeneratedLake;

TEST_F(GeneratedLake, EveryLineIsAValidEventOrAMalformedOneOfTheSpecKinds) {
  const std::set<std::string> known = {"invalid JSON",
                                       "not an object",
                                       "missing event",
                                       "missing on",
                                       "missing at",
                                       "missing data",
                                       "missing data.id",
                                       "at is not a string",
                                       "data is not an object",
                                       "lat is not a number",
                                       "id is not a string",
                                       "organization_id is not a string",
                                       "empty id",
                                       "lat out of range",
                                       "lng out of range",
                                       "unknown on/event pair",
                                       "start after finish",
                                       std::string("at: ") + core::describe(core::TimeError::OutOfRange),
                                       std::string("at: ") + core::describe(core::TimeError::MissingZone)};
  for (const auto& [reason, count] : s_lake->bad_reasons) EXPECT_TRUE(known.contains(reason)) << reason;
  // Cycling through the kinds: with hundreds of bad lines, every reason shows up.
  EXPECT_EQ(s_lake->bad_reasons.size(), known.size());
  const double share = static_cast<double>(s_lake->bad.size()) /
                       static_cast<double>(s_lake->bad.size() + s_lake->valid.size());
  EXPECT_NEAR(share, 0.03, 0.005);
}

TEST_F(GeneratedLake, ValidEventsHaveTheShapeOfTheRealFeed) {
  const std::regex uuid("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");
  const std::regex period_id("^op_2019060[12]_[0-9]$");
  std::map<std::string, int> organizations;
  int updates = 0;
  for (const auto& line : s_lake->valid) {
    const auto& event = line.event;
    organizations[event.organization_id.value_or("<none>")]++;
    if (event.on == "vehicle") {
      EXPECT_TRUE(std::regex_match(event.id, uuid)) << event.id;
    } else {
      EXPECT_TRUE(std::regex_match(event.id, period_id)) << event.id;
    }
    if (event.event != "update") continue;
    ++updates;
    EXPECT_GT(event.lat_deg, 52.39);
    EXPECT_LT(event.lat_deg, 52.61);
    EXPECT_GT(event.lng_deg, 13.19);
    EXPECT_LT(event.lng_deg, 13.61);
    // The fix is taken at or a few milliseconds before the event.
    EXPECT_LE(event.fix_us, event.at_us);
    EXPECT_LT(event.at_us - event.fix_us, 10'000);
  }
  EXPECT_GT(updates, 10'000);
  EXPECT_GT(organizations["org-id"], updates / 2);
  EXPECT_GT(organizations["<none>"], 0);  // organization_id missing or null on some events
  // The sample's spelling is the usual one.
  EXPECT_NE(s_lake->valid.front().raw.find("{\"event\":"), std::string::npos);
}

TEST_F(GeneratedLake, TimestampsUseSeveralValidSpellings) {
  std::map<std::string, int> spellings;
  const std::regex at_re(R"re("at":"[0-9-]+T[0-9:]+(\.[0-9]+)?(Z|[+-][0-9:]+)")re");
  for (const auto& line : s_lake->valid) {
    std::smatch match;
    ASSERT_TRUE(std::regex_search(line.raw, match, at_re)) << line.raw;
    spellings[std::to_string(match[1].length()) + match[2].str()]++;
  }
  EXPECT_GT(spellings["4Z"], static_cast<int>(s_lake->valid.size() * 9 / 10));  // milliseconds
  EXPECT_GT(spellings["7Z"], 0);                                                // microseconds
  EXPECT_GT(spellings["10Z"], 0);                                               // nanoseconds
  EXPECT_GT(spellings["0Z"], 0);                                                // no fraction
  EXPECT_GT(spellings["4+02:00"], 0);
  EXPECT_GT(spellings["4-03:00"], 0);
}

}  // namespace
}  // namespace d2d::generate
