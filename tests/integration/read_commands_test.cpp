// Issue 15, items 1, 2 and 6, on both engines through the real binary: commands that read
// (report, status, serve's pages) never create, migrate or change a warehouse; `migrate down`
// asks before it drops rows; status and report print what machines can read (status --format,
// report's start/finish, --from/--to/--organization and the reject-gate mark).
#include <httplib.h>
#include <simdjson.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <set>
#include <sstream>
#include <thread>

#include "harness.h"

namespace d2d::testing {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::size_t fields_in(const std::string& csv_line) {  // no quoted commas in the lines checked
  return static_cast<std::size_t>(std::count(csv_line.begin(), csv_line.end(), ',')) + 1;
}

struct Period {
  std::string id, start, finish;
  std::int64_t vehicles = 0;
  bool gate_failed = false;
};

// report --format json, parsed; fails the test when it is not one JSON object of SPEC §6's shape.
std::vector<Period> parse_report(const std::string& json) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  std::vector<Period> periods;
  EXPECT_EQ(parser.parse(json).get(root), simdjson::SUCCESS) << json;
  simdjson::dom::array list;
  EXPECT_EQ(root["operating_periods"].get(list), simdjson::SUCCESS) << json;
  for (simdjson::dom::element entry : list) {
    Period period;
    period.id = std::string(entry["operating_period_id"].get_string().value());
    period.vehicles = entry["vehicles"].get_int64().value();
    period.start = std::string(entry["start"].get_string().value());
    period.finish = std::string(entry["finish"].get_string().value());
    period.gate_failed = entry["reject_gate_failed"].get_bool().value();
    periods.push_back(std::move(period));
  }
  return periods;
}

class ReadCommands : public ::testing::TestWithParam<Engine> {
 protected:
  void SetUp() override { m_warehouse.reset(); }
  void TearDown() override { m_warehouse.reset(); }
  void generate(double bad_ratio) const {
    const auto generated =
        run_d2d({"generate", "--out", (m_dir / "source").string(), "--date", "2019-06-01", "--days", "2",
                 "--vehicles", "6", "--bad-ratio", std::to_string(bad_ratio), "--seed", "15"});
    ASSERT_EQ(generated.exit_code, 0) << generated.err;
  }
  std::vector<std::string> with_warehouse(std::vector<std::string> args) const {
    const auto target = m_warehouse.args();
    args.insert(args.end(), target.begin(), target.end());
    return args;
  }
  bool sqlite() const { return GetParam() == Engine::Sqlite; }
  std::string schema() const { return m_warehouse.args().at(3); }  // PostgreSQL only
  // Whether the warehouse exists at all: the SQLite file, or the PostgreSQL schema.
  bool exists() const {
    if (sqlite()) return fs::exists(m_dir / "w");  // the file, or even its folder
    return pg_query("SELECT count(*) FROM pg_namespace WHERE nspname = '" + schema() + "'") == "1\n";
  }
  std::string applied() const { return m_warehouse.query("SELECT count(*) FROM schema_migration"); }

  TempDir m_dir;
  WarehouseUnderTest m_warehouse{GetParam(), m_dir / "w"};
};

D2D_FOR_EACH_WAREHOUSE(ReadCommands);

// Item 1: a mistyped warehouse is an error naming the command that creates one; nothing appears.
TEST_P(ReadCommands, MissingWarehouseIsAnErrorAndNothingIsCreated) {
  for (const char* command : {"report", "status"}) {
    const auto result = run_d2d(with_warehouse({command}));
    EXPECT_EQ(result.exit_code, 1) << command << ": " << result.out;
    EXPECT_NE(result.err.find("no warehouse at"), std::string::npos) << result.err;
    EXPECT_NE(result.err.find("`d2d migrate up`"), std::string::npos) << result.err;
    EXPECT_EQ(result.out, "") << command;
    EXPECT_FALSE(exists()) << command << " created the warehouse";
  }
  if (!sqlite()) return;
  // A path in a folder that does not exist: the folder is not created either.
  const fs::path typo = m_dir / "no-such-folder" / "w.bd";
  for (const char* command : {"report", "status"}) {
    const auto result = run_d2d({command, "--warehouse", typo.string()});
    EXPECT_EQ(result.exit_code, 1) << result.out;
    EXPECT_NE(result.err.find("no warehouse at " + typo.string()), std::string::npos) << result.err;
  }
  EXPECT_FALSE(fs::exists(typo.parent_path()));
}

