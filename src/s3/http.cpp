#include "s3/http.h"

#include <curl/curl.h>
#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <mutex>
#include <random>
#include <stdexcept>

namespace d2d::s3 {
namespace {

void global_init_once() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::string to_lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

std::string trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  return std::string(text);
}

Transport classify(CURLcode code) {
  switch (code) {
    case CURLE_OK: return Transport::Ok;
    case CURLE_OPERATION_TIMEDOUT: return Transport::Timeout;
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_WRITE_ERROR:  // our sink stopped the transfer (e.g. more bytes than announced)
    case CURLE_ABORTED_BY_CALLBACK: return Transport::Connection;
    default: return Transport::Other;
  }
}

struct Exchange {
  CURL* curl = nullptr;
  HttpResponse* response = nullptr;
  const BodySink* sink = nullptr;
};

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
  auto* exchange = static_cast<Exchange*>(user);
  const std::string_view line(data, size * count);
  if (line.starts_with("HTTP/")) {
    exchange->response->headers.clear();  // a new response (after 100 Continue): keep the last one's
  } else if (const auto colon = line.find(':'); colon != std::string_view::npos) {
    exchange->response->headers[to_lower(std::string(line.substr(0, colon)))] = trim(line.substr(colon + 1));
  }
  return size * count;
}

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
  auto* exchange = static_cast<Exchange*>(user);
  const std::string_view bytes(data, size * count);
  exchange->response->body_bytes += bytes.size();
  long status = 0;
  curl_easy_getinfo(exchange->curl, CURLINFO_RESPONSE_CODE, &status);
  // Only a success body is data; an error's body is the XML that says why.
  if (status >= 200 && status < 300 && exchange->sink != nullptr && *exchange->sink) {
    if (!(*exchange->sink)(status, bytes)) return 0;  // curl ends the transfer with CURLE_WRITE_ERROR
  } else {
    exchange->response->body.append(bytes);
  }
  return bytes.size();
}

std::string hex(const unsigned char* digest, unsigned length) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < length; ++i) out += {kHex[digest[i] >> 4], kHex[digest[i] & 15]};
  return out;
}

}  // namespace

std::string HttpResponse::header(const std::string& lower_name) const {
  const auto it = headers.find(lower_name);
  return it == headers.end() ? std::string() : it->second;
}

struct HttpClient::State {
  CURL* curl = nullptr;
};

HttpClient::HttpClient() : m_state(std::make_unique<State>()) {
  global_init_once();
  m_state->curl = curl_easy_init();
  if (m_state->curl == nullptr) throw std::runtime_error("curl_easy_init failed");
}

HttpClient::~HttpClient() { curl_easy_cleanup(m_state->curl); }

HttpResponse HttpClient::perform(const HttpRequest& request, const Signing& signing, const Timeouts& timeouts,
                                 const BodySink& sink) {
  CURL* curl = m_state->curl;
  // Reset the options of the previous request; the handle keeps its open connections.
  curl_easy_reset(curl);
  HttpResponse response;
  Exchange exchange{curl, &response, &sink};

  curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(curl, CURLOPT_PATH_AS_IS, 1L);  // keys like a/../b are names, not paths to squash
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, timeouts.connect_s);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, timeouts.stall_s);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &exchange);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &exchange);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "d2d");
  curl_slist* connect_to = nullptr;
  if (!request.connect_to.empty()) {
    connect_to = curl_slist_append(nullptr, request.connect_to.c_str());
    curl_easy_setopt(curl, CURLOPT_CONNECT_TO, connect_to);
  }

  if (request.method == "HEAD") {
    curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  } else if (request.method == "PUT" || request.method == "POST") {
    // The payload is in memory, so curl's signer hashes it itself (and matches our
    // x-amz-content-sha256); CUSTOMREQUEST makes a PUT of it.
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
    if (request.method == "PUT") curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, "PUT");
  } else if (request.method != "GET") {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }

  curl_slist* headers = nullptr;
  std::string line;
  for (const auto& [name, value] : request.headers) {
    line.assign(name).append(": ").append(value);
    headers = curl_slist_append(headers, line.c_str());
  }
  if (!signing.access_key_id.empty() && !signing.session_token.empty()) {
    headers = curl_slist_append(headers, ("x-amz-security-token: " + signing.session_token).c_str());
  }
  // No "Expect:" or "Accept:" removals here: curl 7.88 lists such empty headers in
  // SignedHeaders although it does not send them (the SigV4 vector tests caught it).
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);

  const std::string sigv4 = "aws:amz:" + signing.region + ":" + signing.service;
  if (!signing.access_key_id.empty()) {
    curl_easy_setopt(curl, CURLOPT_AWS_SIGV4, sigv4.c_str());
    curl_easy_setopt(curl, CURLOPT_USERNAME, signing.access_key_id.c_str());
    curl_easy_setopt(curl, CURLOPT_PASSWORD, signing.secret_access_key.c_str());
  }

  char error_buffer[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer);
  const CURLcode code = curl_easy_perform(curl);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
  response.transport = classify(code);
  if (code != CURLE_OK) {
    response.transport_error = error_buffer[0] != 0 ? error_buffer : curl_easy_strerror(code);
  }
  // The secret must not outlive the request in the handle's option storage.
  curl_easy_setopt(curl, CURLOPT_PASSWORD, "");
  curl_slist_free_all(headers);
  curl_slist_free_all(connect_to);
  return response;
}

std::chrono::milliseconds backoff_delay(int retry, int base_ms, int cap_ms) {
  thread_local std::mt19937 random{std::random_device{}()};
  const long long ceiling =
      std::min<long long>(cap_ms, static_cast<long long>(base_ms) << std::min(std::max(retry, 0), 20));
  std::uniform_int_distribution<long long> jitter(0, ceiling / 2);
  return std::chrono::milliseconds(ceiling - ceiling / 2 + jitter(random));
}

std::string sha256_hex(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned length = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_sha256(), nullptr);
  return hex(digest, length);
}

std::string md5_base64(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned length = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_md5(), nullptr);
  unsigned char encoded[64] = {0};
  const int n = EVP_EncodeBlock(encoded, digest, static_cast<int>(length));
  return std::string(reinterpret_cast<const char*>(encoded), static_cast<std::size_t>(n));
}

}  // namespace d2d::s3
