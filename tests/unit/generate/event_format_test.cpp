#include "generate/event_format.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "core/time.h"
#include "generate/random.h"
#include "generate_test_support.h"

namespace d2d::generate::detail {
namespace {

using test_support::check_event;

constexpr std::string_view kVehicleId = "bac5188f-67c6-4965-81dc-4ef49622e280";

std::string timestamp(std::int64_t at_us, TimeStyle style) {
  char text[40];
  return {text, write_timestamp(text, at_us, style)};
}

TEST(Timestamps, EverySpellingIsValidRfc3339ForTheSameInstant) {
  const std::int64_t at_us = *core::parse_rfc3339("2019-06-01T23:17:06.094512Z");
  EXPECT_EQ(timestamp(at_us, TimeStyle::MillisZ), "2019-06-01T23:17:06.094Z");
  EXPECT_EQ(timestamp(at_us, TimeStyle::MicrosZ), "2019-06-01T23:17:06.094512Z");
  EXPECT_TRUE(timestamp(at_us, TimeStyle::NanosZ).starts_with("2019-06-01T23:17:06.094512"));
  EXPECT_EQ(timestamp(at_us, TimeStyle::NanosZ).size(), 30u);
  EXPECT_EQ(timestamp(at_us, TimeStyle::SecondsZ), "2019-06-01T23:17:06Z");
  EXPECT_EQ(timestamp(at_us, TimeStyle::OffsetPlus2), "2019-06-02T01:17:06.094+02:00");
  EXPECT_EQ(timestamp(at_us, TimeStyle::OffsetMinus3), "2019-06-01T20:17:06.094-03:00");
  const std::int64_t at_ms = at_us - at_us % 1000;
  EXPECT_EQ(core::parse_rfc3339(timestamp(at_us, TimeStyle::OffsetPlus2)), at_ms);
  EXPECT_EQ(core::parse_rfc3339(timestamp(at_us, TimeStyle::OffsetMinus3)), at_ms);
  EXPECT_EQ(core::parse_rfc3339(timestamp(at_us, TimeStyle::NanosZ)), at_us);
}

TEST(Timestamps, CachedFormattingAgreesWithCore) {
  Rng rng(5, 5);
  DateCache cache;
  for (int i = 0; i < 10'000; ++i) {
    // Around the epoch too: negative times must floor, not truncate.
    const std::int64_t at_us = rng.uniform_int(-3 * 86'400'000'000LL, 60LL * 365 * 86'400'000'000LL);
    char text[32];
    format_utc_cached(at_us, text, cache);
    ASSERT_EQ(std::string(text, 27), core::format_utc(at_us));
  }
}

TEST(LineBuf, DegreesHaveFiveDecimalsWithoutTrailingZeros) {
  auto degrees = [](double value) {
    LineBuf line;
    line.append_degrees(value);
    return std::string(line.view());
  };
  EXPECT_EQ(degrees(52.4752), "52.4752");
  EXPECT_EQ(degrees(52.451064), "52.45106");
  EXPECT_EQ(degrees(13.0), "13.0");
  EXPECT_EQ(degrees(-0.5), "-0.5");
  EXPECT_EQ(degrees(-179.999996), "-180.0");
  EXPECT_EQ(degrees(0.000001), "0.0");
}

TEST(Envelope, SpellingVariantsAreValidEvents) {
  for (const auto order : {KeyOrder::Standard, KeyOrder::OrgFirst}) {
    for (const auto org : {OrgStyle::String, OrgStyle::Null, OrgStyle::Missing}) {
      for (const bool extra : {false, true}) {
        Envelope envelope;
        envelope.event = "deregister";
        envelope.on = "vehicle";
        envelope.at_us = *core::parse_rfc3339("2019-06-01T18:17:06.094Z");
        envelope.organization_id = "org-id";
        envelope.org_style = org;
        envelope.key_order = order;
        envelope.extra_field = extra;
        LineBuf line;
        open_event(line, envelope);
        line.append("{\"id\":\"");
        line.append(kVehicleId);
        line.append("\"}");
        close_event(line, envelope);
        test_support::Event event;
        ASSERT_EQ(check_event(line.view(), &event), "") << line.view();
        EXPECT_EQ(event.event, "deregister");
        EXPECT_EQ(event.id, kVehicleId);
        EXPECT_EQ(event.organization_id.has_value(), org == OrgStyle::String) << line.view();
      }
    }
  }
}

// What an independent reader must say about each kind (SPEC §3's list of rejections).
std::string expected_reason(BadKind kind) {
  switch (kind) {
    case BadKind::SyntaxDoubleComma:
    case BadKind::SyntaxMissingColon:
    case BadKind::TruncatedString:
    case BadKind::TrailingGarbage:
    case BadKind::InvalidUtf8: return "invalid JSON";
    case BadKind::NonObjectArray:
    case BadKind::NonObjectNumber:
    case BadKind::NonObjectString:
    case BadKind::NonObjectNull: return "not an object";
    case BadKind::MissingEvent: return "missing event";
    case BadKind::MissingOn: return "missing on";
    case BadKind::MissingAt: return "missing at";
    case BadKind::MissingData: return "missing data";
    case BadKind::MissingDataId: return "missing data.id";
    case BadKind::AtAsNumber: return "at is not a string";
    case BadKind::DataAsString: return "data is not an object";
    case BadKind::LatAsString: return "lat is not a number";
    case BadKind::IdAsNumber: return "id is not a string";
    case BadKind::OrganizationAsNumber: return "organization_id is not a string";
    case BadKind::EmptyId: return "empty id";
    case BadKind::LatOutOfRange: return "lat out of range";
    case BadKind::LngOutOfRange: return "lng out of range";
    case BadKind::UpdateNullLat: return "lat is not a number";
    case BadKind::ImpossibleDate:
    case BadKind::ImpossibleHour: return std::string("at: ") + core::describe(core::TimeError::OutOfRange);
    case BadKind::TimestampWithoutZone:
      return std::string("at: ") + core::describe(core::TimeError::MissingZone);
    case BadKind::UnknownEvent:
    case BadKind::UnknownEntity: return "unknown on/event pair";
    case BadKind::PeriodStartAfterFinish: return "start after finish";
    case BadKind::Count: break;
  }
  return "?";
}

TEST(BadLines, EachKindIsRejectedForItsOwnReason) {
  BadContext context;
  context.at_us = *core::parse_rfc3339("2019-06-01T18:17:06.094Z");
  context.vehicle_id = kVehicleId;
  context.lat_deg = 52.45106;
  context.lng_deg = 13.46101;
  std::set<std::string> names;
  for (std::size_t i = 0; i < kBadKindCount; ++i) {
    const auto kind = static_cast<BadKind>(i);
    LineBuf line;
    write_bad_line(line, kind, context);
    EXPECT_EQ(check_event(line.view()), expected_reason(kind)) << bad_kind_name(kind) << ": " << line.view();
    EXPECT_EQ(line.view().find('\n'), std::string_view::npos);
    names.insert(bad_kind_name(kind));
  }
  EXPECT_EQ(names.size(), kBadKindCount);  // every kind has its own description
}

TEST(BadLines, SpecificShapes) {
  BadContext context;
  context.at_us = *core::parse_rfc3339("2019-06-01T18:17:06.094Z");
  context.vehicle_id = kVehicleId;
  auto line_of = [&](BadKind kind) {
    LineBuf line;
    write_bad_line(line, kind, context);
    return std::string(line.view());
  };
  EXPECT_EQ(line_of(BadKind::NonObjectArray), "[1,2]");
  EXPECT_EQ(line_of(BadKind::NonObjectNumber), "42");
  EXPECT_EQ(line_of(BadKind::NonObjectString), "\"str\"");
  EXPECT_EQ(line_of(BadKind::NonObjectNull), "null");
  EXPECT_NE(line_of(BadKind::ImpossibleDate).find("\"at\":\"2019-02-30T"), std::string::npos);
  EXPECT_NE(line_of(BadKind::ImpossibleHour).find("T25:00"), std::string::npos);
  EXPECT_NE(line_of(BadKind::TimestampWithoutZone).find("\"at\":\"2019-06-01T18:17:06.094\""),
            std::string::npos);
  EXPECT_NE(line_of(BadKind::UnknownEvent).find("\"event\":\"explode\",\"on\":\"vehicle\""),
            std::string::npos);
  EXPECT_NE(line_of(BadKind::UnknownEntity).find("\"on\":\"bus\""), std::string::npos);
  EXPECT_NE(line_of(BadKind::LatOutOfRange).find("\"lat\":91"), std::string::npos);
  EXPECT_NE(line_of(BadKind::LngOutOfRange).find("\"lng\":-181"), std::string::npos);
  const std::string truncated = line_of(BadKind::TruncatedString);
  EXPECT_TRUE(truncated.ends_with(std::string(kVehicleId.substr(0, kVehicleId.size() / 2)))) << truncated;
  EXPECT_TRUE(line_of(BadKind::TrailingGarbage).ends_with("} trailing"));
}

}  // namespace
}  // namespace d2d::generate::detail
