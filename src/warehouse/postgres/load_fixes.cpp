#include "warehouse/postgres/load_fixes.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "model/winners.h"
#include "warehouse/postgres/pg_array.h"

namespace d2d::warehouse::pg {

std::uint64_t DateFixes::merge(Connection& db, const std::string& quoted_schema, const std::string& lake_date,
                               std::int64_t lake_day, LoadMode mode) {
  const Params date = {lake_date};
  auto sql = [&](std::string_view text) { return with_schema(text, quoted_schema); };
  if (mode == LoadMode::Full) drop_winners_of_date(db, quoted_schema, date);
  m_segments = fix_segments();
  m_may_clash = segments_that_may_clash(db, quoted_schema);
  const auto staged_segments = std::count(m_may_clash.begin(), m_may_clash.end(), true);
  spdlog::debug("location_update: {} of {} fix segments (vehicle, UTC day) may clash with other dates",
                staged_segments, m_segments.size());
  std::uint64_t rows = 0;
  if (staged_segments > 0) rows += merge_staged_fixes(db, quoted_schema, date, mode);
  CopyWriter copy(db, sql("COPY {s}.location_update (vehicle_id, at, lat, lng, organization_id, lake_date, "
                          "event_at, lake_object_id) FROM STDIN (FORMAT binary)"));
  for_each_segment_fix([&](const LocationRow& fix, std::size_t segment) {
    if (copied(segment)) encode_location_update(copy, fix, lake_day);
  });
  copy.finish();
  return rows + copy.rows();
}

// A full load: winners this date held before lose their ground; the best other version of each
// is promoted.
void DateFixes::drop_winners_of_date(Connection& db, const std::string& quoted_schema, const Params& date) {
  auto sql = [&](std::string_view text) { return with_schema(text, quoted_schema); };
  db.exec("CREATE TEMP TABLE orphaned_fix (vehicle_id text COLLATE \"C\", at timestamptz) ON COMMIT DROP");
  db.exec(
      sql("WITH dropped AS (DELETE FROM {s}.location_update WHERE lake_date = $1::date RETURNING vehicle_id, "
          "at) INSERT INTO orphaned_fix SELECT vehicle_id, at FROM dropped"),
      date);
  db.exec(sql(
      "WITH best AS (SELECT DISTINCT ON (s.vehicle_id, s.at) s.vehicle_id, s.at, s.lake_date FROM "
      "{s}.lake_location_superseded s JOIN orphaned_fix o ON s.vehicle_id = o.vehicle_id AND s.at = o.at "
      "ORDER BY s.vehicle_id, s.at, " +
      model::fix_best_first_sql("s") +
      ", s.lake_date DESC), "
      "promoted AS (DELETE FROM {s}.lake_location_superseded s USING best b WHERE s.vehicle_id = "
      "b.vehicle_id AND s.at = b.at AND s.lake_date = b.lake_date RETURNING s.*) "
      "INSERT INTO {s}.location_update (vehicle_id, at, lat, lng, organization_id, lake_date, event_at, "
      "lake_object_id) SELECT vehicle_id, at, lat, lng, organization_id, lake_date, event_at, lake_object_id "
      "FROM promoted"));
}

// An incremental load: a staged key the date already holds keeps the date's better version (SPEC
// §4 within a date). A better new version replaces a standing winner of the date in place (it
// wins wherever the old one did) and leaves the staging; one better than the date's superseded
// version takes that version's place and goes on to compete across dates; the others leave.
void DateFixes::keep_better_of_date_versions(Connection& db, const std::string& quoted_schema,
                                             const Params& date) {
  auto sql = [&](std::string_view text) { return with_schema(text, quoted_schema); };
  // fix_version_better (model/winners.h) of `a` over `b`, in SQL.
  auto better = [](std::string_view a, std::string_view b) {
    return fmt::format(
        "({0} > {1} OR ({0} = {1} AND {2}.organization_id IS NOT NULL AND {3}.organization_id IS NULL))",
        model::fix_version_row_sql(a), model::fix_version_row_sql(b), a, b);
  };
  // Identical versions: the one from the object with the smaller key names the row (lineage that
  // does not depend on arrival order; FixSorter keeps the same rule within a load).
  const std::string smaller_key =
      "(SELECT object_key FROM {s}.lake_object WHERE lake_object_id = c.lake_object_id) < COALESCE((SELECT "
      "object_key FROM {s}.lake_object WHERE lake_object_id = o.lake_object_id), ''::bytea)";
  const std::string columns = ", " + better("c", "o") + " AS candidate_better, NOT " + better("c", "o") +
                              " AND NOT " + better("o", "c") + " AND " + smaller_key + " AS relabel ";
  db.exec(sql("CREATE TEMP TABLE own_version ON COMMIT DROP AS "
              "SELECT c.vehicle_id, c.at, c.lake_object_id, true AS standing" +
              columns +
              // LATERAL ... OFFSET 0 (kept as a subquery, not flattened into a join): one primary-key
              // probe per staged row. A join let the planner scan all of location_update for the
              // date's rows, more so with the statistics a load just outdated (0.7 s of a 1 s
              // increment on the bench's 4M day).
              "FROM stage_location c CROSS JOIN LATERAL (SELECT * FROM {s}.location_update u WHERE "
              "u.vehicle_id = "
              "c.vehicle_id AND u.at = c.at OFFSET 0) o WHERE o.lake_date = $1::date UNION ALL "
              "SELECT c.vehicle_id, c.at, c.lake_object_id, false" +
              columns +
              "FROM stage_location c CROSS JOIN LATERAL (SELECT * FROM {s}.lake_location_superseded v WHERE "
              "v.vehicle_id = c.vehicle_id AND v.at = c.at AND v.lake_date = $1::date OFFSET 0) o"),
          date);
  db.exec(sql("UPDATE {s}.location_update u SET lake_object_id = o.lake_object_id FROM own_version o WHERE "
              "o.standing AND o.relabel AND u.vehicle_id = o.vehicle_id AND u.at = o.at AND u.lake_date = "
              "$1::date"),
          date);
  db.exec(
      sql("UPDATE {s}.lake_location_superseded s SET lake_object_id = o.lake_object_id FROM own_version o "
          "WHERE NOT o.standing AND o.relabel AND s.vehicle_id = o.vehicle_id AND s.at = o.at AND "
          "s.lake_date = "
          "$1::date"),
      date);
  db.exec(sql(
      "UPDATE {s}.location_update u SET lat = c.lat, lng = c.lng, organization_id = c.organization_id, "
      "event_at = c.event_at, lake_object_id = c.lake_object_id FROM stage_location c JOIN own_version o ON "
      "o.vehicle_id = c.vehicle_id AND "
      "o.at = c.at WHERE o.standing AND o.candidate_better AND u.vehicle_id = c.vehicle_id AND u.at = c.at"));
  db.exec(
      sql("DELETE FROM {s}.lake_location_superseded s USING own_version o WHERE NOT o.standing AND "
          "o.candidate_better AND s.vehicle_id = o.vehicle_id AND s.at = o.at AND s.lake_date = $1::date"),
      date);
  db.exec(
      "DELETE FROM stage_location c USING own_version o WHERE c.vehicle_id = o.vehicle_id AND c.at = o.at "
      "AND (o.standing OR NOT o.candidate_better)");
}

std::vector<FixSegment> DateFixes::fix_segments() {
  std::vector<FixSegment> segments;
  std::int64_t day = 0;
  m_sorter.for_each_best(
      [&](const LocationRow& fix) {
        const std::int64_t fix_day = core::utc_day_of(fix.at_us);
        if (segments.empty() || segments.back().vehicle_id != fix.vehicle_id || fix_day != day) {
          segments.push_back({std::string(fix.vehicle_id), fix.at_us, fix.at_us, 0});
          day = fix_day;
        }
        segments.back().last_at_us = fix.at_us;
        ++segments.back().fixes;
      },
      /*walk_again=*/true);  // the COPY and derivation walk the day again
  return segments;
}

void DateFixes::for_each_segment_fix(const std::function<void(const LocationRow&, std::size_t)>& visit) {
  std::size_t segment = 0;
  std::uint64_t seen_in_segment = 0;
  m_sorter.for_each_best([&](const LocationRow& fix) {
    while (seen_in_segment == m_segments[segment].fixes) {
      ++segment;
      seen_in_segment = 0;
    }
    ++seen_in_segment;
    visit(fix, segment);
  });
}

// One primary-key probe per segment: does location_update hold a fix of that vehicle within
// the segment's time span? (Called after this date's own former winners were removed.)
std::vector<bool> DateFixes::segments_that_may_clash(Connection& db, const std::string& quoted_schema) {
  std::vector<bool> may_clash(m_segments.size(), false);
  if (m_segments.empty()) return may_clash;
  std::string vehicles = "{", firsts = "{", lasts = "{";
  for (const FixSegment& segment : m_segments) {
    const char* comma = vehicles.size() > 1 ? "," : "";
    vehicles.append(comma).append(array_element(segment.vehicle_id));
    firsts.append(comma).append(time_param(segment.first_at_us));
    lasts.append(comma).append(time_param(segment.last_at_us));
  }
  auto result = db.exec(
      with_schema(
          "SELECT r.i FROM unnest($1::text[], $2::timestamptz[], $3::timestamptz[]) WITH ORDINALITY AS "
          "r(vehicle_id, first_at, last_at, i) WHERE EXISTS (SELECT 1 FROM {s}.location_update u WHERE "
          "u.vehicle_id = r.vehicle_id COLLATE \"C\" AND u.at >= r.first_at AND u.at <= r.last_at)",
          quoted_schema),
      {vehicles + "}", firsts + "}", lasts + "}"});
  for (int row = 0; row < result.rows(); ++row)
    may_clash[static_cast<std::size_t>(result.int64(row, 0) - 1)] = true;
  return may_clash;
}

// The segments that may clash: staged, each key compared with the standing winner, the better
// version kept in location_update and the other in lake_location_superseded. Returns the keys.
std::uint64_t DateFixes::merge_staged_fixes(Connection& db, const std::string& quoted_schema,
                                            const Params& date, LoadMode mode) {
  auto sql = [&](std::string_view text) { return with_schema(text, quoted_schema); };
  db.exec_script(
      "CREATE TEMP TABLE stage_location (vehicle_id text COLLATE \"C\", at timestamptz, event_at "
      "timestamptz, lat float8, lng float8, organization_id text COLLATE \"C\", lake_object_id bigint) ON "
      "COMMIT "
      "DROP");
  {
    CopyWriter copy(db, "COPY stage_location FROM STDIN (FORMAT binary)");
    for_each_segment_fix([&](const LocationRow& fix, std::size_t segment) {
      if (copied(segment)) return;
      copy.begin_row(7);
      copy.text(fix.vehicle_id);
      copy.timestamp_us(fix.at_us);
      copy.timestamp_us(fix.event_at_us);
      copy.float64(fix.lat_deg);
      copy.float64(fix.lng_deg);
      copy.optional_text(fix.organization_id);
      encode_object_id(copy, fix.object_id);
    });
    copy.finish();
  }
  // A temporary table has no statistics: without them the planner joined the staged rows with
  // location_update by scanning all of it (2.3 s of a 2.5 s increment on the bench's 4M day).
  db.exec("ANALYZE stage_location");
  const auto staged = static_cast<std::uint64_t>(db.exec("SELECT COUNT(*) FROM stage_location").int64(0, 0));
  if (mode == LoadMode::Incremental) keep_better_of_date_versions(db, quoted_schema, date);
  // The date's best version of each key another date holds, against that standing winner
  // (SPEC §4's version key, then the later lake date).
  db.exec(
      sql(fmt::format(
          "CREATE TEMP TABLE clash ON COMMIT DROP AS SELECT c.vehicle_id, c.at, c.event_at, c.lat, "
          "c.lng, c.organization_id, c.lake_object_id, ({}, $1::date) > ({}, u.lake_date) AS candidate_wins "
          "FROM stage_location c JOIN {{s}}.location_update u ON u.vehicle_id = c.vehicle_id AND "
          "u.at = c.at",
          model::fix_version_row_sql("c"), model::fix_version_row_sql("u"))),
      date);
  db.exec(sql("INSERT INTO {s}.lake_location_superseded (vehicle_id, at, lake_date, event_at, lat, lng, "
              "organization_id, lake_object_id) SELECT vehicle_id, at, $1::date, event_at, lat, lng, "
              "organization_id, "
              "lake_object_id FROM clash WHERE NOT candidate_wins"),
          date);
  db.exec(sql(
      "INSERT INTO {s}.lake_location_superseded (vehicle_id, at, lake_date, event_at, lat, lng, "
      "organization_id, lake_object_id) SELECT u.vehicle_id, u.at, u.lake_date, u.event_at, u.lat, u.lng, "
      "u.organization_id, u.lake_object_id FROM {s}.location_update u JOIN clash k ON k.vehicle_id = "
      "u.vehicle_id AND k.at = u.at WHERE "
      "k.candidate_wins"));
  db.exec(
      sql("UPDATE {s}.location_update u SET lat = k.lat, lng = k.lng, organization_id = k.organization_id, "
          "lake_date = $1::date, event_at = k.event_at, lake_object_id = k.lake_object_id FROM clash k WHERE "
          "k.candidate_wins AND u.vehicle_id "
          "= "
          "k.vehicle_id AND u.at = k.at"),
      date);
  // The staged keys no other date holds after all: the date's version is the winner.
  db.exec(
      sql("INSERT INTO {s}.location_update (vehicle_id, at, lat, lng, organization_id, lake_date, "
          "event_at, lake_object_id) SELECT c.vehicle_id, c.at, c.lat, c.lng, c.organization_id, $1::date, "
          "c.event_at, c.lake_object_id FROM stage_location c WHERE NOT EXISTS (SELECT 1 FROM clash k WHERE "
          "k.vehicle_id = c.vehicle_id AND k.at = c.at) ORDER BY c.vehicle_id, c.at"),
      date);
  return staged;
}

void encode_object_id(CopyEncoder& copy, std::int64_t object_id) {
  if (object_id == 0) {
    copy.null();
  } else {
    copy.int64(object_id);
  }
}

void encode_location_update(CopyEncoder& copy, const LocationRow& fix, std::int64_t lake_day) {
  copy.begin_row(8);
  copy.text(fix.vehicle_id);
  copy.timestamp_us(fix.at_us);
  copy.float64(fix.lat_deg);
  copy.float64(fix.lng_deg);
  copy.optional_text(fix.organization_id);
  copy.date_days(lake_day);
  copy.timestamp_us(fix.event_at_us);
  encode_object_id(copy, fix.object_id);
}

}  // namespace d2d::warehouse::pg
