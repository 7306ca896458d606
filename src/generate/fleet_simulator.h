// The fleet simulator behind `d2d generate`: writes lake files of the real shape (SPEC §2-3)
// for demos, tests and benchmarks, deterministically from a seed, streaming (flat memory).
//
// What it writes (see docs in fleet_simulator.cpp and lake_writer.h for the details):
// - every vehicle works one shift per operating day (register, GPS `update` every interval_s
//   +-10%, deregister), driving 0-50 km/h with stops around Berlin with a few metres of GPS
//   noise; some shifts cross midnight; with `breaks`, 1-2 breaks of 10-30 min per shift, during
//   which the parked vehicle keeps reporting fixes (one vehicle's break always crosses midnight);
// - 6-10 operating periods per day ("op_YYYYMMDD_n"), one crossing midnight, one deleted, one
//   moved by a second `create` with the same id;
// - the stream writer receives each line 20 ms-2 s after its `at` (1.5%: up to 3 min) and
//   stalls around midnight, so the end of each day lands in the next lake date's files;
//   one file per `file_seconds` of writer time, lines locally shuffled, 0.5% duplicates, some
//   files with CRLF, a BOM, blank lines or no final newline; timestamps mostly millisecond Z,
//   sometimes micro/nano fractions, no fraction, or a +02:00 / -03:00 offset; organization_id
//   "org-id" (a fifth of the fleet "org-id-east"), 1% missing, 1% null; 1% of lines with the keys
//   in another order, 0.5% with an unknown extra field (all valid per SPEC §3);
// - `days` operating days from `first_day`; shifts, periods and late lines of the last day spill
//   into the files of lake date first_day + days (expected: that day is not complete).
// Same options, same bytes: everything comes from `seed` through the simulator's own generator
// (gzip bytes also assume the same zlib; the decompressed bytes do not). The distinct valid events
// depend only on seed, first_day, days, vehicles, interval_s and breaks: layout, gzip,
// file_seconds and bad_ratio < 1 change where and among what they are written, not what
// (bad lines are inserted, never substituted; bad_ratio 1 writes nothing but bad lines).
// conflict_ratio > 0 adds versions of fixes (their own random stream), never changes the others.
// Memory stays flat (~4 MB): per-vehicle state plus the few files whose window is open,
// about 180 s / file_seconds + 2 of them.
#pragma once

#include <cstdint>
#include <filesystem>

namespace d2d::generate {

enum class KeyLayout { Nested, Flat };

struct GenerateOptions {
  std::filesystem::path out_dir;
  std::int64_t first_day = 0;  // lake date of the first day, days since 1970-01-01
  int days = 1;
  int vehicles = 100;
  int interval_s = 5;  // seconds between two GPS fixes of one vehicle
  KeyLayout layout = KeyLayout::Nested;
  bool gzip = false;
  bool breaks = false;
  double bad_ratio = 0.0;  // share of lines that are malformed, 0..1
  // Share of GPS fixes sent again in a conflicting version (same vehicle and location.at, a few
  // metres elsewhere): a third with the same event `at` (a tie), the rest 1 s-30 min later.
  double conflict_ratio = 0.0;
  std::uint64_t seed = 1;
  int file_seconds = 240;  // writer time covered by one file: 360 files per lake date
  int gzip_level = 1;      // zlib level 1..9 when gzip is on: 1 is 3x faster than 6, 30% larger
};

struct GenerateSummary {
  std::uint64_t files = 0;
  std::uint64_t events = 0;       // valid event lines written (duplicates included)
  std::uint64_t bad_lines = 0;    // malformed lines written
  std::uint64_t bytes = 0;        // bytes written to disk
  std::uint64_t duplicates = 0;   // valid lines written a second time (counted in events too)
  std::uint64_t late_events = 0;  // valid lines in a file of a later lake date than their `at`
  std::uint64_t blank_lines = 0;  // empty lines written (neither events nor bad lines)
};

// Writes the files under options.out_dir (created if missing; existing files of the same name are
// replaced, others left alone). Throws d2d::core::Error: ErrorKind::Usage for invalid options
// (before writing anything), ErrorKind::Input when a directory or file cannot be written.
GenerateSummary generate_fleet(const GenerateOptions& options);

}  // namespace d2d::generate
