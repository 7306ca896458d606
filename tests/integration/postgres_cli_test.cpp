// The PostgreSQL warehouse from the command line: libpq's environment instead of a URI,
// passwords never shown, migrations up and down, the optional read-only analyst role.
#include <gtest/gtest.h>

#include <regex>

#include "harness.h"

namespace d2d::testing {
namespace {

struct UriParts {
  std::string user, password, host, port, database;
};

UriParts split_uri(const std::string& uri) {
  static const std::regex shape(R"(postgresql://([^:]+):([^@]+)@([^:]+):(\d+)/(.+))");
  std::smatch match;
  if (!std::regex_match(uri, match, shape)) throw std::runtime_error("unexpected test URI shape");
  return {match[1], match[2], match[3], match[4], match[5]};
}

class PostgresCli : public ::testing::Test {
 protected:
  TempDir m_dir;
  std::string m_schema = "cli_" + m_dir.path().filename().string().substr(7);
  void SetUp() override { pg_query("DROP SCHEMA IF EXISTS \"" + m_schema + "\" CASCADE"); }
  void TearDown() override { pg_query("DROP SCHEMA IF EXISTS \"" + m_schema + "\" CASCADE"); }
};

TEST_F(PostgresCli, LibpqEnvironmentAloneIsEnough) {
  const UriParts parts = split_uri(pg_uri());
  BackgroundRun run({"migrate", "up", "--warehouse", "postgresql:", "--pg-schema", m_schema}, m_dir / "env",
                    {"PGHOST=" + parts.host, "PGPORT=" + parts.port, "PGUSER=" + parts.user,
                     "PGPASSWORD=" + parts.password, "PGDATABASE=" + parts.database});
  const CliResult result = run.wait();
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("0001  initial_schema"), std::string::npos) << result.out;
  const CliResult status = run_d2d({"migrate", "status", "--warehouse", pg_uri(), "--pg-schema", m_schema});
  EXPECT_NE(status.out.find("applied"), std::string::npos) << status.out;
  EXPECT_EQ(status.out.find("pending"), std::string::npos) << status.out;
}

TEST_F(PostgresCli, PasswordsNeverAppear) {
  const UriParts parts = split_uri(pg_uri());
  const std::string secret = "not-the-password-4711";
  const std::string wrong = "postgresql://" + parts.user + ":" + secret + "@" + parts.host + ":" +
                            parts.port + "/" + parts.database;
  const CliResult result = run_d2d({"report", "--warehouse", wrong, "--pg-schema", m_schema});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(result.err.find(secret), std::string::npos) << result.err;
  EXPECT_EQ(result.out.find(secret), std::string::npos);
  EXPECT_NE(result.err.find(parts.user + ":***@"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("password authentication failed"), std::string::npos) << result.err;
}

TEST_F(PostgresCli, MigrationsRollBackAndReapply) {
  const std::string uri = pg_uri();
  ASSERT_EQ(run_d2d({"migrate", "up", "--warehouse", uri, "--pg-schema", m_schema}).exit_code, 0);
  const std::string applied = pg_query("SELECT COUNT(*) FROM \"" + m_schema + "\".schema_migration");
  // More steps than there are migrations: every one is rolled back, newest first.
  const CliResult down = run_d2d({"migrate", "down", "100", "--warehouse", uri, "--pg-schema", m_schema});
  ASSERT_EQ(down.exit_code, 0) << down.err;
  EXPECT_NE(down.out.find(applied + " migration(s) rolled back"), std::string::npos) << down.out;
  EXPECT_EQ(pg_query("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = '" + m_schema +
                     "' AND table_name = 'location_update'"),
            "0");
  const CliResult status = run_d2d({"migrate", "status", "--warehouse", uri, "--pg-schema", m_schema});
  EXPECT_NE(status.out.find("pending"), std::string::npos) << status.out;
  ASSERT_EQ(run_d2d({"migrate", "up", "--warehouse", uri, "--pg-schema", m_schema}).exit_code, 0);
  EXPECT_EQ(pg_query("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = '" + m_schema +
                     "' AND table_name = 'location_update'"),
            "1");
}

TEST_F(PostgresCli, AnalystRoleCanReadButNotWrite) {
  const CliResult up =
      run_d2d({"migrate", "up", "--warehouse", pg_uri(), "--pg-schema", m_schema, "--pg-analyst-role"});
  ASSERT_EQ(up.exit_code, 0) << up.err;
  const std::string table = "'\"" + m_schema + "\".location_update'";
  EXPECT_EQ(pg_query("SELECT has_table_privilege('d2d_analyst', " + table +
                     ", 'SELECT'), "
                     "has_table_privilege('d2d_analyst', " +
                     table +
                     ", 'INSERT'), "
                     "has_table_privilege('d2d_analyst', '\"" +
                     m_schema + "\".lake_location_superseded', 'SELECT')"),
            "t|f|f");
}

// An analyst logs in with a role of their own that is a member of d2d_analyst: `d2d report`
// answers (no migration is attempted on a current schema), and `d2d run` is refused.
TEST_F(PostgresCli, AnalystLoginReportsButCannotLoad) {
  const std::string owner = pg_uri();
  const std::string source = std::string(D2D_TEST_DATA_DIR) + "/mixed";
  const std::vector<std::string> load = {
      "run",        "--source",           source, "--lake", (m_dir / "lake").string(), "--date",
      "2019-06-01", "--max-reject-ratio", "1",    "--quiet"};
  auto with_warehouse = [&](std::vector<std::string> args, const std::string& uri) {
    for (const std::string& arg : {std::string("--warehouse"), uri, std::string("--pg-schema"), m_schema})
      args.push_back(arg);
    return args;
  };
  ASSERT_EQ(run_d2d(with_warehouse({"migrate", "up", "--pg-analyst-role"}, owner)).exit_code, 0);
  const CliResult loaded = run_d2d(with_warehouse(load, owner));
  ASSERT_EQ(loaded.exit_code, 0) << loaded.err;
  const CliResult owners_report = run_d2d(with_warehouse({"report", "--format", "csv"}, owner));
  ASSERT_EQ(owners_report.exit_code, 0) << owners_report.err;

  const std::string login = m_schema + "_analyst";
  pg_query("DROP ROLE IF EXISTS \"" + login + "\"");
  pg_query("CREATE ROLE \"" + login + "\" LOGIN PASSWORD 'analyst-pw' IN ROLE d2d_analyst");
  const UriParts parts = split_uri(owner);
  const std::string analyst =
      "postgresql://" + login + ":analyst-pw@" + parts.host + ":" + parts.port + "/" + parts.database;
  const CliResult report = run_d2d(with_warehouse({"report", "--format", "csv"}, analyst));
  const CliResult refused = run_d2d(with_warehouse(load, analyst));
  pg_query("DROP SCHEMA IF EXISTS \"" + m_schema + "\" CASCADE");
  pg_query("DROP ROLE \"" + login + "\"");

  ASSERT_EQ(report.exit_code, 0) << report.err;
  EXPECT_EQ(report.out, owners_report.out);
  EXPECT_NE(report.out.find("\n"), report.out.rfind("\n")) << "at least one period: " << report.out;
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("permission denied"), std::string::npos) << refused.err;
}

}  // namespace
}  // namespace d2d::testing
