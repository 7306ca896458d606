#include "warehouse/sqlite/queries.h"

#include "warehouse/ledger_row.h"
#include "warehouse/sql_shapes.h"
#include "warehouse/sqlite/fix_queries.h"

namespace d2d::warehouse::sqlite {
namespace {

using detail::Statement;

std::optional<core::UtcMicros> optional_time(Statement& row, int column) {
  if (row.column_is_null(column)) return std::nullopt;
  return row.column_time(column);
}

}  // namespace

std::vector<PeriodAnswer> SqliteQueries::report(const ReportFilter& filter) {
  std::vector<PeriodAnswer> answers;
  Statement query(m_file.db,
                  "SELECT operating_period_id, vehicles, avg_distance_m, total_distance_m, start_at, "
                  "finish_at, organization_id FROM operating_period_avg_distance "
                  "WHERE (?1 IS NULL OR start_at >= ?1) AND (?2 IS NULL OR start_at < ?2) "
                  "AND (?3 IS NULL OR organization_id = ?3) ORDER BY operating_period_id");
  query.bind_time(1, filter.start_from_us).bind_time(2, filter.start_before_us);
  if (filter.organization_id) query.bind(3, std::string_view(*filter.organization_id));
  while (query.step()) {
    PeriodAnswer answer;
    answer.operating_period_id = query.column_text(0);
    answer.vehicles = query.column_int(1);
    if (!query.column_is_null(2)) answer.avg_distance_m = query.column_double(2);
    answer.total_distance_m = query.column_double(3);
    answer.start_us = query.column_time(4);
    answer.finish_us = query.column_time(5);
    if (!query.column_is_null(6)) answer.organization_id = std::string(query.column_text(6));
    answers.push_back(std::move(answer));
  }
  mark_reject_gate_failures(answers);
  return answers;
}

// Lake dates whose latest load (a run that recorded figures) failed: the reject gate, which
// fails a run after everything was stored. Usually none, and then no period is looked at.
void SqliteQueries::mark_reject_gate_failures(std::vector<PeriodAnswer>& answers) {
  Statement dates(m_file.db, detail::reject_gate_failed_dates("etl_run"));
  std::vector<std::string> failed;
  while (dates.step()) failed.emplace_back(dates.column_text(0));
  if (failed.empty() || answers.empty()) return;
  Statement touched(m_file.db,
                    "SELECT 1 FROM vehicle_operating_period_distance d JOIN location_update u ON "
                    "u.vehicle_id = d.vehicle_id AND u.at >= ?2 AND u.at <= ?3 WHERE "
                    "d.operating_period_id = ?1 AND u.lake_date IN (SELECT value FROM json_each(?4)) "
                    "LIMIT 1");
  std::string dates_json = "[";
  for (const std::string& date : failed) dates_json += (dates_json.size() > 1 ? ",\"" : "\"") + date + "\"";
  dates_json += "]";
  for (PeriodAnswer& answer : answers) {
    touched.bind(1, std::string_view(answer.operating_period_id))
        .bind_time(2, answer.start_us)
        .bind_time(3, answer.finish_us)
        .bind(4, std::string_view(dates_json));
    answer.reject_gate_failed = touched.step();
    touched.reset();
  }
}

std::vector<RejectReason> SqliteQueries::reject_reasons(const std::string& lake_date,
                                                        int samples_per_reason) {
  std::vector<RejectReason> reasons;
  Statement groups(m_file.db,
                   "SELECT reason_code, COUNT(*) FROM rejected_event WHERE lake_date = ?1 "
                   "GROUP BY reason_code ORDER BY COUNT(*) DESC, reason_code");
  groups.bind(1, std::string_view(lake_date));
  while (groups.step()) reasons.push_back({std::string(groups.column_text(0)), groups.column_int(1), {}});
  Statement samples(m_file.db,
                    "SELECT source, line, reason, raw, raw_length FROM rejected_event WHERE lake_date = ?1 "
                    "AND reason_code = ?2 ORDER BY source, line LIMIT ?3");
  for (RejectReason& reason : reasons) {
    samples.bind(1, std::string_view(lake_date)).bind(2, std::string_view(reason.reason_code));
    samples.bind(3, static_cast<std::int64_t>(samples_per_reason));
    while (samples.step()) {
      reason.samples.push_back({std::string(samples.column_text(0)),
                                static_cast<std::uint64_t>(samples.column_int(1)),
                                std::string(samples.column_text(2)), std::string(samples.column_text(3)),
                                static_cast<std::uint64_t>(samples.column_int(4))});
    }
    samples.reset();
  }
  return reasons;
}

std::vector<PeriodVehicle> SqliteQueries::period_vehicles(const std::string& period_id) {
  Statement query(m_file.db,
                  "SELECT d.vehicle_id, d.distance_m, d.updates FROM vehicle_operating_period_distance d "
                  "JOIN operating_period p ON p.operating_period_id = d.operating_period_id "
                  "WHERE d.operating_period_id = ?1 AND p.deleted = 0 ORDER BY d.vehicle_id");
  query.bind(1, std::string_view(period_id));
  std::vector<PeriodVehicle> vehicles;
  while (query.step()) {
    vehicles.push_back({std::string(query.column_text(0)), query.column_double(1), query.column_int(2)});
  }
  return vehicles;
}

std::optional<VehicleTrack> SqliteQueries::vehicle_track(const std::string& period_id,
                                                         const std::string& vehicle_id) {
  Statement period(m_file.db,
                   "SELECT start_at, finish_at FROM operating_period WHERE operating_period_id = ?1 AND "
                   "deleted = 0");
  period.bind(1, std::string_view(period_id));
  if (!period.step()) return std::nullopt;
  VehicleTrack track{vehicle_id, period.column_time(0), period.column_time(1), {}, {}};
  Statement fixes(m_file.db,
                  "SELECT at, lat, lng FROM location_update WHERE vehicle_id = ?1 AND at >= ?2 AND at <= ?3 "
                  "ORDER BY at");
  fixes.bind(1, std::string_view(vehicle_id)).bind_time(2, track.start_us).bind_time(3, track.finish_us);
  while (fixes.step())
    track.fixes.push_back({fixes.column_time(0), fixes.column_double(1), fixes.column_double(2)});
  Statement breaks(m_file.db,
                   "SELECT start_at, end_at FROM vehicle_break WHERE vehicle_id = ?1 AND start_at <= ?3 "
                   "AND (end_at IS NULL OR end_at > ?2) ORDER BY start_at");
  breaks.bind(1, std::string_view(vehicle_id)).bind_time(2, track.start_us).bind_time(3, track.finish_us);
  while (breaks.step()) {
    track.breaks.push_back({breaks.column_time(0), detail::end_of_break(optional_time(breaks, 1))});
  }
  return track;
}

std::optional<core::UtcMicros> SqliteQueries::newest_fix_at() {
  Statement newest(m_file.db, kNewestFixSql);
  newest.step();
  return optional_time(newest, 0);
}

}  // namespace d2d::warehouse::sqlite
