// The fixture the credential_*_test.cpp files share: loopback fakes, a test's own environment and HOME.
//
// Issue 16, item 1: the AWS credential chain in the SDKs' order, against loopback fakes of the
// endpoints that cannot run here (aws_credentials_fake.py: IMDSv2, the container endpoint, STS,
// and an S3 that checks which key signed each request). Runs only inside a network namespace of
// its own with nothing but loopback (in_netns.sh), where the metadata addresses 169.254.169.254 and
// 169.254.170.2 are this namespace's loopback: no test can reach a real metadata service.
#pragma once

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "s3/client.h"
#include "s3/credentials.h"

namespace d2d::testing::credentials {

namespace fs = std::filesystem;
using Seconds = std::chrono::duration<double>;

struct Fake {
  pid_t pid = -1;
  int port = 0;
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port); }
};

// Starts the fake with `args`; it prints the port of its first listener.
Fake start_fake(const std::vector<std::string>& args);

std::string http(const std::string& method, const std::string& url, const std::string& body = "");

bool one_line(const std::string& text);

class CredentialChain : public ::testing::Test {
 protected:
  void SetUp() override {
    char name[] = "/tmp/d2d-credentials-XXXXXX";
    ASSERT_NE(mkdtemp(name), nullptr);
    m_dir = name;
    m_env["HOME"] = m_dir.string();  // no ~/.aws unless a test writes one
    m_options.region = "eu-central-1";
    m_options.on_debug = [this](const std::string& line) { m_debug.push_back(line); };
    m_options.on_retry = [this](const std::string& line) { m_debug.push_back(line); };
  }
  void TearDown() override {
    for (const Fake& fake : m_fakes) {
      kill(fake.pid, SIGKILL);
      waitpid(fake.pid, nullptr, 0);
    }
    fs::remove_all(m_dir);
  }
  // The fake on loopback and, when `metadata_addresses`, on the metadata services' addresses.
  Fake& fake(bool metadata_addresses = true) {
    std::vector<std::string> args{"--listen", "127.0.0.1:0"};
    if (metadata_addresses) {
      args.insert(args.end(), {"--listen", "169.254.169.254:80", "--listen", "169.254.170.2:80"});
    }
    m_fakes.push_back(start_fake(args));
    return m_fakes.back();
  }
  void control(const Fake& fake, const std::string& json) { http("POST", fake.url() + "/_control", json); }
  std::string log_of(const Fake& fake) { return http("GET", fake.url() + "/_log"); }
  s3::Environment env() const {
    return [this](const std::string& name) -> std::optional<std::string> {
      const auto it = m_env.find(name);
      if (it == m_env.end()) return std::nullopt;
      return it->second;
    };
  }
  fs::path write(const std::string& name, const std::string& text) {
    std::ofstream(m_dir / name) << text;
    return m_dir / name;
  }
  // The message of the Error that resolving throws, and how long resolving took.
  std::string failure(Seconds* took = nullptr) {
    const auto start = std::chrono::steady_clock::now();
    try {
      s3::resolve_credentials(false, env(), m_options);
    } catch (const core::Error& error) {
      if (took != nullptr) *took = std::chrono::steady_clock::now() - start;
      return error.what();
    }
    return "(no error)";
  }

  fs::path m_dir;
  std::map<std::string, std::string> m_env;
  s3::ChainOptions m_options;
  std::vector<std::string> m_debug;
  std::vector<Fake> m_fakes;
};

}  // namespace d2d::testing::credentials
