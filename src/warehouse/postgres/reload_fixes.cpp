// What a full load of a lake date the warehouse already holds replaces (docs/decisions.md, "A
// full reload in PostgreSQL writes only what changed"): the date's stored winners are read
// alongside FixSorter's walk, those equal to the new version of their key stay, the others leave
// location_fix and the best superseded version of each is promoted.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <bit>
#include <map>

#include "core/time.h"
#include "model/winners.h"
#include "warehouse/postgres/fix_sql.h"
#include "warehouse/postgres/load_fixes.h"

namespace d2d::warehouse::pg {

// The date's stored winners, in FixSorter's order (vehicle ids in byte order, then time), every
// column as the version rules and the loader see it. COPY takes no parameters: the date is a
// setting of the load's transaction (d2d.lake_date), not text spliced into the statement.
constexpr std::string_view kStoredWinnersOfDate =
    "COPY (SELECT k.vehicle_id, f.at, f.lat, f.lng, f.lake_object_id, o.organization_id, COALESCE(f.at + "
    "f.event_at_delta_us * interval '1 microsecond', x.event_at), f.vehicle_key FROM {s}.location_fix f JOIN "
    "{s}.vehicle_key k ON k.vehicle_key = f.vehicle_key LEFT JOIN {s}.organization_key o ON "
    "o.organization_key = f.organization_key LEFT JOIN {s}.location_fix_event_at x ON f.event_at_delta_us IS "
    "NULL AND "
    "x.vehicle_key = f.vehicle_key AND x.at = f.at AND x.lake_date = f.lake_date WHERE f.lake_date = "
    "current_setting('d2d.lake_date')::date ORDER BY k.vehicle_id COLLATE \"C\", f.at) TO STDOUT (FORMAT "
    "binary)";

// The stored winners of the date, read alongside FixSorter's walk: each stored key is either met
// by an equal version (kept), by another version (replaced) or by none (vanished: replaced too).
struct DateFixes::StoredComparison {
  StoredComparison(Connection& db, const std::string& copy_sql, CopyEncoder& replaced)
      : rows(db, copy_sql), replaced_keys(replaced) {
    valid = rows.next();
  }
  CopyReader rows;
  CopyEncoder& replaced_keys;
  bool valid = false;
  bool gave_up = false;  // more than kMaxReplacedKeys would change: replace them all
  std::uint64_t stored = 0;
  std::map<std::int64_t, core::UtcMicros> first_fix_of_day;  // by UTC day, of every stored winner

