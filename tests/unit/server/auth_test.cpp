// The token check of `d2d serve` (server/auth.h): which Authorization headers carry the token,
// which listen addresses count as loopback, which tokens are refused.
#include "server/auth.h"

#include <gtest/gtest.h>

#include <vector>

namespace d2d::server {
namespace {

const std::string kToken = "0123456789abcdef-token";

std::string basic(std::string_view user_and_password) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::uint32_t bits = 0;
  int count = 0;
  for (const unsigned char c : user_and_password) {
    bits = (bits << 8) | c;
    count += 8;
    while (count >= 6) {
      count -= 6;
      out.push_back(kAlphabet[(bits >> count) & 0x3F]);
    }
  }
  if (count > 0) out.push_back(kAlphabet[(bits << (6 - count)) & 0x3F]);
  while (out.size() % 4 != 0) out.push_back('=');
  return "Basic " + out;
}

TEST(TokenCheck, AcceptsTheTokenAsBearerOrAsTheBasicPasswordOfAnyUser) {
  const TokenCheck check(kToken);
  EXPECT_TRUE(check.accepts("Bearer " + kToken));
  EXPECT_TRUE(check.accepts("bearer " + kToken));  // the scheme is case-insensitive (RFC 9110)
  EXPECT_TRUE(check.accepts(basic("ops:" + kToken)));
  EXPECT_TRUE(check.accepts(basic(":" + kToken)));
  EXPECT_TRUE(check.accepts(basic("prometheus:" + kToken)));
  const TokenCheck with_colon("abc:def:ghi:jkl:mno");  // only the first colon ends the user name
  EXPECT_TRUE(with_colon.accepts(basic("user:abc:def:ghi:jkl:mno")));
}

TEST(TokenCheck, RefusesEverythingElse) {
  const TokenCheck check(kToken);
  for (const std::string& header : std::vector<std::string>{
           std::string(),
           kToken,                                     // no scheme
           std::string("Bearer"),                      // no credentials
           "Bearer " + kToken + "x",                   // longer
           "Bearer " + kToken.substr(0, 10),           // a prefix
           "Token " + kToken,                          // another scheme
           basic(kToken),                              // no colon: no password at all
           basic(kToken + ":whatever"),                // the token as the user name
           basic("ops:" + kToken + "x"),               // wrong password
           "Basic !!!" + basic("ops:" + kToken),       // not base64
           "Digest username=\"ops\", response=\"x\"",  // not supported
       }) {
    EXPECT_FALSE(check.accepts(header)) << header;
  }
}

TEST(Loopback, OnlyAddressesThisMachineAloneCanReach) {
  for (const char* host :
       {"127.0.0.1", "127.0.0.2", "127.255.255.254", "::1", "::ffff:127.0.0.1", "localhost"})
    EXPECT_TRUE(is_loopback(host)) << host;
  for (const char* host : {"0.0.0.0", "::", "10.0.0.1", "192.168.1.10", "128.0.0.1", "::ffff:10.0.0.1", "",
                           "example.org", "localhost.example.org", "127.0.0.1 ", "fe80::1"})
    EXPECT_FALSE(is_loopback(host)) << host;
}

TEST(TokenProblem, TokensMustBeLongAndPlain) {
  EXPECT_EQ(token_problem("0123456789abcdef"), "");
  EXPECT_NE(token_problem("0123456789abcde"), "");
  EXPECT_NE(token_problem("0123456789 abcdef"), "");
  EXPECT_NE(token_problem("0123456789abcdef\n"), "");
  EXPECT_NE(token_problem("0123456789abcdef\xc3\xa9"), "");
  EXPECT_EQ(token_problem("tiny").find("tiny"), std::string::npos) << "the message must not quote the token";
}

TEST(Base64, DecodesPaddedAndUnpaddedAndRefusesOtherCharacters) {
  std::string out;
  ASSERT_TRUE(detail::base64_decode("b3BzOnNlY3JldA==", out));
  EXPECT_EQ(out, "ops:secret");
  ASSERT_TRUE(detail::base64_decode("b3BzOnNlY3JldA", out));
  EXPECT_EQ(out, "ops:secret");
  EXPECT_FALSE(detail::base64_decode("b3Bz*nNlY3JldA==", out));
  EXPECT_FALSE(detail::base64_decode("b", out));
}

}  // namespace
}  // namespace d2d::server
