#include "generate/fleet_simulator.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/time.h"
#include "generate/event_format.h"
#include "generate/lake_writer.h"
#include "generate/random.h"

namespace d2d::generate {
namespace {

using detail::BadContext;
using detail::BadKind;
using detail::Envelope;
using detail::KeyOrder;
using detail::kMicrosPerDay;
using detail::kMicrosPerSecond;
using detail::LineBuf;
using detail::OrgStyle;
using detail::Rng;
using detail::TimeStyle;

constexpr std::int64_t kMicrosPerMinute = 60 * kMicrosPerSecond;
constexpr std::int64_t kMicrosPerHour = 60 * kMicrosPerMinute;

// The city: a local plane in metres around Berlin's centre. Constant metres-per-degree (no
// per-fix trigonometry) is exact enough over 25 km and keeps the output bit-reproducible.
constexpr double kCentreLatDeg = 52.5;
constexpr double kCentreLngDeg = 13.4;
constexpr double kMetresPerDegLat = 6371008.8 * 3.14159265358979323846 / 180.0;
constexpr double kMetresPerDegLng = kMetresPerDegLat * 0.60876142900872066;  // cos(52.5 deg)
constexpr double kHalfWidthM = 12'500;                                       // lng 13.22 .. 13.58
constexpr double kHalfHeightM = 10'500;                                      // lat 52.41 .. 52.59
constexpr double kGpsSigmaM = 2.5;

constexpr std::string_view kOrganizations[] = {"org-id", "org-id", "org-id", "org-id", "org-id-east"};

// Separate random streams: the world (what happens), the writer (how it lands), bad lines.
constexpr std::uint64_t kWorldStream = 1;
constexpr std::uint64_t kBadStream = 3;

enum class Action : std::uint8_t { Register, Update, BreakStart, BreakEnd, Deregister };

struct Vehicle {
  char id[36];
  std::uint8_t organization = 0;
  Action next_action = Action::Register;
  bool on_break = false;
  std::uint8_t break_count = 0;
  std::uint8_t next_break = 0;
  int day_index = 0;  // operating day of the current or next shift
  std::int64_t shift_start_us = 0;
  std::int64_t shift_end_us = 0;
  std::int64_t next_update_us = 0;
  std::int64_t break_start_us[2] = {0, 0};
  std::int64_t break_end_us[2] = {0, 0};
  // Motion, true position (GPS noise is added when reporting).
  double x_m = 0, y_m = 0;
  double target_x_m = 0, target_y_m = 0;
  double speed_mps = 0, cruise_mps = 0;
  std::int64_t stopped_until_us = 0;
  std::int64_t last_move_us = 0;
};

// Min-heap of (time, vehicle); vehicle indexes are unique, so the order is total and the same
// whatever the heap algorithm.
struct VehicleSlot {
  std::int64_t at_us;
  std::uint32_t vehicle;
  bool operator<(const VehicleSlot& other) const {
    return at_us != other.at_us ? at_us < other.at_us : vehicle < other.vehicle;
  }
};

class VehicleHeap {
 public:
  bool empty() const { return m_slots.empty(); }
  const VehicleSlot& top() const { return m_slots.front(); }
  void push(VehicleSlot slot) {
    m_slots.push_back(slot);
    std::size_t i = m_slots.size() - 1;
    while (i > 0) {
      const std::size_t parent = (i - 1) / 2;
      if (!(m_slots[i] < m_slots[parent])) break;
      std::swap(m_slots[i], m_slots[parent]);
      i = parent;
    }
  }
  // The vehicle on top was handled and is due again later: one sift-down instead of pop + push.
  void replace_top(VehicleSlot slot) {
    m_slots.front() = slot;
    sift_down();
  }
  void pop() {
    m_slots.front() = m_slots.back();
    m_slots.pop_back();
    if (!m_slots.empty()) sift_down();
  }

