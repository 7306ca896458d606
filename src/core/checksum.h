// Streaming MD5 of object bytes, hex encoded. MD5 because it is what S3 reports as the ETag of
// a single-part object, so the raw-zone manifest can be compared with a bucket listing directly.
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace d2d::core {

class Md5 {
 public:
  Md5();
  ~Md5();
  Md5(const Md5&) = delete;
  Md5& operator=(const Md5&) = delete;
  void update(std::string_view bytes);
  std::string hex_digest();  // finishes the hash; call once

 private:
  struct State;
  std::unique_ptr<State> m_state;
};

// Bytes as lowercase hex, two digits each.
std::string to_hex(std::string_view bytes);

}  // namespace d2d::core