// Item 1: after `migrate down 1`, report and status name `d2d migrate up` instead of migrating.
TEST_P(ReadCommands, SchemaBehindTheBinaryNamesMigrateUpAndStaysBehind) {
  generate(0.0);
  ASSERT_EQ(run_d2d(run_args_for(m_dir.path(), m_warehouse, "2019-06-01")).exit_code, 0);
  const auto down = run_d2d(with_warehouse({"migrate", "down", "1", "--yes"}));  // lake_object holds rows
  ASSERT_EQ(down.exit_code, 0) << down.err;
  const std::string before = applied();
  for (const char* command : {"report", "status"}) {
    const auto result = run_d2d(with_warehouse({command}));
    EXPECT_EQ(result.exit_code, 1) << command << ": " << result.out;
    EXPECT_NE(result.err.find("is behind this d2d"), std::string::npos) << result.err;
    EXPECT_NE(result.err.find("run `d2d migrate up`"), std::string::npos) << result.err;
  }
  EXPECT_EQ(applied(), before) << "a read command migrated the warehouse";
  ASSERT_EQ(run_d2d(with_warehouse({"migrate", "up"})).exit_code, 0);
  EXPECT_EQ(run_d2d(with_warehouse({"report"})).exit_code, 0);
}

// Item 1: a schema migration this binary does not know means the binary is too old.
TEST_P(ReadCommands, SchemaAheadOfTheBinarySaysTheBinaryIsTooOld) {
  ASSERT_EQ(run_d2d(with_warehouse({"migrate", "up"})).exit_code, 0);
  const std::string insert =
      "INSERT INTO schema_migration (version, name, applied_at) VALUES (9999, 'future', " +
      std::string(sqlite() ? "'2030-01-01T00:00:00.000000Z'" : "now()") + ")";
  if (sqlite()) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((m_dir / "w" / "w.db").c_str(), &db), SQLITE_OK);
    EXPECT_EQ(sqlite3_exec(db, insert.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
  } else {
    pg_query("SET search_path = \"" + schema() + "\"; " + insert);
  }
  for (const char* command : {"report", "status"}) {
    const auto result = run_d2d(with_warehouse({command}));
    EXPECT_EQ(result.exit_code, 1) << command;
    EXPECT_NE(result.err.find("this d2d is too old"), std::string::npos) << result.err;
  }
}

