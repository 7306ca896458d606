#include "generate/lake_writer.h"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <system_error>

#include "core/error.h"
#include "core/time.h"

namespace d2d::generate::detail {
namespace {

constexpr std::size_t kChunkLines = 256;  // lines shuffled together: "not sorted, but local"
constexpr std::size_t kSinkBytes = std::size_t{64} * 1024;  // plain bytes gathered before write()/deflate()
constexpr std::size_t kGzipOutBytes = std::size_t{64} * 1024;
// Shares out of 65536, tested against 16 random bits each.
constexpr std::uint64_t kSlowLagPer65536 = 983;    // 1.5% of lines reach the writer 2-180 s late
constexpr std::uint64_t kDuplicatePer65536 = 328;  // 0.5% of events are delivered twice
// Every n-th file (counted in opening order) gets a quirk; counters rather than chance, so even
// a small run shows each quirk at least once.
constexpr std::uint64_t kCrlfEvery = 23;
constexpr std::uint64_t kBomEvery = 37;
constexpr std::uint64_t kNoFinalNewlineEvery = 19;
constexpr std::uint64_t kStallSalt = 0x57A11'5A17ULL;
constexpr std::uint64_t kWindowSalt = 0xF11E'0FF5E7ULL;

[[noreturn]] void fail_io(const char* what, const std::filesystem::path& path, int error_number) {
  throw core::Error(core::ErrorKind::Input,
                    std::string(what) + " " + path.string() + ": " + std::strerror(error_number));
}

}  // namespace

// ---- windows and keys ----

WindowClock::WindowClock(int file_seconds, std::uint64_t seed)
    : m_file_us(file_seconds * kMicrosPerSecond),
      m_windows_per_day((kMicrosPerDay + m_file_us - 1) / m_file_us),
      m_max_offset_s(std::min(file_seconds, 60)),
      m_seed(seed) {}

std::int64_t WindowClock::start_in_day_us(std::int64_t day, std::int64_t index) const {
  if (index <= 0) return 0;
  if (index >= m_windows_per_day) return kMicrosPerDay;
  const std::int64_t base_us = index * m_file_us;
  const auto hash = mix64(m_seed ^ kWindowSalt, static_cast<std::uint64_t>(day * m_windows_per_day + index));
  const std::int64_t start_us =
      base_us +
      static_cast<std::int64_t>(hash % static_cast<std::uint64_t>(m_max_offset_s)) * kMicrosPerSecond;
  // The offset stays below file_seconds, so starts keep increasing; the day's last window
  // (when file_seconds does not divide a day) must still start before midnight.
  return start_us < kMicrosPerDay ? start_us : base_us;
}

Window WindowClock::window_at(std::int64_t writer_us) const {
  const std::int64_t day = core::utc_day_of(writer_us);
  const std::int64_t in_day_us = writer_us - day * kMicrosPerDay;
  std::int64_t index = std::min(in_day_us / m_file_us, m_windows_per_day - 1);
  if (in_day_us < start_in_day_us(day, index)) --index;
  Window window;
  window.ordinal = day * m_windows_per_day + index;
  window.day = day;
  window.start_us = day * kMicrosPerDay + start_in_day_us(day, index);
  window.end_us = day * kMicrosPerDay + start_in_day_us(day, index + 1);
  return window;
}

std::string object_key(KeyLayout layout, std::int64_t name_time_us, bool gzip) {
  const std::int64_t days = core::utc_day_of(name_time_us);
  const std::int64_t second_of_day = (name_time_us - days * kMicrosPerDay) / kMicrosPerSecond;
  int year = 0;
  unsigned month = 0, day = 0;
  core::civil_from_days(days, year, month, day);
  const int hour = static_cast<int>(second_of_day / 3600);
  const int minute = static_cast<int>(second_of_day / 60 % 60);
  const int second = static_cast<int>(second_of_day % 60);
  char key[96];
  int length = 0;
  if (layout == KeyLayout::Nested) {
    length = std::snprintf(key, sizeof key, "%04d/%02u/%02u/%02d/%02d/%04d-%02u-%02u-%02d-%02d-%d-events.txt",
                           year, month, day, hour, minute, year, month, day, hour, minute, second);
  } else {
    length = std::snprintf(key, sizeof key, "data/%04d-%02u-%02u-%02d-%02d-%d-events.json", year, month, day,
                           hour, minute, second);
  }
  std::string result(key, static_cast<std::size_t>(length));
  if (gzip) result += ".gz";
  return result;
}

// ---- files ----

struct LakeWriter::OpenFile {
  Window window;
  std::filesystem::path path;
  int fd = -1;
  bool crlf = false;
  bool final_newline = true;
  std::string chunk;  // lines not yet shuffled, without endings
  std::vector<std::uint32_t> line_ends;
  std::string plain;  // shuffled bytes not yet written or compressed
  bool z_ready = false;
  z_stream z{};
  std::vector<unsigned char> z_out;
  std::uint64_t bytes = 0;

