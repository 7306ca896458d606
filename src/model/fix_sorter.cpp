#include "model/fix_sorter.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <queue>

#include "core/error.h"
#include "model/winners.h"

namespace d2d::model {
namespace {

using core::Error;
using core::ErrorKind;

[[noreturn]] void fail(std::string_view doing) {
  throw Error(ErrorKind::Warehouse,
              fmt::format("cannot {} a temporary file of sorted fixes: {}", doing, std::strerror(errno)));
}

// Reads one spilled run back in blocks.
class RunReader {
 public:
  explicit RunReader(std::FILE* file) : m_file(file) {
    if (std::fseek(m_file, 0, SEEK_SET) != 0) fail("rewind");
    refill();
  }
  bool done() const { return m_next == m_block.size(); }
  const FixSorter::Fix& current() const { return m_block[m_next]; }
  void advance() {
    if (++m_next == m_block.size()) refill();
  }

 private:
  void refill() {
    m_block.resize(kBlockRows);
    const std::size_t read = std::fread(m_block.data(), sizeof(FixSorter::Fix), kBlockRows, m_file);
    if (read < kBlockRows && std::ferror(m_file)) fail("read");
    m_block.resize(read);
    m_next = 0;
  }
  // 40 KiB a run (1024 fixes): a 16M-event day merges 16 runs, and 8192 fixes a run held megabytes.
  static constexpr std::size_t kBlockRows = 1024;
  std::FILE* m_file;
  std::vector<FixSorter::Fix> m_block;
  std::size_t m_next = 0;
};

// Writes the winners of a merge to a new run, in blocks; inactive when there is nothing to
// gain (a single run is already read straight through).
class RunWriter {
 public:
  explicit RunWriter(bool active) {
    if (!active) return;
    m_file.reset(std::tmpfile());  // unlinked: gone when closed
    if (!m_file) fail("create");
    m_block.reserve(kBlockRows);
  }
  void add(const FixSorter::Fix& fix) {
    if (!m_file) return;
    m_block.push_back(fix);
    if (m_block.size() == kBlockRows) write_block();
  }
  // The run, complete; nothing when inactive.
  core::UniqueFile finish() {
    if (!m_file) return nullptr;
    write_block();
    if (std::fflush(m_file.get()) != 0) fail("write");
    return std::move(m_file);
  }

