// Who may read the pages of `d2d serve` (SPEC §7): one token, sent as a bearer token
// (Prometheus, curl) or as the password of HTTP Basic (a browser's prompt, any user name), compared
// in constant time; and which listen addresses count as loopback, where no token is required.
#pragma once

#include <array>
#include <string>
#include <string_view>

namespace d2d::server {

// The realm a browser's prompt names; sent with every 401.
inline constexpr std::string_view kAuthChallenge = "Basic realm=\"d2d\"";

class TokenCheck {
 public:
  // `token` must not be empty; only its SHA-256 is kept.
  explicit TokenCheck(std::string_view token);

  // True when an Authorization header value carries the token: "Bearer <token>", or "Basic "
  // base64("<any user>:<token>"). Takes the same time for every wrong token of any length.
  bool accepts(std::string_view authorization) const;

 private:
  std::array<unsigned char, 32> m_digest;
};

// 127.0.0.0/8, ::1, ::ffff:127.x.y.z and "localhost": addresses only this machine can reach.
bool is_loopback(std::string_view host);

// Why `token` cannot be used ("" when it can): at least 16 visible ASCII characters, no spaces.
// The text never contains the token.
std::string token_problem(std::string_view token);

namespace detail {
// RFC 4648 base64, padding optional; false on any other character.
bool base64_decode(std::string_view text, std::string& out);
}  // namespace detail

}  // namespace d2d::server
