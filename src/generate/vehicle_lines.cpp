// How events become lines: the spelling variants of the envelope, a vehicle's event lines, and
// the malformed lines inserted among them (--bad-ratio) before the writer receives them.
#include "generate/simulator.h"

namespace d2d::generate::detail {

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
  open_event(m_line, env);
  m_line.append("{\"id\":\"");
  m_line.append({vehicle.id, sizeof vehicle.id});
  m_line.append("\"}");
  close_event(m_line, env);
  emit(at_us, vehicle);
}

void Simulator::emit_register(const Vehicle& vehicle, std::int64_t at_us) {
  const Envelope env = envelope("register", "vehicle", at_us, kOrganizations[vehicle.organization]);
  m_line.clear();
  open_event(m_line, env);
  m_line.append("{\"id\":\"");
  m_line.append({vehicle.id, sizeof vehicle.id});
  m_line.append(m_world.chance(0.3) ? "\",\"location\":{\"lat\":null,\"lng\":null,\"at\":null}}" : "\"}");
  close_event(m_line, env);
  emit(at_us, vehicle);
}

void Simulator::emit_update(const Vehicle& vehicle, std::int64_t at_us) {
  const Envelope env = envelope("update", "vehicle", at_us, kOrganizations[vehicle.organization]);
  // The fix is taken at or a few milliseconds before the event is emitted.
  const std::int64_t fix_us = at_us - (m_world.chance(0.4) ? m_world.uniform_int(1000, 8000) : 0);
  const double lat_deg = kCentreLatDeg + (vehicle.y_m + kGpsSigmaM * m_world.normal()) / kMetresPerDegLat;
  const double lng_deg = kCentreLngDeg + (vehicle.x_m + kGpsSigmaM * m_world.normal()) / kMetresPerDegLng;
  write_update(vehicle, env, fix_us, lat_deg, lng_deg);
  emit(at_us, vehicle);
  if (m_options.conflict_ratio > 0.0 && m_conflict.uniform() < m_options.conflict_ratio) {
    emit_conflicting_version(vehicle, env, fix_us, lat_deg, lng_deg);
  }
}

void Simulator::write_update(const Vehicle& vehicle, const Envelope& env, std::int64_t fix_us, double lat_deg,
                             double lng_deg) {
  m_line.clear();
  open_event(m_line, env);
  m_line.append("{\"id\":\"");
  m_line.append({vehicle.id, sizeof vehicle.id});
  m_line.append("\",\"location\":{\"lat\":");
  m_line.append_degrees(lat_deg);
  m_line.append(",\"lng\":");
  m_line.append_degrees(lng_deg);
  m_line.append(",\"at\":");
  append_quoted_timestamp(m_line, fix_us, env.time_style);
  m_line.append("}}");
  close_event(m_line, env);
}

// SPEC §4's conflicting versions of one fix: the same key (vehicle, location.at, spelled in the
// same style), 5-50 m elsewhere in each direction, sent with the same event `at` (a tie: the
// greater (lat, lng) wins, either one) or later (it wins, also from the next lake date's files).
// Delivered straight to the writer, which keeps the file of a later `at` open until it ends.
void Simulator::emit_conflicting_version(const Vehicle& vehicle, Envelope env, std::int64_t fix_us,
                                         double lat_deg, double lng_deg) {
  auto shift_m = [&] { return (m_conflict.chance(0.5) ? -1.0 : 1.0) * m_conflict.uniform(5.0, 50.0); };
  lat_deg += shift_m() / kMetresPerDegLat;
  lng_deg += shift_m() / kMetresPerDegLng;
  if (!m_conflict.chance(1.0 / 3.0)) {
    env.at_us += m_conflict.uniform_int(kMicrosPerSecond, 30 * kMicrosPerMinute);
  }
  write_update(vehicle, env, fix_us, lat_deg, lng_deg);
  m_writer.deliver_event(m_line.view(), env.at_us);
}

void Simulator::emit(std::int64_t at_us, const Vehicle& context) {
  if (m_options.bad_ratio > 0.0) {
    BadContext bad{at_us,
                   {context.id, sizeof context.id},
                   kCentreLatDeg + context.y_m / kMetresPerDegLat,
                   kCentreLngDeg + context.x_m / kMetresPerDegLng};
    auto write_bad = [&] {
      const auto kind = static_cast<BadKind>(m_bad_serial++ % kBadKindCount);
      write_bad_line(m_bad_line, kind, bad);
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

}  // namespace d2d::generate::detail
