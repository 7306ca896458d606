// `d2d serve` with a token (issue 14, item 8): every page but /healthz answers 401 with a Basic
// challenge unless the request carries the token, as a bearer token or as the HTTP Basic password;
// the token never reaches the logs; a listen address other than loopback needs a token or
// --allow-unauthenticated.
#include <httplib.h>

#include <chrono>
#include <csignal>
#include <thread>

#include "harness.h"
#include "serve_support.h"

namespace d2d::testing {
namespace {

using namespace std::chrono_literals;

const std::string kToken = "Tok3n-for-the-serve-tests-5e1f0c";

class ServeAuth : public ::testing::Test {
 protected:
  void SetUp() override { write_text(m_work / "token", kToken + "\n"); }

  // GET `path` with `headers`: the status, or -1 without an answer.
  int status(int port, const std::string& path, const httplib::Headers& headers = {}) {
    httplib::Client client("127.0.0.1", port);
    client.set_read_timeout(10s);
    const auto response = client.Get(path, headers);
    if (!response) return -1;
    m_last_challenge = response->get_header_value("WWW-Authenticate");
    return response->status;
  }

  // `d2d serve` with `args` that is expected to end by itself within 10 s (refused); killed otherwise.
  CliResult refused(const std::vector<std::string>& args, const std::vector<std::string>& env = {}) {
    std::vector<std::string> all{"serve",       "--no-scheduler",
                                 "--warehouse", (m_work / "w.db").string(),
                                 "--port",      std::to_string(free_port())};
    all.insert(all.end(), args.begin(), args.end());
    BackgroundRun run(all, m_work / "refused", env);
    const auto until = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < until) {
      if (read_text(m_work / "refused.err").find("d2d: ") != std::string::npos) return run.wait();
      std::this_thread::sleep_for(50ms);
    }
    run.signal(SIGKILL);  // it started serving: the test fails on the exit status
    return run.wait();
  }

