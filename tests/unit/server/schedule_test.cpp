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

// A run of `date` that finished at `finished` (a second after it started); by default at noon UTC
// the day after the date, once any of these tests' schedules made the date due.
warehouse::RunRecord run(const char* date, const char* status, const char* finished = nullptr) {
  static std::int64_t next_id = 1;
  warehouse::RunRecord record;
  record.run_id = next_id++;
  record.lake_date = date;
  record.status = status;
  const UtcMicros end =
      finished ? at(finished) : (day(date) + 1) * core::kMicrosPerDay + 12 * core::kMicrosPerHour;
  record.started_at_us = end - 1'000'000;
  if (std::string_view(status) != "running") record.finished_at_us = end;
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

// Issue 19 (5): `serve --every`. The duration is strict, and bounded so that a typo (5 for 5m,
// 5s) cannot make serve run a date continuously.
TEST(Every, ParsesOneWholeNumberAndAUnitWithinTheRange) {
  EXPECT_EQ(parse_every("90s"), std::chrono::seconds(90));
  EXPECT_EQ(parse_every("5m"), std::chrono::seconds(300));
  EXPECT_EQ(parse_every("1h"), std::chrono::seconds(3600));
  EXPECT_EQ(parse_every("30s"), kMinEvery);
  EXPECT_EQ(parse_every("24h"), kMaxEvery);
  EXPECT_EQ(parse_every("1440m"), kMaxEvery);
  for (const char* bad : {"29s", "25h", "1441m", "0m", "5", "m", "", "5 m", " 5m", "5m ", "5M", "5min",
                          "1h30m", "-5m", "+5m", "1.5h", "5d", "99999999999999999999h"}) {
    EXPECT_FALSE(parse_every(bad)) << bad;
  }
}

TEST(Every, TheGraceAfterMidnightIsAnHourOrOnePeriodWhenLonger) {
  EXPECT_EQ(freshness_grace(std::chrono::minutes(5)), std::chrono::hours(1));
  EXPECT_EQ(freshness_grace(std::chrono::hours(1)), std::chrono::hours(1));
  EXPECT_EQ(freshness_grace(std::chrono::hours(3)), std::chrono::hours(3));
}

// A run of `date` that started at `started` (and finished a minute later unless running).
warehouse::RunRecord started(const char* date, const char* status, const char* started_at) {
  warehouse::RunRecord record = run(date, status, started_at);
  record.started_at_us = at(started_at);
  if (record.finished_at_us) record.finished_at_us = record.started_at_us + 60'000'000;
  return record;
}

Schedule berlin_every(std::chrono::seconds every) {
  Schedule schedule = berlin_at("02:00");  // in June, date D is due at D+1 00:00Z
  schedule.every = every;
  return schedule;
}

TEST(FreshnessPlan, IsOffWithoutEvery) {
  const std::vector ledger = {run("2019-06-04", "succeeded")};
  const Plan next = plan(at("2019-06-05T12:00:00Z"), berlin_at("02:00"), ledger);
  EXPECT_TRUE(next.fresh.empty());
  EXPECT_FALSE(next.fresh_now);
  EXPECT_FALSE(next.fresh_at);
  EXPECT_EQ(next.wake_at, at("2019-06-06T00:00:00Z"));  // only the daily run wakes the loop
}

TEST(FreshnessPlan, TheCurrentUtcDateRunsEveryPeriodAfterItsLastRunStarted) {
  const Schedule schedule = berlin_every(std::chrono::minutes(5));
  std::vector ledger = {run("2019-06-04", "succeeded")};
  // Never run today: due 5 min after UTC midnight, long past.
  Plan next = plan(at("2019-06-05T12:00:00Z"), schedule, ledger);
  EXPECT_TRUE(next.owed.empty());
  EXPECT_FALSE(next.run_now);
  EXPECT_EQ(next.fresh, dates({"2019-06-05"}));
  EXPECT_EQ(next.fresh_now, "2019-06-05");
  EXPECT_EQ(next.fresh_at, at("2019-06-05T00:05:00Z"));

  ledger.push_back(started("2019-06-05", "succeeded", "2019-06-05T12:00:00Z"));
  next = plan(at("2019-06-05T12:04:59Z"), schedule, ledger);
  EXPECT_FALSE(next.fresh_now);
  EXPECT_EQ(next.fresh_at, at("2019-06-05T12:05:00Z"));
  EXPECT_EQ(next.wake_at, at("2019-06-05T12:05:00Z"));  // before the daily due time
  EXPECT_EQ(plan(at("2019-06-05T12:05:00Z"), schedule, ledger).fresh_now, "2019-06-05");

  // Any run of the date resets the period (a `d2d run` by hand, one still running elsewhere).
  ledger.push_back(started("2019-06-05", "running", "2019-06-05T12:07:00Z"));
  EXPECT_EQ(plan(at("2019-06-05T12:08:00Z"), schedule, ledger).fresh_at, at("2019-06-05T12:12:00Z"));
}

TEST(FreshnessPlan, AFreshDayGetsOnePeriodToGainObjectsBeforeItsFirstRun) {
  const Schedule schedule = berlin_every(std::chrono::minutes(10));
  // 06-05's daily run has run (00:00Z); the previous day's freshness run started at 23:55.
  const std::vector ledger = {started("2019-06-04", "succeeded", "2019-06-05T00:00:00Z"),
                              started("2019-06-05", "succeeded", "2019-06-05T23:55:00Z")};
  const Plan next = plan(at("2019-06-05T23:58:00Z"), schedule, ledger);
  EXPECT_FALSE(next.fresh_now);
  // 06-05 becomes due for its daily run at 00:00Z, before its freshness run (00:05) or 06-06's first
  // (00:10).
  EXPECT_EQ(next.fresh_at, at("2019-06-06T00:05:00Z"));
  EXPECT_EQ(next.wake_at, at("2019-06-06T00:00:00Z"));
  const Plan after_midnight = plan(at("2019-06-06T00:09:59Z"), schedule, ledger);
  EXPECT_EQ(after_midnight.run_now, "2019-06-05");  // the daily run
  EXPECT_EQ(after_midnight.fresh, dates({"2019-06-06"}));
  EXPECT_FALSE(after_midnight.fresh_now);
  EXPECT_EQ(after_midnight.fresh_at, at("2019-06-06T00:10:00Z"));
  EXPECT_EQ(plan(at("2019-06-06T00:10:00Z"), schedule, ledger).fresh_now, "2019-06-06");
}

TEST(FreshnessPlan, ARunOfADateBeforeItIsDueIsNotItsDailyRun) {
  const Schedule schedule = berlin_every(std::chrono::minutes(5));
  std::vector ledger = {run("2019-06-04", "succeeded")};
  // Freshness runs all day long, the last a minute before 06-05 is due (06-06 00:00Z).
  for (const char* time : {"2019-06-05T08:00:00Z", "2019-06-05T16:00:00Z", "2019-06-05T23:59:00Z"})
    ledger.push_back(started("2019-06-05", "succeeded", time));
  const Plan before = plan(at("2019-06-05T23:59:30Z"), schedule, ledger);
  EXPECT_TRUE(before.owed.empty());
  EXPECT_EQ(before.wake_at, at("2019-06-06T00:00:00Z"));
  // Once due, 06-05 is owed its daily run, which then runs before any freshness run.
  Plan due = plan(at("2019-06-06T00:00:00Z"), schedule, ledger);
  EXPECT_EQ(due.owed, dates({"2019-06-05"}));
  EXPECT_EQ(due.run_now, "2019-06-05");
  EXPECT_EQ(due.fresh, dates({"2019-06-06"}));  // 06-05 belongs to the daily policy until it succeeds
  // Without a start date, "after the last success" must not skip 06-05 either: a success of 06-06
  // made while 06-06 was going on is no success of 06-06.
  ledger.push_back(started("2019-06-06", "succeeded", "2019-06-06T00:01:00Z"));
  EXPECT_EQ(plan(at("2019-06-06T00:02:00Z"), schedule, ledger).owed, dates({"2019-06-05"}));
  // The daily run (after the due time) counts; 06-05 stays fresh for the grace hour.
  ledger.push_back(started("2019-06-05", "succeeded", "2019-06-06T00:02:00Z"));
  due = plan(at("2019-06-06T00:03:00Z"), schedule, ledger);
  EXPECT_TRUE(due.owed.empty());
  EXPECT_FALSE(due.run_now);
  EXPECT_EQ(due.fresh, dates({"2019-06-05", "2019-06-06"}));
  EXPECT_EQ(due.fresh_at, at("2019-06-06T00:06:00Z"));  // 06-06, started 00:01
  EXPECT_EQ(plan(at("2019-06-06T00:06:30Z"), schedule, ledger).fresh_now, "2019-06-06");  // 06-05: at 00:07
}

TEST(FreshnessPlan, FailedRunsBeforeTheDueTimeSpendNoRetriesAndAreTriedAgainAfterAPeriod) {
  Schedule schedule = berlin_every(std::chrono::minutes(5));
  schedule.retries = 0;
  std::vector ledger = {run("2019-06-04", "succeeded")};
  for (const char* time : {"2019-06-05T00:05:00Z", "2019-06-05T00:10:00Z", "2019-06-05T00:15:00Z"})
    ledger.push_back(started("2019-06-05", "failed", time));
  Plan next = plan(at("2019-06-05T00:19:00Z"), schedule, ledger);
  EXPECT_FALSE(next.fresh_now);
  EXPECT_EQ(next.fresh_at, at("2019-06-05T00:20:00Z"));  // no backoff: the period
  next = plan(at("2019-06-06T00:00:00Z"), schedule, ledger);
  EXPECT_TRUE(next.given_up.empty());
  EXPECT_EQ(next.run_now, "2019-06-05");
  // The daily run fails (no retries): given up, and no freshness run touches the date.
  ledger.push_back(started("2019-06-05", "failed", "2019-06-06T00:00:00Z"));
  next = plan(at("2019-06-06T00:30:00Z"), schedule, ledger);
  EXPECT_EQ(next.given_up, dates({"2019-06-05"}));
  EXPECT_EQ(next.fresh, dates({"2019-06-06"}));
  EXPECT_EQ(next.fresh_now, "2019-06-06");
}

TEST(FreshnessPlan, ADateWaitingForItsDailyRetryIsLeftToTheRetry) {
  Schedule schedule = berlin_every(std::chrono::minutes(5));
  schedule.retry_delay = std::chrono::hours(1);
  const std::vector ledger = {run("2019-06-04", "succeeded"),
                              started("2019-06-05", "failed", "2019-06-06T00:00:00Z")};
  const Plan next = plan(at("2019-06-06T00:20:00Z"), schedule, ledger);
  EXPECT_EQ(next.owed, dates({"2019-06-05"}));
  EXPECT_FALSE(next.run_now);
  EXPECT_EQ(next.fresh, dates({"2019-06-06"}));
  EXPECT_EQ(next.fresh_now, "2019-06-06");
}

TEST(FreshnessPlan, ThePreviousDateStaysFreshForTheGracePeriodAfterUtcMidnight) {
  Schedule schedule;  // UTC, due at 02:00: the previous date is not due during the grace hour
  schedule.at_minutes = 120;
  schedule.every = std::chrono::minutes(5);
  const std::vector ledger = {run("2019-06-04", "succeeded"),
                              started("2019-06-05", "succeeded", "2019-06-05T23:58:00Z"),
                              started("2019-06-06", "succeeded", "2019-06-06T00:30:00Z")};
  Plan next = plan(at("2019-06-06T00:31:00Z"), schedule, ledger);
  EXPECT_EQ(next.fresh, dates({"2019-06-05", "2019-06-06"}));
  EXPECT_EQ(next.fresh_now, "2019-06-05");  // waiting since 00:03
  next = plan(at("2019-06-06T00:59:59Z"), schedule, ledger);
  EXPECT_EQ(next.fresh, dates({"2019-06-05", "2019-06-06"}));
  next = plan(at("2019-06-06T01:00:00Z"), schedule, ledger);  // the hour is over
  EXPECT_EQ(next.fresh, dates({"2019-06-06"}));
  EXPECT_EQ(next.fresh_now, "2019-06-06");
  // Both waiting since the same instant: the older date first.
  std::vector tie = ledger;
  tie.push_back(started("2019-06-05", "succeeded", "2019-06-06T00:30:00Z"));
  EXPECT_EQ(plan(at("2019-06-06T00:35:00Z"), schedule, tie).fresh_now, "2019-06-05");
  // A period longer than the hour keeps the grace as long as one period.
  schedule.every = std::chrono::hours(2);
  next = plan(at("2019-06-06T01:59:00Z"), schedule, ledger);
  EXPECT_EQ(next.fresh, dates({"2019-06-05", "2019-06-06"}));
  EXPECT_EQ(next.fresh_now, "2019-06-05");  // 23:58 + 2 h
  EXPECT_EQ(plan(at("2019-06-06T02:00:00Z"), schedule, ledger).fresh, dates({"2019-06-06"}));
}

TEST(FreshnessPlan, RespectsTheStartAndEndDates) {
  Schedule schedule = berlin_every(std::chrono::minutes(5));
  schedule.end_day = day("2019-06-04");
  Plan next = plan(at("2019-06-05T12:00:00Z"), schedule, {run("2019-06-04", "succeeded")});
  EXPECT_TRUE(next.fresh.empty());
  EXPECT_FALSE(next.fresh_at);
  schedule.end_day.reset();
  schedule.start_day = day("2019-06-06");
  next = plan(at("2019-06-05T12:00:00Z"), schedule, {});
  EXPECT_TRUE(next.fresh.empty());
  EXPECT_EQ(next.fresh_at, at("2019-06-06T00:05:00Z"));  // the start date's first freshness run
}

}  // namespace
}  // namespace d2d::server
