// One HTTP exchange over a reused libcurl handle, signed with libcurl's own SigV4
// (CURLOPT_AWS_SIGV4). Knows nothing of S3 itself: the client builds URLs and headers, this
// sends them and reports what came back, or how the transport failed.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace d2d::s3 {

// What curl needs to sign a request; an empty access key id means an anonymous request.
struct Signing {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // sent as x-amz-security-token (signed like every added header)
  std::string region = "us-east-1";
  std::string service = "s3";
};

struct HttpRequest {
  std::string method = "GET";
  std::string url;  // scheme://host[:port]/aws-encoded-path[?canonical query]
  std::vector<std::pair<std::string, std::string>> headers;
  std::string_view body;  // the payload of PUT and POST
  std::string
      connect_to;  // curl's CURLOPT_CONNECT_TO entry (tests: AWS's vectors name example.amazonaws.com)
};

struct Timeouts {
  long connect_s = 10;
  long stall_s = 20;  // no byte moving for this long ends the request
};

enum class Transport {
  Ok,
  Timeout,     // connect timeout or a stall
  Connection,  // refused, reset, closed early, short body
  Other,       // anything else curl reports (bad URL, out of memory): not worth retrying
};

struct HttpResponse {
  Transport transport = Transport::Other;
  std::string transport_error;  // curl's text when transport != Ok
  long status = 0;
  std::map<std::string, std::string> headers;  // names in lower case; the final response's only
  std::string body;                            // unless streamed to a sink
  std::uint64_t body_bytes = 0;                // bytes of body received (streamed or not)
  std::string header(const std::string& lower_name) const;
};

// Receives a success body's bytes as they arrive, with the response's status (200 or 206 tell a
// whole body from a range); return false to abort the transfer.
using BodySink = std::function<bool(long status, std::string_view)>;

class HttpClient {
 public:
  HttpClient();
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Never throws for HTTP or transport failures: they are in the response. `sink` (optional)
  // receives the body of 2xx responses instead of HttpResponse::body.
  HttpResponse perform(const HttpRequest& request, const Signing& signing, const Timeouts& timeouts,
                       const BodySink& sink = {});

 private:
  struct State;
  std::unique_ptr<State> m_state;
};

// How long to wait before retry number `retry` (0-based): exponential from `base_ms` up to
// `cap_ms`, with equal jitter (half fixed, half random) so retries spread out.
std::chrono::milliseconds backoff_delay(int retry, int base_ms, int cap_ms);

// SHA-256 of `bytes`, hex: the x-amz-content-sha256 of a payload.
std::string sha256_hex(std::string_view bytes);
// MD5 of `bytes`, base64: the Content-MD5 header S3 checks an upload against.
std::string md5_base64(std::string_view bytes);

}  // namespace d2d::s3
