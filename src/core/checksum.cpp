#include "core/checksum.h"

#include <openssl/evp.h>

#include <stdexcept>

namespace d2d::core {

struct Md5::State {
  EVP_MD_CTX* ctx = nullptr;
};

Md5::Md5() : m_state(std::make_unique<State>()) {
  m_state->ctx = EVP_MD_CTX_new();
  if (m_state->ctx == nullptr || EVP_DigestInit_ex(m_state->ctx, EVP_md5(), nullptr) != 1) {
    throw std::runtime_error("cannot initialise MD5");
  }
}

Md5::~Md5() { EVP_MD_CTX_free(m_state->ctx); }

void Md5::update(std::string_view bytes) { EVP_DigestUpdate(m_state->ctx, bytes.data(), bytes.size()); }

std::string Md5::hex_digest() {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_DigestFinal_ex(m_state->ctx, digest, &length);
  return to_hex(std::string_view(reinterpret_cast<const char*>(digest), length));
}

std::string to_hex(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(bytes.size() * 2);
  for (const char byte : bytes) {
    hex.push_back(kHex[static_cast<unsigned char>(byte) >> 4]);
    hex.push_back(kHex[static_cast<unsigned char>(byte) & 15]);
  }
  return hex;
}

}  // namespace d2d::core
