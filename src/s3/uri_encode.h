// AWS's percent-encoding and the canonical query string SigV4 signs. curl 7.88 signs the path
// and query of the URL exactly as given, so the client builds them in canonical form itself.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace d2d::s3 {

// Every byte but the RFC 3986 unreserved characters (A-Z a-z 0-9 - _ . ~) becomes %XY (upper
// case); '/' is kept when `keep_slash` (object keys in a path), encoded otherwise (query values).
std::string aws_encode(std::string_view text, bool keep_slash);

struct QueryParam {
  std::string name;
  std::string value;  // "" is sent as `name=`, which S3 reads the same as a bare `name`
};

// name=value pairs, each encoded, sorted by encoded name then value, joined by '&'.
std::string canonical_query(std::vector<QueryParam> params);

}  // namespace d2d::s3
