#include "warehouse/postgres/load_fixes.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <bit>
#include <limits>
#include <ranges>
#include <set>
#include <utility>

#include "core/error.h"
#include "core/time.h"
#include "model/winners.h"
#include "warehouse/postgres/fix_sql.h"
#include "warehouse/postgres/pg_array.h"

namespace d2d::warehouse::pg {

std::uint64_t DateFixes::merge(Connection& db, const std::string& quoted_schema, const std::string& lake_date,
                               std::int64_t lake_day, LoadMode mode) {
  const Params date = {lake_date};
  auto sql = [&](std::string_view text) { return with_schema(text, quoted_schema); };
  m_unchanged.clear();
  m_unchanged_count = 0;
  m_replace_all = true;
  if (mode == LoadMode::Full) {
    compare_with_stored(db, quoted_schema, lake_date);  // walks the fixes into segments too
    drop_replaced_winners(db, quoted_schema, date);
  } else {
    m_segments = fix_segments();
  }
  assign_keys(db, quoted_schema);
  add_month_partitions(db, quoted_schema);
  m_may_clash = segments_that_may_clash(db, quoted_schema, date, mode);
  const auto staged_segments = std::count(m_may_clash.begin(), m_may_clash.end(), true);
  spdlog::debug("location_fix: {} of {} fix segments (vehicle, UTC day) may clash with other dates",
                staged_segments, m_segments.size());
  std::uint64_t rows = 0;
  if (staged_segments > 0) rows += merge_staged_fixes(db, quoted_schema, date, mode);
  // Versions whose event_at is too far from `at` for the offset: their event_at, after the COPY.
  std::string far_keys = "{", far_ats = "{", far_event_ats = "{";
  CopyWriter copy(db,
                  sql(fmt::format("COPY {{s}}.location_fix ({}) FROM STDIN (FORMAT binary)", kFixColumns)));
  std::optional<std::string> last_organization;
  std::optional<std::int16_t> last_organization_key;
  for_each_fix_to_write([&](const LocationRow& fix, std::size_t segment) {
    if (!copied(segment)) return;
    if (fix.organization_id != last_organization) {  // a vehicle's fixes mostly share one
      last_organization =
          fix.organization_id ? std::optional<std::string>(*fix.organization_id) : std::nullopt;
      last_organization_key = organization_key(fix.organization_id);
    }
    encode_location_fix(copy, fix, lake_day, m_segments[segment].vehicle_key, last_organization_key);
    if (!event_at_delta_us(fix)) {
      const char* comma = far_keys.size() > 1 ? "," : "";
      far_keys.append(comma).append(std::to_string(m_segments[segment].vehicle_key));
      far_ats.append(comma).append(time_param(fix.at_us));
      far_event_ats.append(comma).append(time_param(fix.event_at_us));
    }
  });
  copy.finish();
  if (far_keys.size() > 1) {
    db.exec(
        sql("INSERT INTO {s}.location_fix_event_at (vehicle_key, at, lake_date, event_at) SELECT r.k, r.a, "
            "$4::date, r.e FROM unnest($1::integer[], $2::timestamptz[], $3::timestamptz[]) AS r(k, a, e) "
            "ON CONFLICT (vehicle_key, at, lake_date) DO UPDATE SET event_at = EXCLUDED.event_at"),
        {far_keys + "}", far_ats + "}", far_event_ats + "}", lake_date});
  }
  return rows + copy.rows() + m_unchanged_count;
}

// The keys of the date's vehicles and organizations, new ones added in byte order of the ids (a
// fresh warehouse's rows, copied in (vehicle_id, at) order, are then in key order). Inside the
// load's transaction, after the merge lock (load.cpp): merges of different dates already apply one
// after the other, so a key a merge adds makes no other load wait longer than it did.
void DateFixes::assign_keys(Connection& db, const std::string& quoted_schema) {
  auto sql = [&](std::string_view text) { return with_schema(text, quoted_schema); };
  std::vector<std::string_view> vehicles;
  for (const FixSegment& segment : m_segments)
    if (vehicles.empty() || vehicles.back() != segment.vehicle_id) vehicles.push_back(segment.vehicle_id);
  if (!vehicles.empty()) {
    const Params ids = {text_array(vehicles)};
    const auto added = db.exec(
        sql("INSERT INTO {s}.vehicle_key (vehicle_id) SELECT r.id FROM unnest($1::text[]) AS r(id) WHERE NOT "
            "EXISTS (SELECT 1 FROM {s}.vehicle_key k WHERE k.vehicle_id = r.id COLLATE \"C\") ORDER BY "
            "r.id COLLATE \"C\" ON CONFLICT DO NOTHING"),
        ids);
    // Statistics of the small key tables, whenever they grow: without them the planner guessed
    // 1,270 vehicles and read every fix for an analyst's hour of the fleet through the view (114 ms
    // against 41 ms, a nested loop over the 200 vehicles' key ranges, on the bench's 1M day).
    if (added.affected_rows() > 0) db.exec(sql("ANALYZE {s}.vehicle_key"));
    auto keys = db.exec(
        sql("SELECT r.i, k.vehicle_key::bigint FROM unnest($1::text[]) WITH ORDINALITY AS r(id, i) JOIN "
            "{s}.vehicle_key k ON k.vehicle_id = r.id COLLATE \"C\""),
        ids);
    std::vector<std::int32_t> by_index(vehicles.size(), 0);
    for (int row = 0; row < keys.rows(); ++row)
      by_index[static_cast<std::size_t>(keys.int64(row, 0) - 1)] =
          static_cast<std::int32_t>(keys.int64(row, 1));
    std::size_t vehicle = 0;
    for (FixSegment& segment : m_segments) {
      if (segment.vehicle_id != vehicles[vehicle]) ++vehicle;
      segment.vehicle_key = by_index[vehicle];
    }
  }
  if (!m_organization_keys.empty()) {
    const Params ids = {text_array(std::views::keys(m_organization_keys))};
    const auto added = db.exec(
        sql("INSERT INTO {s}.organization_key (organization_id) SELECT r.id FROM unnest($1::text[]) AS r(id) "
            "WHERE NOT EXISTS (SELECT 1 FROM {s}.organization_key k WHERE k.organization_id = r.id COLLATE "
            "\"C\") ORDER BY r.id COLLATE \"C\" ON CONFLICT DO NOTHING"),
        ids);
    if (added.affected_rows() > 0) db.exec(sql("ANALYZE {s}.organization_key"));
    auto keys = db.exec(
        sql("SELECT k.organization_id, k.organization_key::bigint FROM unnest($1::text[]) AS r(id) JOIN "
            "{s}.organization_key k ON k.organization_id = r.id COLLATE \"C\""),
        ids);
    for (int row = 0; row < keys.rows(); ++row) {
      const auto found = m_organization_keys.find(keys.text(row, 0));
      if (found != m_organization_keys.end()) found->second = static_cast<std::int16_t>(keys.int64(row, 1));
    }
  }
}

// location_fix is partitioned by month of `at`, UTC (migration 0012): the partitions of the months
// the date's fixes touch (one, or two around a month's end), added where missing. Each is created
// as a table of its own and attached: ATTACH PARTITION takes SHARE UPDATE EXCLUSIVE on location_fix
// until the load commits, which analysts' reads and other loads' writes pass (CREATE TABLE ...
// PARTITION OF would take ACCESS EXCLUSIVE). Loads that attach apply one at a time anyway, under
// the merge lock.
void DateFixes::add_month_partitions(Connection& db, const std::string& quoted_schema) {
  std::set<std::pair<int, unsigned>> months;      // (year, month)
  for (const FixSegment& segment : m_segments) {  // a segment lies within one UTC day
    int year = 0;
    unsigned month = 0, day = 0;
    core::civil_from_days(core::utc_day_of(segment.first_at_us), year, month, day);
    months.emplace(year, month);
  }
  for (const auto& [year, month] : months) {
    const std::string name = fmt::format("location_fix_p{:04}{:02}", year, month);
    const std::string table = fmt::format("{}.{}", quoted_schema, name);
    if (!db.exec("SELECT to_regclass($1) IS NULL", {table}).boolean(0, 0)) continue;
    const int next_year = month == 12 ? year + 1 : year;
    const unsigned next_month = month == 12 ? 1 : month + 1;
    db.exec(with_schema("CREATE TABLE " + table + " (LIKE {s}.location_fix)", quoted_schema));
    db.exec(with_schema(fmt::format("ALTER TABLE {{s}}.location_fix ATTACH PARTITION {} FOR VALUES FROM "
                                    "('{:04}-{:02}-01 00:00:00+00') TO ('{:04}-{:02}-01 00:00:00+00')",
                                    table, year, month, next_year, next_month),
                        quoted_schema));
    spdlog::debug("location_fix: partition {} added", name);
  }
}

std::optional<std::int16_t> DateFixes::organization_key(
    std::optional<std::string_view> organization_id) const {
  if (!organization_id) return std::nullopt;
  // fix_segments met every organization of the date's fixes, assign_keys gave each its key.
  const auto found = m_organization_keys.find(*organization_id);
  if (found == m_organization_keys.end() || found->second == 0)
    throw core::Error(core::ErrorKind::Internal,
                      fmt::format("organization {:?} has no organization_key", *organization_id));
  return found->second;
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
  db.exec(
      sql("CREATE TEMP TABLE own_version ON COMMIT DROP AS "
          "SELECT c.vehicle_key, c.at, c.lake_object_id, true AS standing" +
          columns +
          // LATERAL ... OFFSET 0 (kept as a subquery, not flattened into a join): one primary-key
          // probe per staged row. A join let the planner scan all of the winners for the
          // date's rows, more so with the statistics a load just outdated (0.7 s of a 1 s
          // increment on the bench's 4M day).
          "FROM stage_location c CROSS JOIN LATERAL (SELECT * FROM " + versions_of("location_fix") +
          " u WHERE u.vehicle_key = c.vehicle_key AND u.at = c.at OFFSET 0) o WHERE o.lake_date = $1::date "
          "UNION ALL SELECT c.vehicle_key, c.at, c.lake_object_id, false" +
          columns + "FROM stage_location c CROSS JOIN LATERAL (SELECT * FROM " +
          versions_of("location_fix_superseded") +
          " v WHERE v.vehicle_key = c.vehicle_key AND v.at = c.at AND v.lake_date = $1::date OFFSET 0) o"),
      date);
  db.exec(sql("UPDATE {s}.location_fix u SET lake_object_id = o.lake_object_id FROM own_version o WHERE "
              "o.standing AND o.relabel AND u.vehicle_key = o.vehicle_key AND u.at = o.at AND u.lake_date = "
              "$1::date"),
          date);
  db.exec(sql("UPDATE {s}.location_fix_superseded s SET lake_object_id = o.lake_object_id FROM own_version o "
              "WHERE NOT o.standing AND o.relabel AND s.vehicle_key = o.vehicle_key AND s.at = o.at AND "
              "s.lake_date = $1::date"),
          date);
  db.exec(
      sql("UPDATE {s}.location_fix u SET lat = c.lat, lng = c.lng, organization_key = c.organization_key, "
          "event_at_delta_us = c.event_at_delta_us, lake_object_id = c.lake_object_id FROM stage_location c "
          "JOIN own_version o ON o.vehicle_key = c.vehicle_key AND o.at = c.at WHERE o.standing AND "
          "o.candidate_better AND u.vehicle_key = c.vehicle_key AND u.at = c.at"));
  db.exec(
      sql(keep_far_event_at("FROM stage_location c JOIN own_version o ON o.vehicle_key = c.vehicle_key AND "
                            "o.at = c.at WHERE o.standing AND o.candidate_better")),
      date);
  db.exec(
      sql("DELETE FROM {s}.location_fix_superseded s USING own_version o WHERE NOT o.standing AND "
          "o.candidate_better AND s.vehicle_key = o.vehicle_key AND s.at = o.at AND s.lake_date = $1::date"),
      date);
  db.exec(
      "DELETE FROM stage_location c USING own_version o WHERE c.vehicle_key = o.vehicle_key AND c.at = o.at "
      "AND (o.standing OR NOT o.candidate_better)");
}

std::vector<FixSegment> DateFixes::fix_segments(const std::function<bool(const LocationRow&)>& kept) {
  std::vector<FixSegment> segments;
  std::int64_t day = 0;
  m_sorter.for_each_best(
      [&](const LocationRow& fix) {
        const std::int64_t fix_day = core::utc_day_of(fix.at_us);
        if (segments.empty() || segments.back().vehicle_id != fix.vehicle_id || fix_day != day) {
          segments.push_back({std::string(fix.vehicle_id), 0, fix.at_us, fix.at_us, 0});
          day = fix_day;
        }
        segments.back().last_at_us = fix.at_us;
        ++segments.back().fixes;
        if (fix.organization_id && !m_organization_keys.contains(*fix.organization_id))
          m_organization_keys.emplace(*fix.organization_id, 0);
        if (kept) {
          const bool unchanged = kept(with_object_id(fix));
          m_unchanged.push_back(unchanged);
          m_unchanged_count += unchanged ? 1 : 0;
        }
      },
      /*walk_again=*/true);  // the COPY and derivation walk the day again
  return segments;
}

void DateFixes::add(const LocationRow& row) {
  LocationRow placed = row;
  if (row.object_id != 0) placed.object_id = m_object_places.at(row.object_id);
  m_sorter.add(placed);
}

LocationRow DateFixes::with_object_id(const LocationRow& fix) const {
  LocationRow row = fix;
  if (fix.object_id != 0) row.object_id = m_object_ids.at(static_cast<std::size_t>(fix.object_id - 1));
  return row;
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
    visit(with_object_id(fix), segment);
  });
}

