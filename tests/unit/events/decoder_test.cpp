// One test per validation rule of SPEC §3, plus the valid shapes.
#include "events/decoder.h"

#include <gtest/gtest.h>

#include <string>

#include "core/utf8.h"

namespace d2d::events {
namespace {

const std::string kUpdate =
    R"({"event":"update","on":"vehicle","at":"2019-06-01T18:17:06.094Z","data":{"id":"v1","location":{"lat":52.45106,"lng":13.46101,"at":"2019-06-01T18:17:06.090Z"}},"organization_id":"org-id"})";

RejectCode reject_code(LineDecoder& decoder, const std::string& line) {
  auto result = decoder.decode(line);
  EXPECT_FALSE(result.has_value()) << "accepted: " << line;
  return result.has_value() ? RejectCode::InvalidJson : result.error().code;
}

TEST(LineDecoder, DecodesAnUpdate) {
  LineDecoder decoder;
  auto event = decoder.decode(kUpdate);
  ASSERT_TRUE(event.has_value()) << event.error().reason();
  EXPECT_EQ(event->kind, EventKind::VehicleUpdate);
  EXPECT_EQ(event->id, "v1");
  EXPECT_EQ(event->organization_id, "org-id");
  EXPECT_TRUE(event->has_organization);
  EXPECT_DOUBLE_EQ(event->lat_deg, 52.45106);
  EXPECT_DOUBLE_EQ(event->lng_deg, 13.46101);
  EXPECT_EQ(core::format_utc(event->at_us), "2019-06-01T18:17:06.094000Z");
  EXPECT_EQ(core::format_utc(event->fix_at_us), "2019-06-01T18:17:06.090000Z");
}

TEST(LineDecoder, FieldOrderDoesNotMatterAndUnknownFieldsAreIgnored) {
  LineDecoder decoder;
  auto event = decoder.decode(
      R"({"data":{"location":{"at":"2019-06-01T18:17:06Z","extra":[1,{"x":null}],"lng":1,"lat":-2.5},"id":"v"},"future":{"a":[true,false]},"at":"2019-06-01T18:17:06+02:00","on":"vehicle","event":"update"})");
  ASSERT_TRUE(event.has_value()) << event.error().reason();
  EXPECT_FALSE(event->has_organization);
  EXPECT_EQ(core::format_utc(event->at_us), "2019-06-01T16:17:06.000000Z");
  EXPECT_DOUBLE_EQ(event->lat_deg, -2.5);
}

TEST(LineDecoder, NullOrganizationIsKeptAsAbsent) {
  LineDecoder decoder;
  auto event = decoder.decode(
      R"({"event":"register","on":"vehicle","at":"2019-06-01T18:17:04.088Z","data":{"id":"v1","location":{"lat":null,"lng":null,"at":null}},"organization_id":null})");
  ASSERT_TRUE(event.has_value()) << event.error().reason();
  EXPECT_EQ(event->kind, EventKind::VehicleRegister);
  EXPECT_FALSE(event->has_organization);
}

TEST(LineDecoder, DecodesEveryKnownEventKind) {
  LineDecoder decoder;
  const std::pair<std::string, EventKind> cases[] = {
      {R"({"event":"register","on":"vehicle","at":"2019-06-01T00:00:00Z","data":{"id":"v"}})",
       EventKind::VehicleRegister},
      {R"({"event":"deregister","on":"vehicle","at":"2019-06-01T00:00:00Z","data":{"id":"v"}})",
       EventKind::VehicleDeregister},
      {R"({"event":"break_start","on":"vehicle","at":"2019-06-01T00:00:00Z","data":{"id":"v"}})",
       EventKind::BreakStart},
      {R"({"event":"break_end","on":"vehicle","at":"2019-06-01T00:00:00Z","data":{"id":"v"}})",
       EventKind::BreakEnd},
      {R"({"event":"delete","on":"operating_period","at":"2019-06-01T00:00:00Z","data":{"id":"p"}})",
       EventKind::PeriodDelete},
      {R"({"event":"create","on":"operating_period","at":"2019-06-01T00:00:00Z","data":{"id":"p","start":"2019-06-01T01:00:00Z","finish":"2019-06-01T01:00:00Z"}})",
       EventKind::PeriodCreate},
  };
  for (const auto& [line, kind] : cases) {
    auto event = decoder.decode(line);
    ASSERT_TRUE(event.has_value()) << line << ": " << event.error().reason();
    EXPECT_EQ(event->kind, kind) << line;
  }
}

TEST(LineDecoder, RejectsInvalidJson) {
  LineDecoder decoder;
  EXPECT_EQ(reject_code(decoder, R"({"event":"update",)"), RejectCode::InvalidJson);
  EXPECT_EQ(reject_code(decoder, R"({"event":"upd)"), RejectCode::InvalidJson);
  EXPECT_EQ(reject_code(decoder, R"({"event" "update"})"), RejectCode::InvalidJson);
  // A syntax error hidden in a field nobody reads is still found.
  EXPECT_EQ(reject_code(decoder, kUpdate.substr(0, kUpdate.size() - 1) + R"(,"x":[1,,2]})"),
            RejectCode::InvalidJson);
  EXPECT_EQ(reject_code(decoder, kUpdate.substr(0, kUpdate.size() - 1) + R"(,"x":tru})"),
            RejectCode::InvalidJson);
}

TEST(LineDecoder, RejectsInvalidUtf8) {
  LineDecoder decoder;
  std::string line = kUpdate;
  line.replace(line.find("org-id"), 3, "\xC3\x28x");
  EXPECT_EQ(reject_code(decoder, line), RejectCode::InvalidUtf8);
}

TEST(LineDecoder, RejectsNonObjects) {
  LineDecoder decoder;
  for (const std::string line : {"[1,2]", "42", "\"text\"", "null", "true"}) {
    EXPECT_EQ(reject_code(decoder, line), RejectCode::NotAnObject) << line;
  }
}

TEST(LineDecoder, RejectsTrailingGarbage) {
  LineDecoder decoder;
  EXPECT_EQ(reject_code(decoder, kUpdate + " x"), RejectCode::TrailingGarbage);
  EXPECT_EQ(reject_code(decoder, kUpdate + kUpdate), RejectCode::TrailingGarbage);
  EXPECT_EQ(reject_code(decoder, kUpdate + " 1"), RejectCode::TrailingGarbage);
  EXPECT_EQ(reject_code(decoder, kUpdate + R"( "x)"), RejectCode::TrailingGarbage);
  EXPECT_EQ(reject_code(decoder, kUpdate + "}"), RejectCode::TrailingGarbage);
  // Trailing whitespace is fine.
  EXPECT_TRUE(decoder.decode(kUpdate + "  \t").has_value());
}

TEST(LineDecoder, RejectsDuplicateFields) {
  LineDecoder decoder;
  EXPECT_EQ(
      reject_code(
          decoder,
          R"({"on":"vehicle","on":"vehicle","event":"register","at":"2019-06-01T00:00:00Z","data":{"id":"v"}})"),
      RejectCode::DuplicateField);
}

TEST(LineDecoder, RejectsMissingFields) {
  LineDecoder decoder;
  EXPECT_EQ(reject_code(decoder, R"({"on":"vehicle","at":"2019-06-01T00:00:00Z","data":{"id":"v"}})"),
            RejectCode::MissingField);
  EXPECT_EQ(reject_code(decoder, R"({"event":"register","at":"2019-06-01T00:00:00Z","data":{"id":"v"}})"),
            RejectCode::MissingField);
  EXPECT_EQ(reject_code(decoder, R"({"event":"register","on":"vehicle","data":{"id":"v"}})"),
            RejectCode::MissingField);
  EXPECT_EQ(reject_code(decoder, R"({"event":"register","on":"vehicle","at":"2019-06-01T00:00:00Z"})"),
            RejectCode::MissingField);
  EXPECT_EQ(
      reject_code(decoder, R"({"event":"register","on":"vehicle","at":"2019-06-01T00:00:00Z","data":{}})"),
      RejectCode::MissingField);
  EXPECT_EQ(reject_code(decoder,
                        R"({"event":"update","on":"vehicle","at":"2019-06-01T00:00:00Z","data":{"id":"v"}})"),
            RejectCode::MissingField);
  EXPECT_EQ(
      reject_code(
          decoder,
          R"({"event":"update","on":"vehicle","at":"2019-06-01T00:00:00Z","data":{"id":"v","location":{"lat":1,"lng":2}}})"),
      RejectCode::MissingField);
  EXPECT_EQ(
      reject_code(
          decoder,
          R"({"event":"create","on":"operating_period","at":"2019-06-01T00:00:00Z","data":{"id":"p","start":"2019-06-01T01:00:00Z"}})"),
      RejectCode::MissingField);
}

TEST(LineDecoder, RejectsWrongTypes) {
  LineDecoder decoder;
  EXPECT_EQ(reject_code(decoder, R"({"event":"register","on":"vehicle","at":1559347200,"data":{"id":"v"}})"),
            RejectCode::WrongType);
  EXPECT_EQ(
      reject_code(decoder, R"({"event":"register","on":"vehicle","at":"2019-06-01T00:00:00Z","data":"v"})"),
      RejectCode::WrongType);
  EXPECT_EQ(reject_code(decoder,
                        R"({"event":"register","on":"vehicle","at":"2019-06-01T00:00:00Z","data":{"id":7}})"),
            RejectCode::WrongType);
  EXPECT_EQ(
      reject_code(
          decoder,
          R"({"event":"register","on":"vehicle","at":"2019-06-01T00:00:00Z","data":{"id":"v"},"organization_id":5})"),
      RejectCode::WrongType);
  EXPECT_EQ(
      reject_code(
          decoder,
          R"({"event":"update","on":"vehicle","at":"2019-06-01T00:00:00Z","data":{"id":"v","location":{"lat":"52.1","lng":2,"at":"2019-06-01T00:00:00Z"}}})"),
      RejectCode::WrongType);
  EXPECT_EQ(
      reject_code(
          decoder,
          R"({"event":"update","on":"vehicle","at":"2019-06-01T00:00:00Z","data":{"id":"v","location":{"lat":null,"lng":2,"at":"2019-06-01T00:00:00Z"}}})"),
      RejectCode::WrongType);
  EXPECT_EQ(
      reject_code(
          decoder,
          R"({"event":"update","on":"vehicle","at":"2019-06-01T00:00:00Z","data":{"id":"v","location":null}})"),
      RejectCode::WrongType);
  EXPECT_EQ(
      reject_code(decoder, R"({"event":null,"on":"vehicle","at":"2019-06-01T00:00:00Z","data":{"id":"v"}})"),
      RejectCode::WrongType);
}

TEST(LineDecoder, RejectsEmptyId) {
  LineDecoder decoder;
  EXPECT_EQ(
      reject_code(decoder,
                  R"({"event":"register","on":"vehicle","at":"2019-06-01T00:00:00Z","data":{"id":""}})"),
      RejectCode::EmptyId);
}

TEST(LineDecoder, RejectsOutOfRangeCoordinates) {
  LineDecoder decoder;
  EXPECT_EQ(
      reject_code(
          decoder,
          R"({"event":"update","on":"vehicle","at":"2019-06-01T00:00:00Z","data":{"id":"v","location":{"lat":91,"lng":2,"at":"2019-06-01T00:00:00Z"}}})"),
      RejectCode::OutOfRange);
  EXPECT_EQ(
      reject_code(
          decoder,
          R"({"event":"update","on":"vehicle","at":"2019-06-01T00:00:00Z","data":{"id":"v","location":{"lat":1,"lng":-180.5,"at":"2019-06-01T00:00:00Z"}}})"),
      RejectCode::OutOfRange);
}

TEST(LineDecoder, RejectsImpossibleOrZonelessTimestamps) {
  LineDecoder decoder;
  for (const std::string at : {"2019-02-30T00:00:00Z", "2019-06-01T25:00:00Z", "2019-06-01T00:00:00",
                               "yesterday", "2019-06-01T00:00:00.Z", "2019-06-01T00:00:00+24:00", ""}) {
    EXPECT_EQ(
        reject_code(decoder, R"({"event":"register","on":"vehicle","at":")" + at + R"(","data":{"id":"v"}})"),
        RejectCode::InvalidTimestamp)
        << at;
  }
  EXPECT_EQ(
      reject_code(
          decoder,
          R"({"event":"update","on":"vehicle","at":"2019-06-01T00:00:00Z","data":{"id":"v","location":{"lat":1,"lng":2,"at":"2019-06-01 00:00"}}})"),
      RejectCode::InvalidTimestamp);
}

TEST(LineDecoder, RejectsUnknownEvents) {
  LineDecoder decoder;
  EXPECT_EQ(
      reject_code(decoder,
                  R"({"event":"explode","on":"vehicle","at":"2019-06-01T00:00:00Z","data":{"id":"v"}})"),
      RejectCode::UnknownEvent);
  EXPECT_EQ(
      reject_code(decoder, R"({"event":"update","on":"bus","at":"2019-06-01T00:00:00Z","data":{"id":"v"}})"),
      RejectCode::UnknownEvent);
  EXPECT_EQ(reject_code(decoder,
                        R"({"event":"create","on":"vehicle","at":"2019-06-01T00:00:00Z","data":{"id":"v"}})"),
            RejectCode::UnknownEvent);
}

TEST(LineDecoder, RejectsWindowsThatEndBeforeTheyStart) {
  LineDecoder decoder;
  EXPECT_EQ(
      reject_code(
          decoder,
          R"({"event":"create","on":"operating_period","at":"2019-06-01T00:00:00Z","data":{"id":"p","start":"2019-06-01T02:00:00Z","finish":"2019-06-01T01:00:00Z"}})"),
      RejectCode::InvalidWindow);
}

// SPEC §3: unknown fields are ignored whatever they hold. Before, a depth over 64, a number no
// double or int64 holds, or 1e999 gave invalid_json.
TEST(LineDecoder, UnknownFieldsNeverRejectALine) {
  LineDecoder decoder;
  const std::string head =
      R"({"event":"register","on":"vehicle","at":"2019-06-01T00:00:00Z","data":{"id":"v","x":)";
  const std::string deep = std::string(100'000, '[') + "1e999" + std::string(100'000, ']');
  const std::string objects = [] {
    std::string text;
    for (int i = 0; i < 5000; ++i) text += R"({"k":)";
    text += "null";
    for (int i = 0; i < 5000; ++i) text += "}";
    return text;
  }();
  for (const std::string& value : {std::string("1e999"), std::string("-1E-999"), std::string(400, '9'),
                                   "-" + std::string(400, '9') + ".5e3", deep, objects,
                                   std::string(R"({"a":[1e999,{"b":123456789012345678901234567890}]})")}) {
    auto event = decoder.decode(head + value + R"(},"future":)" + value + "}");
    EXPECT_TRUE(event.has_value()) << value.substr(0, 80) << ": " << event.error().reason();
  }
  // Still JSON, though: broken structure or number syntax in an unknown field is invalid_json.
  for (const std::string& value :
       {std::string("[1,]"), std::string("01"), std::string("1."), std::string("[[1]"),
        std::string(R"({"a" 1})"), std::string(R"(["\x"])"), std::string("-")}) {
    EXPECT_EQ(reject_code(decoder, head + "1}," + R"("future":)" + value + "}"), RejectCode::InvalidJson)
        << value;
  }
}

// SPEC §3: strings d2d keeps never hold NUL (PostgreSQL's COPY failed the whole date on one such line).
TEST(LineDecoder, RejectsNulInKeptStrings) {
  LineDecoder decoder;
  EXPECT_EQ(
      reject_code(
          decoder,
          R"({"event":"register","on":"vehicle","at":"2019-06-01T00:00:00Z","data":{"id":"p-\u0000-x"}})"),
      RejectCode::NulInString);
  EXPECT_EQ(
      reject_code(
          decoder,
          R"({"event":"register","on":"vehicle","at":"2019-06-01T00:00:00Z","data":{"id":"v"},"organization_id":"o\u0000"})"),
      RejectCode::NulInString);
  // A NUL in a field d2d does not keep is just data.
  EXPECT_TRUE(
      decoder
          .decode(
              R"({"event":"register","on":"vehicle","at":"2019-06-01T00:00:00Z","data":{"id":"v"},"note":"\u0000"})")
          .has_value());
  // An unknown event quoting a NUL: the reason is still text any sink can store.
  auto result =
      decoder.decode(R"({"event":"a\u0000b","on":"vehicle","at":"2019-06-01T00:00:00Z","data":{"id":"v"}})");
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().reason().find('\0'), std::string::npos);
}

// SPEC §3: 1970-01-01 <= time < 2100-01-01; a period of years made every later run derive it all again.
TEST(LineDecoder, RejectsImpossibleTimesAndOverlongPeriods) {
  LineDecoder decoder;
  auto update_at = [](const std::string& at) {
    return R"({"event":"update","on":"vehicle","at":"2019-06-01T00:00:00Z","data":{"id":"v","location":{"lat":1,"lng":2,"at":")" +
           at + R"("}}})";
  };
  EXPECT_EQ(reject_code(decoder, update_at("0001-01-01T00:00:00Z")), RejectCode::OutOfRange);
  EXPECT_EQ(reject_code(decoder, update_at("9999-12-31T23:59:59Z")), RejectCode::OutOfRange);
  EXPECT_EQ(reject_code(decoder, update_at("1969-12-31T23:59:59.999999Z")), RejectCode::OutOfRange);
  EXPECT_EQ(reject_code(decoder, update_at("2100-01-01T00:00:00Z")), RejectCode::OutOfRange);
  EXPECT_EQ(reject_code(decoder, update_at("1970-01-01T00:30:00+01:00")), RejectCode::OutOfRange);
  EXPECT_TRUE(decoder.decode(update_at("1970-01-01T00:00:00Z")).has_value());
  EXPECT_TRUE(decoder.decode(update_at("2099-12-31T23:59:59.999999Z")).has_value());
  EXPECT_EQ(
      reject_code(decoder,
                  R"({"event":"register","on":"vehicle","at":"0001-01-01T00:00:00Z","data":{"id":"v"}})"),
      RejectCode::OutOfRange);

  auto period = [](const std::string& start, const std::string& finish) {
    return R"({"event":"create","on":"operating_period","at":"2019-06-01T00:00:00Z","data":{"id":"p","start":")" +
           start + R"(","finish":")" + finish + R"("}})";
  };
  EXPECT_EQ(reject_code(decoder, period("1970-01-01T00:00:00Z", "2099-12-31T00:00:00Z")),
            RejectCode::InvalidWindow);
  EXPECT_EQ(reject_code(decoder, period("2019-06-01T00:00:00Z", "2019-07-02T00:00:01Z")),
            RejectCode::InvalidWindow);
  EXPECT_TRUE(decoder.decode(period("2019-06-01T00:00:00Z", "2019-07-02T00:00:00Z")).has_value());  // 31 days
  LineDecoder one_day({.max_period_us = core::kMicrosPerDay});
  EXPECT_EQ(reject_code(one_day, period("2019-06-01T00:00:00Z", "2019-06-02T00:00:01Z")),
            RejectCode::InvalidWindow);
}

// Reasons quote input cut to a length: the cut falls between characters (it was at byte 64).
TEST(LineDecoder, ReasonsAreValidUtf8WhereverTheCutFalls) {
  LineDecoder decoder;
  for (int pad = 0; pad < 4; ++pad) {
    std::string euros;
    for (int i = 0; i < 40; ++i) euros += "\u20ac";
    auto result = decoder.decode(R"({"event":")" + std::string(static_cast<std::size_t>(pad), 'x') + euros +
                                 R"(","on":"vehicle","at":"2019-06-01T00:00:00Z","data":{"id":"v"}})");
    ASSERT_FALSE(result.has_value());
    EXPECT_TRUE(core::is_valid_utf8(result.error().reason())) << pad;
  }
}

TEST(LineDecoder, ReasonsAreReadable) {
  LineDecoder decoder;
  auto result = decoder.decode(
      R"({"event":"update","on":"vehicle","at":"2019-06-01T00:00:00Z","data":{"id":"v","location":{"lat":"x","lng":2,"at":"2019-06-01T00:00:00Z"}}})");
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().reason(), "wrong_type: field data.location.lat: expected a number, got string");
}

}  // namespace
}  // namespace d2d::events
