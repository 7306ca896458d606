// SPEC §4's winner rules, written once. Each rule is a C++ comparison, used in memory (FixSorter,
// LakeDateReducer, SQLite's clash check), and the SQL `ORDER BY` that puts the winner first,
// written from the same list of columns, used by both engines across lake dates. A rule that
// changes here changes everywhere; tests/unit/warehouse/winners_sql_test.cpp holds the two together on
// SQLite.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <tuple>

#include "core/time.h"
#include "model/lake_date_rows.h"

namespace d2d::model {

// ---- Versions of one fix (same vehicle, same location.at) ----
//
// The later event `at` wins; then the greater lat, lng and organization id (an absent
// organization counts as the empty text), so the choice never depends on file order. Across lake
// dates, a full tie goes to the later lake date (the engines append `lake_date DESC`).
inline auto fix_version_key(const LocationRow& fix) {
  return std::tuple(fix.event_at_us, fix.lat_deg, fix.lng_deg,
                    fix.organization_id.value_or(std::string_view()));
}

// Whether `a` is a better version than `b` (strict). Within one date, the key ties only between
// an empty and an absent organization: the stated one wins, again never the file order.
inline bool fix_version_better(const LocationRow& a, const LocationRow& b) {
  const auto key_a = fix_version_key(a);
  const auto key_b = fix_version_key(b);
  if (key_a != key_b) return key_a > key_b;
  return a.organization_id.has_value() && !b.organization_id.has_value();
}

// The SQL that orders the versions of one fix best first for table alias `alias`
// (`alias.event_at DESC, ...`), the same columns as fix_version_key.
std::string fix_best_first_sql(std::string_view alias);
// fix_version_key as an SQL row value, for row comparisons: `(alias.event_at, ...)`.
std::string fix_version_row_sql(std::string_view alias);

// ---- Versions of one operating period ----

// An operating-period event reduced to what decides between versions.
struct PeriodVersion {
  core::UtcMicros event_at_us = 0;
  bool deleted = false;
  core::UtcMicros start_us = 0;  // 0 (SQL: NULL) when deleted
  core::UtcMicros finish_us = 0;
  std::optional<std::string_view> organization_id;
};

// The latest `at` wins; at equal `at` a delete beats a create (cancelling is the safer
// reading), then the later window, then the greater organization id (absent counts as empty,
// and then a stated one wins), so the result never depends on file order.
inline auto period_version_key(const PeriodVersion& version) {
  return std::tuple(version.event_at_us, version.deleted, version.start_us, version.finish_us,
                    version.organization_id.value_or(std::string_view()),
                    version.organization_id.has_value());
}
inline bool period_version_wins(const PeriodVersion& candidate, const PeriodVersion& incumbent) {
  return period_version_key(candidate) > period_version_key(incumbent);
}
// Best first, for alias `alias` of lake_operating_period_event. A deleted event has no window
// (NULL), and only ever ties with another deleted one there: NULLS LAST keeps both engines equal.
std::string period_best_first_sql(std::string_view alias);

// ---- A vehicle's organization ----

// The one named by its latest event; ties: the greater id.
inline bool organization_wins(core::UtcMicros candidate_at_us, std::string_view candidate,
                              core::UtcMicros incumbent_at_us, std::string_view incumbent) {
  return std::tuple(candidate_at_us, candidate) > std::tuple(incumbent_at_us, incumbent);
}
// Best first, for alias `alias` of lake_vehicle (organization_at, organization_id).
std::string organization_best_first_sql(std::string_view alias);

}  // namespace d2d::model
