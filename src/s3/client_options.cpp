#include "s3/client_options.h"

#include <fmt/format.h>

#include <algorithm>

#include "core/error.h"

namespace d2d::s3 {
using core::Error;
using core::ErrorKind;

ClientOptions resolve_options(ClientOptions given, const Environment& env) {
  auto first_set = [&env](std::initializer_list<const char*> names) -> std::string {
    for (const char* name : names) {
      if (auto value = env(name); value && !value->empty()) return *value;
    }
    return "";
  };
  if (given.endpoint.empty()) given.endpoint = first_set({"AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"});
  if (given.region.empty()) given.region = first_set({"AWS_REGION", "AWS_DEFAULT_REGION"});
  if (given.region.empty()) given.region = profile_setting("region", env).value_or("us-east-1");
  while (given.endpoint.ends_with('/')) given.endpoint.pop_back();
  if (!given.endpoint.empty() && !given.endpoint.starts_with("http://") &&
      !given.endpoint.starts_with("https://")) {
    throw Error(ErrorKind::Usage,
                fmt::format("S3 endpoint {} must start with http:// or https://", given.endpoint));
  }
  if (given.parallel == 0) given.parallel = 1;
  if (given.attempts < 1) given.attempts = 1;
  if (given.part_size < (5ULL << 20)) given.part_size = 5ULL << 20;
  return given;
}

ChainOptions chain_options(const ClientOptions& options) {
  ChainOptions chain;
  chain.region = options.region;
  chain.attempts = options.attempts;
  chain.backoff_base_ms = options.backoff_base_ms;
  chain.backoff_cap_ms = std::min(options.backoff_cap_ms, 2'000);
  chain.on_retry = options.on_retry;
  chain.on_debug = options.on_debug;
  return chain;
}

Addressing parse_addressing(const std::string& text) {
  if (text == "auto" || text.empty()) return Addressing::Auto;
  if (text == "path") return Addressing::Path;
  if (text == "virtual") return Addressing::Virtual;
  throw Error(ErrorKind::Usage, fmt::format("S3 addressing '{}' is not one of auto, path, virtual", text));
}

bool is_s3_uri(const std::string& uri) { return uri.starts_with("s3://"); }

S3Uri parse_s3_uri(const std::string& uri) {
  if (!is_s3_uri(uri)) throw Error(ErrorKind::Usage, fmt::format("{} is not an s3:// URI", uri));
  const std::string rest = uri.substr(5);
  const auto slash = rest.find('/');
  S3Uri parsed;
  parsed.bucket = rest.substr(0, slash);
  if (slash != std::string::npos) parsed.prefix = rest.substr(slash + 1);
  if (parsed.bucket.empty() || parsed.bucket.size() > 63 ||
      parsed.bucket.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789.-_") != std::string::npos) {
    throw Error(ErrorKind::Usage, fmt::format("{}: '{}' is not a valid bucket name", uri, parsed.bucket));
  }
  while (parsed.prefix.starts_with('/')) parsed.prefix.erase(0, 1);
  if (!parsed.prefix.empty() && !parsed.prefix.ends_with('/')) parsed.prefix.push_back('/');
  return parsed;
}

}  // namespace d2d::s3
