#include "s3/uri_encode.h"

#include <algorithm>

namespace d2d::s3 {

std::string aws_encode(std::string_view text, bool keep_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    const bool unreserved = (byte >= 'A' && byte <= 'Z') || (byte >= 'a' && byte <= 'z') ||
                            (byte >= '0' && byte <= '9') || byte == '-' || byte == '_' || byte == '.' ||
                            byte == '~';
    if (unreserved || (keep_slash && byte == '/')) {
      out.push_back(c);
    } else {
      out += {'%', kHex[byte >> 4], kHex[byte & 15]};
    }
  }
  return out;
}

std::string canonical_query(std::vector<QueryParam> params) {
  for (QueryParam& param : params) {
    param.name = aws_encode(param.name, false);
    param.value = aws_encode(param.value, false);
  }
  std::sort(params.begin(), params.end(), [](const QueryParam& a, const QueryParam& b) {
    return a.name != b.name ? a.name < b.name : a.value < b.value;
  });
  std::string out;
  for (const QueryParam& param : params) {
    if (!out.empty()) out.push_back('&');
    out += param.name;
    out.push_back('=');
    out += param.value;
  }
  return out;
}

}  // namespace d2d::s3
