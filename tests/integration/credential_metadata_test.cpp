// The machine's own endpoints: container credentials and EC2 instance metadata, present, absent or silent.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "credential_support.h"

namespace d2d::testing::credentials {
namespace {

using namespace d2d::s3;

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

}  // namespace
}  // namespace d2d::testing::credentials
