// SQLite and PostgreSQL hold the same rows after the same loads: every SPEC §5 relation read row
// by row from both, each value normalised to one text form (UTC times with microseconds, numbers
// to fixed decimals, booleans as 0/1, raw bytes as hex), not only the `report` answers.
#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "core/time.h"
#include "generate/fleet_simulator.h"
#include "harness.h"

namespace d2d::testing {
namespace {

// How one engine spells a column as normalised text.
struct Dialect {
  std::function<std::string(const std::string&)> time;
  std::function<std::string(const std::string&, int)> number;
  std::string deleted;
  std::string raw_hex;
};

Dialect dialect(Engine engine) {
  if (engine == Engine::Sqlite) {
    return {[](const std::string& c) { return "COALESCE(" + c + ", 'null')"; },
            [](const std::string& c, int decimals) {
              return "CASE WHEN " + c + " IS NULL THEN 'null' ELSE printf('%." + std::to_string(decimals) +
                     "f', " + c + ") END";
            },
            "deleted", "hex(CAST(raw AS BLOB))"};
  }
  return {[](const std::string& c) {
            return "COALESCE(to_char(" + c +
                   R"( AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), 'null'))";
          },
          [](const std::string& c, int decimals) {
            return "CASE WHEN " + c + " IS NULL THEN 'null' ELSE round(" + c + "::numeric, " +
                   std::to_string(decimals) + ")::text END";
          },
          "deleted::int", "upper(encode(raw, 'hex'))"};
}

// (relation, normalised query) for every analyst relation of SPEC §5.
std::vector<std::pair<std::string, std::string>> relation_queries(Engine engine) {
  const Dialect d = dialect(engine);
  const std::string org = "COALESCE(organization_id, 'null')";
  return {
      {"vehicle", "SELECT vehicle_id, " + org + ", " + d.time("first_registered_at") + ", " +
                      d.time("last_deregistered_at") + " FROM vehicle ORDER BY 1"},
      {"location_update", "SELECT vehicle_id, " + d.time("at") + ", " + d.number("lat", 9) + ", " +
                              d.number("lng", 9) + ", " + org + ", lake_date, " + d.time("event_at") +
                              " FROM location_update ORDER BY 1, 2"},
      {"operating_period", "SELECT operating_period_id, " + d.time("start_at") + ", " + d.time("finish_at") +
                               ", " + d.deleted + ", " + org + ", " + d.time("event_at") +
                               " FROM operating_period ORDER BY 1"},
      {"vehicle_break", "SELECT vehicle_id, " + d.time("start_at") + ", " + d.time("end_at") +
                            " FROM vehicle_break ORDER BY 1, 2"},
      {"vehicle_operating_period_distance",
       "SELECT operating_period_id, vehicle_id, " + d.number("distance_m", 6) +
           ", updates FROM vehicle_operating_period_distance ORDER BY 1, 2"},
      {"operating_period_avg_distance",
       "SELECT operating_period_id, vehicles, " + d.number("avg_distance_m", 6) + ", " +
           d.number("total_distance_m", 6) + " FROM operating_period_avg_distance ORDER BY 1"},
      {"rejected_event", "SELECT lake_date, source, line, reason_code, reason, " + d.raw_hex +
                             ", raw_length FROM rejected_event ORDER BY 1, 2, 3"},
      {"etl_run",
       "SELECT lake_date, status, objects, bytes, events_read, events_rejected "
       "FROM etl_run ORDER BY run_id"},
  };
}

TEST(EngineParity, EveryRelationHoldsTheSameRowsAfterTheSameLoads) {
  TempDir dir;
  generate::GenerateOptions options;
  options.out_dir = dir / "source";
  options.first_day = *core::parse_date("2022-05-14");
  options.days = 2;
  options.vehicles = 10;
  options.interval_s = 30;
  options.breaks = true;
  options.bad_ratio = 0.01;
  options.conflict_ratio = 0.05;
  options.seed = 21;
  generate::generate_fleet(options);
  const WarehouseUnderTest sqlite(Engine::Sqlite, dir.path()), postgres(Engine::Postgres, dir.path());
  auto load = [&](const std::vector<std::string>& dates) {
    for (const WarehouseUnderTest* warehouse : {&sqlite, &postgres}) {
      for (const auto& date : dates) {
        auto run =
            run_d2d(run_args_for(dir.path(), *warehouse, date, {"--max-reject-ratio", "1", "--force"}));
        ASSERT_EQ(run.exit_code, 0) << engine_name(warehouse->engine()) << " " << date << ": " << run.err;
      }
    }
  };
  sqlite.reset();
  postgres.reset();
  load({"2022-05-15", "2022-05-14", "2022-05-16", "2022-05-15"});
  // The first date loses its evening files (winners there give way to versions other dates hold).
  for (const auto& entry : std::filesystem::recursive_directory_iterator(options.out_dir / "2022/05/14")) {
    if (entry.is_regular_file() && entry.path().filename().string() >= "2022-05-14-23-30") {
      std::filesystem::remove(entry.path());
    }
  }
  load({"2022-05-14"});
  ASSERT_FALSE(::testing::Test::HasFatalFailure());
  const auto sqlite_queries = relation_queries(Engine::Sqlite);
  const auto postgres_queries = relation_queries(Engine::Postgres);
  for (std::size_t i = 0; i < sqlite_queries.size(); ++i) {
    const std::string expected = sqlite.query(sqlite_queries[i].second);
    EXPECT_FALSE(expected.empty()) << sqlite_queries[i].first << " has rows";
    EXPECT_EQ(first_difference(expected, postgres.query(postgres_queries[i].second)), "")
        << sqlite_queries[i].first;
  }
}

}  // namespace
}  // namespace d2d::testing
