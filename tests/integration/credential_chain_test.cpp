// Issue 16, item 1: the AWS credential chain in the SDKs' order, against loopback fakes of the
// endpoints that cannot run here (aws_credentials_fake.py: IMDSv2, the container endpoint, STS,
// and an S3 that checks which key signed each request). Runs only inside a network namespace of
// its own with nothing but loopback (in_netns.sh), where the metadata addresses 169.254.169.254 and
// 169.254.170.2 are this namespace's loopback: no test can reach a real metadata service.
#include <gtest/gtest.h>
#include <signal.h>
#include <simdjson.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "core/error.h"
#include "s3/client.h"
#include "s3/credentials.h"

namespace fs = std::filesystem;
using namespace d2d::s3;
using d2d::core::Error;
using Seconds = std::chrono::duration<double>;

namespace {

struct Fake {
  pid_t pid = -1;
  int port = 0;
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port); }
};

// Starts the fake with `args`; it prints the port of its first listener.
Fake start_fake(const std::vector<std::string>& args) {
  int out[2];
  if (pipe(out) != 0) throw std::runtime_error("pipe");
  Fake fake;
  fake.pid = fork();
  if (fake.pid == 0) {
    dup2(out[1], 1);
    close(out[0]);
    std::vector<const char*> argv{"/usr/bin/python3", D2D_CREDENTIALS_FAKE};
    for (const auto& arg : args) argv.push_back(arg.c_str());
    argv.push_back(nullptr);
    execv(argv[0], const_cast<char* const*>(argv.data()));
    _exit(127);
  }
  close(out[1]);
  FILE* in = fdopen(out[0], "r");
  if (std::fscanf(in, "%d", &fake.port) != 1) throw std::runtime_error("the credentials fake did not start");
  std::fclose(in);
  return fake;
}

std::string http(const std::string& method, const std::string& url, const std::string& body = "") {
  HttpClient client;
  HttpRequest request{method, url, {{"Content-Type", "application/json"}}, body, {}};
  const HttpResponse response = client.perform(request, Signing{}, Timeouts{2, 5});
  if (response.transport != Transport::Ok || response.status != 200) throw std::runtime_error("fake: " + url);
  return response.body;
}

bool one_line(const std::string& text) { return text.find('\n') == std::string::npos && !text.empty(); }

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
  Environment env() const {
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
      resolve_credentials(false, env(), m_options);
    } catch (const Error& error) {
      if (took != nullptr) *took = std::chrono::steady_clock::now() - start;
      return error.what();
    }
    return "(no error)";
  }

  fs::path m_dir;
  std::map<std::string, std::string> m_env;
  ChainOptions m_options;
  std::vector<std::string> m_debug;
  std::vector<Fake> m_fakes;
};

