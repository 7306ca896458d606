#include "s3/xml.h"

#include <fmt/format.h>

#include <cctype>
#include <pugixml.hpp>

#include "core/error.h"

namespace d2d::s3 {
namespace {
using core::Error;
using core::ErrorKind;

pugi::xml_document parse(std::string_view xml, const char* what) {
  pugi::xml_document document;
  const auto result = document.load_buffer(xml.data(), xml.size());
  if (!result) {
    throw Error(ErrorKind::Input, fmt::format("S3 sent a malformed {} ({})", what, result.description()),
                true);
  }
  return document;
}

std::uint64_t to_size(const char* text) {
  std::uint64_t value = 0;
  for (const char* p = text; *p != 0; ++p) {
    if (*p < '0' || *p > '9') throw Error(ErrorKind::Input, fmt::format("S3 listed a size '{}'", text), true);
    value = value * 10 + static_cast<std::uint64_t>(*p - '0');
  }
  return value;
}

void append_escaped(std::string& out, std::string_view text) {
  for (const char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out.push_back(c);
    }
  }
}

}  // namespace

std::string unquote_etag(std::string_view etag) {
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') etag = etag.substr(1, etag.size() - 2);
  if (etag.starts_with("&quot;") && etag.ends_with("&quot;") && etag.size() >= 12)
    etag = etag.substr(6, etag.size() - 12);
  return std::string(etag);
}

bool is_md5_etag(std::string_view etag) {
  if (etag.size() != 32) return false;
  for (const char c : etag) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

ListPage parse_list_page(std::string_view xml) {
  const auto document = parse(xml, "listing");
  const auto root = document.child("ListBucketResult");
  if (!root) throw Error(ErrorKind::Input, "S3 sent something other than a listing", true);
  ListPage page;
  for (const auto contents : root.children("Contents")) {
    page.objects.push_back(ObjectEntry{contents.child_value("Key"), to_size(contents.child_value("Size")),
                                       unquote_etag(contents.child_value("ETag"))});
  }
  for (const auto common : root.children("CommonPrefixes"))
    page.common_prefixes.emplace_back(common.child_value("Prefix"));
  page.truncated = std::string_view(root.child_value("IsTruncated")) == "true";
  page.next_token = root.child_value("NextContinuationToken");
  if (page.truncated && page.next_token.empty())
    throw Error(ErrorKind::Input, "S3 sent a truncated listing without a continuation token", true);
  return page;
}

std::optional<ErrorDocument> parse_error(std::string_view xml) {
  pugi::xml_document document;
  if (!document.load_buffer(xml.data(), xml.size())) return std::nullopt;
  const auto root = document.child("Error");
  if (!root) return std::nullopt;
  return ErrorDocument{root.child_value("Code"), root.child_value("Message")};
}

std::string parse_upload_id(std::string_view xml) {
  const auto document = parse(xml, "multipart upload answer");
  std::string id = document.child("InitiateMultipartUploadResult").child_value("UploadId");
  if (id.empty()) throw Error(ErrorKind::Input, "S3 started a multipart upload without an UploadId", true);
  return id;
}

std::optional<StsCredentials> parse_sts_credentials(std::string_view xml, const std::string& result) {
  pugi::xml_document document;
  if (!document.load_buffer(xml.data(), xml.size())) return std::nullopt;
  // The response element is the action's name + "Response"; look for the result under any root.
  const auto credentials = document.document_element().child(result.c_str()).child("Credentials");
  if (!credentials) return std::nullopt;
  StsCredentials out{credentials.child_value("AccessKeyId"), credentials.child_value("SecretAccessKey"),
                     credentials.child_value("SessionToken"), credentials.child_value("Expiration")};
  if (out.access_key_id.empty() || out.secret_access_key.empty()) return std::nullopt;
  return out;
}

std::optional<ErrorDocument> parse_sts_error(std::string_view xml) {
  pugi::xml_document document;
  if (!document.load_buffer(xml.data(), xml.size())) return std::nullopt;
  const auto error = document.child("ErrorResponse").child("Error");
  if (!error) return std::nullopt;
  return ErrorDocument{error.child_value("Code"), error.child_value("Message")};
}

std::string complete_multipart_xml(const std::vector<std::pair<int, std::string>>& part_etags) {
  std::string out = "<CompleteMultipartUpload>";
  for (const auto& [number, etag] : part_etags) {
    out += fmt::format("<Part><PartNumber>{}</PartNumber><ETag>\"", number);
    append_escaped(out, etag);
    out += "\"</ETag></Part>";
  }
  out += "</CompleteMultipartUpload>";
  return out;
}

}  // namespace d2d::s3
