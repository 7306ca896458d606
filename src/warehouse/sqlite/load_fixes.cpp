#include "warehouse/sqlite/load_fixes.h"

#include <fmt/format.h>

#include <array>
#include <memory>
#include <optional>
#include <tuple>
#include <vector>

#include "core/error.h"
#include "model/winners.h"

namespace d2d::warehouse::sqlite {
namespace {

using core::UtcMicros;
using detail::SqliteDb;
using detail::Statement;
using model::LocationRow;

class FixMerger {
 public:
  FixMerger(SqliteDb& db, const std::string& lake_date, LoadMode mode)
      : m_db(db), m_lake_date(lake_date), m_mode(mode) {}

  std::uint64_t merge(model::FixSorter& fixes) {
    if (m_mode == LoadMode::Full) drop_winners_of_date();
    return insert_best(fixes);
  }

 private:
  // A full load: the winners this date held before lose their ground; the best other version of
  // each is promoted.
  void drop_winners_of_date() {
    // Winners this date held before lose their ground: drop them, promote the best other version.
    m_db.exec(
        "CREATE TEMP TABLE IF NOT EXISTS orphaned_fix (vehicle_id TEXT, at TEXT, PRIMARY KEY (vehicle_id, "
        "at)) "
        "WITHOUT ROWID; DELETE FROM temp.orphaned_fix;");
    run_for_date(fmt::format("INSERT INTO temp.orphaned_fix {}", kWinnersOfDate));
    m_db.exec(
        "DELETE FROM location_update WHERE (vehicle_id, at) IN (SELECT vehicle_id, at FROM "
        "temp.orphaned_fix)");
    run_for_date("DELETE FROM lake_location_span WHERE lake_date = ?1");  // written anew below
    m_db.exec(
        "INSERT INTO location_update (vehicle_id, at, lat, lng, organization_id, lake_date, event_at, "
        "lake_object_id) SELECT vehicle_id, at, lat, lng, organization_id, lake_date, event_at, "
        "lake_object_id "
        "FROM ("
        "  SELECT s.*, row_number() OVER (PARTITION BY s.vehicle_id, s.at ORDER BY " +
        model::fix_best_first_sql("s") +
        ", s.lake_date DESC) AS rank FROM lake_location_superseded s "
        "  JOIN temp.orphaned_fix o ON o.vehicle_id = s.vehicle_id AND o.at = s.at) WHERE rank = 1;"
        "DELETE FROM lake_location_superseded WHERE EXISTS (SELECT 1 FROM temp.orphaned_fix o JOIN "
        "location_update u ON u.vehicle_id = o.vehicle_id AND u.at = o.at WHERE "
        "u.vehicle_id = lake_location_superseded.vehicle_id AND u.at = lake_location_superseded.at AND "
        "u.lake_date = lake_location_superseded.lake_date);"
        "DELETE FROM temp.orphaned_fix;");
  }