  OpenFile() = default;
  OpenFile(const OpenFile&) = delete;
  OpenFile& operator=(const OpenFile&) = delete;
  ~OpenFile() {
    if (fd >= 0) ::close(fd);
    if (z_ready) deflateEnd(&z);
  }
};

LakeWriter::LakeWriter(const WriterOptions& options)
    : m_options(options),
      m_clock(options.file_seconds, options.seed),
      m_rng(options.seed, 2),
      m_next_close_us(std::numeric_limits<std::int64_t>::max()) {
  m_blank_countdown = static_cast<std::uint64_t>(m_rng.uniform_int(500, 4000));
}

LakeWriter::~LakeWriter() = default;

std::int64_t LakeWriter::receive_time(std::int64_t at_us, std::uint64_t random_bits) {
  // The writer stalls around every midnight (its nightly rotation): whatever is emitted in the
  // last 20-40 s of a day reaches it 10-50 s into the next one, in the next lake date's files.
  const std::int64_t midnight_day = core::utc_day_of(at_us + kMicrosPerDay / 2);
  if (midnight_day != m_stall_day) {
    const std::uint64_t hash = mix64(m_options.seed ^ kStallSalt, static_cast<std::uint64_t>(midnight_day));
    m_stall_day = midnight_day;
    m_stall_start_us =
        midnight_day * kMicrosPerDay - (20 + static_cast<std::int64_t>(hash % 21)) * kMicrosPerSecond;
    m_stall_end_us =
        midnight_day * kMicrosPerDay + (10 + static_cast<std::int64_t>((hash >> 8) % 41)) * kMicrosPerSecond;
  }
  const double magnitude = static_cast<double>(random_bits >> 32) * 0x1.0p-32;
  const bool slow = (random_bits & 0xFFFF) < kSlowLagPer65536;
  // Squared: most lags are short, a few reach the cap.
  const double lag_s = slow ? 2.0 + magnitude * magnitude * 178.0 : 0.02 + magnitude * magnitude * 1.8;
  std::int64_t writer_us = at_us + static_cast<std::int64_t>(lag_s * 1e6);
  if (at_us >= m_stall_start_us && at_us < m_stall_end_us) {
    writer_us = std::max(writer_us, m_stall_end_us + static_cast<std::int64_t>(magnitude * 5e5));
  }
  return writer_us;
}

void LakeWriter::deliver_event(std::string_view line, std::int64_t at_us) {
  const std::uint64_t bits = m_rng.next();
  const std::int64_t at_day = core::utc_day_of(at_us);
  OpenFile& file = file_for(receive_time(at_us, bits));
  append_line(file, line);
  ++m_summary.events;
  if (at_day < file.window.day) ++m_summary.late_events;
  if (((bits >> 16) & 0xFFFF) >= kDuplicatePer65536) return;
  // A retried delivery: the same bytes again, later in this file or in the next one.
  const bool next_file = ((bits >> 48) & 1) != 0;
  OpenFile& target = next_file ? file_for(file.window.end_us) : file;
  append_line(target, line);
  ++m_summary.events;
  ++m_summary.duplicates;
  if (at_day < target.window.day) ++m_summary.late_events;
}

void LakeWriter::deliver_bad(std::string_view line, std::int64_t at_us) {
  append_line(file_for(receive_time(at_us, m_rng.next())), line);
  ++m_summary.bad_lines;
}

LakeWriter::OpenFile& LakeWriter::file_for(std::int64_t writer_us) {
  for (auto& open : m_open) {
    if (writer_us >= open->window.start_us && writer_us < open->window.end_us) return *open;
  }
  const Window window = m_clock.window_at(writer_us);
  std::unique_ptr<OpenFile> file;
  if (m_spare.empty()) {
    file = std::make_unique<OpenFile>();
  } else {
    file = std::move(m_spare.back());
    m_spare.pop_back();
  }
  open_file(*file, window);
  auto position = std::find_if(m_open.begin(), m_open.end(),
                               [&](const auto& open) { return open->window.ordinal > window.ordinal; });
  OpenFile& result = **m_open.insert(position, std::move(file));
  update_next_close();
  return result;
}

void LakeWriter::append_line(OpenFile& file, std::string_view line) {
  file.chunk.append(line);
  file.line_ends.push_back(static_cast<std::uint32_t>(file.chunk.size()));
  if (file.line_ends.size() < kChunkLines) return;
  flush_chunk(file);
  if (file.plain.size() >= kSinkBytes) sink(file, false);
}

void LakeWriter::flush_chunk(OpenFile& file) {
  const std::size_t count = file.line_ends.size();
  if (count == 0) return;
  m_order.resize(count);
  for (std::size_t i = 0; i < count; ++i) m_order[i] = static_cast<std::uint32_t>(i);
  for (std::size_t i = count - 1; i > 0; --i) {  // Fisher-Yates with our own generator
    const auto j = static_cast<std::size_t>(m_rng.next() % (i + 1));
    std::swap(m_order[i], m_order[j]);
  }
  const std::string_view ending = file.crlf ? std::string_view("\r\n") : std::string_view("\n");
  for (const std::uint32_t index : m_order) {
    // A blank line now and then (readers skip them). Put before a line, so that dropping a
    // file's final newline never merges it away.
    if (--m_blank_countdown == 0) {
      file.plain.append(ending);
      ++m_summary.blank_lines;
      m_blank_countdown = static_cast<std::uint64_t>(m_rng.uniform_int(500, 4000));
    }
    const std::uint32_t begin = index == 0 ? 0 : file.line_ends[index - 1];
    file.plain.append(file.chunk, begin, file.line_ends[index] - begin);
    file.plain.append(ending);
  }
  file.chunk.clear();
  file.line_ends.clear();
}

void LakeWriter::write_out(OpenFile& file, const char* data, std::size_t size) {
  while (size > 0) {
    const ssize_t written = ::write(file.fd, data, size);
    if (written < 0) {
      if (errno == EINTR) continue;
      fail_io("cannot write", file.path, errno);
    }
    data += written;
    size -= static_cast<std::size_t>(written);
    file.bytes += static_cast<std::uint64_t>(written);
  }
}

void LakeWriter::sink(OpenFile& file, bool finish) {
  if (!m_options.gzip) {
    write_out(file, file.plain.data(), file.plain.size());
    file.plain.clear();
    return;
  }
  file.z.next_in = reinterpret_cast<Bytef*>(file.plain.data());
  file.z.avail_in = static_cast<uInt>(file.plain.size());
  do {
    file.z.next_out = file.z_out.data();
    file.z.avail_out = static_cast<uInt>(file.z_out.size());
    if (deflate(&file.z, finish ? Z_FINISH : Z_NO_FLUSH) == Z_STREAM_ERROR) {
      throw core::Error(core::ErrorKind::Internal, "gzip stream error writing " + file.path.string());
    }
    write_out(file, reinterpret_cast<const char*>(file.z_out.data()), file.z_out.size() - file.z.avail_out);
  } while (file.z.avail_out == 0);
  file.plain.clear();
}

void LakeWriter::open_file(OpenFile& file, const Window& window) {
  file.window = window;
  file.path = m_options.out_dir / object_key(m_options.layout, window.start_us, m_options.gzip);
  std::filesystem::path directory = file.path.parent_path();
  if (directory != m_last_dir) {
    std::error_code error;
    std::filesystem::create_directories(directory, error);
    if (error) {
      throw core::Error(core::ErrorKind::Input,
                        "cannot create directory " + directory.string() + ": " + error.message());
    }
    m_last_dir = std::move(directory);
  }
  file.fd = ::open(file.path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (file.fd < 0) fail_io("cannot create file", file.path, errno);
  const std::uint64_t serial = m_files_opened++;
  file.crlf = serial % kCrlfEvery == 5;
  file.final_newline = serial % kNoFinalNewlineEvery != 11;
  file.bytes = 0;
  file.chunk.clear();
  file.line_ends.clear();
  file.plain.clear();
  if (serial % kBomEvery == 7) file.plain.append("\xEF\xBB\xBF");
  if (m_options.gzip) {
    const int status = file.z_ready ? deflateReset(&file.z)
                                    : deflateInit2(&file.z, m_options.gzip_level, Z_DEFLATED, 15 + 16, 8,
                                                   Z_DEFAULT_STRATEGY);
    if (status != Z_OK)
      throw core::Error(core::ErrorKind::Internal, "cannot start gzip for " + file.path.string());
    file.z_ready = true;
    file.z_out.resize(kGzipOutBytes);
  }
}

void LakeWriter::close_file(OpenFile& file) {
  flush_chunk(file);
  if (!file.final_newline) {  // a writer that does not end its last line (still valid input)
    const std::string_view ending = file.crlf ? std::string_view("\r\n") : std::string_view("\n");
    if (file.plain.ends_with(ending)) {
      for (std::size_t i = 0; i < ending.size(); ++i)
        file.plain.pop_back();  // resize() trips GCC 12's -Wrestrict
    }
  }
  sink(file, true);
  const int fd = file.fd;
  file.fd = -1;
  if (::close(fd) != 0) fail_io("cannot write", file.path, errno);
  ++m_summary.files;
  m_summary.bytes += file.bytes;
}

void LakeWriter::close_ended(std::int64_t now_us) {
  while (!m_open.empty() && m_open.front()->window.end_us <= now_us) {
    close_file(*m_open.front());
    m_spare.push_back(std::move(m_open.front()));
    m_open.erase(m_open.begin());
  }
  update_next_close();
}

void LakeWriter::update_next_close() {
  // Windows are ordered by time, so the first one ends first.
  m_next_close_us = m_open.empty() ? std::numeric_limits<std::int64_t>::max() : m_open.front()->window.end_us;
}

void LakeWriter::finish() { close_ended(std::numeric_limits<std::int64_t>::max()); }

}  // namespace d2d::generate::detail
