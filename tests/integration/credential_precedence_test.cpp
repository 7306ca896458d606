// The credential chain's order of sources, environment to anonymous: the precedence the other files rely on.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <string>

#include "credential_support.h"

namespace d2d::testing::credentials {
namespace {

using namespace d2d::s3;

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

}  // namespace
}  // namespace d2d::testing::credentials
