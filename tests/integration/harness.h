// Test harness for whole-pipeline tests: temporary folders, running the real d2d binary,
// and a canonical text dump of a SQLite warehouse to compare states exactly.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

namespace d2d::testing {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return m_path; }
  std::filesystem::path operator/(const std::string& name) const { return m_path / name; }

 private:
  std::filesystem::path m_path;
};

struct CliResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs build/d2d with `args` (no shell involved).
CliResult run_d2d(const std::vector<std::string>& args);

// Runs build/d2d as a user whom permissions stop (they do not stop root): when the tests run as
// root, through setpriv as nobody; otherwise as the current user. open_to_unprivileged() first
// lets that user read and write everything below `work`.
void open_to_unprivileged(const std::filesystem::path& work);
CliResult run_d2d_unprivileged(const std::vector<std::string>& args);

// Runs a program with args; returns exit code and stdout.
CliResult run_program(const std::string& program, const std::vector<std::string>& args);

// Every analyst relation (and the per-date contribution tables), rows sorted, as text;
// etl_run is left out since it records every run by design.
std::string dump_warehouse(const std::filesystem::path& db);

// "" when the dumps are equal, else the first differing line of each (with its number).
// Use instead of EXPECT_EQ on dumps: gtest's diff of two large strings needs quadratic memory.
std::string first_difference(const std::string& expected, const std::string& actual);

// A single value from a query on the warehouse.
std::string query_one(const std::filesystem::path& db, const std::string& sql);

void write_text(const std::filesystem::path& path, std::string_view text);
// A local lake's rejected zone for one lake date: its files (one per load the warehouse holds), by name.
std::string read_rejected_zone(const std::filesystem::path& lake, const std::string& lake_date);
std::string read_text(const std::filesystem::path& path);

// The warehouse a parameterised test runs against: SQLite (a file in the work folder) or the
// test PostgreSQL server (a schema of its own, named after the work folder).
enum class Engine { Sqlite, Postgres };
std::string engine_name(Engine engine);
inline std::string engine_test_name(const ::testing::TestParamInfo<Engine>& param) {
  return engine_name(param.param);
}
#define D2D_FOR_EACH_WAREHOUSE(suite)                                                              \
  INSTANTIATE_TEST_SUITE_P(Warehouses, suite, ::testing::Values(Engine::Sqlite, Engine::Postgres), \
                           engine_test_name)

class WarehouseUnderTest {
 public:
  // PostgreSQL: `server_uri` names a server of the test's own; empty means the fixture's server.
  WarehouseUnderTest(Engine engine, std::filesystem::path work, std::string server_uri = "");
  Engine engine() const { return m_engine; }
  std::vector<std::string> args() const;            // --warehouse ... [--pg-schema ...]
  void reset() const;                               // an empty warehouse
  std::string dump() const;                         // every relation but etl_run, rows sorted
  std::string query(const std::string& sql) const;  // rows as a|b|c lines

 private:
  Engine m_engine;
  std::filesystem::path m_work;
  std::string m_schema;
  std::string m_server_uri;
  std::string server_uri() const;
};

// Arguments of `d2d run --quiet` for one lake date: source work/source, lake work/lake.
std::vector<std::string> run_args_for(const std::filesystem::path& work, const WarehouseUnderTest& warehouse,
                                      const std::string& date, const std::vector<std::string>& extra = {});

// Runs SQL on the test PostgreSQL server (outside any test schema); rows as a|b|c lines.
std::string pg_query(const std::string& sql, const std::string& server_uri = "");

std::string pg_uri();  // of the server started by the ctest fixture (scripts/pg-start.sh)

// Starts d2d without waiting; stdout and stderr go to files next to `log_prefix`.
class BackgroundRun {
 public:
  BackgroundRun(const std::vector<std::string>& args, const std::filesystem::path& log_prefix,
                const std::vector<std::string>& extra_env = {});
  CliResult wait();
  void signal(int signal_number) const;  // e.g. SIGKILL mid-run, SIGTERM to stop a server

 private:
  int m_pid = -1;
  std::filesystem::path m_log_prefix;
};

// A free TCP port on 127.0.0.1 (scripts/free-port.sh).
int free_port();

bool sample_available();
std::filesystem::path sample_dir();

}  // namespace d2d::testing
