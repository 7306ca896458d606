// A vehicle's working life: one shift per operating day (day, evening or night), its breaks,
// and which action comes next (register, GPS update, break start/end, deregister).
#include "generate/simulator.h"

namespace d2d::generate::detail {

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
  if (m_options.breaks) plan_breaks(vehicle, always_night, day_us, duration_us);
}

void Simulator::plan_breaks(Vehicle& vehicle, bool always_night, std::int64_t day_us,
                            std::int64_t duration_us) {
  if (always_night) {  // one break, 23:45-23:55 for 20-30 minutes: it straddles midnight
    vehicle.break_start_us[0] =
        day_us + kMicrosPerDay - m_world.uniform_int(5 * kMicrosPerMinute, 15 * kMicrosPerMinute);
    vehicle.break_end_us[0] =
        vehicle.break_start_us[0] + m_world.uniform_int(20 * kMicrosPerMinute, 30 * kMicrosPerMinute);
    vehicle.break_count = 1;
    return;
  }
  const std::int64_t start_us = vehicle.shift_start_us;
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

}  // namespace d2d::generate::detail
