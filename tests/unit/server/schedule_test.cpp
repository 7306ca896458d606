// The scheduler's policy with an injected clock: which lake dates are due, in which time zone,
// what catch-up owes after downtime, and when failures are retried or given up.
#include "server/schedule.h"

#include <gtest/gtest.h>

#include "core/error.h"

namespace d2d::server {
namespace {

using core::UtcMicros;

UtcMicros at(const char* rfc3339) { return *core::parse_rfc3339(rfc3339); }
std::int64_t day(const char* date) { return *core::parse_date(date); }

warehouse::RunRecord run(const char* date, const char* status,
                         const char* finished = "2019-06-01T00:00:00Z") {
  static std::int64_t next_id = 1;
  warehouse::RunRecord record;
  record.run_id = next_id++;
  record.lake_date = date;
  record.status = status;
  record.started_at_us = at(finished) - 1'000'000;
  if (std::string_view(status) != "running") record.finished_at_us = at(finished);
  return record;
}

Schedule berlin_at(const char* time_of_day) {
  Schedule schedule;
  schedule.at_minutes = *parse_time_of_day(time_of_day);
  schedule.time_zone = "Europe/Berlin";
  return schedule;
}

std::vector<std::string> dates(std::initializer_list<const char*> names) {
  return {names.begin(), names.end()};
}

TEST(TimeOfDay, ParsesTwentyFourHourTimes) {
  EXPECT_EQ(parse_time_of_day("00:00"), 0);
  EXPECT_EQ(parse_time_of_day("02:30"), 150);
  EXPECT_EQ(parse_time_of_day("23:59"), 23 * 60 + 59);
  for (const char* bad : {"24:00", "2:30", "02:60", "0230", "02:3a", "", "02:30:00"}) {
    EXPECT_FALSE(parse_time_of_day(bad)) << bad;
  }
}

TEST(TimeZone, UnknownNamesAreUsageErrors) {
  EXPECT_NO_THROW(check_time_zone("Europe/Berlin"));
  try {
    check_time_zone("Europe/Atlantis");
    FAIL() << "no error";
  } catch (const core::Error& error) {
    EXPECT_EQ(error.kind(), core::ErrorKind::Usage);
  }
}

TEST(DueAt, IsTheNextDayAtTheLocalTime) {
  // Summer (CEST, UTC+2) and winter (CET, UTC+1).
  EXPECT_EQ(due_at(day("2019-06-01"), berlin_at("02:00")), at("2019-06-02T00:00:00Z"));
  EXPECT_EQ(due_at(day("2019-01-01"), berlin_at("02:00")), at("2019-01-02T01:00:00Z"));
  Schedule utc;
  utc.at_minutes = 90;
  EXPECT_EQ(due_at(day("2019-06-01"), utc), at("2019-06-02T01:30:00Z"));
}

TEST(DueAt, LocalTimesThatDoNotExistOrRepeatAreResolved) {
  // 2026-03-29 02:30 does not exist in Berlin (clocks jump 02:00 -> 03:00 = 01:00Z).
  EXPECT_EQ(due_at(day("2026-03-28"), berlin_at("02:30")), at("2026-03-29T01:00:00Z"));
  // 2026-10-25 02:30 happens twice (CEST, then CET): the first one.
  EXPECT_EQ(due_at(day("2026-10-24"), berlin_at("02:30")), at("2026-10-25T00:30:00Z"));
}

TEST(LatestDueDay, SwitchesExactlyAtTheDueInstant) {
  const Schedule schedule = berlin_at("02:00");
  EXPECT_EQ(latest_due_day(at("2019-06-02T00:00:00Z"), schedule), day("2019-06-01"));
  EXPECT_EQ(latest_due_day(at("2019-06-01T23:59:59.999999Z"), schedule), day("2019-05-31"));
}

TEST(LatestDueDay, DependsOnTheTimeZone) {
  const UtcMicros now = at("2019-06-01T23:30:00Z");
  Schedule schedule;
  schedule.at_minutes = 2 * 60;
  schedule.time_zone = "Asia/Tokyo";  // 2019-06-02 08:30 there
  EXPECT_EQ(latest_due_day(now, schedule), day("2019-06-01"));
  schedule.time_zone = "UTC";  // 2019-06-01 23:30
  EXPECT_EQ(latest_due_day(now, schedule), day("2019-05-31"));
  schedule.time_zone = "America/Los_Angeles";  // 2019-06-01 16:30
  EXPECT_EQ(latest_due_day(now, schedule), day("2019-05-31"));
  schedule.at_minutes = 17 * 60;  // not yet 17:00 in Los Angeles
  EXPECT_EQ(latest_due_day(now, schedule), day("2019-05-30"));
}

TEST(Plan, FirstEverRunWithoutStartDateOwesOnlyTheNewestDate) {
  const Plan next = plan(at("2019-06-05T06:00:00Z"), berlin_at("02:00"), {});
  EXPECT_EQ(next.owed, dates({"2019-06-04"}));
  EXPECT_EQ(next.run_now, "2019-06-04");
  EXPECT_EQ(next.wake_at, at("2019-06-06T00:00:00Z"));  // 2019-06-05 becomes due
}

TEST(Plan, StartDateOwesEveryDateSinceOldestFirst) {
  Schedule schedule = berlin_at("02:00");
  schedule.start_day = day("2019-06-01");
  const Plan next = plan(at("2019-06-05T06:00:00Z"), schedule, {});
  EXPECT_EQ(next.owed, dates({"2019-06-01", "2019-06-02", "2019-06-03", "2019-06-04"}));
  EXPECT_EQ(next.run_now, "2019-06-01");
}

TEST(Plan, CatchesUpEveryDateMissedSinceTheLastSuccess) {
  // Down from 2019-06-03 to 2019-06-06 06:00: three dates became due meanwhile.
  const std::vector ledger = {run("2019-06-01", "succeeded"), run("2019-06-02", "succeeded")};
  const Plan next = plan(at("2019-06-06T06:00:00Z"), berlin_at("02:00"), ledger);
  EXPECT_EQ(next.owed, dates({"2019-06-03", "2019-06-04", "2019-06-05"}));
  EXPECT_EQ(next.run_now, "2019-06-03");
}

TEST(Plan, NothingIsOwedOnceEveryDueDateSucceeded) {
  const std::vector ledger = {run("2019-06-03", "succeeded"), run("2019-06-04", "succeeded")};
  const Plan next = plan(at("2019-06-05T06:00:00Z"), berlin_at("02:00"), ledger);
  EXPECT_TRUE(next.owed.empty());
  EXPECT_FALSE(next.run_now);
  EXPECT_EQ(next.wake_at, at("2019-06-06T00:00:00Z"));
}

TEST(Plan, SucceededDatesAreNeverRunAgainAndKilledRunsAre) {
  Schedule schedule = berlin_at("02:00");
  schedule.start_day = day("2019-06-01");
  // 06-02 succeeded after a failure; 06-03's run was killed ('running' forever).
  const std::vector ledger = {run("2019-06-01", "succeeded"), run("2019-06-02", "failed"),
                              run("2019-06-02", "succeeded"), run("2019-06-03", "running")};
  const Plan next = plan(at("2019-06-05T06:00:00Z"), schedule, ledger);
  EXPECT_EQ(next.owed, dates({"2019-06-03", "2019-06-04"}));
  EXPECT_EQ(next.run_now, "2019-06-03");
}

TEST(Plan, FailuresAreRetriedWithExponentialBackoffThenGivenUp) {
  Schedule schedule = berlin_at("02:00");
  schedule.retries = 2;
  schedule.retry_delay = std::chrono::seconds(300);
  std::vector ledger = {run("2019-06-01", "succeeded"), run("2019-06-02", "failed", "2019-06-03T10:00:00Z")};
  const UtcMicros first_failure = at("2019-06-03T10:00:00Z");

  Plan next = plan(first_failure + 299'000'000, schedule, ledger);
  EXPECT_EQ(next.owed, dates({"2019-06-02"}));
  EXPECT_FALSE(next.run_now);
  EXPECT_EQ(next.wake_at, first_failure + 300'000'000);
  EXPECT_EQ(plan(first_failure + 300'000'000, schedule, ledger).run_now, "2019-06-02");

  ledger.push_back(run("2019-06-02", "failed", "2019-06-03T10:05:00Z"));  // second failure: wait 600 s
  next = plan(at("2019-06-03T10:14:59Z"), schedule, ledger);
  EXPECT_FALSE(next.run_now);
  EXPECT_EQ(next.wake_at, at("2019-06-03T10:15:00Z"));
  EXPECT_EQ(plan(at("2019-06-03T10:15:00Z"), schedule, ledger).run_now, "2019-06-02");

  ledger.push_back(run("2019-06-02", "failed", "2019-06-03T10:15:00Z"));  // 1 + 2 retries spent
  next = plan(at("2019-06-03T12:00:00Z"), schedule, ledger);
  EXPECT_TRUE(next.owed.empty());
  EXPECT_EQ(next.given_up, dates({"2019-06-02"}));
  EXPECT_FALSE(next.run_now);
}

TEST(Plan, BackoffIsCappedAndDoesNotHoldUpLaterDates) {
  Schedule schedule = berlin_at("02:00");
  schedule.retries = 10;
  schedule.retry_delay = std::chrono::seconds(600);
  schedule.max_retry_delay = std::chrono::seconds(3600);
  std::vector ledger = {run("2019-06-01", "succeeded")};
  for (int i = 0; i < 5; ++i) ledger.push_back(run("2019-06-02", "failed", "2019-06-04T10:00:00Z"));
  const Plan next = plan(at("2019-06-04T10:30:00Z"), schedule, ledger);
  // 06-02 waits (600 s * 2^4 capped at 1 h); 06-03, due since 06-04 00:00Z, runs meanwhile.
  EXPECT_EQ(next.owed, dates({"2019-06-02", "2019-06-03"}));
  EXPECT_EQ(next.run_now, "2019-06-03");
  EXPECT_EQ(next.wake_at, at("2019-06-04T11:00:00Z"));
}

TEST(Plan, AFailedDateBeforeTheLastSuccessKeepsItsRetries) {
  Schedule schedule = berlin_at("02:00");
  schedule.retry_delay = std::chrono::seconds(60);
  const std::vector ledger = {run("2019-06-02", "failed", "2019-06-04T10:00:00Z"),
                              run("2019-06-03", "succeeded")};
  const Plan next = plan(at("2019-06-04T10:01:00Z"), schedule, ledger);
  EXPECT_EQ(next.owed, dates({"2019-06-02"}));
  EXPECT_EQ(next.run_now, "2019-06-02");
}

// Issue 15: a last success in 2019 made serve start 2,738 failing runs in 10 s. Catch-up owes at
// most the newest catchup_days dates; the older ones are skipped, named once with the backfill.
TEST(Plan, CatchUpAfterYearsOfDowntimeCoversOnlyTheWindow) {
  const std::vector ledger = {run("2019-06-01", "succeeded")};
  const Plan next = plan(at("2026-12-03T06:00:00Z"), berlin_at("02:00"), ledger);  // default: 7 days
  EXPECT_EQ(next.owed, dates({"2026-11-26", "2026-11-27", "2026-11-28", "2026-11-29", "2026-11-30",
                              "2026-12-01", "2026-12-02"}));
  EXPECT_EQ(next.run_now, "2026-11-26");
  ASSERT_TRUE(next.skipped);
  EXPECT_EQ(next.skipped->from, "2019-06-02");
  EXPECT_EQ(next.skipped->to, "2026-11-25");
  EXPECT_EQ(next.skipped->count, static_cast<std::size_t>(day("2026-11-25") - day("2019-06-02") + 1));
  const std::string message = skipped_message(*next.skipped, berlin_at("02:00"));
  EXPECT_NE(message.find("d2d backfill --from 2019-06-02 --to 2026-11-25"), std::string::npos) << message;
  EXPECT_NE(message.find("--catchup-days 7"), std::string::npos) << message;
}

TEST(Plan, TheWindowBoundsAStartDateAndOldFailuresAndLeavesSucceededDatesOut) {
  Schedule schedule = berlin_at("02:00");
  schedule.start_day = day("2019-05-01");
  schedule.catchup_days = 3;
  schedule.retry_delay = std::chrono::seconds(60);
  // 05-31 failed with retries left but lies outside the window; 06-02 succeeded.
  const std::vector ledger = {run("2019-05-31", "failed", "2019-06-04T10:00:00Z"),
                              run("2019-06-02", "succeeded")};
  const Plan next = plan(at("2019-06-06T06:00:00Z"), schedule, ledger);  // due up to 06-05
  EXPECT_EQ(next.owed, dates({"2019-06-03", "2019-06-04", "2019-06-05"}));
  ASSERT_TRUE(next.skipped);
  EXPECT_EQ(next.skipped->from, "2019-05-01");
  EXPECT_EQ(next.skipped->to, "2019-06-01");
  EXPECT_EQ(next.skipped->count, 32U);  // 05-01..06-01, 05-31 (failed) among them
}

TEST(Plan, NothingIsSkippedWhileEveryMissingDateFitsTheWindow) {
  const std::vector ledger = {run("2019-06-01", "succeeded")};
  Schedule schedule = berlin_at("02:00");
  schedule.catchup_days = 4;
  const Plan next = plan(at("2019-06-06T06:00:00Z"), schedule, ledger);
  EXPECT_EQ(next.owed, dates({"2019-06-02", "2019-06-03", "2019-06-04", "2019-06-05"}));
  EXPECT_FALSE(next.skipped);
}

TEST(Plan, WithoutCatchUpOnlyTheNewestDueDateIsOwed) {
  Schedule schedule = berlin_at("02:00");
  schedule.catchup = false;
  schedule.retry_delay = std::chrono::seconds(60);
  const std::vector ledger = {run("2019-06-01", "succeeded")};
  Plan next = plan(at("2019-06-06T06:00:00Z"), schedule, ledger);
  EXPECT_EQ(next.owed, dates({"2019-06-05"}));
  ASSERT_TRUE(next.skipped);
  EXPECT_EQ(next.skipped->from, "2019-06-02");
  EXPECT_EQ(next.skipped->to, "2019-06-04");
  EXPECT_NE(skipped_message(*next.skipped, schedule).find("--no-catchup"), std::string::npos);
  // The newest date keeps its retries.
  const std::vector failed = {run("2019-06-01", "succeeded"),
                              run("2019-06-05", "failed", "2019-06-06T06:00:00Z")};
  next = plan(at("2019-06-06T06:01:00Z"), schedule, failed);
  EXPECT_EQ(next.run_now, "2019-06-05");
}

TEST(Plan, NoDateAfterTheEndDateIsScheduledAndTheLoopDoesNotSpin) {
  Schedule schedule = berlin_at("02:00");
  schedule.start_day = day("2019-06-01");
  schedule.end_day = day("2019-06-03");
  const UtcMicros now = at("2019-06-10T06:00:00Z");
  Plan next = plan(now, schedule, {});
  // The window ends at the end date, so its dates are owed even though today is later.
  EXPECT_EQ(next.owed, dates({"2019-06-01", "2019-06-02", "2019-06-03"}));
  EXPECT_FALSE(next.skipped);
  const std::vector done = {run("2019-06-01", "succeeded"), run("2019-06-02", "succeeded"),
                            run("2019-06-03", "succeeded")};
  next = plan(now, schedule, done);
  EXPECT_TRUE(next.owed.empty());
  EXPECT_FALSE(next.run_now);
  EXPECT_GT(next.wake_at, now);  // 2019-06-04 is due, but never owed: no wake time in the past
  // Before the end date is due, the schedule runs as usual.
  EXPECT_EQ(plan(at("2019-06-03T06:00:00Z"), schedule, {}).owed, dates({"2019-06-01", "2019-06-02"}));
}

}  // namespace
}  // namespace d2d::server
