// How a PostgreSQL load writes one lake date's fixes. Every version of a fix is stored once: the
// winner (SPEC §4, then the later lake date) in location_fix, the others in
// location_fix_superseded (migration 0011: integer vehicle and organization keys, event_at as an
// offset from `at`; the views location_update and lake_location_superseded show them as SPEC §5
// names them). Shaped for the common case, keys no other date holds: FixSorter hands out each
// key's best version once, in key order, and those rows are copied straight into location_fix
// (B-tree appends, no staging, no server-side sort). The date's fixes are cut
// into segments, one per vehicle and UTC day; a segment whose time span holds none of the
// vehicle's stored fixes cannot clash. Only segments that may clash (late fixes of a loaded day,
// a date re-delivered) go through a staging table and the comparison with the standing winners.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "model/fix_sorter.h"
#include "warehouse/postgres/session.h"
#include "warehouse/warehouse.h"

namespace d2d::warehouse::pg {

// A vehicle's fixes within one UTC day of the date, as FixSorter orders them.
struct FixSegment {
  std::string vehicle_id;
  std::int32_t vehicle_key = 0;  // vehicle_key.vehicle_key, once merge assigned keys
  core::UtcMicros first_at_us = 0, last_at_us = 0;
  std::uint64_t fixes = 0;
};

class DateFixes {
 public:
  // The load's objects, in key order, before their fixes. A full load keeps the ids of objects
  // the date held, so ids need not grow with the keys: FixSorter, which names an identical
  // version's row after the object that comes first (the smaller id), is given each object's
  // place in key order instead, and the walks hand out the id again.
  void add_object(std::int64_t lake_object_id) {
    m_object_ids.push_back(lake_object_id);
    m_object_places.emplace(lake_object_id, static_cast<std::int64_t>(m_object_ids.size()));
  }
  void add(const LocationRow& row);

  // Runs in the load's transaction on `db`. Full: after the date's superseded versions were
  // deleted, replaces the date's winners. Incremental: a key's version of the date becomes the
  // better of the stored one and the new one (SPEC §4), then competes across dates. Returns the
  // distinct fix keys this load brought.
  std::uint64_t merge(Connection& db, const std::string& quoted_schema, const std::string& lake_date,
                      std::int64_t lake_day, LoadMode mode);

  // After a full merge: the first stored winner of each UTC day the date held before it (its
  // superseded versions not included).
  const std::vector<core::UtcMicros>& stored_first_fix_of_day() const { return m_stored_first_fix_of_day; }
  // After merge: the segments, and whether each was copied from memory (not staged).
  const std::vector<FixSegment>& segments() const { return m_segments; }
  bool copied(std::size_t segment) const { return !m_may_clash[segment]; }
  // Calls visit(fix, segment index) for the best version of each of the date's keys, in order.
  void for_each_segment_fix(const std::function<void(const LocationRow&, std::size_t)>& visit);

  // A full load of a date the warehouse holds keeps each stored winner of the date that equals
  // the new best version of its key (every column): writing it again costs more than reading it.
  // Up to this many keys may change or vanish; past it the date's winners are all replaced.
  static constexpr std::size_t kMaxReplacedKeys = std::size_t{1} << 20;

 private:
  struct StoredComparison;
  // Walks the fixes into segments; with `kept`, records which of them the warehouse keeps as they are.
  std::vector<FixSegment> fix_segments(const std::function<bool(const LocationRow&)>& kept = {});
  void compare_with_stored(Connection& db, const std::string& quoted_schema, const std::string& lake_date);
  void drop_replaced_winners(Connection& db, const std::string& quoted_schema, const Params& date);
  // Like for_each_segment_fix, without the fixes the warehouse keeps as they are.
  LocationRow with_object_id(const LocationRow& fix) const;  // FixSorter's place -> lake_object_id
  void for_each_fix_to_write(const std::function<void(const LocationRow&, std::size_t)>& visit);
  void assign_keys(Connection& db, const std::string& quoted_schema);
  void add_month_partitions(Connection& db, const std::string& quoted_schema);
  std::optional<std::int16_t> organization_key(std::optional<std::string_view> organization_id) const;
  std::vector<bool> segments_that_may_clash(Connection& db, const std::string& quoted_schema,
                                            const Params& date, LoadMode mode);
  std::uint64_t merge_staged_fixes(Connection& db, const std::string& quoted_schema, const Params& date,
                                   LoadMode mode);
  static void drop_winners_of_date(Connection& db, const std::string& quoted_schema, const Params& date,
                                   std::string_view replaced_keys_from);
  static void keep_better_of_date_versions(Connection& db, const std::string& quoted_schema,
                                           const Params& date);

  model::FixSorter m_sorter;  // the date's fixes: each key's best version, in key order, objects by place
  std::vector<std::int64_t> m_object_ids;  // lake_object_id by place in key order (1 = first)
  std::unordered_map<std::int64_t, std::int64_t> m_object_places;  // and back
  std::vector<FixSegment> m_segments;                              // by vehicle and UTC day (merge)
  std::vector<bool> m_may_clash;  // per segment: staged, not copied from memory
  std::vector<bool> m_unchanged;  // per fix in walking order: stored already, as it is
  std::uint64_t m_unchanged_count = 0;
  std::unique_ptr<CopyEncoder> m_replaced_keys;  // (vehicle_key, at) of the winners that change or vanish
  bool m_replace_all = true;
  std::vector<core::UtcMicros>
      m_stored_first_fix_of_day;  // the comparison was not made or gave up: replace every winner
  std::map<std::string, std::int16_t, std::less<>> m_organization_keys;  // the date's organizations
};

// lake_object_id in COPY's binary format: NULL where the object is not known (0).
void encode_object_id(CopyEncoder& copy, std::int64_t object_id);
// event_at as location_fix stores it: its offset from `at` in µs, or nothing when that does not
// fit an int4 (the version's event_at is then in location_fix_event_at).
std::optional<std::int32_t> event_at_delta_us(const LocationRow& fix);
// One row of location_fix (all its columns, in table order) in COPY's binary format.
void encode_location_fix(CopyEncoder& copy, const LocationRow& fix, std::int64_t lake_day,
                         std::int32_t vehicle_key, std::optional<std::int16_t> organization_key);

}  // namespace d2d::warehouse::pg