// Item 1: serve's pages read a missing warehouse as an error page, and never create it.
TEST_P(ReadCommands, ServePagesDoNotCreateAWarehouse) {
  const int port = free_port();
  BackgroundRun serve(with_warehouse({"serve", "--no-scheduler", "--port", std::to_string(port)}),
                      m_dir / "serve");
  httplib::Client http("127.0.0.1", port);
  for (int i = 0; i < 100 && !http.Get("/healthz"); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  for (const char* page : {"/", "/report", "/metrics"}) {
    auto response = http.Get(page);
    ASSERT_TRUE(response) << read_text(m_dir / "serve.err");
    EXPECT_EQ(response->status, 503) << page;
    EXPECT_NE(response->body.find("no warehouse at"), std::string::npos) << page << ": " << response->body;
  }
  serve.signal(SIGTERM);
  serve.wait();
  EXPECT_FALSE(exists());
}

// Item 1, SQLite: a read-only open of a WAL database needs its -shm. A reader who may not write
// in the folder reads while a writer has the file open (the -shm exists), and otherwise gets an
// error that says why; neither case changes the file.
TEST(ReadCommandsSqlite, ReadOnlyOpenOfAWalDatabaseInAFolderTheReaderCannotWrite) {
  TempDir dir;
  const fs::path folder = dir / "locked";
  fs::create_directories(folder);
  const std::string db = (folder / "w.db").string();
  ASSERT_EQ(run_d2d({"migrate", "up", "--warehouse", db, "--quiet"}).exit_code, 0);
  ASSERT_FALSE(fs::exists(db + "-shm"));  // the last connection cleaned up
  open_to_unprivileged(dir.path());
  ::chmod(folder.c_str(), 0555);
  const std::string before = read_text(db);

  const auto without_shm = run_d2d_unprivileged({"status", "--warehouse", db});
  const auto unprivileged_is_stopped = ::geteuid() == 0 || ::access(folder.c_str(), W_OK) != 0;
  if (unprivileged_is_stopped) {
    EXPECT_EQ(without_shm.exit_code, 1) << without_shm.out;
    EXPECT_NE(without_shm.err.find(db + "-shm"), std::string::npos) << without_shm.err;
  }

  {
    // A writer (here: a connection of the test, as the loader's would be) holds the -shm.
    ::chmod(folder.c_str(), 0755);
    sqlite3* writer = nullptr;
    ASSERT_EQ(sqlite3_open(db.c_str(), &writer), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(writer, "SELECT count(*) FROM etl_run", nullptr, nullptr, nullptr), SQLITE_OK);
    ::chmod((db + "-shm").c_str(), 0644);
    ::chmod(folder.c_str(), 0555);
    const auto with_shm = run_d2d_unprivileged({"status", "--warehouse", db, "--format", "csv"});
    EXPECT_EQ(with_shm.exit_code, 0) << with_shm.err;
    EXPECT_EQ(lines_of(with_shm.out).size(), 1U) << with_shm.out;  // the header of an empty ledger
    ::chmod(folder.c_str(), 0755);
    sqlite3_close(writer);
  }
  EXPECT_EQ(read_text(db), before) << "a read-only command changed the file";
}

// Item 2: a `migrate down` that would drop rows lists them and needs --yes; empty tables do not.
TEST_P(ReadCommands, MigrateDownAsksBeforeDroppingRows) {
  ASSERT_EQ(run_d2d(with_warehouse({"migrate", "up"})).exit_code, 0);
  const auto empty = run_d2d(with_warehouse({"migrate", "down", "99"}));
  EXPECT_EQ(empty.exit_code, 0) << "empty tables need no --yes: " << empty.err;
  EXPECT_NE(empty.out.find("rolled back"), std::string::npos) << empty.out;

  generate(0.0);
  ASSERT_EQ(run_d2d(run_args_for(m_dir.path(), m_warehouse, "2019-06-01")).exit_code, 0);
  const std::string dump = m_warehouse.dump();
  const std::string runs = m_warehouse.query("SELECT count(*) FROM etl_run");
  const std::string fixes = m_warehouse.query("SELECT count(*) FROM location_update");
  const std::string before = applied();
  const auto refused = run_d2d(with_warehouse({"migrate", "down", "99"}));
  EXPECT_EQ(refused.exit_code, 2) << refused.out;
  // The fixes' table: location_update itself, or the table behind the view (storage v2).
  EXPECT_TRUE(refused.err.find("location_update (" + fixes + " rows)") != std::string::npos ||
              refused.err.find("location_fix (" + fixes + " rows)") != std::string::npos)
      << refused.err;
  EXPECT_NE(refused.err.find("etl_run (" + runs + " row"), std::string::npos) << refused.err;
  EXPECT_NE(refused.err.find("--yes"), std::string::npos) << refused.err;
  EXPECT_EQ(applied(), before);
  EXPECT_EQ(m_warehouse.query("SELECT count(*) FROM etl_run"), runs);
  EXPECT_EQ(first_difference(dump, m_warehouse.dump()), "") << "nothing changed";

  const auto confirmed = run_d2d(with_warehouse({"migrate", "down", "99", "--yes"}));
  EXPECT_EQ(confirmed.exit_code, 0) << confirmed.err;
  EXPECT_EQ(applied(), "0");
}

// Item 6: status --format json is one object with every column; csv has a header; table as before.
TEST_P(ReadCommands, StatusPrintsJsonAndCsvWithEveryColumn) {
  generate(0.0);
  ASSERT_EQ(run_d2d(run_args_for(m_dir.path(), m_warehouse, "2019-06-01")).exit_code, 0);
  ASSERT_EQ(run_d2d(run_args_for(m_dir.path(), m_warehouse, "2019-05-20")).exit_code, 1);  // no files

  const auto json = run_d2d(with_warehouse({"status", "--format", "json"}));
  ASSERT_EQ(json.exit_code, 0) << json.err;
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  ASSERT_EQ(parser.parse(json.out).get(root), simdjson::SUCCESS) << json.out;
  simdjson::dom::array runs;
  ASSERT_EQ(root["runs"].get(runs), simdjson::SUCCESS) << json.out;
  ASSERT_EQ(runs.size(), 2U);
  simdjson::dom::element failed = runs.at(0).value(), loaded = runs.at(1).value();
  EXPECT_EQ(std::string_view(failed["lake_date"].get_string().value()), "2019-05-20");
  EXPECT_EQ(std::string_view(failed["status"].get_string().value()), "failed");
  EXPECT_TRUE(failed["rows_loaded"].is_null());
  EXPECT_NE(std::string(failed["error"].get_string().value()).find("no objects"), std::string::npos);
  EXPECT_EQ(std::string_view(loaded["status"].get_string().value()), "succeeded");
  EXPECT_TRUE(loaded["error"].is_null());
  EXPECT_EQ(std::to_string(loaded["rows_loaded"].get_int64().value()),
            m_warehouse.query("SELECT rows_loaded FROM etl_run WHERE lake_date = '2019-06-01'"));
  EXPECT_EQ(std::to_string(loaded["events_read"].get_int64().value()),
            m_warehouse.query("SELECT events_read FROM etl_run WHERE lake_date = '2019-06-01'"));
  for (const char* key :
       {"run_id", "started_at", "finished_at", "unchanged", "objects_refused", "phase", "extract_ms",
        "transform_ms", "load_ms", "derive_ms", "objects", "objects_copied", "bytes", "events_rejected",
        "periods_derived", "load_mode", "objects_loaded", "code_version"}) {
    EXPECT_EQ(loaded[key].error(), simdjson::SUCCESS) << key;
  }
  EXPECT_EQ(std::string_view(loaded["load_mode"].get_string().value()), "full");  // the date's first load
  EXPECT_EQ(std::to_string(loaded["objects_loaded"].get_int64().value()),
            m_warehouse.query("SELECT objects FROM etl_run WHERE lake_date = '2019-06-01'"));
  EXPECT_TRUE(failed["load_mode"].is_null());
  EXPECT_TRUE(std::string(loaded["started_at"].get_string().value()).ends_with("Z"));

  const auto csv = run_d2d(with_warehouse({"status", "--format", "csv"}));
  ASSERT_EQ(csv.exit_code, 0) << csv.err;
  const auto rows = lines_of(csv.out);
  ASSERT_EQ(rows.size(), 3U) << csv.out;
  EXPECT_TRUE(rows[0].starts_with("run_id,lake_date,status,started_at,finished_at,")) << rows[0];
  EXPECT_EQ(fields_in(rows[2]), fields_in(rows[0])) << rows[2];
  EXPECT_NE(rows[2].find(",2019-06-01,succeeded,"), std::string::npos) << rows[2];

  const auto table = run_d2d(with_warehouse({"status", "--format", "table"}));
  EXPECT_EQ(table.out, run_d2d(with_warehouse({"status"})).out);
  EXPECT_TRUE(table.out.starts_with("lake_date ")) << table.out;
}

// Item 6: report's start and finish in every format, --from/--to, --organization, and the mark
// of periods whose fixes came from a lake date whose latest load failed its reject gate.
TEST_P(ReadCommands, ReportWindowsFiltersAndTheRejectGateMark) {
  generate(0.2);  // a fifth of the lines bad: the default gate (5%) fails
  ASSERT_EQ(
      run_d2d(run_args_for(m_dir.path(), m_warehouse, "2019-06-01", {"--max-reject-ratio", "1"})).exit_code,
      0);
  const auto clean = parse_report(run_d2d(with_warehouse({"report", "--format", "json"})).out);
  ASSERT_FALSE(clean.empty());
  for (const Period& period : clean) EXPECT_FALSE(period.gate_failed) << period.id;

  const auto gate = run_d2d(run_args_for(m_dir.path(), m_warehouse, "2019-06-02"));
  ASSERT_EQ(gate.exit_code, 1);
  ASSERT_NE(gate.err.find("above the threshold"), std::string::npos) << gate.err;

  const auto json = run_d2d(with_warehouse({"report", "--format", "json"}));
  ASSERT_EQ(json.exit_code, 0) << json.err;
  // SPEC §6's keys first, unchanged, then the added ones.
  EXPECT_NE(json.out.find(R"({"operating_periods": [{"operating_period_id": ")"), std::string::npos);
  const auto periods = parse_report(json.out);
  ASSERT_EQ(std::to_string(periods.size()),
            m_warehouse.query("SELECT count(*) FROM operating_period WHERE " +
                              std::string(sqlite() ? "deleted = 0" : "NOT deleted")));
  std::set<std::string> marked;
  std::size_t starting_0602 = 0;
  for (const Period& period : periods) {
    // YYYY-MM-DDTHH:MM:SSZ, with .ffffff when the time has a fraction.
    EXPECT_TRUE(period.start.size() == 20U || period.start.size() == 27U) << period.start;
    EXPECT_TRUE(period.start.ends_with("Z") && period.finish.ends_with("Z")) << period.start;
    EXPECT_LT(period.start, period.finish) << period.id;
    if (period.gate_failed) {
      marked.insert(period.id);
      EXPECT_GT(period.vehicles, 0) << "no fixes, no data from the failed date";
    }
    // A period that starts on 2019-06-02 with vehicles has its fixes from that lake date.
    if (period.start.starts_with("2019-06-02") && period.vehicles > 0) {
      ++starting_0602;
      EXPECT_TRUE(period.gate_failed) << period.id;
    }
  }
  EXPECT_GT(starting_0602, 0U);
  EXPECT_LT(marked.size(), periods.size()) << "periods of 2019-06-01 only are not marked";

  // The same in CSV and in the table.
  const auto csv = lines_of(run_d2d(with_warehouse({"report", "--format", "csv"})).out);
  ASSERT_EQ(csv.size(), periods.size() + 1);
  EXPECT_EQ(csv[0],
            "operating_period_id,vehicles,avg_distance_m,total_distance_m,start,finish,organization_id,"
            "reject_gate_failed");
  EXPECT_NE(csv[1].find("," + periods[0].start + "," + periods[0].finish + ","), std::string::npos) << csv[1];
  EXPECT_TRUE(csv[1].ends_with(periods[0].gate_failed ? ",true" : ",false")) << csv[1];
  const auto table = run_d2d(with_warehouse({"report"})).out;
  EXPECT_NE(table.find(*marked.begin() + "!"), std::string::npos) << table;
  EXPECT_NE(table.find(periods[0].start.substr(0, 19) + "Z"), std::string::npos) << table;  // whole seconds
  EXPECT_NE(table.find("failed its reject gate"), std::string::npos) << table;

  // --from/--to select by start: a date is that whole UTC day, a time is an instant.
  const auto day = parse_report(
      run_d2d(with_warehouse({"report", "--format", "json", "--from", "2019-06-02", "--to", "2019-06-02"}))
          .out);
  ASSERT_FALSE(day.empty());
  for (const Period& period : day) EXPECT_TRUE(period.start.starts_with("2019-06-02")) << period.start;
  const std::string in_day = m_warehouse.query(
      "SELECT count(*) FROM operating_period WHERE start_at >= '2019-06-02T00:00:00.000000Z' AND start_at < "
      "'2019-06-03T00:00:00.000000Z' AND " +
      std::string(sqlite() ? "deleted = 0" : "NOT deleted"));
  EXPECT_EQ(std::to_string(day.size()), in_day);
  const auto instant = parse_report(
      run_d2d(with_warehouse({"report", "--format", "json", "--from", day[0].start, "--to", day[0].finish}))
          .out);
  EXPECT_TRUE(
      std::any_of(instant.begin(), instant.end(), [&](const Period& p) { return p.id == day[0].id; }));
  for (const Period& period : instant) EXPECT_GE(period.start, day[0].start);
  const auto bad = run_d2d(with_warehouse({"report", "--from", "June"}));
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("RFC 3339"), std::string::npos) << bad.err;

  // --organization: the periods whose own organization_id is that one.
  const std::string organization = m_warehouse.query(
      "SELECT organization_id FROM operating_period WHERE organization_id IS NOT NULL GROUP BY "
      "organization_id "
      "ORDER BY count(*) DESC LIMIT 1");
  ASSERT_FALSE(organization.empty());
  const auto of_org = parse_report(
      run_d2d(with_warehouse({"report", "--format", "json", "--organization", organization})).out);
  EXPECT_EQ(
      std::to_string(of_org.size()),
      m_warehouse.query("SELECT count(*) FROM operating_period WHERE organization_id = '" + organization +
                        "' AND " + std::string(sqlite() ? "deleted = 0" : "NOT deleted")));
  EXPECT_TRUE(
      parse_report(
          run_d2d(with_warehouse({"report", "--format", "json", "--organization", "no-such-org"})).out)
          .empty());

  // A later run of the date that passes the gate takes the mark away.
  ASSERT_EQ(
      run_d2d(run_args_for(m_dir.path(), m_warehouse, "2019-06-02", {"--max-reject-ratio", "1", "--force"}))
          .exit_code,
      0);
  for (const Period& period : parse_report(run_d2d(with_warehouse({"report", "--format", "json"})).out))
    EXPECT_FALSE(period.gate_failed) << period.id;
}

// Item 1, PostgreSQL: an analyst's login role in d2d_analyst (read-only, SELECT on the analyst
// relations) runs report and status, marks included, in a read-only session; on a schema
// behind the binary it is told to run `d2d migrate up`, not refused by a permission error.
TEST(ReadCommandsPostgres, AnalystRoleReportsWithTheMarkAndIsToldToMigrate) {
  TempDir dir;
  WarehouseUnderTest warehouse(Engine::Postgres, dir / "w");
  warehouse.reset();
  const std::string schema = warehouse.args().at(3);
  const std::string owner = pg_uri();
  ASSERT_EQ(run_d2d({"generate", "--out", (dir / "source").string(), "--date", "2019-06-01", "--days", "1",
                     "--vehicles", "4", "--bad-ratio", "0.2", "--seed", "15"})
                .exit_code,
            0);
  auto with = [&](std::vector<std::string> args, const std::string& uri) {
    for (const std::string& arg : {std::string("--warehouse"), uri, std::string("--pg-schema"), schema})
      args.push_back(arg);
    return args;
  };
  ASSERT_EQ(run_d2d(with({"migrate", "up", "--pg-analyst-role"}, owner)).exit_code, 0);
  ASSERT_EQ(run_d2d(run_args_for(dir.path(), warehouse, "2019-06-01")).exit_code, 1);  // the gate fails
  const std::string login = schema + "_reader";
  pg_query("DROP ROLE IF EXISTS \"" + login + "\"");
  pg_query("CREATE ROLE \"" + login + "\" LOGIN PASSWORD 'reader-pw' IN ROLE d2d_analyst");
  const std::string at = owner.substr(owner.find('@'));
  const std::string analyst = "postgresql://" + login + ":reader-pw" + at;

  const auto owners = run_d2d(with({"report", "--format", "json"}, owner));
  const auto report = run_d2d(with({"report", "--format", "json"}, analyst));
  const auto status = run_d2d(with({"status", "--format", "csv"}, analyst));
  const auto down = run_d2d(with({"migrate", "down", "1", "--yes"}, owner));  // lake_object holds rows
  const auto behind = run_d2d(with({"report"}, analyst));
  warehouse.reset();
  pg_query("DROP ROLE \"" + login + "\"");

  ASSERT_EQ(report.exit_code, 0) << report.err;
  EXPECT_EQ(report.out, owners.out);
  const auto periods = parse_report(report.out);
  EXPECT_TRUE(std::any_of(periods.begin(), periods.end(), [](const Period& p) { return p.gate_failed; }))
      << report.out;
  ASSERT_EQ(status.exit_code, 0) << status.err;
  EXPECT_NE(status.out.find(",2019-06-01,failed,"), std::string::npos) << status.out;
  ASSERT_EQ(down.exit_code, 0) << down.err;
  EXPECT_EQ(behind.exit_code, 1);
  EXPECT_NE(behind.err.find("run `d2d migrate up`"), std::string::npos) << behind.err;
}

}  // namespace
}  // namespace d2d::testing
