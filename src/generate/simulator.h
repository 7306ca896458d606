// The simulator's internals, shared by the files that each own one of its roles:
// fleet_simulator.cpp (options, the event loop), vehicle_shifts.cpp (shifts, breaks, the next
// action of a vehicle), vehicle_motion.cpp (the GPS track), vehicle_lines.cpp (how vehicle events
// become lines, bad lines and conflicting versions among them), operating_periods.cpp (each day's
// periods).
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "core/time.h"
#include "generate/event_format.h"
#include "generate/fleet_simulator.h"
#include "generate/lake_writer.h"
#include "generate/random.h"

namespace d2d::generate::detail {

using core::kMicrosPerDay;
using core::kMicrosPerHour;
using core::kMicrosPerMinute;
using core::kMicrosPerSecond;

// The city: a local plane in metres around Berlin's centre. Constant metres-per-degree (no
// per-fix trigonometry) is exact enough over 25 km and keeps the output bit-reproducible.
inline constexpr double kCentreLatDeg = 52.5;
inline constexpr double kCentreLngDeg = 13.4;
inline constexpr double kMetresPerDegLat = 6371008.8 * 3.14159265358979323846 / 180.0;
inline constexpr double kMetresPerDegLng = kMetresPerDegLat * 0.60876142900872066;  // cos(52.5 deg)
inline constexpr double kHalfWidthM = 12'500;                                       // lng 13.22 .. 13.58
inline constexpr double kHalfHeightM = 10'500;                                      // lat 52.41 .. 52.59
inline constexpr double kGpsSigmaM = 2.5;

inline constexpr std::string_view kOrganizations[] = {"org-id", "org-id", "org-id", "org-id", "org-id-east"};

// Separate random streams: the world (what happens), the writer (how it lands, stream 2), bad
// lines, conflicting versions of fixes. A stream of its own keeps the others' draws unchanged.
inline constexpr std::uint64_t kWorldStream = 1;
inline constexpr std::uint64_t kBadStream = 3;
inline constexpr std::uint64_t kConflictStream = 4;

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
  void push(VehicleSlot slot);
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
  void sift_down();
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

class Simulator {
 public:
  explicit Simulator(const GenerateOptions& options);

  GenerateSummary run();

 private:
  // vehicle_shifts.cpp
  void plan_shift(std::uint32_t index, int day_index, std::int64_t earliest_us);
  void plan_breaks(Vehicle& vehicle, bool always_night, std::int64_t day_us, std::int64_t duration_us);
  std::optional<std::int64_t> step(std::uint32_t index, std::int64_t now_us);
  std::int64_t schedule_next(Vehicle& vehicle);
  // vehicle_motion.cpp
  void move(Vehicle& vehicle, std::int64_t now_us);
  void pick_target(Vehicle& vehicle);
  // operating_periods.cpp
  void start_day(const ScheduleEntry& entry);
  void emit_period(const ScheduleEntry& entry);
  // vehicle_lines.cpp
  void emit_vehicle_event(const Vehicle& vehicle, std::string_view event, std::int64_t at_us);
  void emit_register(const Vehicle& vehicle, std::int64_t at_us);
  void emit_update(const Vehicle& vehicle, std::int64_t at_us);
  void write_update(const Vehicle& vehicle, const Envelope& env, std::int64_t fix_us, double lat_deg,
                    double lng_deg);
  void emit_conflicting_version(const Vehicle& vehicle, Envelope env, std::int64_t fix_us, double lat_deg,
                                double lng_deg);
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
  Rng m_conflict;
  LakeWriter m_writer;
  std::vector<Vehicle> m_vehicles;
  VehicleHeap m_heap;
  std::vector<ScheduleEntry> m_schedule;
  std::uint64_t m_schedule_sequence = 0;
  std::uint64_t m_bad_serial = 0;
  LineBuf m_line;
  LineBuf m_bad_line;
};

}  // namespace d2d::generate::detail