 private:
  void sift_down() {
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
  std::vector<VehicleSlot> m_slots;
};

// Day starts and operating-period events: a handful per day.
enum class ScheduleKind : std::uint8_t { DayStart, PeriodCreate, PeriodDelete };

struct ScheduleEntry {
  std::int64_t at_us = 0;
  std::uint64_t sequence = 0;  // unique: makes the order total
  ScheduleKind kind = ScheduleKind::DayStart;
  int day_index = 0;
  int period = 0;
  std::int64_t start_us = 0;
  std::int64_t finish_us = 0;
  // std::push_heap builds a max-heap: "greater" entries sink.
  bool operator<(const ScheduleEntry& other) const {
    return at_us != other.at_us ? at_us > other.at_us : sequence > other.sequence;
  }
};

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

class Simulator {
 public:
  explicit Simulator(const GenerateOptions& options)
      : m_options(options),
        m_interval_us(options.interval_s * kMicrosPerSecond),
        m_jitter_us(std::min<std::int64_t>(m_interval_us / 10, 500'000)),
        m_world(options.seed, kWorldStream),
        m_bad(options.seed, kBadStream),
        m_writer(detail::WriterOptions{options.out_dir, options.layout, options.gzip, options.gzip_level,
                                       options.file_seconds, options.seed}) {}

  GenerateSummary run();

 private:
  void plan_shift(std::uint32_t index, int day_index, std::int64_t earliest_us);
  std::optional<std::int64_t> step(std::uint32_t index, std::int64_t now_us);
  std::int64_t schedule_next(Vehicle& vehicle);
  void move(Vehicle& vehicle, std::int64_t now_us);
  void pick_target(Vehicle& vehicle);
  void start_day(const ScheduleEntry& entry);
  void emit_period(const ScheduleEntry& entry);
  void emit_vehicle_event(const Vehicle& vehicle, std::string_view event, std::int64_t at_us);
  void emit_register(const Vehicle& vehicle, std::int64_t at_us);
  void emit_update(const Vehicle& vehicle, std::int64_t at_us);
  Envelope envelope(std::string_view event, std::string_view on, std::int64_t at_us,
                    std::string_view organization);
  void emit(std::int64_t at_us, const Vehicle& context);
  void push_schedule(ScheduleEntry entry) {
    entry.sequence = m_schedule_sequence++;
    m_schedule.push_back(entry);
    std::push_heap(m_schedule.begin(), m_schedule.end());
  }

  GenerateOptions m_options;
  std::int64_t m_interval_us;
  std::int64_t m_jitter_us;
  Rng m_world;
  Rng m_bad;
  detail::LakeWriter m_writer;
  std::vector<Vehicle> m_vehicles;
  VehicleHeap m_heap;
  std::vector<ScheduleEntry> m_schedule;
  std::uint64_t m_schedule_sequence = 0;
  std::uint64_t m_bad_serial = 0;
  LineBuf m_line;
  LineBuf m_bad_line;
};

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

// ---- vehicles ----

void Simulator::plan_shift(std::uint32_t index, int day_index, std::int64_t earliest_us) {
  Vehicle& vehicle = m_vehicles[index];
  const std::int64_t day_us = (m_options.first_day + day_index) * kMicrosPerDay;
  // Vehicle 0 always works the night: it guarantees a shift (and with breaks, a break) across
  // every midnight, whatever the fleet size.
  const bool always_night = index == 0;
  const bool night = always_night || m_world.chance(0.15);
  std::int64_t start_us = 0;
  std::int64_t duration_us = 0;
  if (always_night) {
    start_us = day_us + m_world.uniform_int(20 * kMicrosPerHour, 21 * kMicrosPerHour);
    duration_us = m_world.uniform_int(5 * kMicrosPerHour, 7 * kMicrosPerHour);
  } else if (night) {
    start_us = day_us + m_world.uniform_int(17 * kMicrosPerHour, 22 * kMicrosPerHour + 30 * kMicrosPerMinute);
    duration_us = m_world.uniform_int(5 * kMicrosPerHour, 9 * kMicrosPerHour);
  } else {
    start_us = day_us + m_world.uniform_int(4 * kMicrosPerHour, 14 * kMicrosPerHour);
    duration_us = m_world.uniform_int(5 * kMicrosPerHour, 10 * kMicrosPerHour);
  }
  // After a night shift the next one starts at least 20 minutes later (still that day: night
  // shifts end by 07:30, day shifts may start from 04:00).
  start_us =
      std::max(start_us, earliest_us + m_world.uniform_int(20 * kMicrosPerMinute, 60 * kMicrosPerMinute));
  vehicle.day_index = day_index;
  vehicle.shift_start_us = start_us;
  vehicle.shift_end_us = start_us + duration_us;
  vehicle.next_action = Action::Register;
  vehicle.on_break = false;
  vehicle.next_break = 0;
  vehicle.break_count = 0;
  if (!m_options.breaks) return;

  if (always_night) {  // one break, 23:45-23:55 for 20-30 minutes: it straddles midnight
    vehicle.break_start_us[0] =
        day_us + kMicrosPerDay - m_world.uniform_int(5 * kMicrosPerMinute, 15 * kMicrosPerMinute);
    vehicle.break_end_us[0] =
        vehicle.break_start_us[0] + m_world.uniform_int(20 * kMicrosPerMinute, 30 * kMicrosPerMinute);
    vehicle.break_count = 1;
    return;
  }
  const int wanted = m_world.chance(0.4) ? 2 : 1;
  std::int64_t earliest_break_us = start_us + 30 * kMicrosPerMinute;
  for (int b = 0; b < wanted; ++b) {
    const std::int64_t break_us =
        std::max(earliest_break_us, start_us + duration_us * (b + 1) / (wanted + 1) +
                                        m_world.uniform_int(-20 * kMicrosPerMinute, 20 * kMicrosPerMinute));
    const std::int64_t length_us = m_world.uniform_int(10 * kMicrosPerMinute, 30 * kMicrosPerMinute);
    if (break_us + length_us > vehicle.shift_end_us - 10 * kMicrosPerMinute) break;
    vehicle.break_start_us[vehicle.break_count] = break_us;
    vehicle.break_end_us[vehicle.break_count] = break_us + length_us;
    ++vehicle.break_count;
    earliest_break_us = break_us + length_us + 20 * kMicrosPerMinute;
  }
}

std::int64_t Simulator::schedule_next(Vehicle& vehicle) {
  std::int64_t next_us = vehicle.next_update_us;
  vehicle.next_action = Action::Update;
  if (vehicle.on_break) {
    if (vehicle.break_end_us[vehicle.next_break] <= next_us) {
      next_us = vehicle.break_end_us[vehicle.next_break];
      vehicle.next_action = Action::BreakEnd;
    }
  } else if (vehicle.next_break < vehicle.break_count &&
             vehicle.break_start_us[vehicle.next_break] <= next_us) {
    next_us = vehicle.break_start_us[vehicle.next_break];
    vehicle.next_action = Action::BreakStart;
  }
  // Breaks end before the shift does, so a vehicle never deregisters while on a break.
  if (vehicle.shift_end_us <= next_us) {
    next_us = vehicle.shift_end_us;
    vehicle.next_action = Action::Deregister;
  }
  return next_us;
}

std::optional<std::int64_t> Simulator::step(std::uint32_t index, std::int64_t now_us) {
  Vehicle& vehicle = m_vehicles[index];
  switch (vehicle.next_action) {
    case Action::Register:
      vehicle.last_move_us = now_us;
      vehicle.speed_mps = 0;
      vehicle.stopped_until_us = 0;
      pick_target(vehicle);
      emit_register(vehicle, now_us);
      vehicle.next_update_us = now_us + m_world.uniform_int(200'000, m_interval_us);
      break;
    case Action::Update:
      move(vehicle, now_us);
      emit_update(vehicle, now_us);
      vehicle.next_update_us = now_us + m_interval_us + m_world.uniform_int(-m_jitter_us, m_jitter_us);
      break;
    case Action::BreakStart:
      move(vehicle, now_us);
      vehicle.on_break = true;
      vehicle.speed_mps = 0;
      emit_vehicle_event(vehicle, "break_start", now_us);
      break;
    case Action::BreakEnd:
      vehicle.on_break = false;
      vehicle.last_move_us = now_us;
      ++vehicle.next_break;
      emit_vehicle_event(vehicle, "break_end", now_us);
      break;
    case Action::Deregister:
      move(vehicle, now_us);
      emit_vehicle_event(vehicle, "deregister", now_us);
      if (vehicle.day_index + 1 >= m_options.days) return std::nullopt;
      plan_shift(index, vehicle.day_index + 1, now_us);
      return vehicle.shift_start_us;
  }
  return schedule_next(vehicle);
}

void Simulator::pick_target(Vehicle& vehicle) {
  // The next pick-up or drop-off, up to 3 km away in each direction, inside the city.
  vehicle.target_x_m = std::clamp(vehicle.x_m + m_world.uniform(-3000, 3000), -kHalfWidthM, kHalfWidthM);
  vehicle.target_y_m = std::clamp(vehicle.y_m + m_world.uniform(-3000, 3000), -kHalfHeightM, kHalfHeightM);
  vehicle.cruise_mps = m_world.uniform(15.0, 50.0) / 3.6;
}

void Simulator::move(Vehicle& vehicle, std::int64_t now_us) {
  std::int64_t t_us = vehicle.last_move_us;
  vehicle.last_move_us = now_us;
  if (vehicle.on_break || now_us <= t_us) return;
  const double elapsed_s = static_cast<double>(now_us - t_us) * 1e-6;
  while (t_us < now_us) {
    if (vehicle.stopped_until_us > t_us) {  // at a stop: lights, a pick-up
      vehicle.speed_mps = 0;
      t_us = std::min(now_us, vehicle.stopped_until_us);
      continue;
    }
    const double dt_s = static_cast<double>(now_us - t_us) * 1e-6;
    // Ease towards the cruising speed: 1.5 m/s^2 up, 3 m/s^2 down.
    const double new_speed_mps =
        std::clamp(vehicle.cruise_mps, vehicle.speed_mps - 3.0 * dt_s, vehicle.speed_mps + 1.5 * dt_s);
    const double mean_speed_mps = 0.5 * (vehicle.speed_mps + new_speed_mps);
    const double dx_m = vehicle.target_x_m - vehicle.x_m;
    const double dy_m = vehicle.target_y_m - vehicle.y_m;
    const double remaining_m = std::sqrt(dx_m * dx_m + dy_m * dy_m);
    const double travel_m = mean_speed_mps * dt_s;
    if (travel_m < remaining_m) {
      vehicle.x_m += dx_m / remaining_m * travel_m;
      vehicle.y_m += dy_m / remaining_m * travel_m;
      vehicle.speed_mps = new_speed_mps;
      break;
    }
    // Arrived: stand still for a passenger half of the time, then head for the next target.
    vehicle.x_m = vehicle.target_x_m;
    vehicle.y_m = vehicle.target_y_m;
    const double used_s = mean_speed_mps > 0 ? remaining_m / mean_speed_mps : 0.0;
    t_us += std::max<std::int64_t>(1, static_cast<std::int64_t>(used_s * 1e6));
    vehicle.speed_mps = new_speed_mps;
    pick_target(vehicle);
    if (m_world.chance(0.5)) {
      vehicle.stopped_until_us = t_us + m_world.uniform_int(15 * kMicrosPerSecond, 120 * kMicrosPerSecond);
    }
  }
  // Traffic lights: about one stop every 90 s of driving.
  if (vehicle.stopped_until_us <= now_us && m_world.chance(elapsed_s / 90.0)) {
    vehicle.stopped_until_us = now_us + m_world.uniform_int(10 * kMicrosPerSecond, 45 * kMicrosPerSecond);
    vehicle.speed_mps = 0;
  }
}

// ---- lines ----

Envelope Simulator::envelope(std::string_view event, std::string_view on, std::int64_t at_us,
                             std::string_view organization) {
  // One draw decides all spelling variants; 16 bits each, thresholds out of 65536.
  const std::uint64_t bits = m_world.next();
  Envelope result;
  result.event = event;
  result.on = on;
  result.at_us = at_us;
  result.organization_id = organization;
  const std::uint64_t style = bits & 0xFFFF;
  result.time_style = style < 63'000   ? TimeStyle::MillisZ
                      : style < 63'700 ? TimeStyle::MicrosZ
                      : style < 64'300 ? TimeStyle::NanosZ
                      : style < 64'900 ? TimeStyle::SecondsZ
                      : style < 65'300 ? TimeStyle::OffsetPlus2
                                       : TimeStyle::OffsetMinus3;
  const std::uint64_t org = (bits >> 16) & 0xFFFF;
  result.org_style = org < 655 ? OrgStyle::Null : org < 1310 ? OrgStyle::Missing : OrgStyle::String;
  result.key_order = ((bits >> 32) & 0xFFFF) < 655 ? KeyOrder::OrgFirst : KeyOrder::Standard;
  result.extra_field = ((bits >> 48) & 0xFFFF) < 328;
  return result;
}

void Simulator::emit_vehicle_event(const Vehicle& vehicle, std::string_view event, std::int64_t at_us) {
  const Envelope env = envelope(event, "vehicle", at_us, kOrganizations[vehicle.organization]);
  m_line.clear();
  detail::open_event(m_line, env);
  m_line.append("{\"id\":\"");
  m_line.append({vehicle.id, sizeof vehicle.id});
  m_line.append("\"}");
  detail::close_event(m_line, env);
  emit(at_us, vehicle);
}

void Simulator::emit_register(const Vehicle& vehicle, std::int64_t at_us) {
  const Envelope env = envelope("register", "vehicle", at_us, kOrganizations[vehicle.organization]);
  m_line.clear();
  detail::open_event(m_line, env);
  m_line.append("{\"id\":\"");
  m_line.append({vehicle.id, sizeof vehicle.id});
  m_line.append(m_world.chance(0.3) ? "\",\"location\":{\"lat\":null,\"lng\":null,\"at\":null}}" : "\"}");
  detail::close_event(m_line, env);
  emit(at_us, vehicle);
}

void Simulator::emit_update(const Vehicle& vehicle, std::int64_t at_us) {
  const Envelope env = envelope("update", "vehicle", at_us, kOrganizations[vehicle.organization]);
  // The fix is taken at or a few milliseconds before the event is emitted.
  const std::int64_t fix_us = at_us - (m_world.chance(0.4) ? m_world.uniform_int(1000, 8000) : 0);
  const double lat_deg = kCentreLatDeg + (vehicle.y_m + kGpsSigmaM * m_world.normal()) / kMetresPerDegLat;
  const double lng_deg = kCentreLngDeg + (vehicle.x_m + kGpsSigmaM * m_world.normal()) / kMetresPerDegLng;
  m_line.clear();
  detail::open_event(m_line, env);
  m_line.append("{\"id\":\"");
  m_line.append({vehicle.id, sizeof vehicle.id});
  m_line.append("\",\"location\":{\"lat\":");
  m_line.append_degrees(lat_deg);
  m_line.append(",\"lng\":");
  m_line.append_degrees(lng_deg);
  m_line.append(",\"at\":");
  detail::append_quoted_timestamp(m_line, fix_us, env.time_style);
  m_line.append("}}");
  detail::close_event(m_line, env);
  emit(at_us, vehicle);
}

void Simulator::emit(std::int64_t at_us, const Vehicle& context) {
  if (m_options.bad_ratio > 0.0) {
    BadContext bad{at_us,
                   {context.id, sizeof context.id},
                   kCentreLatDeg + context.y_m / kMetresPerDegLat,
                   kCentreLngDeg + context.x_m / kMetresPerDegLng};
    auto write_bad = [&] {
      const auto kind = static_cast<BadKind>(m_bad_serial++ % detail::kBadKindCount);
      detail::write_bad_line(m_bad_line, kind, bad);
      m_writer.deliver_bad(m_bad_line.view(), at_us);
    };
    if (m_options.bad_ratio >= 1.0) {  // nothing but bad lines
      write_bad();
      return;
    }
    // Inserted, never replacing a valid line: a geometric number with mean r / (1 - r) per
    // valid line makes the bad share r.
    while (m_bad.uniform() < m_options.bad_ratio) write_bad();
  }
  m_writer.deliver_event(m_line.view(), at_us);
}

// ---- operating periods ----

void Simulator::start_day(const ScheduleEntry& entry) {
  const std::int64_t day_us = entry.at_us;
  const int count = static_cast<int>(m_world.uniform_int(6, 10));
  for (int n = 0; n < count; ++n) {
    std::int64_t start_us = 0;
    std::int64_t finish_us = 0;
    if (n == 0) {  // the night service, across midnight
      start_us = day_us + m_world.uniform_int(21 * kMicrosPerHour, 23 * kMicrosPerHour);
      finish_us = day_us + kMicrosPerDay + m_world.uniform_int(30 * kMicrosPerMinute, 4 * kMicrosPerHour);
    } else {
      start_us = day_us + m_world.uniform_int(2 * kMicrosPerHour, 20 * kMicrosPerHour);
      finish_us = start_us + m_world.uniform_int(30 * kMicrosPerMinute, 6 * kMicrosPerHour);
    }
    // Announced 5 minutes to 2 hours ahead (starts are from 02:00, so still that day).
    const std::int64_t create_us = start_us - m_world.uniform_int(5 * kMicrosPerMinute, 2 * kMicrosPerHour);
    push_schedule({.at_us = create_us,
                   .kind = ScheduleKind::PeriodCreate,
                   .day_index = entry.day_index,
                   .period = n,
                   .start_us = start_us,
                   .finish_us = finish_us});
    const bool moved = n == 2 || (n > 2 && m_world.chance(0.1));
    const bool deleted = n == 1 || (n > 2 && !moved && m_world.chance(0.1));
    if (moved) {  // re-announced with another window before either window begins
      const std::int64_t new_start_us =
          std::max(start_us + m_world.uniform_int(-90 * kMicrosPerMinute, 90 * kMicrosPerMinute),
                   create_us + 10 * kMicrosPerMinute);
      const auto new_length_us =
          static_cast<std::int64_t>(static_cast<double>(finish_us - start_us) * m_world.uniform(0.7, 1.3));
      const std::int64_t move_us =
          create_us +
          static_cast<std::int64_t>(static_cast<double>(std::min(start_us, new_start_us) - create_us) *
                                    m_world.uniform(0.2, 0.8));
      push_schedule({.at_us = move_us,
                     .kind = ScheduleKind::PeriodCreate,
                     .day_index = entry.day_index,
                     .period = n,
                     .start_us = new_start_us,
                     .finish_us = new_start_us + new_length_us});
    }
    if (deleted) {
      const std::int64_t delete_us = create_us + m_world.uniform_int(kMicrosPerMinute, finish_us - create_us);
      push_schedule({.at_us = delete_us,
                     .kind = ScheduleKind::PeriodDelete,
                     .day_index = entry.day_index,
                     .period = n});
    }
  }
  if (entry.day_index + 1 < m_options.days) {
    push_schedule(
        {.at_us = day_us + kMicrosPerDay, .kind = ScheduleKind::DayStart, .day_index = entry.day_index + 1});
  }
}

void Simulator::emit_period(const ScheduleEntry& entry) {
  const bool create = entry.kind == ScheduleKind::PeriodCreate;
  const Envelope env = envelope(create ? "create" : "delete", "operating_period", entry.at_us, "org-id");
  m_line.clear();
  detail::open_event(m_line, env);
  // "op_YYYYMMDD_n": unique across days and across runs of different dates.
  char date[32];
  core::format_utc((m_options.first_day + entry.day_index) * kMicrosPerDay, date);
  m_line.append("{\"id\":\"op_");
  m_line.append({date, 4});
  m_line.append({date + 5, 2});
  m_line.append({date + 8, 2});
  m_line.append('_');
  m_line.append_int(entry.period);
  m_line.append('"');
  if (create) {
    m_line.append(",\"start\":");
    detail::append_quoted_timestamp(m_line, entry.start_us, env.time_style);
    m_line.append(",\"finish\":");
    detail::append_quoted_timestamp(m_line, entry.finish_us, env.time_style);
  }
  m_line.append('}');
  detail::close_event(m_line, env);
  emit(entry.at_us, m_vehicles.front());
}

}  // namespace

GenerateSummary generate_fleet(const GenerateOptions& options) {
  validate(options);
  Simulator simulator(options);
  return simulator.run();
}

}  // namespace d2d::generate
