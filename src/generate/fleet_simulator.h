// The fleet simulator behind `d2d generate`: writes lake files of the real shape (SPEC §2-3)
// for demos, tests and benchmarks, deterministically from a seed, streaming (flat memory).
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
  int interval_s = 5;          // seconds between two GPS fixes of one vehicle
  KeyLayout layout = KeyLayout::Nested;
  bool gzip = false;
  bool breaks = false;
  double bad_ratio = 0.0;      // share of lines that are malformed, 0..1
  std::uint64_t seed = 1;
};

struct GenerateSummary {
  std::uint64_t files = 0;
  std::uint64_t events = 0;     // valid event lines written (duplicates included)
  std::uint64_t bad_lines = 0;  // malformed lines written
  std::uint64_t bytes = 0;      // bytes written to disk
};

// Throws d2d::core::Error on I/O failure or invalid options.
GenerateSummary generate_fleet(const GenerateOptions& options);

}  // namespace d2d::generate
