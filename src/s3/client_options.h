// Settings of the S3 client and where each comes from: d2d's own flags and D2D_* variables
// first (filled in by the CLI), then the AWS variables and ~/.aws/config, then defaults.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "s3/credentials.h"

namespace d2d::s3 {

enum class Addressing {
  Auto,     // virtual-hosted on AWS (when the bucket name allows it), path-style on other endpoints
  Path,     // https://endpoint/bucket/key
  Virtual,  // https://bucket.endpoint/key
};

struct ClientOptions {
  std::string endpoint;  // "" = AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, else AWS's regional endpoint
  std::string region;    // "" = AWS_REGION, AWS_DEFAULT_REGION, the profile's region, else us-east-1
  Addressing addressing = Addressing::Auto;
  bool anonymous = false;     // never sign, even when credentials exist
  unsigned parallel = 8;      // objects transferred at once (I/O bound, so more than the cores)
  int attempts = 5;           // tries per request on throttling, 5xx, timeouts and resets
  long stall_timeout_s = 20;  // a request with no byte moving for this long is retried
  long connect_timeout_s = 10;
  int backoff_base_ms = 200;  // first retry waits up to this much (with jitter), doubling each time
  int backoff_cap_ms = 10'000;
  std::uint64_t multipart_threshold = 64ULL << 20;  // PUTs larger than this go in parts
  std::uint64_t part_size = 16ULL << 20;            // S3's minimum part is 5 MiB
  // Temporary credentials are fetched again this long before they expire.
  long credential_refresh_margin_s = 300;
  // Told about each retry, which bucket and credential source a client uses, and the credential
  // chain's steps (the CLI logs them as warnings, information and debug); any may be empty.
  // Never given a secret.
  std::function<void(const std::string&)> on_retry;
  std::function<void(const std::string&)> on_info;
  std::function<void(const std::string&)> on_debug;
};

// How the credential chain reaches STS and the metadata endpoints for a client with `options`.
ChainOptions chain_options(const ClientOptions& options);

// A copy of `given` with endpoint and region filled in from the environment and config file.
ClientOptions resolve_options(ClientOptions given, const Environment& env);

Addressing parse_addressing(const std::string& text);  // auto|path|virtual; throws core::Error(Usage)

struct S3Uri {
  std::string bucket;
  std::string prefix;  // "" or a folder ending in '/'
};

// s3://bucket[/prefix]. The prefix names a folder: a missing trailing '/' is added.
// Throws core::Error(Usage) for anything else.
S3Uri parse_s3_uri(const std::string& uri);
bool is_s3_uri(const std::string& uri);

}  // namespace d2d::s3
