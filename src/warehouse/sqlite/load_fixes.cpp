#include "warehouse/sqlite/load_fixes.h"

#include <fmt/format.h>

#include <array>
#include <memory>
#include <optional>
#include <tuple>
#include <vector>

#include "core/error.h"
#include "model/winners.h"
#include "warehouse/sqlite/fix_load_tables.h"

namespace d2d::warehouse::sqlite {
namespace {

using core::UtcMicros;
using detail::SqliteDb;
using detail::Statement;
using model::LocationRow;

// A stored version's columns as the rules compare them (organization_id and event_at as text).
constexpr std::string_view kVersionOfFix =
    "COALESCE(f.event_at, f.at), f.lat, f.lng, o.organization_id, f.lake_day, f.lake_object_id";
constexpr std::string_view kOrganizationOfFix =
    "LEFT JOIN organization_key o ON o.organization_key = f.organization_key";

class FixMerger {
 public:
  FixMerger(SqliteDb& db, const std::string& lake_date, std::int64_t lake_day, LoadMode mode)
      : m_db(db),
        m_lake_date(lake_date),
        m_lake_day(lake_day),
        m_mode(mode),
        m_vehicles(db, "vehicle_key", "vehicle_id"),
        m_organizations(db, "organization_key", "organization_id") {}

  MergedFixes merge(model::FixSorter& fixes) {
    // The views read the date's text from lake_day.
    Statement(m_db, "INSERT OR IGNORE INTO lake_day (lake_day, lake_date) VALUES (?1, ?2)")
        .bind(1, m_lake_day)
        .bind(2, std::string_view(m_lake_date))
        .run();
    if (m_mode == LoadMode::Full) drop_winners_of_date();
    MergedFixes merged;
    merged.spans_held_alone = spans_holding_no_stored_fix(fixes);
    merged.keys = insert_best(fixes);
    return merged;
  }

 private:
  // The vehicles of `fixes` with no row in location_fix within their span, one primary-key probe
  // each (before insert_best, which then cannot meet a standing row of theirs). Keys are given in
  // byte order of the vehicle ids, as insert_best would give them.
  std::vector<model::FixSorter::VehicleSpan> spans_holding_no_stored_fix(const model::FixSorter& fixes) {
    Statement probe(m_db,
                    "SELECT 1 FROM location_fix WHERE vehicle_key = ?1 AND at >= ?2 AND at <= ?3 LIMIT 1");
    std::vector<model::FixSorter::VehicleSpan> alone;
    for (const model::FixSorter::VehicleSpan& span : fixes.vehicle_spans()) {
      probe.bind(1, m_vehicles.key_of(span.vehicle_id))
          .bind_time(2, span.first_at_us)
          .bind_time(3, span.last_at_us);
      if (!probe.step()) alone.push_back(span);
      probe.reset();
    }
    return alone;
  }

