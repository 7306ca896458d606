// Each day's operating periods: 6-10 windows, one across midnight, one deleted, one moved by a
// second `create`, announced ahead of their start; and their event lines.
#include "generate/simulator.h"

namespace d2d::generate::detail {

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
  open_event(m_line, env);
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
    append_quoted_timestamp(m_line, entry.start_us, env.time_style);
    m_line.append(",\"finish\":");
    append_quoted_timestamp(m_line, entry.finish_us, env.time_style);
  }
  m_line.append('}');
  close_event(m_line, env);
  emit(entry.at_us, m_vehicles.front());
}

}  // namespace d2d::generate::detail
