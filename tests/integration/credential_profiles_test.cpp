// Credentials a profile names (a role assumed through STS, credential_process), apart from the endpoints'.
#include <gtest/gtest.h>

#include <string>

#include "credential_support.h"

namespace d2d::testing::credentials {
namespace {

using namespace d2d::s3;

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

}  // namespace
}  // namespace d2d::testing::credentials