  // A full load: the winners this date held before lose their ground; the best other version of
  // each is promoted. The date's spans (lake_location_span) bound where its winners lie: each is
  // deleted as a range of the primary key (a reload of a million fixes: 0.67 s through a table of
  // their keys before: docs/decisions.md, "A reload's temporary tables live in a file").
  void drop_winners_of_date() {
    std::vector<DateSpan> spans;
    Statement list(
        m_db,
        "SELECT k.vehicle_key, s.first_at, s.last_at FROM lake_location_span s JOIN vehicle_key k ON "
        "k.vehicle_id = s.vehicle_id WHERE s.lake_date = ?1");
    list.bind(1, std::string_view(m_lake_date));
    while (list.step()) spans.push_back({list.column_int(0), list.column_time(1), list.column_time(2)});
    Statement drop(
        m_db, "DELETE FROM location_fix WHERE vehicle_key = ?1 AND at >= ?2 AND at <= ?3 AND lake_day = ?4");
    for (const DateSpan& span : spans) {
      drop.bind(1, span.vehicle_key)
          .bind_time(2, span.first_us)
          .bind_time(3, span.last_us)
          .bind(4, m_lake_day);
      drop.run();
    }
    // A key within the spans that holds superseded versions but no winner any more was this date's:
    // its best remaining version is promoted (SPEC §4, then the later lake date). The ranking reads
    // the versions as the rules compare them (fix_best_first_sql: event_at and organization_id as
    // text).
    run_for_date(fmt::format(
        "INSERT INTO location_fix (vehicle_key, at, lat, lng, organization_key, lake_day, event_at, "
        "lake_object_id) SELECT vehicle_key, at, lat, lng, organization_key, lake_day, stored_event_at, "
        "lake_object_id FROM ("
        "  SELECT s.*, row_number() OVER (PARTITION BY s.vehicle_key, s.at ORDER BY {}, s.lake_day DESC) "
        "  AS rank FROM (SELECT f.vehicle_key, f.at, f.lat, f.lng, f.organization_key, f.lake_day, "
        "  f.event_at AS stored_event_at, COALESCE(f.event_at, f.at) AS event_at, o.organization_id, "
        "  f.lake_object_id FROM lake_location_span sp JOIN vehicle_key k ON k.vehicle_id = sp.vehicle_id "
        "  JOIN location_fix_superseded f ON f.vehicle_key = k.vehicle_key AND f.at >= sp.first_at AND "
        "  f.at <= sp.last_at {} WHERE sp.lake_date = ?1 AND NOT EXISTS (SELECT 1 FROM location_fix w "
        "  WHERE w.vehicle_key = f.vehicle_key AND w.at = f.at)) s) WHERE rank = 1",
        model::fix_best_first_sql("s"), kOrganizationOfFix));
    // The promoted versions leave location_fix_superseded (a key has one version per date).
    Statement promoted(m_db,
                       "DELETE FROM location_fix_superseded WHERE vehicle_key = ?1 AND at >= ?2 AND at <= ?3 "
                       "AND EXISTS (SELECT 1 FROM location_fix u WHERE u.vehicle_key = "
                       "location_fix_superseded.vehicle_key AND u.at = location_fix_superseded.at AND "
                       "u.lake_day = location_fix_superseded.lake_day)");
    for (const DateSpan& span : spans) {
      promoted.bind(1, span.vehicle_key).bind_time(2, span.first_us).bind_time(3, span.last_us).run();
    }
    run_for_date("DELETE FROM lake_location_span WHERE lake_date = ?1");  // written anew below
  }

  // One vehicle's span of the date: where its versions lie in the primary key.
  struct DateSpan {
    std::int64_t vehicle_key = 0;
    UtcMicros first_us = 0, last_us = 0;
  };

  std::uint64_t insert_best(model::FixSorter& fixes) {
    // kBatchRows rows per INSERT: while one statement runs its cursor stays open, and SQLite skips
    // the descent from the root for a row that goes after the last one of the B-tree, which is
    // every row of a new date in key order (FixSorter's order; a first load keys vehicles in that
    // order too). Measured with bench/sqlite_limit.cpp: docs/decisions.md.
    Statement batch(m_db, insert_fixes_sql(kBatchRows, Clashes::Skip)),
        single(m_db, insert_fixes_sql(1, Clashes::DoNothing));
    ClashStatements clash(m_db);
    SpanWriter spans(m_db, m_lake_date);
    std::vector<OwnedFix> pending(kBatchRows);  // the rows bound to `batch`: the first `bound`
    std::size_t bound = 0;
    std::uint64_t rows = 0;
    fixes.for_each_best(
        [&](const LocationRow& fix) {
          ++rows;
          spans.add(fix);
          pending[bound].assign(fix, keys_of(fix));
          bind_owned_fix(batch, pending[bound], static_cast<int>(kColumns * bound));
          if (++bound == kBatchRows) {
            batch.run();
            if (sqlite3_changes(m_db.handle()) < static_cast<int>(kBatchRows))
              settle_batch(clash, single, pending);
            bound = 0;
          }
        },
        /*walk_again=*/true);  // derivation walks the day again
    batch.reset();
    for (std::size_t i = 0; i < bound; ++i) {  // the last rows, one INSERT each
      bind_owned_fix(single, pending[i]).run();
      if (sqlite3_changes(m_db.handle()) == 0) settle_standing(clash, pending[i].row(), pending[i].keys);
    }
    spans.flush();
    return rows;
  }

  void run_for_date(std::string_view sql) {
    const auto started = std::chrono::steady_clock::now();
    Statement(m_db, sql).bind(1, std::string_view(m_lake_date)).run();
    detail::log_duration(sql, started);
  }

  static constexpr std::size_t kBatchRows = 100;
  static constexpr int kColumns = 8;  // of location_fix, in the order of bind_fix

  // How an INSERT of fixes treats a row it cannot insert.
  enum class Clashes {
    // `ON CONFLICT (vehicle_key, at) DO NOTHING`: a row whose key stands is not inserted; any other
    // constraint (NOT NULL) fails the statement.
    DoNothing,
    // `INSERT OR IGNORE`: any row a constraint refuses is not inserted. A statement that can fail
    // half-way through its rows keeps a statement journal (a copy of every page it changes, to undo
    // its own rows), and with 64 KB pages SQLite writes that journal to a temporary file: with
    // DoNothing, the batches wrote 1.7 GB to it for the 1M day (docs/decisions.md, "The statement
    // journal"). OR IGNORE cannot fail on a row, so SQLite keeps none. Every NOT NULL column is
    // bound from a value, so only key clashes are skipped, and settle_batch looks at each skipped row.
    Skip,
  };

