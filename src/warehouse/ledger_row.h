// The etl_run row as both engines select it (run_id, lake_date, status, started_at, finished_at,
// then the figures' columns 5..15 in RunFigures' order, then code_version, error, unchanged,
// objects_refused and phase), so the two read the ledger the same way.
#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "warehouse/warehouse.h"

namespace d2d::warehouse::detail {

inline constexpr const char* kLedgerFigureColumns =
    "extract_ms, transform_ms, load_ms, derive_ms, objects, objects_copied, bytes, events_read, "
    "events_rejected, rows_loaded, periods_derived";

// The lake dates whose latest load failed its reject gate: of each date's runs that recorded
// figures (the load committed), the newest is 'failed' (only the gate fails a run after that).
// `etl_run` names the table as the engine's SQL spells it.
inline std::string reject_gate_failed_dates(std::string_view etl_run) {
  return fmt::format(
      "SELECT lake_date FROM {0} WHERE status = 'failed' AND run_id IN (SELECT MAX(run_id) FROM {0} "
      "WHERE events_read IS NOT NULL GROUP BY lake_date)",
      etl_run);
}

// `column(i)` reads column i of the current row as a 64-bit integer.
template <typename ReadInt64>
RunFigures ledger_figures(ReadInt64&& column) {
  auto count = [&column](int i) { return static_cast<std::uint64_t>(column(i)); };
  RunFigures f;
  f.extract_ms = column(5);
  f.transform_ms = column(6);
  f.load_ms = column(7);
  f.derive_ms = column(8);
  f.objects = count(9);
  f.objects_copied = count(10);
  f.bytes = count(11);
  f.events_read = count(12);
  f.events_rejected = count(13);
  f.rows_loaded = count(14);
  f.periods_derived = count(15);
  return f;
}

}  // namespace d2d::warehouse::detail
