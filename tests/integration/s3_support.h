// Support for the S3 tests: the s3rver started by the ctest fixture (scripts/s3rver-start.sh),
// its credentials in the environment, uploads by independent clients and by d2d's own, and
// the tests' fault proxy (s3_proxy.py) with its request log.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "s3/client.h"

namespace d2d::testing {

std::string s3_endpoint();
std::string last_line(
    const std::string& text);  // without its newline  // http://127.0.0.1:PORT of the fixture's s3rver
// Sets the credentials s3rver accepts (S3RVER/S3RVER) and clears every other AWS_* setting.
void use_s3_test_credentials();
// A unique prefix (folder) per test, so tests may share the buckets.
std::string unique_prefix(const std::string& name);
// `aws s3 cp --recursive` (Debian's awscli): objects put by a client independent of d2d.
void aws_cli_upload(const std::filesystem::path& folder, const std::string& s3_uri);
// d2d's own client on a bucket of the fixture's server (or of `endpoint`).
std::unique_ptr<s3::Client> test_client(const std::string& bucket, const std::string& endpoint = "");

struct ProxyRecord {
  int n = 0;
  std::string method;
  std::string target;
  std::string fault;    // "" when none was applied
  bool ranged = false;  // a Range request: a GET resumed after a broken body
};

// The tests' loopback proxy in front of s3rver: records every request, injects the faults
// given as s3_proxy.py options (e.g. {"--fault", "503", "--every", "3", "--limit", "10"}).
class FaultProxy {
 public:
  FaultProxy(const std::filesystem::path& work, const std::vector<std::string>& options = {});
  ~FaultProxy();
  FaultProxy(const FaultProxy&) = delete;
  FaultProxy& operator=(const FaultProxy&) = delete;
  std::string endpoint() const { return m_endpoint; }
  std::filesystem::path log() const { return m_log; }
  std::vector<ProxyRecord> records() const;

 private:
  int m_pid = -1;
  std::string m_endpoint;
  std::filesystem::path m_log;
};

}  // namespace d2d::testing
