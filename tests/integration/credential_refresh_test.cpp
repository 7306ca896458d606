// Credentials renewed or failing mid-run under parallel transfers: seconds-long tests, apart from the rest.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <simdjson.h>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "credential_support.h"

namespace d2d::testing::credentials {
namespace {

using namespace d2d::s3;
using d2d::core::Error;

TEST_F(CredentialChain, CredentialsThatExpireMidRunAreRefreshedUnderParallelTransfers) {
  Fake& aws = fake(false);
  // The fake S3 refuses a key after its 3 s; a slow endpoint makes the transfers meet at a refresh.
  control(aws, R"({"lifetime_s": 3, "container_delay_s": 0.3})");
  m_env["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = aws.url() + "/container/credentials";
  m_env["AWS_EC2_METADATA_DISABLED"] = "true";
  ClientOptions options;
  options.endpoint = aws.url();
  options.region = "us-east-1";
  options.addressing = Addressing::Path;
  options.attempts = 1;  // any refused request fails the test
  ChainOptions chain = chain_options(options);
  chain.expiry_guard_ms = 300;  // the product's 10 s would outlast these 3 s credentials
  Client client("bucket", options, credential_chain(false, env(), chain, std::chrono::seconds(1)));
  std::atomic<int> gets{0};
  std::atomic<int> failures{0};
  std::vector<std::thread> transfers;
  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(8);
  for (int i = 0; i < 4; ++i) {
    transfers.emplace_back([&] {
      while (std::chrono::steady_clock::now() < end) {
        try {
          if (client.get_if_exists("object") == "hello\n") ++gets;
        } catch (const Error&) {
          ++failures;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    });
  }
  for (auto& transfer : transfers) transfer.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_GT(gets.load(), 100);

  simdjson::dom::parser parser;
  const std::string log = log_of(aws);
  std::set<std::string> keys;
  int refused = 0;
  for (auto event : parser.parse(log)["log"].get_array()) {
    std::string_view key;
    if (event["s3"].get_string().get(key) == simdjson::SUCCESS) keys.insert(std::string(key));
    bool ok = true;
    if (event["ok"].get_bool().get(ok) == simdjson::SUCCESS && !ok) ++refused;
  }
  EXPECT_EQ(refused, 0) << log;
  // 8 s of 3 s credentials renewed 1 s early: about 4 keys, each fetched once for all 4 threads.
  EXPECT_GE(keys.size(), 3u);
  EXPECT_LE(parser.parse(log)["issued"].get_object().size(), 6u);
}

// Temporary credentials expire and their source then answers with an error (the container
// endpoint: HTTP 404) or with none (instance metadata: no role any more). The refresh that fails
// while they still hold is a warning; once they have expired, every request fails with the
// source's line (never signed with the expired keys), and the source is not asked again before
// refresh_retry_ms however many transfers ask: they do not queue behind one fetch after another.
TEST_F(CredentialChain, ASourceFailingAfterItsCredentialsExpiredFailsRequestsClearlyAndIsAskedSeldom) {
  struct Case {
    std::string source;          // AWS_* variable pointing at the fake's path
    std::string path;            // on the fake
    std::string failing;         // control JSON that makes the source fail
    std::string asked_key;       // the log event of one ask of the source
    std::string asked_value;     // "" for any
    std::string expected_start;  // the message, without the fake's URL
    std::string expected_end;
  };
  const std::vector<Case> cases = {
      {"AWS_CONTAINER_CREDENTIALS_FULL_URI", "/container/credentials", R"({"container": "404"})", "container",
       "", "AWS credentials from container credentials (",
       "/container/credentials): the credentials request "
       "answered HTTP 404"},
      {"AWS_EC2_METADATA_SERVICE_ENDPOINT", "", R"({"imds": "no_role"})", "imds", "token",
       "AWS credentials from EC2 instance metadata (role d2d-role): the refresh gave no credentials", ""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.source);
    Fake& aws = fake(false);
    control(aws, R"({"lifetime_s": 2})");
    m_env.erase("AWS_CONTAINER_CREDENTIALS_FULL_URI");
    m_env.erase("AWS_EC2_METADATA_SERVICE_ENDPOINT");
    m_env[c.source] = aws.url() + c.path;
    ClientOptions options;
    options.endpoint = aws.url();
    options.region = "us-east-1";
    options.addressing = Addressing::Path;
    options.attempts = 1;
    ChainOptions chain = chain_options(options);
    chain.refresh_retry_ms = 5'000;
    // Not handed out in their last 300 ms: a request signed at 1.99 s must not reach S3 after 2 s.
    chain.expiry_guard_ms = 300;
    Client client("bucket", options, credential_chain(false, env(), chain, std::chrono::seconds(1)));
    control(aws, c.failing);

    // 4 transfers for 3.5 s: the credentials are renewed from 1 s on and expire at 2 s.
    std::mutex mutex;
    std::map<std::string, int> failures;
    std::atomic<int> gets{0};
    std::vector<std::thread> transfers;
    const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(3'500);
    for (int i = 0; i < 4; ++i) {
      transfers.emplace_back([&] {
        while (std::chrono::steady_clock::now() < end) {
          try {
            if (client.get_if_exists("object") == "hello\n") ++gets;
          } catch (const Error& error) {
            std::lock_guard lock(mutex);
            ++failures[error.what()];
          }
          std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
      });
    }
    for (auto& transfer : transfers) transfer.join();

    EXPECT_GT(gets.load(), 20);
    std::string expected = c.expected_start;
    if (!c.expected_end.empty()) expected += aws.url() + c.expected_end;
    std::string seen;
    for (const auto& [message, count] : failures) seen += fmt::format("\n{} x {}", count, message);
    ASSERT_EQ(failures.size(), 1u) << seen;
    EXPECT_EQ(failures.begin()->first, expected);
    EXPECT_GT(failures.begin()->second, 20);

    simdjson::dom::parser parser;
    const std::string log = log_of(aws);
    int asked = 0, refused = 0;
    for (auto event : parser.parse(log)["log"].get_array()) {
      std::string_view value;
      if (event[c.asked_key].get_string().get(value) == simdjson::SUCCESS &&
          (c.asked_value.empty() || value == c.asked_value))
        ++asked;
      bool ok = true;
      if (event["ok"].get_bool().get(ok) == simdjson::SUCCESS && !ok) ++refused;
    }
    // The first fetch and the failed refresh at about 1 s; the next is due at about 6 s.
    EXPECT_GE(asked, 2) << log;
    EXPECT_LE(asked, 3) << log;
    EXPECT_EQ(refused, 0) << "signed with expired credentials: " << log;
  }
}

}  // namespace
}  // namespace d2d::testing::credentials
