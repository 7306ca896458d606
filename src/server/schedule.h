// When lake dates are due, and which one the scheduler runs next. Pure functions of the clock,
// the schedule and the etl_run ledger, so the policy is tested without waiting for days.
//
// Airflow's daily semantics: lake date D covers the day D, so it is due once that day is over,
// at the configured local time of D+1 in the configured IANA time zone. Catch-up runs every due
// date that has no succeeded run, oldest first, within a window of the newest dates (a serve
// started after years of downtime must not fire thousands of runs: older dates are a backfill's
// job); a failed date is tried again after an exponential backoff until its retry budget
// (counted in the ledger, so it survives restarts) is spent.
//
// Only runs of D that started once D was due count for this daily policy: a run made while the
// day was still going on (a freshness run, or a `d2d run` of today) neither completes D nor
// spends its retries; D's daily run still runs once the day is over (cheap when nothing changed).
//
// Freshness (Schedule::every, `serve --every`): between daily runs, the lake date of the current
// UTC day, and the previous one for a grace period after UTC midnight, runs every `every`. The
// ledger says when each date last started a run, so this too is a function of (now, ledger).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/time.h"
#include "warehouse/warehouse.h"

namespace d2d::server {

struct Schedule {
  int at_minutes = 0;                     // minutes after local midnight
  std::string time_zone = "UTC";          // IANA name, e.g. Europe/Berlin
  std::optional<std::int64_t> start_day;  // first lake date ever owed (days since 1970-01-01)
  int retries = 3;                        // further tries of a failed date
  std::chrono::seconds retry_delay{300};  // after the first failure, doubled after each next one
  std::chrono::seconds max_retry_delay{3600};
  bool catchup = true;                  // false: only the newest due date is owed (Airflow's catchup=False)
  int catchup_days = 7;                 // catch-up owes at most the newest this many dates (>= 1)
  std::optional<std::int64_t> end_day;  // the last lake date ever scheduled
  std::optional<std::chrono::seconds> every;  // freshness runs this often; none: no freshness runs
};

// `serve --every`: "<digits><s|m|h>" (e.g. 90s, 5m, 1h) from kMinEvery to kMaxEvery; nullopt when
// malformed or out of that range.
inline constexpr std::chrono::seconds kMinEvery{30};
inline constexpr std::chrono::seconds kMaxEvery{24 * 3600};
std::optional<std::chrono::seconds> parse_every(std::string_view text);
// How long after UTC midnight the previous lake date is still kept fresh: max(1 h, every), so that
// at least one freshness run of it starts after its day is over.
std::chrono::seconds freshness_grace(std::chrono::seconds every);

// "HH:MM" (24 h) -> minutes after midnight; nullopt when malformed.
std::optional<int> parse_time_of_day(std::string_view text);
// Throws core::Error(Usage) when the zone is unknown to the system's time zone database.
void check_time_zone(const std::string& name);

// The instant lake date `lake_day` becomes due: day+1 at the schedule's local time. A local time
// that does not exist (spring forward) means the end of the gap; a repeated one, its first instance.
core::UtcMicros due_at(std::int64_t lake_day, const Schedule& schedule);
// The newest lake date due at `now`.
std::int64_t latest_due_day(core::UtcMicros now, const Schedule& schedule);

struct Plan {
  std::optional<core::LakeDate> run_now;  // the oldest date due now, if any
  std::vector<std::string> owed;          // every date owed a run, including those waiting to retry
  std::vector<std::string> given_up;      // failed 1 + retries times, never succeeded
  core::UtcMicros wake_at = 0;            // when the next date becomes due or may be retried
  // Dates that would be owed but are older than the catch-up window: left to a backfill.
  struct Skipped {
    std::string from, to;  // the oldest and newest of them
    std::size_t count = 0;
  };
  std::optional<Skipped> skipped;
  // Freshness (empty without Schedule::every): the lake dates kept fresh now, the one whose
  // freshness run is due now (the longest waiting; the scheduler runs it when no daily run is due),
  // and when the next freshness run is due (<= now: now). wake_at includes fresh_at when later.
  std::vector<std::string> fresh;
  std::optional<core::LakeDate> fresh_now;
  std::optional<core::UtcMicros> fresh_at;
};

// The one line that names the skipped dates and the command that loads them.
std::string skipped_message(const Plan::Skipped& skipped, const Schedule& schedule);

// Which dates are owed: with a start day, every date from it to the newest due one; without,
// those after the last succeeded date (only the newest due one when none ever succeeded), plus
// earlier failed dates whose retries are not spent. Dates with a succeeded run are never owed.
// A 'running' row counts as neither success nor failure: a killed run is run again. Runs of D
// that started before due_at(D) count as neither either.
// The newest due date is capped at the end day; of the dates owed, only the newest
// `catchup_days` (1 without catch-up) up to it are kept, the older ones are `skipped`.
//
// Freshness, with `every`: the UTC day of `now`, and the day before while now is within
// freshness_grace after UTC midnight, within the start and end days, are kept fresh, except a
// date that is due but has no counted success (the daily policy owns it: owed, retrying, given
// up). A date is due a freshness run `every` after its newest run of any kind started (any status,
// so a failed freshness run is tried again after `every`, with no backoff), or `every` after its
// UTC midnight when it never ran (a date gets time to gain objects before its first run).
Plan plan(core::UtcMicros now, const Schedule& schedule, const std::vector<warehouse::RunRecord>& ledger);

}  // namespace d2d::server
