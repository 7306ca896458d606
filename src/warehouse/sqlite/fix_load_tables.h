// The two small tables a load of fixes writes beside location_fix, each behind a writer of its
// own (split from load_fixes.cpp, which settles the fixes themselves).
#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "core/time.h"
#include "model/lake_date_rows.h"
#include "warehouse/sqlite/sqlite_db.h"

namespace d2d::warehouse::sqlite {

// Integer keys of a dimension table (vehicle_key, organization_key): found, or added with the
// next key. A load asks for the same few ids again and again, so they are cached.
class KeyDictionary {
 public:
  KeyDictionary(detail::SqliteDb& db, std::string_view table, std::string_view id_column)
      : m_db(db),
        m_find(db, fmt::format("SELECT {0} FROM {0} WHERE {1} = ?1", table, id_column)),
        m_add(db, fmt::format("INSERT INTO {} ({}) VALUES (?1)", table, id_column)) {}

  std::int64_t key_of(std::string_view id) {
    if (m_last && m_last_id == id) return m_last_key;
    auto found = m_cache.find(id);
    if (found == m_cache.end()) found = m_cache.emplace(std::string(id), look_up(id)).first;
    m_last = true;
    m_last_id.assign(id);
    m_last_key = found->second;
    return m_last_key;
  }

 private:
  std::int64_t look_up(std::string_view id) {
    m_find.bind(1, id);
    if (m_find.step()) {
      const std::int64_t key = m_find.column_int(0);
      m_find.reset();
      return key;
    }
    m_find.reset();
    m_add.bind(1, id).run();  // INTEGER PRIMARY KEY: the next key, so first seen, first keyed
    return sqlite3_last_insert_rowid(m_db.handle());
  }

  detail::SqliteDb& m_db;
  detail::Statement m_find, m_add;
  std::map<std::string, std::int64_t, std::less<>> m_cache;
  bool m_last = false;
  std::string m_last_id;
  std::int64_t m_last_key = 0;
};

// Records the date's span of each vehicle (lake_location_span); fixes come vehicle by vehicle,
// times ascending.
class SpanWriter {
 public:
  SpanWriter(detail::SqliteDb& db, std::string_view lake_date)
      : m_lake_date(lake_date),
        m_insert(db,
                 "INSERT INTO lake_location_span (lake_date, vehicle_id, first_at, last_at) VALUES (?1, ?2, "
                 "?3, ?4) ON CONFLICT (lake_date, vehicle_id) DO UPDATE SET first_at = MIN(first_at, "
                 "excluded.first_at), last_at = MAX(last_at, excluded.last_at)") {}
  void add(const model::LocationRow& fix) {
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
  detail::Statement m_insert;
  std::string m_vehicle_id;
  std::optional<core::UtcMicros> m_first_at;
  core::UtcMicros m_last_at = 0;
};

}  // namespace d2d::warehouse::sqlite
