// Options, the fleet's set-up and the event loop: vehicles and the day schedule in time order.
#include "generate/fleet_simulator.h"

#include <string>

#include "core/error.h"
#include "core/time.h"
#include "generate/simulator.h"

namespace d2d::generate {
namespace detail {
namespace {

void format_uuid(Rng& rng, char* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::uint64_t high = rng.next();
  std::uint64_t low = rng.next();
  high = (high & ~0xF000ULL) | 0x4000ULL;                // version 4
  low = (low & ~(0xC000ULL << 48)) | (0x8000ULL << 48);  // RFC 4122 variant
  char digits[32];
  for (int i = 15; i >= 0; --i, high >>= 4) digits[i] = kHex[high & 0xF];
  for (int i = 31; i >= 16; --i, low >>= 4) digits[i] = kHex[low & 0xF];
  std::size_t at = 0;
  for (int i = 0; i < 32; ++i) {
    if (i == 8 || i == 12 || i == 16 || i == 20) out[at++] = '-';
    out[at++] = digits[i];
  }
}

}  // namespace

void VehicleHeap::push(VehicleSlot slot) {
  m_slots.push_back(slot);
  std::size_t i = m_slots.size() - 1;
  while (i > 0) {
    const std::size_t parent = (i - 1) / 2;
    if (!(m_slots[i] < m_slots[parent])) break;
    std::swap(m_slots[i], m_slots[parent]);
    i = parent;
  }
}

void VehicleHeap::sift_down() {
  const std::size_t size = m_slots.size();
  std::size_t i = 0;
  for (;;) {
    const std::size_t left = 2 * i + 1;
    if (left >= size) return;
    std::size_t smallest = left;
    if (left + 1 < size && m_slots[left + 1] < m_slots[left]) smallest = left + 1;
    if (!(m_slots[smallest] < m_slots[i])) return;
    std::swap(m_slots[i], m_slots[smallest]);
    i = smallest;
  }
}

Simulator::Simulator(const GenerateOptions& options)
    : m_options(options),
      m_interval_us(options.interval_s * kMicrosPerSecond),
      m_jitter_us(std::min<std::int64_t>(m_interval_us / 10, 500'000)),
      m_world(options.seed, kWorldStream),
      m_bad(options.seed, kBadStream),
      m_conflict(options.seed, kConflictStream),
      m_writer(WriterOptions{options.out_dir, options.layout, options.gzip, options.gzip_level,
                             options.file_seconds, options.seed}) {}

GenerateSummary Simulator::run() {
  m_vehicles.resize(static_cast<std::size_t>(m_options.vehicles));
  for (std::uint32_t i = 0; i < m_vehicles.size(); ++i) {
    Vehicle& vehicle = m_vehicles[i];
    format_uuid(m_world, vehicle.id);
    vehicle.organization = static_cast<std::uint8_t>(m_world.uniform_int(0, std::size(kOrganizations) - 1));
    vehicle.x_m = m_world.uniform(-kHalfWidthM, kHalfWidthM);
    vehicle.y_m = m_world.uniform(-kHalfHeightM, kHalfHeightM);
    plan_shift(i, 0, 0);
    m_heap.push({vehicle.shift_start_us, i});
  }
  push_schedule({.at_us = m_options.first_day * kMicrosPerDay, .kind = ScheduleKind::DayStart});

  while (!m_heap.empty() || !m_schedule.empty()) {
    const bool take_schedule =
        !m_schedule.empty() && (m_heap.empty() || m_schedule.front().at_us <= m_heap.top().at_us);
    if (take_schedule) {
      std::pop_heap(m_schedule.begin(), m_schedule.end());
      const ScheduleEntry entry = m_schedule.back();
      m_schedule.pop_back();
      m_writer.advance_to(entry.at_us);
      if (entry.kind == ScheduleKind::DayStart) {
        start_day(entry);
      } else {
        emit_period(entry);
      }
      continue;
    }
    const VehicleSlot slot = m_heap.top();
    m_writer.advance_to(slot.at_us);
    if (const auto next_us = step(slot.vehicle, slot.at_us)) {
      m_heap.replace_top({*next_us, slot.vehicle});
    } else {
      m_heap.pop();
    }
  }
  m_writer.finish();
  return m_writer.summary();
}

}  // namespace detail

namespace {

void validate(const GenerateOptions& options) {
  auto usage = [](const std::string& message) {
    throw core::Error(core::ErrorKind::Usage, "generate: " + message);
  };
  if (options.out_dir.empty()) usage("an output directory (--out) is required");
  if (options.vehicles < 1 || options.vehicles > 1'000'000) {
    usage("--vehicles must be between 1 and 1000000 (got " + std::to_string(options.vehicles) + ")");
  }
  if (options.interval_s < 1 || options.interval_s > 3600) {
    usage("--interval-s must be between 1 and 3600 (got " + std::to_string(options.interval_s) + ")");
  }
  if (options.days < 1 || options.days > 3660) {
    usage("--days must be between 1 and 3660 (got " + std::to_string(options.days) + ")");
  }
  if (!(options.bad_ratio >= 0.0 && options.bad_ratio <= 1.0)) {  // also rejects NaN
    usage("--bad-ratio must be between 0 and 1 (got " + std::to_string(options.bad_ratio) + ")");
  }
  if (!(options.conflict_ratio >= 0.0 && options.conflict_ratio <= 1.0)) {
    usage("--conflict-ratio must be between 0 and 1 (got " + std::to_string(options.conflict_ratio) + ")");
  }
  if (options.file_seconds < 1 || options.file_seconds > 86'400) {
    usage("--file-seconds must be between 1 and 86400 (got " + std::to_string(options.file_seconds) + ")");
  }
  if (options.gzip_level < 1 || options.gzip_level > 9) {
    usage("--gzip-level must be between 1 and 9 (got " + std::to_string(options.gzip_level) + ")");
  }
  // Keys and timestamps are four-digit years; keep the spill-over day inside them too.
  const std::int64_t first_allowed = core::days_from_civil(1971, 1, 1);
  const std::int64_t last_allowed = core::days_from_civil(9998, 12, 31);
  if (options.first_day < first_allowed || options.first_day + options.days > last_allowed) {
    usage("--date must be between 1971-01-01 and 9998-12-31");
  }
}

}  // namespace

GenerateSummary generate_fleet(const GenerateOptions& options) {
  validate(options);
  detail::Simulator simulator(options);
  return simulator.run();
}

}  // namespace d2d::generate
