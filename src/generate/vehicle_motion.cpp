// The GPS track: a vehicle drives towards pick-ups and drop-offs at street speeds, easing in and
// out, and stops at lights and for passengers; its true position (noise is added when reported).
#include <cmath>

#include "generate/simulator.h"

namespace d2d::generate::detail {

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

}  // namespace d2d::generate::detail
