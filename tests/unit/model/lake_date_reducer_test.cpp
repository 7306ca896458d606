// LakeDateReducer keeps one row per vehicle and per operating period of a lake date, and each
// break event once, by SPEC §4's rules (model/winners.h), whatever order the date's events come
// in: every test below feeds its events in every order and expects the same rows.
#include "model/lake_date_reducer.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <optional>
#include <string>
#include <vector>

namespace d2d::model {
namespace {

using events::Event;
using events::EventKind;

// Event values; their strings are literals, so the views stay valid.
Event event(EventKind kind, core::UtcMicros at_us, std::string_view id,
            std::optional<std::string_view> organization = std::nullopt) {
  Event e;
  e.kind = kind;
  e.at_us = at_us;
  e.id = id;
  e.has_organization = organization.has_value();
  e.organization_id = organization.value_or(std::string_view());
  return e;
}

Event period_create(core::UtcMicros at_us, std::string_view id, core::UtcMicros start_us,
                    core::UtcMicros finish_us, std::optional<std::string_view> organization = std::nullopt) {
  Event e = event(EventKind::PeriodCreate, at_us, id, organization);
  e.start_us = start_us;
  e.finish_us = finish_us;
  return e;
}

std::string text(const std::optional<std::string>& organization) {
  return organization ? fmt::format("\"{}\"", *organization) : "none";
}

std::string text(const std::optional<core::UtcMicros>& at_us) {
  return at_us ? std::to_string(*at_us) : "none";
}

// Each row handed over, as one line; sorted, since the sink may be called in any order.
class RecordingSink : public LakeDateEntitySink {
 public:
  void add_vehicle(const VehicleRow& row) override {
    const std::string organization =
        row.organization_id ? fmt::format("{}@{}", text(row.organization_id), row.organization_at_us)
                            : text(row.organization_id);
    m_lines.push_back(fmt::format("vehicle {} organization={} first_registered={} last_deregistered={}",
                                  row.id, organization, text(row.first_registered_us),
                                  text(row.last_deregistered_us)));
  }
  void add_period_event(const PeriodEventRow& row) override {
    const std::string version =
        row.deleted ? "deleted" : fmt::format("window=[{},{}]", row.start_us, row.finish_us);
    m_lines.push_back(fmt::format("period {} at={} {} organization={}", row.id, row.event_at_us, version,
                                  text(row.organization_id)));
  }
  void add_break_event(const BreakEventRow& row) override {
    m_lines.push_back(
        fmt::format("break {} at={} {}", row.vehicle_id, row.at_us, row.is_start ? "start" : "end"));
  }
  std::vector<std::string> sorted_lines() {
    std::sort(m_lines.begin(), m_lines.end());
    return m_lines;
  }