 private:
  void write_block() {
    if (std::fwrite(m_block.data(), sizeof(FixSorter::Fix), m_block.size(), m_file.get()) != m_block.size()) {
      fail("write");
    }
    m_block.clear();
  }
  static constexpr std::size_t kBlockRows = 1024;
  core::UniqueFile m_file;
  std::vector<FixSorter::Fix> m_block;
};

}  // namespace

FixSorter::FixSorter(std::size_t rows_in_memory)
    : m_rows_in_memory(std::max<std::size_t>(rows_in_memory, 1)) {
  m_buffer.reserve(std::min<std::size_t>(m_rows_in_memory, 1 << 16));
}

FixSorter::~FixSorter() = default;

std::uint32_t FixSorter::intern(core::StringMap<std::uint32_t>& ids, std::vector<std::string>& names,
                                std::string_view name) {
  auto [found, inserted] = core::find_or_emplace(ids, name);
  if (inserted) {
    found->second = static_cast<std::uint32_t>(names.size());
    names.emplace_back(name);
  }
  return found->second;
}

void FixSorter::add(const LocationRow& row) {
  // Fixes come in runs of one vehicle: skip the hash lookup while the vehicle repeats.
  if (m_vehicles.empty() || m_vehicles[m_last_vehicle] != row.vehicle_id) {
    m_last_vehicle = intern(m_vehicle_ids, m_vehicles, row.vehicle_id);
    if (m_last_vehicle == m_vehicle_span.size()) m_vehicle_span.emplace_back(row.at_us, row.at_us);
  }
  auto& [first_at_us, last_at_us] = m_vehicle_span[m_last_vehicle];
  first_at_us = std::min(first_at_us, row.at_us);
  last_at_us = std::max(last_at_us, row.at_us);
  std::uint32_t organization = kNoOrganization;
  if (row.organization_id) {
    if (m_organizations.empty() || m_organizations[m_last_organization] != *row.organization_id) {
      m_last_organization = intern(m_organization_ids, m_organizations, *row.organization_id);
    }
    organization = m_last_organization;
  }
  m_buffer.push_back(
      {row.at_us, row.event_at_us, row.lat_deg, row.lng_deg, m_last_vehicle, organization, row.object_id});
  m_buffer_sorted = false;
  if (m_buffer.size() >= m_rows_in_memory) {
    spill();
  } else if (m_buffer.size() - m_sorted_rows == kPresortRows) {
    presort_tail();
  }
}

// The rows added since the last sorted chunk become one: sorting a day in chunks while the
// objects are still being decoded (the loading thread mostly waits for the decoders then) leaves
// merges of sorted chunks for the load, about half the work of one sort of everything.
void FixSorter::presort_tail() {
  rank_vehicles();  // the vehicles known so far; later ones take ranks that keep this order
  std::sort(m_buffer.begin() + static_cast<std::ptrdiff_t>(m_sorted_rows), m_buffer.end(),
            [this](const Fix& a, const Fix& b) { return best_first(a, b); });
  m_chunk_ends.push_back(m_buffer.size());
  m_sorted_rows = m_buffer.size();
}

std::vector<FixSorter::VehicleSpan> FixSorter::vehicle_spans() const {
  std::vector<VehicleSpan> spans;
  spans.reserve(m_vehicles.size());
  for (std::uint32_t vehicle = 0; vehicle < m_vehicles.size(); ++vehicle) {
    spans.push_back({m_vehicles[vehicle], m_vehicle_span[vehicle].first, m_vehicle_span[vehicle].second});
  }
  std::sort(spans.begin(), spans.end(),
            [](const VehicleSpan& a, const VehicleSpan& b) { return a.vehicle_id < b.vehicle_id; });
  return spans;
}

std::optional<std::string_view> FixSorter::organization(std::uint32_t organization) const {
  if (organization == kNoOrganization) return std::nullopt;
  return m_organizations[organization];
}

void FixSorter::rank_vehicles() {
  std::vector<std::uint32_t> by_name(m_vehicles.size());
  for (std::uint32_t i = 0; i < by_name.size(); ++i) by_name[i] = i;
  std::sort(by_name.begin(), by_name.end(),
            [this](std::uint32_t a, std::uint32_t b) { return m_vehicles[a] < m_vehicles[b]; });
  m_vehicle_rank.resize(by_name.size());
  for (std::uint32_t rank = 0; rank < by_name.size(); ++rank) m_vehicle_rank[by_name[rank]] = rank;
}

bool FixSorter::best_first(const Fix& a, const Fix& b) const {
  if (a.vehicle != b.vehicle) return m_vehicle_rank[a.vehicle] < m_vehicle_rank[b.vehicle];
  if (a.at_us != b.at_us) return a.at_us < b.at_us;
  // Versions of one key (rare: duplicates): SPEC §4's comparison, on the parts that decide; an
  // identical version from another object: the smaller object id (objects are registered in key
  // order), for lineage that does not depend on arrival order.
  const LocationRow row_a{{}, a.at_us, a.event_at_us, a.lat_deg, a.lng_deg, organization(a.organization)};
  const LocationRow row_b{{}, b.at_us, b.event_at_us, b.lat_deg, b.lng_deg, organization(b.organization)};
  if (fix_version_better(row_a, row_b)) return true;
  if (fix_version_better(row_b, row_a)) return false;
  return a.object_id < b.object_id;
}

void FixSorter::sort_buffer() {
  if (m_buffer_sorted) return;
  // Ranks of the vehicles known so far: their relative order is the names' order, so runs
  // spilled before later vehicles appeared still merge correctly under the final ranks.
  if (m_sorted_rows < m_buffer.size()) presort_tail();
  rank_vehicles();
  // Chunks merged pairwise, neighbours first, until one sorted run is left.
  const auto best_first_order = [this](const Fix& a, const Fix& b) { return best_first(a, b); };
  while (m_chunk_ends.size() > 1) {
    std::vector<std::size_t> merged_ends;
    std::size_t begin = 0;
    for (std::size_t i = 0; i < m_chunk_ends.size(); i += 2) {
      if (i + 1 < m_chunk_ends.size()) {
        std::inplace_merge(m_buffer.begin() + static_cast<std::ptrdiff_t>(begin),
                           m_buffer.begin() + static_cast<std::ptrdiff_t>(m_chunk_ends[i]),
                           m_buffer.begin() + static_cast<std::ptrdiff_t>(m_chunk_ends[i + 1]),
                           best_first_order);
      }
      merged_ends.push_back(m_chunk_ends[std::min(i + 1, m_chunk_ends.size() - 1)]);
      begin = merged_ends.back();
    }
    m_chunk_ends = std::move(merged_ends);
  }
  m_chunk_ends.assign(1, m_buffer.size());  // one sorted chunk: later rows merge with it
  m_sorted_rows = m_buffer.size();
  m_buffer_sorted = true;
}

void FixSorter::spill() {
  sort_buffer();
  core::UniqueFile file(std::tmpfile());  // unlinked: gone when closed
  if (!file) fail("create");
  if (std::fwrite(m_buffer.data(), sizeof(Fix), m_buffer.size(), file.get()) != m_buffer.size() ||
      std::fflush(file.get()) != 0) {
    fail("write");
  }
  m_runs.push_back(std::move(file));
  m_buffer.clear();
  m_chunk_ends.clear();
  m_sorted_rows = 0;
}

LocationRow FixSorter::as_row(const Fix& fix) const {
  return {m_vehicles[fix.vehicle],        fix.at_us,    fix.event_at_us, fix.lat_deg, fix.lng_deg,
          organization(fix.organization), fix.object_id};
}

void FixSorter::for_each_best(const std::function<void(const LocationRow&)>& visit, bool walk_again) {
  bool emitted = false;
  Fix last{};
  // Returns whether `fix` is the best version of a new key (and was visited).
  auto emit_if_new_key = [&](const Fix& fix) {
    if (emitted && last.vehicle == fix.vehicle && last.at_us == fix.at_us) return false;  // a worse version
    last = fix;
    emitted = true;
    visit(as_row(fix));
    return true;
  };
  if (m_runs.empty()) {  // the common case: the day fits in memory
    sort_buffer();
    for (const Fix& fix : m_buffer) emit_if_new_key(fix);
    return;
  }
  if (!m_buffer.empty()) spill();
  rank_vehicles();
  std::vector<RunReader> readers;
  readers.reserve(m_runs.size());
  for (auto& run : m_runs) readers.emplace_back(run.get());
  // Merging is the costly part of a walk (heap comparisons per fix: docs/decisions.md), so a
  // caller that walks again (both loads: the insert or COPY, then derivation) has the first merge
  // leave one run of winners. It writes the day's winners once more (768 MB at 16M), which costs
  // SQLite's insert nothing measurable and saves its derivation 0.2 s at 16M.
  RunWriter merged(walk_again && readers.size() > 1);
  auto later = [&](std::size_t a, std::size_t b) {
    return best_first(readers[b].current(), readers[a].current());
  };
  std::priority_queue<std::size_t, std::vector<std::size_t>, decltype(later)> heads(later);
  for (std::size_t i = 0; i < readers.size(); ++i) {
    if (!readers[i].done()) heads.push(i);
  }
  while (!heads.empty()) {
    const std::size_t i = heads.top();
    heads.pop();
    if (emit_if_new_key(readers[i].current())) merged.add(readers[i].current());
    readers[i].advance();
    if (!readers[i].done()) heads.push(i);
  }
  if (auto run = merged.finish()) {
    m_runs.clear();
    m_runs.push_back(std::move(run));
  }
}

}  // namespace d2d::model
