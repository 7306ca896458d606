#include "server/auth.h"

#include <arpa/inet.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <stdexcept>

namespace d2d::server {
namespace {

std::array<unsigned char, 32> sha256(std::string_view bytes) {
  std::array<unsigned char, 32> digest{};
  unsigned int length = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), digest.data(), &length, EVP_sha256(), nullptr) != 1 ||
      length != digest.size()) {
    throw std::runtime_error("SHA-256 failed");
  }
  return digest;
}

bool starts_with_scheme(std::string_view header, std::string_view scheme) {
  if (header.size() <= scheme.size() || header[scheme.size()] != ' ') return false;
  for (std::size_t i = 0; i < scheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(header[i])) != scheme[i]) return false;
  }
  return true;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

}  // namespace

namespace detail {

bool base64_decode(std::string_view text, std::string& out) {
  out.clear();
  while (!text.empty() && text.back() == '=') text.remove_suffix(1);
  if (text.size() % 4 == 1) return false;
  std::uint32_t bits = 0;
  int count = 0;
  for (const char c : text) {
    int value = -1;
    if (c >= 'A' && c <= 'Z')
      value = c - 'A';
    else if (c >= 'a' && c <= 'z')
      value = c - 'a' + 26;
    else if (c >= '0' && c <= '9')
      value = c - '0' + 52;
    else if (c == '+')
      value = 62;
    else if (c == '/')
      value = 63;
    if (value < 0) return false;
    bits = (bits << 6) | static_cast<std::uint32_t>(value);
    count += 6;
    if (count >= 8) {
      count -= 8;
      out.push_back(static_cast<char>((bits >> count) & 0xFF));
    }
  }
  return true;
}

}  // namespace detail

TokenCheck::TokenCheck(std::string_view token) : m_digest(sha256(token)) {
  if (token.empty()) throw std::invalid_argument("empty token");
}

bool TokenCheck::accepts(std::string_view authorization) const {
  authorization = trim(authorization);
  std::string presented;
  if (starts_with_scheme(authorization, "bearer")) {
    presented = trim(authorization.substr(7));
  } else if (starts_with_scheme(authorization, "basic")) {
    std::string decoded;
    if (!detail::base64_decode(trim(authorization.substr(6)), decoded)) return false;
    const std::size_t colon = decoded.find(':');
    if (colon == std::string::npos) return false;
    presented = decoded.substr(colon + 1);
  } else {
    return false;
  }
  // Digests of equal length, compared without an early exit: the time taken says nothing about
  // how much of a guess was right, nor about the token's length.
  const auto digest = sha256(presented);
  return CRYPTO_memcmp(digest.data(), m_digest.data(), digest.size()) == 0;
}

bool is_loopback(std::string_view host) {
  if (host == "localhost") return true;
  const std::string text(host);
  in_addr v4{};
  if (::inet_pton(AF_INET, text.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  if (::inet_pton(AF_INET6, text.c_str(), &v6) == 1) {
    if (IN6_IS_ADDR_LOOPBACK(&v6)) return true;
    return IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127;
  }
  return false;
}

std::string token_problem(std::string_view token) {
  if (token.size() < 16) return "is shorter than 16 characters (make one with `openssl rand -hex 32`)";
  const bool visible = std::all_of(token.begin(), token.end(), [](char c) { return c > ' ' && c < 0x7F; });
  if (!visible) return "holds spaces, control characters or non-ASCII bytes";
  return "";
}

}  // namespace d2d::server
