#include "warehouse/postgres/queries.h"

#include <fmt/format.h>

#include <set>

#include "warehouse/ledger_row.h"
#include "warehouse/postgres/derive_store.h"
#include "warehouse/sql_shapes.h"

namespace d2d::warehouse::pg {
namespace {

using core::UtcMicros;

std::optional<std::string> optional_time(const std::optional<UtcMicros>& at_us) {
  if (!at_us) return std::nullopt;
  return time_param(*at_us);
}

std::optional<UtcMicros> optional_time(const Result& result, int row, int column) {
  if (result.is_null(row, column)) return std::nullopt;
  return result.timestamp_us(row, column);
}

}  // namespace

std::vector<PeriodAnswer> PgQueries::report(const ReportFilter& filter) {
  Connection& db = m_session.connection();
  auto result = db.exec(
      m_session.sql(
          "SELECT operating_period_id, vehicles, avg_distance_m, total_distance_m, start_at, finish_at, "
          "organization_id FROM {s}.operating_period_avg_distance WHERE ($1::timestamptz IS NULL OR "
          "start_at >= $1::timestamptz) AND ($2::timestamptz IS NULL OR start_at < $2::timestamptz) AND "
          "($3::text IS NULL OR organization_id = $3::text) ORDER BY operating_period_id"),
      {optional_time(filter.start_from_us), optional_time(filter.start_before_us), filter.organization_id});
  std::vector<PeriodAnswer> answers;
  answers.reserve(static_cast<std::size_t>(result.rows()));
  for (int i = 0; i < result.rows(); ++i) {
    PeriodAnswer answer;
    answer.operating_period_id = result.text(i, 0);
    answer.vehicles = result.int64(i, 1);
    if (!result.is_null(i, 2)) answer.avg_distance_m = result.float64(i, 2);
    answer.total_distance_m = result.float64(i, 3);
    answer.start_us = result.timestamp_us(i, 4);
    answer.finish_us = result.timestamp_us(i, 5);
    if (!result.is_null(i, 6)) answer.organization_id = std::string(result.text(i, 6));
    answers.push_back(std::move(answer));
  }
  mark_reject_gate_failures(db, answers);
  return answers;
}

// As in SQLite: the lake dates whose latest load failed its reject gate, then, only if there
// are any, whether a period's vehicles have fixes in its window from one of them.
void PgQueries::mark_reject_gate_failures(Connection& db, std::vector<PeriodAnswer>& answers) {
  auto dates = db.exec(m_session.sql(fmt::format("SELECT string_agg(lake_date::text, ',') FROM ({}) failed",
                                                 detail::reject_gate_failed_dates("{s}.etl_run"))));
  if (dates.is_null(0, 0) || answers.empty()) return;
  const std::string failed = fmt::format("{{{}}}", dates.text(0, 0));
  auto touched =
      db.exec(m_session.sql(
                  "SELECT p.operating_period_id FROM {s}.operating_period p WHERE NOT p.deleted AND EXISTS ("
                  "SELECT 1 FROM {s}.vehicle_operating_period_distance d JOIN {s}.vehicle_key k ON "
                  "k.vehicle_id = d.vehicle_id JOIN {s}.location_fix u ON u.vehicle_key = k.vehicle_key AND "
                  "u.at >= p.start_at AND u.at <= p.finish_at WHERE "
                  "d.operating_period_id = p.operating_period_id AND u.lake_date = ANY($1::date[]))"),
              {failed});
  std::set<std::string, std::less<>> marked;
  for (int i = 0; i < touched.rows(); ++i) marked.emplace(touched.text(i, 0));
  for (PeriodAnswer& answer : answers)
    answer.reject_gate_failed = marked.contains(answer.operating_period_id);
}

std::vector<RejectReason> PgQueries::reject_reasons(const std::string& lake_date, int samples_per_reason) {
  Connection& db = m_session.connection();
  auto groups =
      db.exec(m_session.sql("SELECT reason_code, COUNT(*) FROM {s}.rejected_event WHERE lake_date = "
                            "$1::date GROUP BY reason_code ORDER BY COUNT(*) DESC, reason_code"),
              {lake_date});
  std::vector<RejectReason> reasons;
  for (int i = 0; i < groups.rows(); ++i) {
    RejectReason reason{std::string(groups.text(i, 0)), groups.int64(i, 1), {}};
    auto samples =
        db.exec(m_session.sql("SELECT source, line, reason, raw, raw_length FROM {s}.rejected_event "
                              "WHERE lake_date = $1::date AND reason_code = $2 ORDER BY source, line "
                              "LIMIT $3::bigint"),
                {lake_date, reason.reason_code, std::to_string(samples_per_reason)});
    for (int j = 0; j < samples.rows(); ++j) {
      reason.samples.push_back({std::string(samples.text(j, 0)),
                                static_cast<std::uint64_t>(samples.int64(j, 1)),
                                std::string(samples.text(j, 2)), std::string(samples.text(j, 3)),
                                static_cast<std::uint64_t>(samples.int64(j, 4))});
    }
    reasons.push_back(std::move(reason));
  }
  return reasons;
}

std::vector<PeriodVehicle> PgQueries::period_vehicles(const std::string& period_id) {
  auto result = m_session.connection().exec(
      m_session.sql(
          "SELECT d.vehicle_id, d.distance_m, d.updates FROM {s}.vehicle_operating_period_distance d "
          "JOIN {s}.operating_period p ON p.operating_period_id = d.operating_period_id "
          "WHERE d.operating_period_id = $1 AND NOT p.deleted ORDER BY d.vehicle_id"),
      {period_id});
  std::vector<PeriodVehicle> vehicles;
  vehicles.reserve(static_cast<std::size_t>(result.rows()));
  for (int i = 0; i < result.rows(); ++i) {
    vehicles.push_back({std::string(result.text(i, 0)), result.float64(i, 1), result.int64(i, 2)});
  }
  return vehicles;
}

std::optional<VehicleTrack> PgQueries::vehicle_track(const std::string& period_id,
                                                     const std::string& vehicle_id) {
  Connection& db = m_session.connection();
  auto period = db.exec(m_session.sql("SELECT start_at, finish_at FROM {s}.operating_period WHERE "
                                      "operating_period_id = $1 AND NOT deleted"),
                        {period_id});
  if (period.rows() == 0) return std::nullopt;
  VehicleTrack track{vehicle_id, period.timestamp_us(0, 0), period.timestamp_us(0, 1), {}, {}};
  const Params window = {vehicle_id, time_param(track.start_us), time_param(track.finish_us)};
  auto fixes = db.exec(
      m_session.sql("SELECT at, lat, lng FROM {s}.location_fix WHERE vehicle_key = (SELECT vehicle_key "
                    "FROM {s}.vehicle_key WHERE vehicle_id = $1) AND at >= $2::timestamptz AND at <= "
                    "$3::timestamptz ORDER BY at"),
      window);
  track.fixes.reserve(static_cast<std::size_t>(fixes.rows()));
  for (int i = 0; i < fixes.rows(); ++i) {
    track.fixes.push_back({fixes.timestamp_us(i, 0), fixes.float64(i, 1), fixes.float64(i, 2)});
  }
  auto breaks =
      db.exec(m_session.sql("SELECT start_at, end_at FROM {s}.vehicle_break WHERE vehicle_id = $1 AND "
                            "start_at <= $3::timestamptz AND (end_at IS NULL OR end_at > $2::timestamptz) "
                            "ORDER BY start_at"),
              window);
  for (int i = 0; i < breaks.rows(); ++i) {
    track.breaks.push_back({breaks.timestamp_us(i, 0), detail::end_of_break(optional_time(breaks, i, 1))});
  }
  return track;
}

std::optional<core::UtcMicros> PgQueries::newest_fix_at() {
  auto result = m_session.connection().exec(m_session.sql(newest_fix_sql()));
  return optional_time(result, 0, 0);
}

}  // namespace d2d::warehouse::pg
