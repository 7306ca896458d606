// How a SQLite load writes one lake date's fixes: each key's best version of the date (from
// FixSorter, in key order) is appended to location_fix (the table behind the location_update
// view: integer vehicle and organization keys, migration 0008) where no other date holds the key,
// and settled against the standing winner (SPEC §4, then the later lake date) where one does.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "model/fix_sorter.h"
#include "warehouse/sqlite/sqlite_db.h"
#include "warehouse/warehouse.h"

namespace d2d::warehouse::sqlite {

// What merge_fixes did: the distinct fix keys it was given, and the vehicles whose span of this
// load's versions held no stored fix before the merge. For those, location_fix within the span
// holds exactly the load's best versions, so derivation may read them from the FixSorter instead
// of the table (SqliteDeriveStore::read_fixes_from_memory). In byte order of the vehicle ids.
struct MergedFixes {
  std::uint64_t keys = 0;
  std::vector<model::FixSorter::VehicleSpan> spans_held_alone;
};

// Full: replaces what the date held in location_fix, location_fix_superseded and
// lake_location_span by the versions in `fixes` (the caller deleted the date's superseded
// versions first). Incremental: merges them into what the date holds, a key's version of the date
// becoming the better of the two (SPEC §4). Runs in the caller's transaction.
// `lake_day`: the date as days since 1970-01-01 (location_fix.lake_day).
MergedFixes merge_fixes(detail::SqliteDb& db, const std::string& lake_date, std::int64_t lake_day,
                        model::FixSorter& fixes, LoadMode mode);

}  // namespace d2d::warehouse::sqlite