void DateFixes::for_each_fix_to_write(const std::function<void(const LocationRow&, std::size_t)>& visit) {
  std::size_t position = 0;
  for_each_segment_fix([&](const LocationRow& fix, std::size_t segment) {
    const bool kept = position < m_unchanged.size() && m_unchanged[position];
    ++position;
    if (!kept) visit(fix, segment);
  });
}

// One primary-key probe per segment: does location_fix hold a fix of that vehicle within the
// segment's time span? In a full load, after this date's replaced winners were removed, the
// winners it keeps do not count: no fix it writes has their keys.
std::vector<bool> DateFixes::segments_that_may_clash(Connection& db, const std::string& quoted_schema,
                                                     const Params& date, LoadMode mode) {
  std::vector<bool> may_clash(m_segments.size(), false);
  if (m_segments.empty()) return may_clash;
  std::string vehicles = "{", firsts = "{", lasts = "{";
  for (const FixSegment& segment : m_segments) {
    const char* comma = vehicles.size() > 1 ? "," : "";
    vehicles.append(comma).append(std::to_string(segment.vehicle_key));
    firsts.append(comma).append(time_param(segment.first_at_us));
    lasts.append(comma).append(time_param(segment.last_at_us));
  }
  auto result = db.exec(
      with_schema(
          "SELECT r.i FROM unnest($1::integer[], $2::timestamptz[], $3::timestamptz[]) WITH ORDINALITY AS "
          "r(vehicle_key, first_at, last_at, i) WHERE EXISTS (SELECT 1 FROM {s}.location_fix u WHERE "
          "u.vehicle_key = r.vehicle_key AND u.at >= r.first_at AND u.at <= r.last_at AND ($4::date IS NULL "
          "OR "
          "u.lake_date <> $4::date))",
          quoted_schema),
      {vehicles + "}", firsts + "}", lasts + "}", mode == LoadMode::Full ? date.at(0) : std::nullopt});
  for (int row = 0; row < result.rows(); ++row)
    may_clash[static_cast<std::size_t>(result.int64(row, 0) - 1)] = true;
  return may_clash;
}