  TempDir m_work;
  std::string m_last_challenge;
};

TEST_F(ServeAuth, PagesAnswer401WithoutTheTokenOrWithAWrongOne) {
  ServeProcess serve(m_work, {"--auth-token-file", (m_work / "token").string()});
  for (const char* path : {"/", "/report", "/metrics", "/?date=2019-06-01", "/nothing-here"}) {
    EXPECT_EQ(status(serve.port(), path), 401) << path;
    EXPECT_EQ(m_last_challenge, "Basic realm=\"d2d\"") << path;  // a browser prompts for it
    EXPECT_EQ(status(serve.port(), path, {{"Authorization", "Bearer " + kToken + "x"}}), 401) << path;
    EXPECT_EQ(status(serve.port(), path, {{"Authorization", "Bearer " + kToken.substr(0, 20)}}), 401) << path;
    EXPECT_EQ(
        status(serve.port(), path, {httplib::make_basic_authentication_header("ops", "wrong-password")}), 401)
        << path;
    // The token as the user name is not the password.
    EXPECT_EQ(status(serve.port(), path, {httplib::make_basic_authentication_header(kToken, "")}), 401)
        << path;
  }
}

TEST_F(ServeAuth, TheTokenOpensEveryPageAsBearerOrBasicPasswordAndHealthzNeedsNone) {
  ServeProcess serve(m_work, {"--auth-token-file", (m_work / "token").string()});
  EXPECT_EQ(status(serve.port(), "/healthz"), 200);
  for (const char* path : {"/", "/report", "/metrics"}) {
    EXPECT_EQ(status(serve.port(), path, {{"Authorization", "Bearer " + kToken}}), 200) << path;
    EXPECT_EQ(status(serve.port(), path, {httplib::make_basic_authentication_header("anyone", kToken)}), 200)
        << path;
  }
}

TEST_F(ServeAuth, TheTokenComesFromTheEnvironmentOrTheConfigFileToo) {
  {
    ServeProcess serve(m_work, {}, {"D2D_SERVE_TOKEN=" + kToken});
    EXPECT_EQ(status(serve.port(), "/metrics"), 401);
    EXPECT_EQ(status(serve.port(), "/metrics", {{"Authorization", "Bearer " + kToken}}), 200);
  }
  write_text(m_work / "d2d.toml", "serve_auth_token_file = \"" + (m_work / "token").string() + "\"\n");
  ServeProcess serve(m_work, {"--config", (m_work / "d2d.toml").string()});
  EXPECT_EQ(status(serve.port(), "/"), 401);
  EXPECT_EQ(status(serve.port(), "/", {httplib::make_basic_authentication_header("x", kToken)}), 200);
}

TEST_F(ServeAuth, TheTokenNeverAppearsInTheLogs) {
  for (const char* format : {"text", "json"}) {
    ServeProcess serve(m_work, {"--auth-token-file", (m_work / "token").string(), "--log-level", "trace",
                                "--log-format", format});
    status(serve.port(), "/", {{"Authorization", "Bearer " + kToken}});
    status(serve.port(), "/", {{"Authorization", "Bearer " + kToken + "-wrong"}});
    status(serve.port(), "/?date=bad", {httplib::make_basic_authentication_header("u", kToken)});
    const CliResult stopped = serve.stop();
    EXPECT_EQ(stopped.exit_code, 0) << stopped.err;
    EXPECT_NE(stopped.err.find("requires the token"), std::string::npos) << stopped.err;
    EXPECT_EQ((stopped.out + stopped.err).find(kToken.substr(0, 16)), std::string::npos) << stopped.err;
  }
}

TEST_F(ServeAuth, ListeningBeyondLoopbackWithoutATokenIsRefused) {
  for (const char* address : {"0.0.0.0", "::", "192.0.2.10"}) {
    const CliResult result = refused({"--bind", address});
    EXPECT_EQ(result.exit_code, 2) << address << ": " << result.err;
    EXPECT_NE(result.err.find("refusing to serve the pages"), std::string::npos) << result.err;
    EXPECT_NE(result.err.find("--auth-token-file"), std::string::npos) << result.err;
  }
  // --allow-unauthenticated (flag or environment) gets past the check: 192.0.2.10 (TEST-NET-1, not
  // an address of this machine) then fails to bind, so nothing listens beyond loopback here.
  for (const auto& [args, env] : std::vector<std::pair<std::vector<std::string>, std::vector<std::string>>>{
           {{"--bind", "192.0.2.10", "--allow-unauthenticated"}, {}},
           {{"--bind", "192.0.2.10"}, {"D2D_SERVE_ALLOW_UNAUTHENTICATED=1"}},
           {{"--bind", "192.0.2.10", "--auth-token-file", (m_work / "token").string()}, {}}}) {
    const CliResult result = refused(args, env);
    EXPECT_EQ(result.exit_code, 2) << result.err;
    EXPECT_EQ(result.err.find("refusing to serve"), std::string::npos) << result.err;
    EXPECT_NE(result.err.find("cannot listen on 192.0.2.10"), std::string::npos) << result.err;
  }
}

TEST_F(ServeAuth, AnUnusableTokenIsAUsageErrorThatDoesNotQuoteIt) {
  write_text(m_work / "short", "tiny-secret\n");
  const CliResult short_token = refused({"--auth-token-file", (m_work / "short").string()});
  EXPECT_EQ(short_token.exit_code, 2) << short_token.err;
  EXPECT_NE(short_token.err.find("shorter than 16"), std::string::npos) << short_token.err;
  EXPECT_EQ(short_token.err.find("tiny-secret"), std::string::npos) << short_token.err;
  const CliResult missing = refused({"--auth-token-file", (m_work / "missing").string()});
  EXPECT_EQ(missing.exit_code, 2) << missing.err;
  EXPECT_NE(missing.err.find("cannot read --auth-token-file"), std::string::npos) << missing.err;
  // A folder opens like a file; reading it is what fails, and says so.
  const CliResult folder = refused({"--auth-token-file", m_work.path().string()});
  EXPECT_EQ(folder.exit_code, 2) << folder.err;
  EXPECT_NE(folder.err.find("cannot read --auth-token-file " + m_work.path().string() + ": Is a directory"),
            std::string::npos)
      << folder.err;
  // At most 4096 bytes, whitespace included.
  write_text(m_work / "long", kToken + std::string(4097 - kToken.size(), '\n'));
  const CliResult too_long = refused({"--auth-token-file", (m_work / "long").string()});
  EXPECT_EQ(too_long.exit_code, 2) << too_long.err;
  EXPECT_NE(too_long.err.find("is longer than 4096 bytes"), std::string::npos) << too_long.err;
  const CliResult both =
      refused({"--auth-token-file", (m_work / "token").string()}, {"D2D_SERVE_TOKEN=" + kToken + "-other"});
  EXPECT_EQ(both.exit_code, 2) << both.err;
  EXPECT_EQ(both.err.find(kToken), std::string::npos) << both.err;
  // The path from the environment: the errors name the variable, not a flag nobody gave.
  const CliResult from_env = refused({}, {"D2D_SERVE_AUTH_TOKEN_FILE=" + (m_work / "short").string()});
  EXPECT_EQ(from_env.exit_code, 2) << from_env.err;
  EXPECT_NE(from_env.err.find("the token in D2D_SERVE_AUTH_TOKEN_FILE " + (m_work / "short").string()),
            std::string::npos)
      << from_env.err;
  EXPECT_EQ(from_env.err.find("--auth-token-file"), std::string::npos) << from_env.err;
}

}  // namespace
}  // namespace d2d::testing