  static std::string insert_fixes_sql(std::size_t rows, Clashes clashes) {
    std::string sql = clashes == Clashes::Skip ? "INSERT OR IGNORE" : "INSERT";
    sql +=
        " INTO location_fix (vehicle_key, at, lat, lng, organization_key, lake_day, event_at, "
        "lake_object_id) VALUES ";
    for (std::size_t row = 0; row < rows; ++row) sql += row == 0 ? "(?,?,?,?,?,?,?,?)" : ",(?,?,?,?,?,?,?,?)";
    return clashes == Clashes::Skip ? sql : sql + " ON CONFLICT (vehicle_key, at) DO NOTHING";
  }

  // A fix's dimension keys (0: no organization).
  struct FixKeys {
    std::int64_t vehicle = 0, organization = 0;
  };
  FixKeys keys_of(const LocationRow& fix) {
    return {m_vehicles.key_of(fix.vehicle_id),
            fix.organization_id ? m_organizations.key_of(*fix.organization_id) : 0};
  }

  // A fix kept beyond FixSorter's visit (its views end there), its buffers reused batch after batch,
  // with its times already formatted: the batch INSERT binds all of it in place (bind_static).
  struct OwnedFix {
    std::string vehicle_id, organization_id;
    bool has_organization = false;
    FixKeys keys;
    UtcMicros at_us = 0, event_at_us = 0;
    double lat_deg = 0, lng_deg = 0;
    std::int64_t object_id = 0;
    std::array<char, 32> at_text{}, event_at_text{};
    std::size_t at_length = 0, event_at_length = 0;
    void assign(const LocationRow& fix, FixKeys fix_keys) {
      vehicle_id.assign(fix.vehicle_id);
      has_organization = fix.organization_id.has_value();
      organization_id.assign(fix.organization_id.value_or(""));
      keys = fix_keys;
      at_us = fix.at_us;
      event_at_us = fix.event_at_us;
      lat_deg = fix.lat_deg;
      lng_deg = fix.lng_deg;
      object_id = fix.object_id;
      at_length = core::format_utc(at_us, at_text.data());
      event_at_length = event_at_us == at_us ? 0 : core::format_utc(event_at_us, event_at_text.data());
    }
    LocationRow row() const {
      LocationRow fix{vehicle_id, at_us, event_at_us, lat_deg, lng_deg, std::nullopt, object_id};
      if (has_organization) fix.organization_id = organization_id;
      return fix;
    }
  };

  // The columns of location_fix, in the order of the statements below; `offset`: the row's
  // first parameter less one, in a multi-row INSERT. event_at is NULL where it equals `at`.
  Statement& bind_fix(Statement& statement, const LocationRow& fix, FixKeys keys, int offset = 0) {
    statement.bind(offset + 1, keys.vehicle)
        .bind_time(offset + 2, fix.at_us)
        .bind(offset + 3, fix.lat_deg)
        .bind(offset + 4, fix.lng_deg);
    bind_key(statement, offset + 5, keys.organization).bind(offset + 6, m_lake_day);
    if (fix.event_at_us == fix.at_us) {
      statement.bind_null(offset + 7);
    } else {
      statement.bind_time(offset + 7, fix.event_at_us);
    }
    return bind_key(statement, offset + 8, fix.object_id);
  }

  // A key column: NULL for 0 (no organization; an unknown lake object).
  static Statement& bind_key(Statement& statement, int index, std::int64_t key) {
    return key == 0 ? statement.bind_null(index) : statement.bind(index, key);
  }

  // As bind_fix, from an OwnedFix that stays unchanged until the statement has run.
  Statement& bind_owned_fix(Statement& statement, const OwnedFix& fix, int offset = 0) {
    statement.bind(offset + 1, fix.keys.vehicle)
        .bind_static(offset + 2, std::string_view(fix.at_text.data(), fix.at_length))
        .bind(offset + 3, fix.lat_deg)
        .bind(offset + 4, fix.lng_deg);
    bind_key(statement, offset + 5, fix.keys.organization).bind(offset + 6, m_lake_day);
    if (fix.event_at_length == 0) {
      statement.bind_null(offset + 7);
    } else {
      statement.bind_static(offset + 7, std::string_view(fix.event_at_text.data(), fix.event_at_length));
    }
    return bind_key(statement, offset + 8, fix.object_id);
  }