TEST_F(CredentialChain, EnvironmentBeatsWebIdentityBeatsProfileBeatsContainerBeatsInstanceMetadata) {
  Fake& aws = fake();
  control(aws, R"({"web_token": "oidc-token"})");
  m_env["AWS_ACCESS_KEY_ID"] = "ENVKEY";
  m_env["AWS_SECRET_ACCESS_KEY"] = "ENVSECRET";
  m_env["AWS_ROLE_ARN"] = "arn:aws:iam::1:role/irsa";
  m_env["AWS_WEB_IDENTITY_TOKEN_FILE"] = write("token", "oidc-token\n").string();
  m_env["AWS_ENDPOINT_URL_STS"] = aws.url();
  write("credentials", "[default]\naws_access_key_id = PROFILEKEY\naws_secret_access_key = PROFILESECRET\n");
  m_env["AWS_SHARED_CREDENTIALS_FILE"] = (m_dir / "credentials").string();
  m_env["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = aws.url() + "/container/credentials";
  m_env["AWS_EC2_METADATA_SERVICE_ENDPOINT"] = aws.url();

  auto credentials = resolve_credentials(false, env(), m_options);
  EXPECT_EQ(credentials.origin, "environment");
  EXPECT_EQ(credentials.access_key_id, "ENVKEY");

  m_env.erase("AWS_ACCESS_KEY_ID");
  m_env.erase("AWS_SECRET_ACCESS_KEY");
  credentials = resolve_credentials(false, env(), m_options);
  EXPECT_EQ(credentials.origin, "web identity (arn:aws:iam::1:role/irsa)");
  EXPECT_TRUE(credentials.access_key_id.starts_with("ASIASTS")) << credentials.access_key_id;
  EXPECT_FALSE(credentials.session_token.empty());
  EXPECT_TRUE(credentials.expires_at.has_value());

  m_env.erase("AWS_ROLE_ARN");
  credentials = resolve_credentials(false, env(), m_options);
  EXPECT_EQ(credentials.access_key_id, "PROFILEKEY");
  EXPECT_TRUE(credentials.origin.starts_with("profile default")) << credentials.origin;

  fs::remove(m_dir / "credentials");
  credentials = resolve_credentials(false, env(), m_options);
  EXPECT_TRUE(credentials.access_key_id.starts_with("ASIACONTAI")) << credentials.access_key_id;
  EXPECT_EQ(credentials.origin, "container credentials (" + aws.url() + "/container/credentials)");

  m_env.erase("AWS_CONTAINER_CREDENTIALS_FULL_URI");
  credentials = resolve_credentials(false, env(), m_options);
  EXPECT_TRUE(credentials.access_key_id.starts_with("ASIAIMDS")) << credentials.access_key_id;
  EXPECT_EQ(credentials.origin, "EC2 instance metadata (role d2d-role)");

  m_env["AWS_EC2_METADATA_DISABLED"] = "true";
  EXPECT_TRUE(resolve_credentials(false, env(), m_options).anonymous());
  EXPECT_TRUE(resolve_credentials(true, env(), m_options).anonymous());  // --s3-anonymous

  // The debug lines name each source used, and no secret ever.
  const std::string log = log_of(aws);
  std::string debug;
  for (const auto& line : m_debug) debug += line + "\n";
  for (const char* source : {"using environment", "using web identity", "using profile default",
                             "using container credentials", "using EC2 instance metadata", "anonymous"}) {
    EXPECT_NE(debug.find(source), std::string::npos) << source << "\n" << debug;
  }
  EXPECT_EQ(debug.find("SECRET"), std::string::npos) << debug;
  simdjson::dom::parser parser;
  for (auto [key, issued] : parser.parse(log)["issued"].get_object()) {
    EXPECT_EQ(debug.find(std::string(issued["secret"].get_string().value())), std::string::npos);
    EXPECT_EQ(debug.find(std::string(issued["token"].get_string().value())), std::string::npos);
  }
}

TEST_F(CredentialChain, ProfileRoleIsAssumedWithSourceProfileKeysSignedAsBotocoreSigns) {
  Fake& aws = fake(false);
  control(aws, R"({"signers": {"SOURCEKEY": "SOURCESECRET"}})");
  write("config",
        "[profile deploy]\nrole_arn = arn:aws:iam::1:role/deploy\nsource_profile = base\n"
        "role_session_name = nightly\nregion = eu-west-1\n");
  write("credentials", "[base]\naws_access_key_id = SOURCEKEY\naws_secret_access_key = SOURCESECRET\n");
  m_env["AWS_CONFIG_FILE"] = (m_dir / "config").string();
  m_env["AWS_SHARED_CREDENTIALS_FILE"] = (m_dir / "credentials").string();
  m_env["AWS_PROFILE"] = "deploy";
  m_env["AWS_ENDPOINT_URL"] = aws.url();  // the generic override reaches STS too
  m_env["AWS_EC2_METADATA_DISABLED"] = "true";

  const auto credentials = resolve_credentials(false, env(), m_options);
  EXPECT_TRUE(credentials.access_key_id.starts_with("ASIASTS")) << credentials.access_key_id;
  EXPECT_EQ(credentials.origin, "profile deploy (role arn:aws:iam::1:role/deploy)");
  // The fake answered only because botocore computed the same signature for SOURCEKEY.
  const std::string log = log_of(aws);
  EXPECT_NE(log.find(R"("sts": "AssumeRole", "signed_by": "SOURCEKEY", "verified": true)"), std::string::npos)
      << log;

  // A wrong source secret: STS's error XML becomes one line naming the profile and the role.
  write("credentials", "[base]\naws_access_key_id = SOURCEKEY\naws_secret_access_key = WRONGSECRET\n");
  const std::string message = failure();
  EXPECT_TRUE(one_line(message)) << message;
  EXPECT_NE(message.find("profile deploy (role arn:aws:iam::1:role/deploy)"), std::string::npos) << message;
  EXPECT_NE(message.find("STS AssumeRole answered HTTP 403 SignatureDoesNotMatch"), std::string::npos)
      << message;
  EXPECT_EQ(message.find("WRONGSECRET"), std::string::npos);

  // STS refusing the role.
  write("credentials", "[base]\naws_access_key_id = SOURCEKEY\naws_secret_access_key = SOURCESECRET\n");
  control(aws, R"({"sts": "error"})");
  EXPECT_NE(failure().find("AccessDenied: User is not authorized to perform: sts:AssumeRole"),
            std::string::npos)
      << failure();
}

TEST_F(CredentialChain, CredentialProcessOutputIsUsedAndItsFailuresNamed) {
  const auto expiration = "2099-01-01T00:00:00Z";
  const fs::path script =
      write("process.sh", std::string("#!/bin/sh\necho '{\"Version\": 1, \"AccessKeyId\": "
                                      "\"PROCESSKEY\", \"SecretAccessKey\": \"PROCESSSECRET\", "
                                      "\"SessionToken\": \"PROCESSTOKEN\", \"Expiration\": \"") +
                              expiration + "\"}'\n");
  fs::permissions(script, fs::perms::owner_all);
  write("config", "[default]\ncredential_process = " + script.string() + " --profile x\n");
  m_env["AWS_CONFIG_FILE"] = (m_dir / "config").string();
  m_env["AWS_EC2_METADATA_DISABLED"] = "true";
  const auto credentials = resolve_credentials(false, env(), m_options);
  EXPECT_EQ(credentials.access_key_id, "PROCESSKEY");
  EXPECT_EQ(credentials.session_token, "PROCESSTOKEN");
  EXPECT_EQ(credentials.origin, "credential_process of profile default");
  ASSERT_TRUE(credentials.expires_at.has_value());

  write("process.sh", "#!/bin/sh\necho '{\"Version\": 1, \"AccessKeyId\": '\n");
  std::string message = failure();
  EXPECT_TRUE(one_line(message)) << message;
  EXPECT_EQ(message,
            "AWS credentials from credential_process of profile default: the answer is not a JSON "
            "object of credentials");
  write("process.sh", "#!/bin/sh\nexit 3\n");
  EXPECT_EQ(failure(),
            "AWS credentials from credential_process of profile default: the command failed (exit "
            "status 3)");
  // A command that writes without end of reason: refused once it is done, never waited on forever
  // (reading stopped at 1 MiB, so the command blocked on the full pipe and pclose on it).
  write("process.sh", "#!/bin/sh\nhead -c 3000000 /dev/zero\n");
  EXPECT_EQ(failure(),
            "AWS credentials from credential_process of profile default: the command wrote 3000000 bytes, "
            "more than credentials take");
}

TEST_F(CredentialChain, ContainerCredentialsFromTheAgentAddressAndAFullUriWithATokenFile) {
  Fake& aws = fake();
  m_env["AWS_EC2_METADATA_DISABLED"] = "true";
  // ECS: a relative URI on 169.254.170.2 (this namespace's loopback).
  m_env["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"] = "/v2/credentials/task-1";
  auto credentials = resolve_credentials(false, env(), m_options);
  EXPECT_TRUE(credentials.access_key_id.starts_with("ASIACONTAI")) << credentials.access_key_id;
  EXPECT_EQ(credentials.origin, "container credentials (http://169.254.170.2/v2/credentials/task-1)");

  // EKS Pod Identity: a full URI and the token in a file, sent as Authorization.
  m_env.erase("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
  control(aws, R"({"container_authorization": "pod-identity-token"})");
  m_env["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = aws.url() + "/container/credentials";
  m_env["AWS_CONTAINER_AUTHORIZATION_TOKEN"] = "not-this-one";
  m_env["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"] = write("pod-token", "pod-identity-token\n").string();
  EXPECT_TRUE(resolve_credentials(false, env(), m_options).access_key_id.starts_with("ASIACONTAI"));
  m_env.erase("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
  const std::string message = failure();
  EXPECT_EQ(message, "AWS credentials from container credentials (" + aws.url() +
                         "/container/credentials): the credentials request answered HTTP 401");

  // A full URI over plain HTTP to anywhere but loopback or the agents is refused, unasked.
  m_env["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = "http://192.0.2.1/creds";
  EXPECT_NE(failure().find("must be https:// or on loopback"), std::string::npos) << failure();
  // A name that merely starts like a loopback address is a name anyone may register.
  m_env["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = "http://127.attacker.example/creds";
  EXPECT_NE(failure().find("must be https:// or on loopback"), std::string::npos) << failure();
}

// The token files of web identity and container credentials: a file that cannot be read is named
// with the reason, an empty web identity token is called empty, and a file larger than any token
// (or endless) is refused after 64 KiB instead of being read whole and sent.
TEST_F(CredentialChain, TokenFilesThatCannotBeUsedAreNamedWithTheReason) {
  m_env["AWS_ROLE_ARN"] = "arn:aws:iam::1:role/irsa";
  m_env["AWS_ENDPOINT_URL_STS"] = "http://127.0.0.1:1";
  const std::string irsa = "AWS credentials from web identity (arn:aws:iam::1:role/irsa): ";
  const std::string missing = (m_dir / "missing").string();
  m_env["AWS_WEB_IDENTITY_TOKEN_FILE"] = missing;
  EXPECT_EQ(failure(), irsa + "cannot read the token file " + missing + ": No such file or directory");
  m_env["AWS_WEB_IDENTITY_TOKEN_FILE"] = m_dir.string();
  EXPECT_EQ(failure(), irsa + "cannot read the token file " + m_dir.string() + ": Is a directory");
  const std::string blank = write("blank", "\n").string();
  m_env["AWS_WEB_IDENTITY_TOKEN_FILE"] = blank;
  EXPECT_EQ(failure(), irsa + "the token file " + blank + " is empty");
  const std::string huge = write("huge", std::string(70'000, 't')).string();
  m_env["AWS_WEB_IDENTITY_TOKEN_FILE"] = huge;
  EXPECT_EQ(failure(), irsa + "the token file " + huge + " is longer than 65536 bytes");
  m_env.erase("AWS_ROLE_ARN");

  m_env["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = "http://127.0.0.1:1/creds";
  const std::string container = "AWS credentials from container credentials (http://127.0.0.1:1/creds): ";
  m_env["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"] = missing;
  EXPECT_EQ(failure(), container + "cannot read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE " + missing +
                           ": No such file or directory");
  m_env["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"] = huge;
  EXPECT_EQ(failure(),
            container + "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE " + huge + " is longer than 65536 bytes");
}

TEST_F(CredentialChain, InstanceMetadataIsImdsV2OnlyAtTheDefaultAddressOrTheOverride) {
  Fake& aws = fake();
  auto credentials = resolve_credentials(false, env(), m_options);  // 169.254.169.254 in this namespace
  EXPECT_TRUE(credentials.access_key_id.starts_with("ASIAIMDS")) << credentials.access_key_id;
  EXPECT_TRUE(credentials.expires_at.has_value());
  m_env["AWS_EC2_METADATA_SERVICE_ENDPOINT"] = aws.url() + "/";
  EXPECT_TRUE(resolve_credentials(false, env(), m_options).access_key_id.starts_with("ASIAIMDS"));
  const std::string log = log_of(aws);
  EXPECT_NE(log.find(R"("imds": "token")"), std::string::npos);
  EXPECT_EQ(log.find("IMDSv1"), std::string::npos) << log;  // every GET carried the session token

  // An instance without a role: no credentials, and the chain ends anonymous.
  control(aws, R"({"imds": "no_role"})");
  EXPECT_TRUE(resolve_credentials(false, env(), m_options).anonymous());
}

TEST_F(CredentialChain, BadAnswersGiveOneLineNamingTheSource) {
  Fake& aws = fake(false);
  m_env["AWS_EC2_METADATA_SERVICE_ENDPOINT"] = aws.url();
  const std::string imds = "AWS credentials from EC2 instance metadata (" + aws.url() + "): ";
  control(aws, R"({"imds": "creds_404"})");
  EXPECT_EQ(failure(), imds + "the credentials request for role d2d-role answered HTTP 404");
  control(aws, R"({"imds": "malformed"})");
  EXPECT_EQ(failure(),
            "AWS credentials from EC2 instance metadata (role d2d-role): the answer is not a JSON "
            "object of credentials");
  control(aws, R"({"imds": "error_code"})");
  EXPECT_NE(failure().find("answer has no AccessKeyId"), std::string::npos) << failure();

  m_env["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = aws.url() + "/container/credentials";
  const std::string container =
      "AWS credentials from container credentials (" + aws.url() + "/container/credentials): ";
  control(aws, R"({"container": "404"})");
  EXPECT_EQ(failure(), container + "the credentials request answered HTTP 404");
  control(aws, R"({"container": "malformed"})");
  EXPECT_EQ(failure(), container + "the answer is not a JSON object of credentials");

  m_env["AWS_ROLE_ARN"] = "arn:aws:iam::1:role/irsa";
  m_env["AWS_WEB_IDENTITY_TOKEN_FILE"] = write("token", "stale-token").string();
  m_env["AWS_ENDPOINT_URL_STS"] = aws.url();
  control(aws, R"({"web_token": "fresh-token"})");
  EXPECT_EQ(failure(),
            "AWS credentials from web identity (arn:aws:iam::1:role/irsa): STS "
            "AssumeRoleWithWebIdentity answered HTTP 400 InvalidIdentityToken: Couldn't retrieve "
            "verification key from your identity provider");
  m_env.erase("AWS_ROLE_ARN");

  // A hanging endpoint: a bounded wait (2 tries of a 2 s stall), then one line.
  control(aws, R"({"container": "hang"})");
  m_options.attempts = 2;
  Seconds took{};
  const std::string message = failure(&took);
  EXPECT_TRUE(one_line(message));
  EXPECT_TRUE(message.starts_with(container)) << message;
  EXPECT_LT(took.count(), 7.0);
}

TEST_F(CredentialChain, WithoutInstanceMetadataTheChainEndsAnonymousQuickly) {
  // A laptop: 169.254.169.254 never answers a connection (a full queue drops the SYNs).
  m_fakes.push_back(start_fake({"--listen", "127.0.0.1:0", "--blackhole", "169.254.169.254:80"}));
  auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(resolve_credentials(false, env(), m_options).anonymous());
  Seconds took = std::chrono::steady_clock::now() - start;
  EXPECT_GT(took.count(), 0.9);  // it did wait for the 1 s connect timeout, no longer
  EXPECT_LT(took.count(), 2.5);
  std::string debug;
  for (const auto& line : m_debug) debug += line + "\n";
  EXPECT_NE(debug.find("EC2 instance metadata (http://169.254.169.254) does not answer"), std::string::npos)
      << debug;

  // Metadata that accepts the connection and then says nothing.
  Fake& aws = fake(false);
  control(aws, R"({"imds": "hang"})");
  m_env["AWS_EC2_METADATA_SERVICE_ENDPOINT"] = aws.url();
  start = std::chrono::steady_clock::now();
  EXPECT_TRUE(resolve_credentials(false, env(), m_options).anonymous());
  took = std::chrono::steady_clock::now() - start;
  EXPECT_LT(took.count(), 4.0);
}

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
  Client client("bucket", options,
                credential_chain(false, env(), chain_options(options), std::chrono::seconds(1)));
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
    ASSERT_EQ(failures.size(), 1u) << failures.begin()->first;
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
