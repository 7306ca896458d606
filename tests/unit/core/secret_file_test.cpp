#include "core/secret_file.h"

#include <gtest/gtest.h>

#include "support/temp_lake.h"

namespace d2d::core {
namespace {

class SecretFile : public ::testing::Test {
 protected:
  std::string write(const std::string& name, const std::string& text) {
    test::write_file(m_dir.path() / name, text);
    return (m_dir.path() / name).string();
  }
  test::TempDir m_dir;
};

TEST_F(SecretFile, IsTrimmedAndReadUpToItsCap) {
  const auto token = read_secret_file(write("token", " \tsecret-token\r\n\n"), "the token file", 20);
  ASSERT_TRUE(token) << token.error();
  EXPECT_EQ(*token, "secret-token");
  EXPECT_EQ(*read_secret_file(write("blank", " \n"), "the token file", 20), "");
  const std::string exact(20, 'x');
  EXPECT_EQ(*read_secret_file(write("exact", exact), "the token file", 20), exact);
  const auto longer = read_secret_file(write("longer", exact + "y"), "--auth-token-file F", 20);
  ASSERT_FALSE(longer);
  EXPECT_EQ(longer.error(), "--auth-token-file F is longer than 20 bytes");
}

TEST_F(SecretFile, FailuresNameTheFileAndWhyButNeverTheContent) {
  const auto missing = read_secret_file((m_dir.path() / "missing").string(), "the token file M", 4096);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error(), "cannot read the token file M: No such file or directory");
  const auto folder = read_secret_file(m_dir.path().string(), "the token file D", 4096);
  ASSERT_FALSE(folder);
  EXPECT_EQ(folder.error(), "cannot read the token file D: Is a directory");
  const auto big = read_secret_file(write("big", std::string(100, 's')), "the token file B", 10);
  ASSERT_FALSE(big);
  EXPECT_EQ(big.error().find("sss"), std::string::npos);
}

TEST(TrimSpace, DropsSpacesTabsAndLineEndsAroundOnly) {
  EXPECT_EQ(trim_space(" \t a b \r\n"), "a b");
  EXPECT_EQ(trim_space(" \r\n\t"), "");
  EXPECT_EQ(trim_space(""), "");
}

}  // namespace
}  // namespace d2d::core
