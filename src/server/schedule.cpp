#include "server/schedule.h"

#include <date/tz.h>
#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "core/error.h"

namespace d2d::server {
namespace {

using core::UtcMicros;

const date::time_zone* zone(const std::string& name) {
  try {
    return date::locate_zone(name);
  } catch (const std::exception&) {
    throw core::Error(
        core::ErrorKind::Usage,
        fmt::format("unknown time zone '{}' (expected an IANA name such as Europe/Berlin)", name));
  }
}

struct DateHistory {
  bool succeeded = false;
  int failures = 0;
  UtcMicros last_failure_at = 0;
};

UtcMicros retry_at(const DateHistory& history, const Schedule& schedule) {
  // 2^(failures-1) times the first delay, capped; the shift is bounded so it cannot overflow.
  const int doublings = std::min(history.failures - 1, 30);
  const auto delay =
      std::min(schedule.retry_delay * (std::int64_t{1} << doublings), schedule.max_retry_delay);
  return history.last_failure_at + std::chrono::duration_cast<std::chrono::microseconds>(delay).count();
}

void plan_freshness(UtcMicros now, const Schedule& schedule,
                    const std::map<std::int64_t, DateHistory>& history,
                    const std::map<std::int64_t, UtcMicros>& last_started, Plan& result) {
  const UtcMicros every = std::chrono::duration_cast<std::chrono::microseconds>(*schedule.every).count();
  const UtcMicros grace =
      std::chrono::duration_cast<std::chrono::microseconds>(freshness_grace(*schedule.every)).count();
  const std::int64_t today = core::utc_day_of(now);
  const auto in_schedule = [&](std::int64_t day) {
    return (!schedule.start_day || day >= *schedule.start_day) &&
           (!schedule.end_day || day <= *schedule.end_day);
  };
  std::vector<std::int64_t> candidates;
  if (now - today * core::kMicrosPerDay < grace) candidates.push_back(today - 1);
  candidates.push_back(today);
  std::optional<UtcMicros> next;
  for (const std::int64_t day : candidates) {
    if (!in_schedule(day)) continue;
    if (due_at(day, schedule) <= now) {
      const auto found = history.find(day);
      if (found == history.end() || !found->second.succeeded) continue;  // the daily policy's date
    }
    result.fresh.push_back(core::format_date(day));
    const auto started = last_started.find(day);
    const UtcMicros ready_at =
        (started == last_started.end() ? day * core::kMicrosPerDay : started->second) + every;
    if (!next || ready_at < *next) {  // ties: the older date first
      next = ready_at;
      if (ready_at <= now) result.fresh_now = core::LakeDate::from_day(day);
    }
  }
  // Tomorrow's date gets its first freshness run `every` after its midnight.
  if (in_schedule(today + 1)) {
    const UtcMicros tomorrow = (today + 1) * core::kMicrosPerDay + every;
    if (!next || tomorrow < *next) next = tomorrow;
  }
  result.fresh_at = next;
  if (next && *next > now) result.wake_at = std::min(result.wake_at, *next);
}

}  // namespace

std::optional<std::chrono::seconds> parse_every(std::string_view text) {
  if (text.size() < 2 || text.size() > 8) return std::nullopt;
  std::int64_t number = 0;
  for (const char digit : text.substr(0, text.size() - 1)) {
    if (digit < '0' || digit > '9') return std::nullopt;
    number = number * 10 + (digit - '0');
  }
  std::chrono::seconds every{0};
  switch (text.back()) {
    case 's': every = std::chrono::seconds(number); break;
    case 'm': every = std::chrono::minutes(number); break;
    case 'h': every = std::chrono::hours(number); break;
    default: return std::nullopt;
  }
  if (every < kMinEvery || every > kMaxEvery) return std::nullopt;
  return every;
}

std::chrono::seconds freshness_grace(std::chrono::seconds every) {
  return std::max<std::chrono::seconds>(std::chrono::hours(1), every);
}

std::optional<int> parse_time_of_day(std::string_view text) {
  if (text.size() != 5 || text[2] != ':') return std::nullopt;
  for (const std::size_t i : {0U, 1U, 3U, 4U}) {
    if (text[i] < '0' || text[i] > '9') return std::nullopt;
  }
  const int hours = (text[0] - '0') * 10 + (text[1] - '0');
  const int minutes = (text[3] - '0') * 10 + (text[4] - '0');
  if (hours > 23 || minutes > 59) return std::nullopt;
  return hours * 60 + minutes;
}

void check_time_zone(const std::string& name) { zone(name); }

std::string skipped_message(const Plan::Skipped& skipped, const Schedule& schedule) {
  return fmt::format(
      "{} lake date(s) from {} to {} have no succeeded run but are older than the catch-up window ({}); "
      "serve skips them: load them with `d2d backfill --from {} --to {}`",
      skipped.count, skipped.from, skipped.to,
      schedule.catchup ? fmt::format("--catchup-days {}", schedule.catchup_days)
                       : std::string("--no-catchup"),
      skipped.from, skipped.to);
}

UtcMicros due_at(std::int64_t lake_day, const Schedule& schedule) {
  const date::local_seconds local{date::days{lake_day + 1} + std::chrono::minutes{schedule.at_minutes}};
  // choose::earliest: in a gap this is the transition instant, in an overlap the first instance.
  const auto instant = zone(schedule.time_zone)->to_sys(local, date::choose::earliest);
  return std::chrono::duration_cast<std::chrono::microseconds>(instant.time_since_epoch()).count();
}

std::int64_t latest_due_day(UtcMicros now, const Schedule& schedule) {
  const date::sys_time<std::chrono::microseconds> instant{std::chrono::microseconds{now}};
  const auto local = zone(schedule.time_zone)->to_local(instant);
  const std::int64_t today = std::chrono::floor<date::days>(local).time_since_epoch().count();
  return due_at(today - 1, schedule) <= now ? today - 1 : today - 2;
}

Plan plan(UtcMicros now, const Schedule& schedule, const std::vector<warehouse::RunRecord>& ledger) {
  std::map<std::int64_t, DateHistory> history;     // runs that count for the daily policy
  std::map<std::int64_t, UtcMicros> due_instants;  // due_at() per date, computed once
  std::map<std::int64_t, UtcMicros> last_started;  // the newest start of any run, for freshness
  for (const warehouse::RunRecord& run : ledger) {
    const auto day = core::parse_date(run.lake_date);
    if (!day) continue;
    UtcMicros& started = last_started.try_emplace(*day, run.started_at_us).first->second;
    started = std::max(started, run.started_at_us);
    auto due = due_instants.find(*day);
    if (due == due_instants.end()) due = due_instants.emplace(*day, due_at(*day, schedule)).first;
    // Started while the day was still going on: it saw part of the day only.
    if (run.started_at_us < due->second) continue;
    DateHistory& date = history[*day];
    if (run.status == "succeeded") date.succeeded = true;
    if (run.status == "failed") {
      ++date.failures;
      date.last_failure_at = std::max(date.last_failure_at, run.finished_at_us.value_or(run.started_at_us));
    }
  }
  const std::int64_t due = latest_due_day(now, schedule);
  const std::int64_t latest = schedule.end_day ? std::min(due, *schedule.end_day) : due;
  // The catch-up window: older dates are skipped, so that downtime costs at most this many runs.
  const std::int64_t window_first = latest - (schedule.catchup ? std::max(schedule.catchup_days, 1) - 1 : 0);
  std::optional<std::int64_t> last_success;
  for (const auto& [day, date] : history) {
    if (date.succeeded) last_success = day;
  }
  std::int64_t first = latest;
  if (schedule.start_day) {
    first = *schedule.start_day;
  } else if (last_success) {
    first = *last_success + 1;
  }
  std::vector<std::int64_t> days;
  for (const auto& [day, date] : history) {  // earlier failures still owed a retry
    if (day < first && !date.succeeded && date.failures > 0 && day <= latest &&
        (!schedule.start_day || day >= *schedule.start_day)) {
      days.push_back(day);
    }
  }
  for (std::int64_t day = first; day <= latest; ++day) days.push_back(day);

  Plan result;
  // Past the end day nothing becomes due again; only retries wake the loop (it re-plans anyway).
  result.wake_at = latest < due ? now + core::kMicrosPerDay : due_at(latest + 1, schedule);
  for (const std::int64_t day : days) {
    const auto found = history.find(day);
    const DateHistory date = found == history.end() ? DateHistory{} : found->second;
    if (date.succeeded) continue;
    const std::string name = core::format_date(day);
    if (date.failures > schedule.retries) {
      result.given_up.push_back(name);
      continue;
    }
    if (day < window_first) {
      if (!result.skipped) result.skipped = Plan::Skipped{name, name, 0};
      result.skipped->from = std::min(result.skipped->from, name);
      result.skipped->to = std::max(result.skipped->to, name);
      ++result.skipped->count;
      continue;
    }
    result.owed.push_back(name);
    const UtcMicros ready_at = date.failures == 0 ? now : retry_at(date, schedule);
    if (ready_at <= now) {
      if (!result.run_now) result.run_now = core::LakeDate::from_day(day);
    } else {
      result.wake_at = std::min(result.wake_at, ready_at);
    }
  }
  if (schedule.every) plan_freshness(now, schedule, history, last_started, result);
  return result;
}

}  // namespace d2d::server
