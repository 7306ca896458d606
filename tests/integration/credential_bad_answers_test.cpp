// Sources that cannot be used (token files, wrong or no answers) fail with one line naming the source.
#include <gtest/gtest.h>

#include <string>

#include "credential_support.h"

namespace d2d::testing::credentials {
namespace {

using namespace d2d::s3;

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

}  // namespace
}  // namespace d2d::testing::credentials
