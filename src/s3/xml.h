// The few S3 and STS XML documents the client reads and writes (pugixml).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace d2d::s3 {

struct ObjectEntry {
  std::string key;
  std::uint64_t size = 0;
  std::string etag;  // without quotes; a plain MD5 (hex) for single-part uploads
};

struct ListPage {
  std::vector<ObjectEntry> objects;
  std::vector<std::string> common_prefixes;
  bool truncated = false;
  std::string next_token;
};

struct ErrorDocument {
  std::string code;  // e.g. SlowDown, NoSuchKey, AccessDenied
  std::string message;
};

// Throws core::Error(Input, transient) when the document is not a listing: a proxy or a cut
// connection can hand back something else, and trying again may get the real thing.
ListPage parse_list_page(std::string_view xml);
std::optional<ErrorDocument> parse_error(std::string_view xml);
std::string parse_upload_id(std::string_view xml);  // InitiateMultipartUploadResult
// STS's AssumeRole and AssumeRoleWithWebIdentity answers: `result` names the result element.
struct StsCredentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;
  std::string expiration;  // RFC 3339
};
std::optional<StsCredentials> parse_sts_credentials(std::string_view xml, const std::string& result);
// STS's <ErrorResponse><Error><Code/><Message/></Error></ErrorResponse>.
std::optional<ErrorDocument> parse_sts_error(std::string_view xml);

std::string complete_multipart_xml(const std::vector<std::pair<int, std::string>>& part_etags);

// The ETag header or element without its quotes.
std::string unquote_etag(std::string_view etag);
// True when the ETag is a plain MD5 (32 hex digits): the object's content MD5.
bool is_md5_etag(std::string_view etag);

}  // namespace d2d::s3
