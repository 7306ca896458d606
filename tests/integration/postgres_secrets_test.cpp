// Passwords never appear (issue 14, item 5; SPEC §7): not when the warehouse URI does not parse
// (libpq's reason quotes what it could not read), not when a password holds a '/', a '%' or a
// percent-encoded parameter name, and not in any place an error text travels to: stderr in text
// and JSON logs, etl_run.error, `d2d status`, the status page of `d2d serve` and its log. Every
// form of each password is looked for: as typed in the URI, percent-decoded, and decoded twice.
#include <httplib.h>

#include <chrono>
#include <csignal>
#include <regex>
#include <thread>

#include "harness.h"

namespace d2d::testing {
namespace {
namespace fs = std::filesystem;
using namespace std::chrono_literals;

struct Server {
  std::string host_port;  // 127.0.0.1:PORT
  std::string database;
};

Server test_server() {
  static const std::regex shape(R"(postgresql://[^@]+@([^/]+)/(.+))");
  std::smatch match;
  const std::string uri = pg_uri();
  if (!std::regex_match(uri, match, shape)) throw std::runtime_error("unexpected test URI shape");
  return {match[1], match[2]};
}

// A password, the URI that carries it, and every text that would give it away.
struct Secret {
  std::string uri;
  std::vector<std::string> forms;
};

// Each of `forms` and its JSON spelling ('/' may be written "\/").
void expect_absent(const std::string& text, const Secret& secret, const std::string& where) {
  for (const std::string& form : secret.forms) {
    std::string json = form;
    for (std::size_t at = json.find('/'); at != std::string::npos; at = json.find('/', at + 2))
      json.replace(at, 1, "\\/");
    EXPECT_EQ(text.find(form), std::string::npos) << where << " shows " << form << ":\n" << text;
    if (json != form) {
      EXPECT_EQ(text.find(json), std::string::npos) << where << " shows " << json << ":\n" << text;
    }
  }
}

std::vector<std::string> with(std::vector<std::string> args, const std::vector<std::string>& more) {
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

class PostgresSecrets : public ::testing::Test {
 protected:
  TempDir m_dir;
  std::string m_suffix = [this] {
    std::string suffix = m_dir.path().filename().string().substr(7);
    for (char& c : suffix) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return suffix;
  }();
  std::string m_schema = "secrets_" + m_suffix;
  std::string m_source = std::string(D2D_TEST_DATA_DIR) + "/mixed";

  std::vector<std::string> run_args(const std::string& uri) const {
    return {"run",
            "--source",
            m_source,
            "--lake",
            (m_dir / "lake").string(),
            "--date",
            "2019-06-01",
            "--max-reject-ratio",
            "1",
            "--warehouse",
            uri,
            "--pg-schema",
            m_schema};
  }
};

// URIs libpq cannot read, or would read a password out of as a host or port: refused with exit 2
// and the reason, never the URI or a piece of the password, whatever the command and log format.
TEST_F(PostgresSecrets, AUriThatDoesNotParseIsNeverShown) {
  const Server server = test_server();
  const std::string at = "@" + server.host_port + "/" + server.database;
  const std::vector<Secret> secrets = {
      {"postgresql://d2d:S3cr%2Ft/pw%ZZ" + at, {"S3cr%2Ft/pw%ZZ", "S3cr/t/pw%ZZ", "pw%ZZ"}},
      {"postgresql://d2d:Pa/ss" + at, {"Pa/ss", "\"Pa\""}},
      {"postgresql://d2d" + at + "?password=S3cr%2Ft/pw%ZZ", {"S3cr%2Ft/pw%ZZ", "S3cr/t/pw%ZZ"}},
      {"postgresql://d2d" + at + "?sslmode=disable&password=Pa/ss%ZZ", {"Pa/ss%ZZ", "Pa/ss"}},
  };
  for (const Secret& secret : secrets) {
    for (const std::string format : {"text", "json"}) {
      for (const auto& command :
           {run_args(secret.uri), std::vector<std::string>{"status", "--warehouse", secret.uri},
            std::vector<std::string>{"migrate", "up", "--warehouse", secret.uri},
            std::vector<std::string>{"report", "--warehouse", secret.uri}}) {
        const std::string where =
            command.front() + " --log-format " + format + " with " + secret.forms.front();
        const CliResult result = run_d2d(with({"--log-format", format}, command));
        EXPECT_EQ(result.exit_code, 2) << where << ": " << result.err;
        EXPECT_NE(result.err.find("the warehouse URI does not parse"), std::string::npos)
            << where << ": " << result.err;
        expect_absent(result.out + result.err, secret, where);
      }
    }
  }
}

// URIs that connect, with passwords a simple mask misses (a percent-encoded parameter name, a
// '/' and '%' inside): a run fails after it started (a trigger refuses its success), so its
// error names the connection. The ledger, `d2d status`, the status page and every log keep the
// password out.
TEST_F(PostgresSecrets, APasswordNeverReachesTheLedgerStatusOrPages) {
  const Server server = test_server();
  const std::string first = "leak1_" + m_suffix, second = "leak2_" + m_suffix;
  pg_query("DROP ROLE IF EXISTS " + first);
  pg_query("DROP ROLE IF EXISTS " + second);
  // Superusers, so that they may load the test's schema; the test server is the test's own.
  pg_query("CREATE ROLE " + first + " LOGIN SUPERUSER PASSWORD 'S3cr%2Ft/pw%ZZ'");
  pg_query("CREATE ROLE " + second + " LOGIN SUPERUSER PASSWORD 'Pa/ss'");
  pg_query("DROP SCHEMA IF EXISTS " + m_schema + " CASCADE");
  const CliResult up = run_d2d({"migrate", "up", "--warehouse", pg_uri(), "--pg-schema", m_schema});
  ASSERT_EQ(up.exit_code, 0) << up.err;
  pg_query("CREATE FUNCTION " + m_schema +
           ".refuse_success() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'the test "
           "refuses run %', NEW.run_id; END $$");
  pg_query("CREATE TRIGGER refuse_success BEFORE UPDATE ON " + m_schema +
           ".etl_run FOR EACH ROW WHEN (NEW.status = 'succeeded') EXECUTE FUNCTION " + m_schema +
           ".refuse_success()");

  auto uri_of = [&](const std::string& user, const std::string& query) {
    return "postgresql://" + user + "@" + server.host_port + "/" + server.database + query;
  };
  const std::vector<Secret> secrets = {
      // S3cr%2Ft/pw%ZZ percent-encoded, under a parameter name that is percent-encoded too.
      {uri_of(first, "?pass%77ord=S3cr%252Ft%2Fpw%25ZZ"),
       {"S3cr%252Ft%2Fpw%25ZZ", "S3cr%2Ft/pw%ZZ", "S3cr/t/pw%ZZ"}},
      {uri_of(second, "?sslmode=disable&pass%77ord=Pa/ss"), {"Pa/ss"}},
  };
  for (const Secret& secret : secrets) {
    for (const std::string format : {"text", "json"}) {
      const std::string where = format + " logs with " + secret.forms.front();
      const CliResult run = run_d2d(with({"--log-format", format}, run_args(secret.uri)));
      EXPECT_EQ(run.exit_code, 1) << where << ": " << run.err;
      EXPECT_NE(run.err.find("the test refuses run"), std::string::npos) << where << ": " << run.err;
      expect_absent(run.out + run.err, secret, "d2d run, " + where);

      const std::string error =
          pg_query("SELECT error FROM " + m_schema + ".etl_run ORDER BY run_id DESC LIMIT 1");
      EXPECT_NE(error.find("the test refuses run"), std::string::npos) << error;
      EXPECT_NE(error.find("***"), std::string::npos) << "the connection is named, masked: " << error;
      expect_absent(error, secret, "etl_run.error, " + where);

      const CliResult status = run_d2d(
          {"--log-format", format, "status", "--all", "--warehouse", secret.uri, "--pg-schema", m_schema});
      EXPECT_EQ(status.exit_code, 0) << status.err;
      EXPECT_NE(status.out.find("the test refuses run"), std::string::npos) << status.out;
      expect_absent(status.out + status.err, secret, "d2d status, " + where);
    }

    const int port = free_port();
    BackgroundRun serve({"--log-format", "json", "serve", "--no-scheduler", "--port", std::to_string(port),
                         "--warehouse", secret.uri, "--pg-schema", m_schema},
                        m_dir / "serve");
    httplib::Client http("127.0.0.1", port);
    std::string page;
    for (const auto until = std::chrono::steady_clock::now() + 30s; std::chrono::steady_clock::now() < until;
         std::this_thread::sleep_for(200ms)) {
      if (auto response = http.Get("/?date=2019-06-01"); response && response->status == 200) {
        page = response->body;
        break;
      }
    }
    serve.signal(SIGTERM);
    const CliResult served = serve.wait();
    ASSERT_NE(page.find("the test refuses run"), std::string::npos)
        << "the status page shows the error: " << page << served.err;
    expect_absent(page, secret, "the status page");
    expect_absent(served.out + served.err, secret, "d2d serve's log");
  }
  pg_query("DROP SCHEMA IF EXISTS " + m_schema + " CASCADE");
  pg_query("DROP ROLE " + first);
  pg_query("DROP ROLE " + second);
}

}  // namespace
}  // namespace d2d::testing