  std::string_view vehicle_id() const { return rows.bytes(0); }
  core::UtcMicros at_us() const { return rows.timestamp_us(1); }
  bool before(const LocationRow& fix) const {
    return vehicle_id() < fix.vehicle_id || (vehicle_id() == fix.vehicle_id && at_us() < fix.at_us);
  }
  // Every column the loader would write for `fix`, bit for bit (-0.0 is not 0.0).
  bool same_version(const LocationRow& fix) const {
    const std::int64_t object_id = rows.is_null(4) ? 0 : rows.int64(4);
    const bool same_organization =
        rows.is_null(5) ? !fix.organization_id : fix.organization_id && *fix.organization_id == rows.bytes(5);
    return std::bit_cast<std::uint64_t>(rows.float64(2)) == std::bit_cast<std::uint64_t>(fix.lat_deg) &&
           std::bit_cast<std::uint64_t>(rows.float64(3)) == std::bit_cast<std::uint64_t>(fix.lng_deg) &&
           object_id == fix.object_id && same_organization && !rows.is_null(6) &&
           rows.timestamp_us(6) == fix.event_at_us;
  }
  void replace_and_advance() {
    if (replaced_keys.rows() >= kMaxReplacedKeys) {
      gave_up = true;
    } else {
      replaced_keys.begin_row(2);
      replaced_keys.int32(rows.int32(7));
      replaced_keys.timestamp_us(at_us());
    }
    advance();
  }
  void advance() {
    ++stored;
    const core::UtcMicros at = at_us();
    const auto [first, added] = first_fix_of_day.try_emplace(core::utc_day_of(at), at);
    if (!added) first->second = std::min(first->second, at);
    valid = rows.next();
  }
  // Passes the stored keys before `fix`'s: none of the new fixes has them.
  void pass_keys_before(const LocationRow& fix) {
    while (valid && before(fix)) gave_up ? advance() : replace_and_advance();
  }
  void pass_the_rest() {
    while (valid) gave_up ? advance() : replace_and_advance();
  }
  // Whether the date's stored winner of `fix`'s key is `fix` as it is.
  bool keeps(const LocationRow& fix) {
    pass_keys_before(fix);
    if (!valid || vehicle_id() != fix.vehicle_id || at_us() != fix.at_us) return false;
    if (gave_up) {
      advance();
      return false;
    }
    if (same_version(fix)) {
      advance();
      return true;
    }
    replace_and_advance();
    return false;
  }
};

void DateFixes::compare_with_stored(Connection& db, const std::string& quoted_schema,
                                    const std::string& lake_date) {
  m_replaced_keys = std::make_unique<CopyEncoder>();
  db.exec("SELECT set_config('d2d.lake_date', $1, true)", {lake_date});
  std::uint64_t stored_rows = 0;
  bool gave_up = false;
  {
    StoredComparison stored(db, with_schema(kStoredWinnersOfDate, quoted_schema), *m_replaced_keys);
    m_segments = fix_segments([&stored](const LocationRow& fix) { return stored.keeps(fix); });
    stored.pass_the_rest();  // vanished keys
    stored_rows = stored.stored;
    gave_up = stored.gave_up;
    m_stored_first_fix_of_day.clear();
    for (const auto& [day, first] : stored.first_fix_of_day) m_stored_first_fix_of_day.push_back(first);
  }  // an abandoned COPY is read to its end here
  m_replace_all = gave_up;
  if (gave_up) {
    m_unchanged.clear();
    m_unchanged_count = 0;
  }
  spdlog::debug("location_fix: the date held {}{} winners; {} kept as they are, {} replaced",
                gave_up ? "at least " : "", stored_rows, m_unchanged_count,
                gave_up ? std::string("all") : std::to_string(m_replaced_keys->rows()));
}

// The keys the comparison found changed or vanished leave location_fix (the others stay as they
// are); without a comparison, every winner of the date does.
void DateFixes::drop_replaced_winners(Connection& db, const std::string& quoted_schema, const Params& date) {
  if (m_replace_all) {
    m_replaced_keys.reset();
    drop_winners_of_date(db, quoted_schema, date, "");
    return;
  }
  if (m_replaced_keys->rows() == 0) {  // nothing leaves but the far event_at of superseded versions
    m_replaced_keys.reset();
    db.exec(with_schema(kForgetFarEventAtWithoutWinner, quoted_schema), date);
    return;
  }
  db.exec("CREATE TEMP TABLE replaced_key (vehicle_key integer, at timestamptz) ON COMMIT DROP");
  m_replaced_keys->trailer();
  db.copy_begin("COPY replaced_key FROM STDIN (FORMAT binary)");
  db.copy_put(m_replaced_keys->buffer());
  db.copy_end();
  m_replaced_keys.reset();
  db.exec("ANALYZE replaced_key");  // without statistics the planner scans the winners to join them
  drop_winners_of_date(db, quoted_schema, date, "replaced_key");
}

// A full load: winners this date held before lose their ground (all of them, or those whose keys
// are in the temporary table `replaced_keys_from`); the best other version of each is promoted.
// The date's far event_at values go with its versions (the superseded ones are gone already).
void DateFixes::drop_winners_of_date(Connection& db, const std::string& quoted_schema, const Params& date,
                                     std::string_view replaced_keys_from) {
  auto sql = [&](std::string_view text) { return with_schema(text, quoted_schema); };
  db.exec("CREATE TEMP TABLE orphaned_fix (vehicle_key integer, at timestamptz) ON COMMIT DROP");
  if (replaced_keys_from.empty()) {
    db.exec(
        sql("WITH dropped AS (DELETE FROM {s}.location_fix WHERE lake_date = $1::date RETURNING vehicle_key, "
            "at) INSERT INTO orphaned_fix SELECT vehicle_key, at FROM dropped"),
        date);
  } else {
    db.exec(
        sql(fmt::format("WITH dropped AS (DELETE FROM {{s}}.location_fix f USING {} r WHERE f.vehicle_key = "
                        "r.vehicle_key AND f.at = r.at AND f.lake_date = $1::date RETURNING f.vehicle_key, "
                        "f.at) INSERT INTO orphaned_fix SELECT vehicle_key, at FROM dropped",
                        replaced_keys_from)),
        date);
  }
  db.exec(sql(fmt::format(
      "WITH best AS (SELECT DISTINCT ON (s.vehicle_key, s.at) s.vehicle_key, s.at, s.lake_date FROM {0} s "
      "JOIN "
      "orphaned_fix o ON s.vehicle_key = o.vehicle_key AND s.at = o.at ORDER BY s.vehicle_key, s.at, {1}, "
      "s.lake_date DESC), "
      "promoted AS (DELETE FROM {{s}}.location_fix_superseded s USING best b WHERE s.vehicle_key = "
      "b.vehicle_key "
      "AND s.at = b.at AND s.lake_date = b.lake_date RETURNING s.*) "
      "INSERT INTO {{s}}.location_fix ({2}) SELECT {2} FROM promoted",
      versions_of("location_fix_superseded"), model::fix_best_first_sql("s"), kFixColumns)));
  if (replaced_keys_from.empty()) {
    db.exec(sql("DELETE FROM {s}.location_fix_event_at WHERE lake_date = $1::date"), date);
  } else {  // those of the winners the date keeps stay
    db.exec(sql(kForgetFarEventAtWithoutWinner), date);
  }
}

}  // namespace d2d::warehouse::pg