  std::uint64_t insert_best(model::FixSorter& fixes) {
    // kBatchRows rows per INSERT: while one statement runs its cursor stays open, and SQLite skips
    // the descent from the root for a row that goes after the last one of the B-tree, which is
    // every row of a new date in key order (FixSorter's order). Measured with bench/sqlite_limit.cpp:
    // docs/decisions.md.
    Statement batch(m_db, insert_fixes_sql(kBatchRows)), single(m_db, insert_fixes_sql(1));
    ClashStatements clash(m_db);
    SpanWriter spans(m_db, m_lake_date);
    std::vector<OwnedFix> pending(kBatchRows);  // the rows bound to `batch`: the first `bound`
    std::size_t bound = 0;
    std::uint64_t rows = 0;
    fixes.for_each_best([&](const LocationRow& fix) {
      ++rows;
      spans.add(fix);
      pending[bound].assign(fix);
      bind_owned_fix(batch, pending[bound], static_cast<int>(kColumns * bound));
      if (++bound == kBatchRows) {
        batch.run();
        if (sqlite3_changes(m_db.handle()) < static_cast<int>(kBatchRows)) settle_batch(clash, pending);
        bound = 0;
      }
    });
    batch.reset();
    for (std::size_t i = 0; i < bound; ++i) {  // the last rows, one INSERT each
      bind_owned_fix(single, pending[i]).run();
      if (sqlite3_changes(m_db.handle()) == 0) settle_standing(clash, pending[i].row());
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
  static constexpr int kColumns = 8;  // of location_update, in the order of bind_fix

  static std::string insert_fixes_sql(std::size_t rows) {
    std::string sql =
        "INSERT INTO location_update (vehicle_id, at, lat, lng, organization_id, lake_date, event_at, "
        "lake_object_id) VALUES ";
    for (std::size_t row = 0; row < rows; ++row) sql += row == 0 ? "(?,?,?,?,?,?,?,?)" : ",(?,?,?,?,?,?,?,?)";
    return sql + " ON CONFLICT (vehicle_id, at) DO NOTHING";
  }

  // A fix kept beyond FixSorter's visit (its views end there), its buffers reused batch after batch,
  // with its times already formatted: the batch INSERT binds all of it in place (bind_static).
  struct OwnedFix {
    std::string vehicle_id, organization_id;
    bool has_organization = false;
    UtcMicros at_us = 0, event_at_us = 0;
    double lat_deg = 0, lng_deg = 0;
    std::int64_t object_id = 0;
    std::array<char, 32> at_text{}, event_at_text{};
    std::size_t at_length = 0, event_at_length = 0;
    void assign(const LocationRow& fix) {
      vehicle_id.assign(fix.vehicle_id);
      has_organization = fix.organization_id.has_value();
      organization_id.assign(fix.organization_id.value_or(""));
      at_us = fix.at_us;
      event_at_us = fix.event_at_us;
      lat_deg = fix.lat_deg;
      lng_deg = fix.lng_deg;
      object_id = fix.object_id;
      at_length = core::format_utc(at_us, at_text.data());
      event_at_length = core::format_utc(event_at_us, event_at_text.data());
    }
    LocationRow row() const {
      LocationRow fix{vehicle_id, at_us, event_at_us, lat_deg, lng_deg, std::nullopt, object_id};
      if (has_organization) fix.organization_id = organization_id;
      return fix;
    }
  };

  // Records the date's span of each vehicle (lake_location_span); fixes come vehicle by vehicle,
  // times ascending.
  class SpanWriter {
   public:
    SpanWriter(SqliteDb& db, std::string_view lake_date)
        : m_lake_date(lake_date),
          m_insert(
              db,
              "INSERT INTO lake_location_span (lake_date, vehicle_id, first_at, last_at) VALUES (?1, ?2, "
              "?3, ?4) ON CONFLICT (lake_date, vehicle_id) DO UPDATE SET first_at = MIN(first_at, "
              "excluded.first_at), last_at = MAX(last_at, excluded.last_at)") {}
    void add(const LocationRow& fix) {
      if (m_first_at && m_vehicle_id == fix.vehicle_id) {
        m_last_at = fix.at_us;
        return;
      }
      flush();
      m_vehicle_id = fix.vehicle_id;
      m_first_at = m_last_at = fix.at_us;
    }
    void flush() {
      if (!m_first_at) return;
      m_insert.bind(1, m_lake_date).bind(2, std::string_view(m_vehicle_id));
      m_insert.bind_time(3, *m_first_at).bind_time(4, m_last_at).run();
      m_first_at.reset();
    }

   private:
    std::string_view m_lake_date;
    Statement m_insert;
    std::string m_vehicle_id;
    std::optional<UtcMicros> m_first_at;
    UtcMicros m_last_at = 0;
  };

  // The columns of location_update, in the order of the statements below; `offset`: the row's
  // first parameter less one, in a multi-row INSERT.
  Statement& bind_fix(Statement& statement, const LocationRow& fix, int offset = 0) {
    statement.bind(offset + 1, fix.vehicle_id)
        .bind_time(offset + 2, fix.at_us)
        .bind(offset + 3, fix.lat_deg)
        .bind(offset + 4, fix.lng_deg)
        .bind(offset + 5, fix.organization_id)
        .bind(offset + 6, std::string_view(m_lake_date))
        .bind_time(offset + 7, fix.event_at_us);
    return bind_object(statement, offset + 8, fix.object_id);
  }

  // lake_object_id: NULL where the object is not known.
  static Statement& bind_object(Statement& statement, int index, std::int64_t object_id) {
    return object_id == 0 ? statement.bind_null(index) : statement.bind(index, object_id);
  }

  // As bind_fix, from an OwnedFix that stays unchanged until the statement has run.
  Statement& bind_owned_fix(Statement& statement, const OwnedFix& fix, int offset = 0) {
    statement.bind_static(offset + 1, fix.vehicle_id)
        .bind_static(offset + 2, std::string_view(fix.at_text.data(), fix.at_length))
        .bind(offset + 3, fix.lat_deg)
        .bind(offset + 4, fix.lng_deg);
    if (fix.has_organization) {
      statement.bind_static(offset + 5, fix.organization_id);
    } else {
      statement.bind_null(offset + 5);
    }
    statement.bind_static(offset + 6, m_lake_date)
        .bind_static(offset + 7, std::string_view(fix.event_at_text.data(), fix.event_at_length));
    return bind_object(statement, offset + 8, fix.object_id);
  }

  struct ClashStatements {
    explicit ClashStatements(SqliteDb& db)
        : standing(db,
                   "SELECT event_at, lat, lng, COALESCE(organization_id, ''), lake_date FROM location_update "
                   "WHERE vehicle_id = ?1 AND at = ?2"),
          demote(db,
                 "INSERT INTO lake_location_superseded (vehicle_id, at, lake_date, event_at, lat, lng, "
                 "organization_id, lake_object_id) SELECT vehicle_id, at, lake_date, event_at, lat, lng, "
                 "organization_id, lake_object_id FROM location_update WHERE vehicle_id = ?1 AND at = ?2"),
          replace(db,
                  "UPDATE location_update SET lat = ?3, lng = ?4, organization_id = ?5, lake_date = ?6, "
                  "event_at = ?7, lake_object_id = ?8 WHERE vehicle_id = ?1 AND at = ?2"),
          supersede(
              db,
              "INSERT INTO lake_location_superseded (vehicle_id, at, lat, lng, organization_id, lake_date, "
              "event_at, lake_object_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)") {}
    Statement standing, demote, replace, supersede;
  };

  // Another date holds the key: the better version (SPEC §4, then the later lake date) stays in
  // location_update, the other goes to lake_location_superseded.
  void settle_clash(ClashStatements& clash, const LocationRow& fix) {
    clash.standing.bind(1, fix.vehicle_id).bind_time(2, fix.at_us);
    if (!clash.standing.step()) {
      clash.standing.reset();
      throw core::Error(core::ErrorKind::Internal, "a conflicting fix vanished during the load");
    }
    const std::string standing_org(clash.standing.column_text(3));
    const std::string standing_date(clash.standing.column_text(4));
    LocationRow standing{fix.vehicle_id,
                         fix.at_us,
                         clash.standing.column_time(0),
                         clash.standing.column_double(1),
                         clash.standing.column_double(2),
                         std::string_view(standing_org)};
    clash.standing.reset();
    // SPEC §4 across dates: the version key, then the later lake date.
    const bool candidate_wins = std::tuple(model::fix_version_key(fix), std::string_view(m_lake_date)) >
                                std::tuple(model::fix_version_key(standing), std::string_view(standing_date));
    if (candidate_wins) {
      clash.demote.bind(1, fix.vehicle_id).bind_time(2, fix.at_us).run();
      bind_fix(clash.replace, fix).run();
    } else {
      bind_fix(clash.supersede, fix).run();
    }
  }

  // A batch inserted fewer rows than it held: the missing ones are keys already standing. A full
  // load dropped the date's winners before the batch, so a standing row of this date is the
  // batch's own; the others are settled one by one. An incremental load keeps the date's earlier
  // rows: a standing row is the batch's own only when it names the fix's object (this load's).
  void settle_batch(ClashStatements& clash, const std::vector<OwnedFix>& batch) {
    Statement& standing =
        prepared(m_standing_date,
                 "SELECT lake_date, lake_object_id FROM location_update WHERE vehicle_id = ?1 AND at = ?2");
    for (const OwnedFix& owned : batch) {
      const LocationRow fix = owned.row();
      standing.bind(1, fix.vehicle_id).bind_time(2, fix.at_us);
      bool settled = false;
      if (standing.step() && standing.column_text(0) == m_lake_date) {
        settled = m_mode == LoadMode::Full ||
                  (!standing.column_is_null(1) && standing.column_int(1) == fix.object_id);
      }
      standing.reset();
      if (!settled) settle_standing(clash, fix);
    }
  }

  // `fix` met a standing row of its key. A full load has no version of this date left, so it is
  // settled across dates. An incremental load first meets the date's own version, standing or
  // superseded: the better of the two is the date's (SPEC §4 within a date), and only a better new
  // one goes on to be settled across dates.
  void settle_standing(ClashStatements& clash, const LocationRow& fix) {
    if (m_mode == LoadMode::Incremental) {
      const std::optional<StoredVersion> own = own_version(fix);
      if (own && !model::fix_version_better(fix, own->row(fix))) {
        // The date's version stands; an identical one names the object with the smaller key.
        if (!model::fix_version_better(own->row(fix), fix) &&
            object_key(fix.object_id) < object_key(own->object_id)) {
          // Both statements name the row by (vehicle_id, at, lake_date): ?1, ?2, ?4.
          prepared(own->standing ? m_relabel_standing : m_relabel_superseded,
                   own->standing
                       ? "UPDATE location_update SET lake_object_id = ?3 WHERE vehicle_id = ?1 AND at = ?2 "
                         "AND lake_date = ?4"
                       : "UPDATE lake_location_superseded SET lake_object_id = ?3 WHERE vehicle_id = ?1 "
                         "AND at = ?2 AND lake_date = ?4")
              .bind(1, fix.vehicle_id)
              .bind_time(2, fix.at_us)
              .bind(3, fix.object_id)
              .bind(4, std::string_view(m_lake_date))
              .run();
        }
        return;
      }
      if (own && own->standing) {
        bind_fix(clash.replace, fix).run();  // the date's winner improves in place
        return;
      }
      if (own) {
        prepared(m_drop_superseded,
                 "DELETE FROM lake_location_superseded WHERE vehicle_id = ?1 AND at = ?2 AND lake_date = ?3")
            .bind(1, fix.vehicle_id)
            .bind_time(2, fix.at_us)
            .bind(3, std::string_view(m_lake_date))
            .run();
      }
    }
    settle_clash(clash, fix);
  }

  // The date's stored version of `fix`'s key: standing in location_update or superseded.
  struct StoredVersion {
    bool standing = false;
    UtcMicros event_at_us = 0;
    double lat_deg = 0, lng_deg = 0;
    std::optional<std::string> organization_id;
    std::int64_t object_id = 0;
    LocationRow row(const LocationRow& key) const {
      LocationRow version{key.vehicle_id, key.at_us, event_at_us, lat_deg, lng_deg, std::nullopt};
      if (organization_id) version.organization_id = *organization_id;
      return version;
    }
  };
  std::optional<StoredVersion> own_version(const LocationRow& fix) {
    Statement& find = prepared(
        m_own_version,
        "SELECT 1, event_at, lat, lng, organization_id, COALESCE(lake_object_id, 0) FROM location_update "
        "WHERE vehicle_id = ?1 AND at = ?2 AND lake_date = ?3 UNION ALL SELECT 0, event_at, lat, lng, "
        "organization_id, COALESCE(lake_object_id, 0) FROM lake_location_superseded WHERE vehicle_id = ?1 "
        "AND at = ?2 AND lake_date = ?3");
    find.bind(1, fix.vehicle_id).bind_time(2, fix.at_us).bind(3, std::string_view(m_lake_date));
    std::optional<StoredVersion> found;
    if (find.step()) {
      found = StoredVersion{find.column_int(0) != 0, find.column_time(1), find.column_double(2),
                            find.column_double(3), std::nullopt};
      if (!find.column_is_null(4)) found->organization_id = std::string(find.column_text(4));
      found->object_id = find.column_int(5);
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
  LoadMode m_mode;
  std::unique_ptr<Statement> m_standing_date;  // settle_batch's check of a batch that clashed
  std::unique_ptr<Statement> m_own_version, m_drop_superseded;  // incremental loads' settling
  std::unique_ptr<Statement> m_object_key, m_relabel_standing, m_relabel_superseded;
};

}  // namespace

std::uint64_t merge_fixes(SqliteDb& db, const std::string& lake_date, model::FixSorter& fixes,
                          LoadMode mode) {
  return FixMerger(db, lake_date, mode).merge(fixes);
}

}  // namespace d2d::warehouse::sqlite