// The segments that may clash: staged, each key compared with the standing winner, the better
// version kept in location_fix and the other in location_fix_superseded. Returns the keys.
std::uint64_t DateFixes::merge_staged_fixes(Connection& db, const std::string& quoted_schema,
                                            const Params& date, LoadMode mode) {
  auto sql = [&](std::string_view text) { return with_schema(text, quoted_schema); };
  db.exec_script(
      "CREATE TEMP TABLE stage_location (vehicle_key integer, at timestamptz, event_at timestamptz, lat "
      "float8, "
      "lng float8, organization_id text COLLATE \"C\", organization_key smallint, lake_object_id bigint, "
      "event_at_delta_us integer) ON COMMIT DROP");
  {
    CopyWriter copy(db, "COPY stage_location FROM STDIN (FORMAT binary)");
    for_each_fix_to_write([&](const LocationRow& fix, std::size_t segment) {
      if (copied(segment)) return;
      copy.begin_row(9);
      copy.int32(m_segments[segment].vehicle_key);
      copy.timestamp_us(fix.at_us);
      copy.timestamp_us(fix.event_at_us);
      copy.float64(fix.lat_deg);
      copy.float64(fix.lng_deg);
      copy.optional_text(fix.organization_id);
      if (const auto key = organization_key(fix.organization_id)) {
        copy.int16(*key);
      } else {
        copy.null();
      }
      encode_object_id(copy, fix.object_id);
      if (const auto delta = event_at_delta_us(fix)) {
        copy.int32(*delta);
      } else {
        copy.null();
      }
    });
    copy.finish();
  }
  // A temporary table has no statistics: without them the planner joined the staged rows with
  // the winners by scanning all of them (2.3 s of a 2.5 s increment on the bench's 4M day).
  db.exec("ANALYZE stage_location");
  const auto staged = static_cast<std::uint64_t>(db.exec("SELECT COUNT(*) FROM stage_location").int64(0, 0));
  if (mode == LoadMode::Incremental) keep_better_of_date_versions(db, quoted_schema, date);
  // Every version still staged is written below (as winner or superseded) with the date.
  db.exec(sql(keep_far_event_at("FROM stage_location c WHERE true")), date);
  // The date's best version of each key another date holds, against that standing winner
  // (SPEC §4's version key, then the later lake date).
  db.exec(sql(fmt::format("CREATE TEMP TABLE clash ON COMMIT DROP AS SELECT c.*, ({}, $1::date) > ({}, "
                          "u.lake_date) AS candidate_wins FROM stage_location c JOIN {} u ON u.vehicle_key = "
                          "c.vehicle_key AND u.at = c.at",
                          model::fix_version_row_sql("c"), model::fix_version_row_sql("u"),
                          versions_of("location_fix"))),
          date);
  db.exec(
      sql(fmt::format("INSERT INTO {{s}}.location_fix_superseded ({}) SELECT at, lat, lng, lake_object_id, "
                      "vehicle_key, $1::date, event_at_delta_us, organization_key FROM clash WHERE NOT "
                      "candidate_wins",
                      kFixColumns)),
      date);
  db.exec(
      sql(fmt::format("INSERT INTO {{s}}.location_fix_superseded ({0}) SELECT u.at, u.lat, u.lng, "
                      "u.lake_object_id, u.vehicle_key, u.lake_date, u.event_at_delta_us, u.organization_key "
                      "FROM {{s}}.location_fix u JOIN clash k ON k.vehicle_key = u.vehicle_key AND k.at = "
                      "u.at WHERE k.candidate_wins",
                      kFixColumns)));
  db.exec(
      sql("UPDATE {s}.location_fix u SET lat = k.lat, lng = k.lng, organization_key = k.organization_key, "
          "lake_date = $1::date, event_at_delta_us = k.event_at_delta_us, lake_object_id = k.lake_object_id "
          "FROM clash k WHERE k.candidate_wins AND u.vehicle_key = k.vehicle_key AND u.at = k.at"),
      date);
  // The staged keys no other date holds after all: the date's version is the winner.
  db.exec(sql(fmt::format(
              "INSERT INTO {{s}}.location_fix ({}) SELECT c.at, c.lat, c.lng, c.lake_object_id, "
              "c.vehicle_key, $1::date, c.event_at_delta_us, c.organization_key FROM stage_location c "
              "WHERE NOT EXISTS (SELECT 1 FROM clash k WHERE k.vehicle_key = c.vehicle_key AND k.at = "
              "c.at) ORDER BY c.vehicle_key, c.at",
              kFixColumns)),
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

std::optional<std::int32_t> event_at_delta_us(const LocationRow& fix) {
  const std::int64_t delta = fix.event_at_us - fix.at_us;
  if (delta < std::numeric_limits<std::int32_t>::min() || delta > std::numeric_limits<std::int32_t>::max())
    return std::nullopt;
  return static_cast<std::int32_t>(delta);
}

void encode_location_fix(CopyEncoder& copy, const LocationRow& fix, std::int64_t lake_day,
                         std::int32_t vehicle_key, std::optional<std::int16_t> organization_key) {
  copy.begin_row(8);
  copy.timestamp_us(fix.at_us);
  copy.float64(fix.lat_deg);
  copy.float64(fix.lng_deg);
  encode_object_id(copy, fix.object_id);
  copy.int32(vehicle_key);
  copy.date_days(lake_day);
  if (const auto delta = event_at_delta_us(fix)) {
    copy.int32(*delta);
  } else {
    copy.null();
  }
  if (organization_key) {
    copy.int16(*organization_key);
  } else {
    copy.null();
  }
}

}  // namespace d2d::warehouse::pg
