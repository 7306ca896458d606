// --pg-schema reaches SQL (issue 14, item 6): a name that is not a plain identifier is refused
// with exit 2 before any connection, whether it comes from the flag, D2D_PG_SCHEMA or d2d.toml,
// and creates nothing; a plain but unusual name (mixed case) works everywhere the schema is named,
// which shows it is quoted the same way in every statement, migration and grant.
#include <gtest/gtest.h>

#include "harness.h"

namespace d2d::testing {
namespace {
namespace fs = std::filesystem;

class PostgresSchema : public ::testing::Test {
 protected:
  TempDir m_dir;
  std::string m_suffix = m_dir.path().filename().string().substr(7);  // mkdtemp's letters and digits
};

TEST_F(PostgresSchema, ANameThatIsNotAPlainIdentifierIsRefusedBeforeAnyConnectionAndCreatesNothing) {
  // Before the fix, migration 0001's comment naming the placeholder ended at this newline, and
  // the rest ran as a statement.
  const std::string table = "pwned_" + m_suffix;
  const std::string hostile = "x\nCREATE TABLE public." + table + " (i int);--";
  const std::string source = std::string(D2D_TEST_DATA_DIR) + "/mixed";
  const std::vector<std::string> run = {"run",
                                        "--source",
                                        source,
                                        "--lake",
                                        (m_dir / "lake").string(),
                                        "--date",
                                        "2019-06-01",
                                        "--max-reject-ratio",
                                        "1",
                                        "--warehouse",
                                        pg_uri()};
  auto expect_refused = [](const CliResult& result) {
    EXPECT_EQ(result.exit_code, 2) << result.err;
    EXPECT_NE(result.err.find("--pg-schema"), std::string::npos) << result.err;
    EXPECT_NE(result.err.find("not a plain identifier"), std::string::npos) << result.err;
    EXPECT_EQ(result.err.find("cannot connect"), std::string::npos) << result.err;
  };

  // The flag, on each command that opens the warehouse.
  for (const std::vector<std::string>& command :
       {std::vector<std::string>{"migrate", "up"}, {"migrate", "status"}, {"status"}, {"report"}}) {
    std::vector<std::string> args = command;
    for (const std::string& arg : {std::string("--warehouse"), pg_uri(), std::string("--pg-schema"), hostile})
      args.push_back(arg);
    SCOPED_TRACE(command.front());
    expect_refused(run_d2d(args));
  }
  // The environment.
  BackgroundRun from_env(run, m_dir / "env", {"D2D_PG_SCHEMA=" + hostile});
  expect_refused(from_env.wait());
  // d2d.toml (TOML's basic strings take \n).
  write_text(m_dir / "d2d.toml", "pg_schema = \"x\\nCREATE TABLE public." + table + " (i int);--\"\n");
  std::vector<std::string> with_config = {"--config", (m_dir / "d2d.toml").string()};
  with_config.insert(with_config.end(), run.begin(), run.end());
  expect_refused(run_d2d(with_config));
  // Before any connection: a server that is not there still gets the same answer at once,
  // not a failed connection.
  expect_refused(run_d2d({"migrate", "up", "--warehouse",
                          "postgresql://d2d@127.0.0.1:" + std::to_string(free_port()) + "/none",
                          "--pg-schema", "Fleet-2"}));
  expect_refused(run_d2d({"migrate", "up", "--warehouse", pg_uri(), "--pg-schema", std::string(64, 'a')}));
  expect_refused(run_d2d({"migrate", "up", "--warehouse", pg_uri(), "--pg-schema", ""}));

  EXPECT_EQ(pg_query("SELECT COUNT(*) FROM pg_class WHERE relname = '" + table + "'"), "0");
  EXPECT_EQ(pg_query("SELECT COUNT(*) FROM pg_namespace WHERE nspname LIKE 'x%' OR nspname = 'Fleet-2'"),
            "0");
  EXPECT_FALSE(fs::exists(m_dir / "lake")) << "nothing was extracted either";
}

TEST_F(PostgresSchema, AMixedCaseSchemaWorksEndToEnd) {
  const std::string schema = "Fleet_2_" + m_suffix;
  const std::string quoted = "\"" + schema + "\"";
  pg_query("DROP SCHEMA IF EXISTS " + quoted + " CASCADE");
  auto d2d = [&](std::vector<std::string> args) {
    for (const std::string& arg : {std::string("--warehouse"), pg_uri(), std::string("--pg-schema"), schema})
      args.push_back(arg);
    return run_d2d(args);
  };
  auto tables_in = [](const std::string& name) {
    return pg_query("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = '" + name + "'");
  };

  const CliResult up = d2d({"migrate", "up", "--pg-analyst-role"});
  ASSERT_EQ(up.exit_code, 0) << up.err;
  EXPECT_NE(tables_in(schema), "0");
  EXPECT_EQ(tables_in(std::string("fleet_2_") + m_suffix), "0") << "the name keeps its case";
  // Migration 0002 granted the analyst role the schema and its relations; 0004 named the schema
  // through search_path and granted schema_migration.
  EXPECT_EQ(pg_query("SELECT has_schema_privilege('d2d_analyst', '" + schema +
                     "', 'USAGE'), has_table_privilege('d2d_analyst', '" + quoted +
                     ".location_update', 'SELECT'), has_table_privilege('d2d_analyst', '" + quoted +
                     ".schema_migration', 'SELECT')"),
            "t|t|t");

  const CliResult loaded =
      d2d({"run", "--source", std::string(D2D_TEST_DATA_DIR) + "/mixed", "--lake", (m_dir / "lake").string(),
           "--date", "2019-06-01", "--max-reject-ratio", "1", "--quiet"});
  ASSERT_EQ(loaded.exit_code, 0) << loaded.err;
  EXPECT_NE(pg_query("SELECT COUNT(*) FROM " + quoted + ".location_update"), "0");
  const CliResult report = d2d({"report", "--format", "json"});
  ASSERT_EQ(report.exit_code, 0) << report.err;
  EXPECT_NE(report.out.find("\"operating_period_id\""), std::string::npos) << report.out;
  const CliResult status = d2d({"status"});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  EXPECT_NE(status.out.find("succeeded"), std::string::npos) << status.out;

  const CliResult down = d2d({"migrate", "down", "100", "--yes"});  // the loaded rows go too
  ASSERT_EQ(down.exit_code, 0) << down.err;
  EXPECT_EQ(tables_in(schema), "1") << "only schema_migration is left";
  const CliResult again = d2d({"migrate", "up"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(tables_in(schema), "1");
  pg_query("DROP SCHEMA IF EXISTS " + quoted + " CASCADE");
}

}  // namespace
}  // namespace d2d::testing
