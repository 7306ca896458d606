// Sorts one lake date's fixes by key (vehicle, at) with the best version of each key first
// (SPEC §4, model/winners.h), and hands out the best
// version of every key once, in key order, so the warehouse can write each winner once, as a
// B-tree append. Memory stays bounded: beyond `rows_in_memory` rows, sorted runs are spilled to
// anonymous temporary files and merged at the end (a day of a large fleet does not fit twice).
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/string_map.h"
#include "core/time.h"
#include "core/unique_file.h"
#include "model/lake_date_rows.h"

namespace d2d::model {

class FixSorter {
 public:
  // 2^20 rows: 48 MiB, whatever the size of the day (memory flat in input size: bench/RESULTS.md).
  explicit FixSorter(std::size_t rows_in_memory = std::size_t{1} << 20);
  ~FixSorter();
  FixSorter(const FixSorter&) = delete;
  FixSorter& operator=(const FixSorter&) = delete;

  void add(const LocationRow& row);

  // Calls `visit` with the best version of every distinct key, in key order: vehicle ids in
  // byte order (as COLLATE "C" and SQLite's BINARY sort them), then times ascending, so the
  // rows reach a (vehicle_id, at) B-tree as appends. The row's views live until `visit` returns.
  // May be called again (after more add() calls too), e.g. to route keys in two passes.
  // `walk_again`: the caller will walk again, so a merge of spilled runs writes its winners to one
  // run that replaces them, and later walks read it straight through instead of merging again
  // (costs one write of the day's winners; a caller walking once should not pay it).
  // Throws core::Error when a spill file cannot be written or read (disk full).
  void for_each_best(const std::function<void(const LocationRow&)>& visit, bool walk_again = false);

  std::size_t spilled_runs() const { return m_runs.size(); }

  // Where each vehicle's added versions lie in time (all of them, not only the best): the bounds
  // of every row this sorter will hand out for the vehicle. In byte order of the vehicle ids.
  struct VehicleSpan {
    std::string_view vehicle_id;  // valid until the sorter is given another row (or destroyed)
    core::UtcMicros first_at_us = 0, last_at_us = 0;
  };
  std::vector<VehicleSpan> vehicle_spans() const;

  // Compact fix: strings are interned (a day has few vehicles and organizations).
  struct Fix {
    core::UtcMicros at_us;
    core::UtcMicros event_at_us;
    double lat_deg;
    double lng_deg;
    std::uint32_t vehicle;
    std::uint32_t organization;  // kNoOrganization when absent
    std::int64_t object_id;      // LocationRow::object_id
  };
  static constexpr std::uint32_t kNoOrganization = 0xFFFFFFFF;

 private:
  std::uint32_t intern(core::StringMap<std::uint32_t>& ids, std::vector<std::string>& names,
                       std::string_view name);
  void rank_vehicles();
  bool best_first(const Fix& a, const Fix& b) const;  // key order, then best version first
  std::optional<std::string_view> organization(std::uint32_t organization) const;
  void sort_buffer();
  void presort_tail();
  void spill();
  LocationRow as_row(const Fix& fix) const;

  std::size_t m_rows_in_memory;
  std::vector<Fix> m_buffer;
  core::StringMap<std::uint32_t> m_vehicle_ids, m_organization_ids;
  std::vector<std::string> m_vehicles, m_organizations;
  std::vector<std::uint32_t> m_vehicle_rank;  // by interned id: the place of its name in byte order
  std::vector<std::pair<core::UtcMicros, core::UtcMicros>> m_vehicle_span;  // by interned id
  bool m_buffer_sorted = false;
  // Sorted chunks at the buffer's start (presort_tail): where each ends; rows from m_sorted_rows on
  // are not sorted yet.
  static constexpr std::size_t kPresortRows = std::size_t{1} << 16;
  std::vector<std::size_t> m_chunk_ends;
  std::size_t m_sorted_rows = 0;
  std::uint32_t m_last_vehicle = 0, m_last_organization = 0;  // the last interned, asked again next
  std::vector<core::UniqueFile> m_runs;                       // each sorted, spilled
};

}  // namespace d2d::model
