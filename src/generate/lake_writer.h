// The simulated stream writer: receives each emitted line after a small lag and appends it to
// the file of its own clock's current window, like the real writer that drops a file into the
// bucket every few minutes. Owns key naming (SPEC §2), gzip, line endings, local shuffling and
// duplicates; keeps only the few files whose window is still open.
#pragma once

#include <cstdint>
#include <filesystem>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/time.h"
#include "generate/fleet_simulator.h"
#include "generate/random.h"

namespace d2d::generate::detail {

using core::kMicrosPerDay;
using core::kMicrosPerSecond;
// The longest time a line spends between its `at` and the writer (the rare slow ones).
inline constexpr std::int64_t kMaxLagUs = 180 * kMicrosPerSecond;

// One file's slice of writer time: [start_us, end_us). Windows start at a few seconds past a
// multiple of file_seconds (the seconds field of real keys varies), except that every UTC day
// begins a new window at exactly midnight, so a lake date's files hold what the writer received
// that day.
struct Window {
  std::int64_t ordinal = 0;  // increases with time; day * windows_per_day + index
  std::int64_t day = 0;      // the lake date, days since 1970-01-01
  std::int64_t start_us = 0;
  std::int64_t end_us = 0;
};

class WindowClock {
 public:
  WindowClock(int file_seconds, std::uint64_t seed);
  Window window_at(std::int64_t writer_us) const;
  std::int64_t windows_per_day() const { return m_windows_per_day; }

 private:
  std::int64_t start_in_day_us(std::int64_t day, std::int64_t index) const;
  std::int64_t m_file_us;
  std::int64_t m_windows_per_day;
  std::int64_t m_max_offset_s;
  std::uint64_t m_seed;
};

// The object key of a file whose name carries `name_time_us` (its whole seconds, since the epoch):
// nested "YYYY/MM/DD/HH/MM/YYYY-MM-DD-HH-MM-S-events.txt" or flat
// "data/YYYY-MM-DD-HH-MM-S-events.json", plus ".gz" when compressed.
std::string object_key(KeyLayout layout, std::int64_t name_time_us, bool gzip);

struct WriterOptions {
  std::filesystem::path out_dir;
  KeyLayout layout = KeyLayout::Nested;
  bool gzip = false;
  int gzip_level = 1;
  int file_seconds = 240;
  std::uint64_t seed = 1;
};

class LakeWriter {
 public:
  explicit LakeWriter(const WriterOptions& options);
  ~LakeWriter();
  LakeWriter(const LakeWriter&) = delete;
  LakeWriter& operator=(const LakeWriter&) = delete;

  // A valid event emitted at `at_us`: not before the time last passed to advance_to (whose ended
  // windows are closed); later times are fine, their file stays open until it ends.
  // Now and then it is delivered twice (the API retried), into the same or the next file.
  void deliver_event(std::string_view line, std::int64_t at_us);
  // A malformed line: counted apart, never duplicated.
  void deliver_bad(std::string_view line, std::int64_t at_us);
  // Promise that nothing emitted before `now_us` follows: closes the windows that ended.
  void advance_to(std::int64_t now_us) {
    if (now_us >= m_next_close_us) close_ended(now_us);
  }
  // Closes every file; the summary is complete afterwards.
  void finish();
  const GenerateSummary& summary() const { return m_summary; }

 private:
  struct OpenFile;

  std::int64_t receive_time(std::int64_t at_us, std::uint64_t random_bits);
  OpenFile& file_for(std::int64_t writer_us);
  void append_line(OpenFile& file, std::string_view line);
  void flush_chunk(OpenFile& file);
  void sink(OpenFile& file, bool finish);
  void write_out(OpenFile& file, const char* data, std::size_t size);
  void open_file(OpenFile& file, const Window& window);
  void close_file(OpenFile& file);
  void close_ended(std::int64_t now_us);
  void update_next_close();

  WriterOptions m_options;
  WindowClock m_clock;
  Rng m_rng;
  std::vector<std::unique_ptr<OpenFile>> m_open;   // ascending window ordinal
  std::vector<std::unique_ptr<OpenFile>> m_spare;  // closed, buffers kept for reuse
  std::vector<std::uint32_t> m_order;              // shuffle scratch
  std::int64_t m_next_close_us;
  std::int64_t m_stall_day = std::numeric_limits<std::int64_t>::min();  // cached stall's midnight
  std::int64_t m_stall_start_us = 0;
  std::int64_t m_stall_end_us = 0;
  std::uint64_t m_files_opened = 0;
  std::uint64_t m_blank_countdown;
  std::filesystem::path m_last_dir;
  GenerateSummary m_summary;
};

}  // namespace d2d::generate::detail
