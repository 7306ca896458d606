// How a SQLite load writes one lake date's fixes: each key's best version of the date (from
// FixSorter, in key order) is appended to location_update where no other date holds the key, and
// settled against the standing winner (SPEC §4, then the later lake date) where one does.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "model/fix_sorter.h"
#include "warehouse/sqlite/sqlite_db.h"
#include "warehouse/warehouse.h"

namespace d2d::warehouse::sqlite {

// The winners a lake date holds in location_update (its ?1), found within the date's spans
// (lake_location_span: per vehicle, the first and last `at` the date brought), each a range of
// the primary key. There is no index on lake_date: it cost a second B-tree insert per fix.
inline constexpr std::string_view kWinnersOfDate =
    "SELECT u.vehicle_id, u.at FROM lake_location_span s JOIN location_update u ON u.vehicle_id = "
    "s.vehicle_id AND u.at >= s.first_at AND u.at <= s.last_at WHERE s.lake_date = ?1 AND u.lake_date = ?1";

// Full: replaces what the date held in location_update, lake_location_superseded and
// lake_location_span by the versions in `fixes` (the caller deleted the date's superseded
// versions first). Incremental: merges them into what the date holds, a key's version of the date
// becoming the better of the two (SPEC §4). Returns the distinct fix keys in `fixes`. Runs in the
// caller's transaction.
std::uint64_t merge_fixes(detail::SqliteDb& db, const std::string& lake_date, model::FixSorter& fixes,
                          LoadMode mode);

}  // namespace d2d::warehouse::sqlite