  struct ClashStatements {
    explicit ClashStatements(SqliteDb& db)
        : standing(db, fmt::format("SELECT {} FROM location_fix f {} WHERE f.vehicle_key = ?1 AND f.at = ?2",
                                   kVersionOfFix, kOrganizationOfFix)),
          demote(db,
                 "INSERT INTO location_fix_superseded SELECT * FROM location_fix WHERE vehicle_key = ?1 AND "
                 "at = ?2"),
          replace(db,
                  "UPDATE location_fix SET lat = ?3, lng = ?4, organization_key = ?5, lake_day = ?6, "
                  "event_at = ?7, lake_object_id = ?8 WHERE vehicle_key = ?1 AND at = ?2"),
          supersede(db,
                    "INSERT INTO location_fix_superseded (vehicle_key, at, lat, lng, organization_key, "
                    "lake_day, event_at, lake_object_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)") {}
    Statement standing, demote, replace, supersede;
  };

  // Another date holds the key: the better version (SPEC §4, then the later lake date) stays in
  // location_fix, the other goes to location_fix_superseded.
  void settle_clash(ClashStatements& clash, const LocationRow& fix, FixKeys keys) {
    clash.standing.bind(1, keys.vehicle).bind_time(2, fix.at_us);
    if (!clash.standing.step()) {
      clash.standing.reset();
      throw core::Error(core::ErrorKind::Internal, "a conflicting fix vanished during the load");
    }
    const StoredVersion standing = read_version(clash.standing, true);
    clash.standing.reset();
    // SPEC §4 across dates: the version key, then the later lake date.
    const bool candidate_wins = std::tuple(model::fix_version_key(fix), m_lake_day) >
                                std::tuple(model::fix_version_key(standing.row(fix)), standing.lake_day);
    if (candidate_wins) {
      clash.demote.bind(1, keys.vehicle).bind_time(2, fix.at_us).run();
      bind_fix(clash.replace, fix, keys).run();
    } else {
      bind_fix(clash.supersede, fix, keys).run();
    }
  }

  // A batch inserted fewer rows than it held: the missing ones are keys already standing. A full
  // load dropped the date's winners before the batch, so a standing row of this date is the
  // batch's own; the others are settled one by one. An incremental load keeps the date's earlier
  // rows: a standing row is the batch's own only when it names the fix's object (this load's).
  // A row of the batch with no standing row at all was refused by another constraint (the batch
  // skips those too): `single`, which fails on them, inserts it again and reports SQLite's error.
  void settle_batch(ClashStatements& clash, Statement& single, const std::vector<OwnedFix>& batch) {
    Statement& standing =
        prepared(m_standing_date,
                 "SELECT lake_day, lake_object_id FROM location_fix WHERE vehicle_key = ?1 AND at = ?2");
    for (const OwnedFix& owned : batch) {
      const LocationRow fix = owned.row();
      standing.bind(1, owned.keys.vehicle).bind_time(2, fix.at_us);
      const bool stands = standing.step();
      bool settled = false;
      if (stands && standing.column_int(0) == m_lake_day) {
        settled = m_mode == LoadMode::Full ||
                  (!standing.column_is_null(1) && standing.column_int(1) == fix.object_id);
      }
      standing.reset();
      if (!stands) {
        bind_owned_fix(single, owned).run();
      } else if (!settled) {
        settle_standing(clash, fix, owned.keys);
      }
    }
  }

  // `fix` met a standing row of its key. A full load has no version of this date left, so it is
  // settled across dates. An incremental load first meets the date's own version, standing or
  // superseded: the better of the two is the date's (SPEC §4 within a date), and only a better new
  // one goes on to be settled across dates.
  void settle_standing(ClashStatements& clash, const LocationRow& fix, FixKeys keys) {
    if (m_mode == LoadMode::Incremental) {
      const std::optional<StoredVersion> own = own_version(fix, keys);
      if (own && !model::fix_version_better(fix, own->row(fix))) {
        // The date's version stands; an identical one names the object with the smaller key.
        if (!model::fix_version_better(own->row(fix), fix) &&
            object_key(fix.object_id) < object_key(own->object_id)) {
          // Both statements name the row by (vehicle_key, at, lake_day): ?1, ?2, ?4.
          prepared(own->standing ? m_relabel_standing : m_relabel_superseded,
                   own->standing
                       ? "UPDATE location_fix SET lake_object_id = ?3 WHERE vehicle_key = ?1 AND at = "
                         "?2 AND lake_day = ?4"
                       : "UPDATE location_fix_superseded SET lake_object_id = ?3 WHERE vehicle_key = "
                         "?1 AND at = ?2 AND lake_day = ?4")
              .bind(1, keys.vehicle)
              .bind_time(2, fix.at_us)
              .bind(3, fix.object_id)
              .bind(4, m_lake_day)
              .run();
        }
        return;
      }
      if (own && own->standing) {
        bind_fix(clash.replace, fix, keys).run();  // the date's winner improves in place
        return;
      }
      if (own) {
        prepared(m_drop_superseded,
                 "DELETE FROM location_fix_superseded WHERE vehicle_key = ?1 AND at = ?2 AND lake_day = ?3")
            .bind(1, keys.vehicle)
            .bind_time(2, fix.at_us)
            .bind(3, m_lake_day)
            .run();
      }
    }
    settle_clash(clash, fix, keys);
  }

