// How a SQLite load writes one lake date's fixes: each key's best version of the date (from
// FixSorter, in key order) is appended to location_fix (the table behind the location_update
// view: integer vehicle and organization keys, migration 0008) where no other date holds the key,
// and settled against the standing winner (SPEC §4, then the later lake date) where one does.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "model/fix_sorter.h"
#include "warehouse/sqlite/sqlite_db.h"
#include "warehouse/warehouse.h"

namespace d2d::warehouse::sqlite {

// The winners a lake date holds in location_fix (its ?1), as (vehicle_key, vehicle_id, at), found
// within the date's spans (lake_location_span: per vehicle, the first and last `at` the date
// brought), each a range of the primary key; `unixepoch(?1) / 86400` is the date as lake_day. There is no index on the lake date: it cost a second
// B-tree insert per fix.
inline constexpr std::string_view kWinnersOfDate =
    "SELECT f.vehicle_key, k.vehicle_id, f.at FROM lake_location_span s JOIN vehicle_key k ON "
    "k.vehicle_id = s.vehicle_id JOIN location_fix f ON f.vehicle_key = k.vehicle_key AND f.at >= "
    "s.first_at AND f.at <= s.last_at WHERE s.lake_date = ?1 AND f.lake_day = unixepoch(?1) / 86400";

// Full: replaces what the date held in location_fix, location_fix_superseded and
// lake_location_span by the versions in `fixes` (the caller deleted the date's superseded
// versions first). Incremental: merges them into what the date holds, a key's version of the date
// becoming the better of the two (SPEC §4). Returns the distinct fix keys in `fixes`. Runs in the
// caller's transaction.
// `lake_day`: the date as days since 1970-01-01 (location_fix.lake_day).
std::uint64_t merge_fixes(detail::SqliteDb& db, const std::string& lake_date, std::int64_t lake_day,
                          model::FixSorter& fixes, LoadMode mode);

}  // namespace d2d::warehouse::sqlite