 private:
  std::vector<std::string> m_lines;
};

std::vector<std::string> reduce(const std::vector<Event>& events) {
  LakeDateReducer reducer;
  for (const Event& e : events) reducer.observe(e);
  RecordingSink sink;
  reducer.flush_to(sink);
  return sink.sorted_lines();
}

// Reduces `events` in every order (they are few) and expects `expected` (any order) each time.
void expect_in_every_order(const std::vector<Event>& events, std::vector<std::string> expected) {
  std::sort(expected.begin(), expected.end());
  std::vector<std::size_t> order(events.size());
  std::iota(order.begin(), order.end(), 0);
  std::size_t orders = 0;
  do {
    std::vector<Event> shuffled;
    for (const std::size_t i : order) shuffled.push_back(events[i]);
    const auto got = reduce(shuffled);
    if (got != expected) {
      // One failure says it all; the other orders would repeat it.
      ADD_FAILURE() << "events in the order " << fmt::format("{}", fmt::join(order, " ")) << " gave\n  "
                    << ::testing::PrintToString(got) << "\nexpected\n  "
                    << ::testing::PrintToString(expected);
      return;
    }
    ++orders;
  } while (std::next_permutation(order.begin(), order.end()));
  EXPECT_GT(orders, 1U);
}

TEST(LakeDateReducer, VehicleTakesItsLatestOrganizationFirstRegistrationAndLastDeregistration) {
  expect_in_every_order(
      {
          event(EventKind::VehicleRegister, 10, "v1", "org_a"),
          event(EventKind::VehicleRegister, 5, "v1"),
          event(EventKind::VehicleUpdate, 30, "v1", "org_b"),
          event(EventKind::VehicleUpdate, 30, "v1", "org_c"),  // same at as org_b: the greater id
          event(EventKind::VehicleUpdate, 40, "v1"),           // latest, but states no organization
          event(EventKind::VehicleDeregister, 20, "v1", "org_b"),
          event(EventKind::VehicleDeregister, 50, "v1"),
      },
      {"vehicle v1 organization=\"org_c\"@30 first_registered=5 last_deregistered=50"});
}

TEST(LakeDateReducer, VehicleWithoutOrganizationOrRegistrationKeepsThemAbsent) {
  // v3's break events and v2's update state nothing but the vehicle; v4 states an empty
  // organization, which is one (only a missing or null one is none).
  expect_in_every_order(
      {
          event(EventKind::VehicleUpdate, 10, "v2"),
          event(EventKind::BreakStart, 20, "v3"),
          event(EventKind::BreakEnd, 30, "v3"),
          event(EventKind::VehicleUpdate, 7, "v4", ""),
          event(EventKind::VehicleUpdate, 8, "v4"),
      },
      {
          "vehicle v2 organization=none first_registered=none last_deregistered=none",
          "vehicle v3 organization=none first_registered=none last_deregistered=none",
          "vehicle v4 organization=\"\"@7 first_registered=none last_deregistered=none",
          "break v3 at=20 start",
          "break v3 at=30 end",
      });
}

TEST(LakeDateReducer, BreakEventsAreKeptOnceEachAndNameTheirVehicle) {
  expect_in_every_order(
      {
          event(EventKind::BreakStart, 10, "v1", "org_a"),
          event(EventKind::BreakStart, 10, "v1", "org_a"),  // the same line sent twice
          event(EventKind::BreakEnd, 20, "v1"),
          event(EventKind::BreakEnd, 20, "v1"),
          event(EventKind::BreakStart, 20, "v1"),  // same at, the other kind: kept
          event(EventKind::BreakStart, 10, "v2", "org_b"),
      },
      {
          "vehicle v1 organization=\"org_a\"@10 first_registered=none last_deregistered=none",
          "vehicle v2 organization=\"org_b\"@10 first_registered=none last_deregistered=none",
          "break v1 at=10 start",
          "break v1 at=20 end",
          "break v1 at=20 start",
          "break v2 at=10 start",
      });
}

TEST(LakeDateReducer, PeriodTakesItsLatestEvent) {
  // p1: a later create replaces the window, and beats an earlier delete. p2: a later delete wins.
  expect_in_every_order(
      {
          period_create(10, "p1", 100, 200, "org_a"),
          event(EventKind::PeriodDelete, 15, "p1", "org_a"),
          period_create(20, "p1", 150, 250, "org_b"),
          period_create(5, "p1", 1, 2, "org_c"),
          period_create(10, "p2", 100, 200, "org_a"),
          event(EventKind::PeriodDelete, 11, "p2"),
      },
      {
          "period p1 at=20 window=[150,250] organization=\"org_b\"",
          "period p2 at=11 deleted organization=none",
      });
}

TEST(LakeDateReducer, AtEqualAtADeleteBeatsACreateAndTheWinnerBringsItsOrganization) {
  // The delete states no organization: the row takes none, not the losing create's.
  expect_in_every_order(
      {
          period_create(30, "p1", 100, 200, "org_a"),
          event(EventKind::PeriodDelete, 30, "p1"),
          period_create(30, "p1", 100, 300, "org_a"),
          period_create(10, "p1", 100, 200, "org_a"),
      },
      {"period p1 at=30 deleted organization=none"});
}

TEST(LakeDateReducer, AtEqualAtTheLaterWindowWins) {
  // The later start first, then the later finish. Two identical deletes give one row.
  expect_in_every_order(
      {
          period_create(40, "p1", 100, 200, "org_a"),
          period_create(40, "p1", 100, 300, "org_a"),
          period_create(40, "p1", 90, 400, "org_a"),
          event(EventKind::PeriodDelete, 40, "p2", "org_b"),
          event(EventKind::PeriodDelete, 40, "p2", "org_b"),
      },
      {
          "period p1 at=40 window=[100,300] organization=\"org_a\"",
          "period p2 at=40 deleted organization=\"org_b\"",
      });
}

TEST(LakeDateReducer, AFullTieOnAPeriodIsDecidedByItsOrganization) {
  // Same `at`, same kind, same window: the greater organization id, then a stated one over none,
  // so the order of the lines never decides (it did, before the organization joined the key).
  expect_in_every_order(
      {
          period_create(50, "p1", 100, 200, "org_a"),
          period_create(50, "p1", 100, 200, "org_b"),
          period_create(50, "p1", 100, 200),
          event(EventKind::PeriodDelete, 50, "p2", ""),
          event(EventKind::PeriodDelete, 50, "p2"),
      },
      {
          "period p1 at=50 window=[100,200] organization=\"org_b\"",
          "period p2 at=50 deleted organization=\"\"",
      });
}

}  // namespace
}  // namespace d2d::model