  // A stored version of a fix's key: standing in location_fix or superseded.
  struct StoredVersion {
    bool standing = false;
    UtcMicros event_at_us = 0;
    double lat_deg = 0, lng_deg = 0;
    std::optional<std::string> organization_id;
    std::int64_t lake_day = 0;
    std::int64_t object_id = 0;
    LocationRow row(const LocationRow& key) const {
      LocationRow version{key.vehicle_id, key.at_us, event_at_us, lat_deg, lng_deg, std::nullopt};
      if (organization_id) version.organization_id = *organization_id;
      return version;
    }
  };
  // The row of a statement selecting kVersionOfFix from its column `first`.
  static StoredVersion read_version(Statement& query, bool standing, int first = 0) {
    StoredVersion version{standing, query.column_time(first), query.column_double(first + 1),
                          query.column_double(first + 2), std::nullopt};
    if (!query.column_is_null(first + 3)) version.organization_id = std::string(query.column_text(first + 3));
    version.lake_day = query.column_int(first + 4);
    version.object_id = query.column_is_null(first + 5) ? 0 : query.column_int(first + 5);
    return version;
  }
  // The date's stored version of `fix`'s key, standing or superseded.
  std::optional<StoredVersion> own_version(const LocationRow& fix, FixKeys keys) {
    Statement& find = prepared(
        m_own_version,
        fmt::format("SELECT 1, {0} FROM location_fix f {1} WHERE f.vehicle_key = ?1 AND f.at = ?2 AND "
                    "f.lake_day = ?3 UNION ALL SELECT 0, {0} FROM location_fix_superseded f {1} WHERE "
                    "f.vehicle_key = ?1 AND f.at = ?2 AND f.lake_day = ?3",
                    kVersionOfFix, kOrganizationOfFix));
    find.bind(1, keys.vehicle).bind_time(2, fix.at_us).bind(3, m_lake_day);
    std::optional<StoredVersion> found;
    if (find.step()) {
      found = read_version(find, find.column_int(0) != 0, 1);
    }
    find.reset();
    return found;
  }
  // The exact key of a lake_object row ("" for an unknown one: a row from before lineage keeps its ties).
  std::string object_key(std::int64_t object_id) {
    Statement& find = prepared(m_object_key, "SELECT object_key FROM lake_object WHERE lake_object_id = ?1");
    find.bind(1, object_id);
    std::string key = find.step() ? std::string(find.column_text(0)) : std::string();
    find.reset();
    return key;
  }
  // Prepares a statement on first use and keeps it for the rest of the merge.
  Statement& prepared(std::unique_ptr<Statement>& slot, std::string_view sql) {
    if (!slot) slot = std::make_unique<Statement>(m_db, sql);
    return *slot;
  }

  SqliteDb& m_db;
  const std::string& m_lake_date;
  std::int64_t m_lake_day;  // m_lake_date as location_fix.lake_day
  LoadMode m_mode;
  KeyDictionary m_vehicles, m_organizations;
  std::unique_ptr<Statement> m_standing_date;  // settle_batch's check of a batch that clashed
  std::unique_ptr<Statement> m_own_version, m_drop_superseded;  // incremental loads' settling
  std::unique_ptr<Statement> m_object_key, m_relabel_standing, m_relabel_superseded;
};

}  // namespace

MergedFixes merge_fixes(SqliteDb& db, const std::string& lake_date, std::int64_t lake_day,
                        model::FixSorter& fixes, LoadMode mode) {
  return FixMerger(db, lake_date, lake_day, mode).merge(fixes);
}

}  // namespace d2d::warehouse::sqlite
