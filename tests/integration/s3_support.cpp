#include "s3_support.h"

#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <stdexcept>
#include <thread>

#include "harness.h"

extern char** environ;

namespace d2d::testing {
namespace fs = std::filesystem;

std::string s3_endpoint() {
  std::string endpoint = read_text(fs::path(D2D_S3_DIR) / "endpoint");
  while (!endpoint.empty() && (endpoint.back() == '\n' || endpoint.back() == '\r')) endpoint.pop_back();
  return endpoint;
}

std::string last_line(const std::string& text) {
  std::string trimmed = text;
  while (!trimmed.empty() && trimmed.back() == '\n') trimmed.pop_back();
  const auto newline = trimmed.rfind('\n');
  return newline == std::string::npos ? trimmed : trimmed.substr(newline + 1);
}

void use_s3_test_credentials() {
  for (const char* name :
       {"AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3",
        "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "D2D_S3_ENDPOINT", "D2D_SOURCE", "D2D_LAKE",
        "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_ENDPOINT_URL_STS"}) {
    unsetenv(name);
  }
  setenv("AWS_ACCESS_KEY_ID", "S3RVER", 1);
  setenv("AWS_SECRET_ACCESS_KEY", "S3RVER", 1);
  setenv("AWS_REGION", "us-east-1", 1);
  setenv("AWS_EC2_METADATA_DISABLED", "true", 1);  // awscli: never look for an instance role
}

std::string unique_prefix(const std::string& name) {
  static std::atomic<int> counter{0};
  return name + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
}

void aws_cli_upload(const fs::path& folder, const std::string& s3_uri) {
  const CliResult result =
      run_program("/usr/bin/aws", {"--endpoint-url", s3_endpoint(), "s3", "cp", "--recursive",
                                   "--only-show-errors", folder.string(), s3_uri});
  if (result.exit_code != 0) throw std::runtime_error("aws s3 cp failed: " + result.err);
}

std::unique_ptr<s3::Client> test_client(const std::string& bucket, const std::string& endpoint) {
  s3::ClientOptions options;
  options.endpoint = endpoint.empty() ? s3_endpoint() : endpoint;
  options.region = "us-east-1";
  s3::Credentials credentials;
  credentials.access_key_id = "S3RVER";
  credentials.secret_access_key = "S3RVER";
  return std::make_unique<s3::Client>(bucket, s3::resolve_options(options, s3::process_environment()),
                                      credentials);
}

FaultProxy::FaultProxy(const fs::path& work, const std::vector<std::string>& options) {
  static std::atomic<int> counter{0};
  const std::string name = "proxy-" + std::to_string(counter++);
  const fs::path port_file = work / (name + ".port");
  m_log = work / (name + ".log");
  std::vector<std::string> args{"/usr/bin/python3", D2D_S3_PROXY,       "--upstream", s3_endpoint().substr(7),
                                "--port-file",      port_file.string(), "--log",      m_log.string()};
  args.insert(args.end(), options.begin(), options.end());
  std::vector<char*> argv;
  for (auto& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  if (posix_spawn(&pid, argv[0], nullptr, nullptr, argv.data(), environ) != 0)
    throw std::runtime_error("cannot start the S3 proxy");
  m_pid = pid;
  for (int i = 0; i < 200 && !fs::exists(port_file); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  if (!fs::exists(port_file)) throw std::runtime_error("the S3 proxy did not start");
  m_endpoint = "http://127.0.0.1:" + read_text(port_file);
}

FaultProxy::~FaultProxy() {
  if (m_pid > 0) {
    ::kill(m_pid, SIGTERM);
    int status = 0;
    ::waitpid(m_pid, &status, 0);
  }
}

namespace {
std::string string_field(const std::string& line, const std::string& name) {
  const std::string marker = "\"" + name + "\": \"";
  const auto start = line.find(marker);
  if (start == std::string::npos) return "";
  const auto value = start + marker.size();
  return line.substr(value, line.find('"', value) - value);
}
}  // namespace

std::vector<ProxyRecord> FaultProxy::records() const {
  std::vector<ProxyRecord> records;
  std::ifstream in(m_log);
  std::string line;
  while (std::getline(in, line)) {
    ProxyRecord record;
    record.method = string_field(line, "method");
    record.target = string_field(line, "target");
    record.fault = string_field(line, "fault");
    record.ranged = line.find("[\"Range\", \"bytes=") != std::string::npos;
    records.push_back(record);
  }
  return records;
}

}  // namespace d2d::testing
