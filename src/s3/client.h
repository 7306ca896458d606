// An S3 client for one bucket: ListObjectsV2 (paginated), GetObject (verified, resumed with
// Range), PutObject (multipart above a threshold) and HeadObject, over libcurl with its SigV4
// signer. Every request is retried on throttling (503 SlowDown, 429), 5xx, timeouts and resets
// with exponential backoff and jitter, a bounded number of times; then it throws core::Error
// with one line naming the request and the last failure (transient, so a caller may try later).
// Thread-safe: each request borrows one of a pool of curl handles, which keep their connections,
// and signs with a consistent snapshot of the (refreshed) credentials.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "s3/client_options.h"
#include "s3/credentials.h"
#include "s3/http.h"
#include "s3/spool_file.h"
#include "s3/uri_encode.h"
#include "s3/xml.h"

namespace d2d::s3 {

namespace detail {
class ReceivedBody;  // where a GET keeps the bytes it has verified: memory or a spool file
}  // namespace detail

class Client {
 public:
  // `options` as returned by resolve_options().
  Client(std::string bucket, ClientOptions options, Credentials credentials);
  // Credentials that may expire: each request signs with the provider's current ones.
  Client(std::string bucket, ClientOptions options, std::unique_ptr<CredentialProvider> credentials);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  ListPage list_page(const std::string& prefix, const std::string& delimiter, const std::string& token,
                     int max_keys = 1000);
  std::vector<ObjectEntry> list_all(const std::string& prefix);  // every page
  std::optional<ObjectEntry> head(const std::string& key);       // nothing when absent

  // The object's bytes, or nothing when it does not exist. Checked against the response (length,
  // MD5 ETag): a short or altered body is fetched again.
  std::optional<std::string> get_if_exists(const std::string& key);
  // The same checks, and against `expected` when given (the size and ETag a listing reported),
  // but the body goes to `spool` (empty) instead of memory, for objects read a block at a time
  // afterwards. False when `allow_missing` and the object does not exist.
  bool get_into(const std::string& key, const std::optional<ObjectEntry>& expected, SpoolFile& spool,
                bool allow_missing = false);
  // Deletes the object; one that is not there is no error (S3 answers 204 either way).
  void remove(const std::string& key);
  // Uploads `bytes` (S3 checks them against Content-MD5); returns the ETag.
  std::string put(const std::string& key, std::string_view bytes);
  // Uploads the bytes of `spool`, holding at most one part of them in memory at a time.
  std::string put_from(const std::string& key, const SpoolFile& spool);

  std::uint64_t requests() const { return m_requests.load(); }
  const std::string& bucket() const { return m_bucket; }
  const ClientOptions& options() const { return m_options; }
  Credentials credentials() const { return m_credentials->current(); }  // a snapshot
  std::string url_of(const std::string& key, const std::vector<QueryParam>& query = {}) const;

 private:
  struct Failure {
    std::string message;
    bool retryable = true;
  };
  using Attempt = std::function<std::optional<Failure>()>;
  void retrying(const std::string& what, const Attempt& attempt);
  HttpResponse send(HttpRequest request, const BodySink& sink = {});
  std::optional<Failure> failure_of(const HttpResponse& response) const;
  bool fetch(const std::string& key, const std::optional<ObjectEntry>& expected, bool allow_missing,
             detail::ReceivedBody& body);
  // `part_at(offset, length, buffer)` gives the object's bytes [offset, offset + length), in
  // `buffer` or elsewhere.
  using PartReader = std::function<std::string_view(std::uint64_t, std::uint64_t, std::string&)>;
  std::string put_multipart(const std::string& key, std::uint64_t size, const PartReader& part_at);

  std::string m_bucket;
  ClientOptions m_options;
  std::unique_ptr<CredentialProvider> m_credentials;
  bool m_anonymous = true;
  Signing m_signing;   // region and service; the keys come from m_credentials per request
  std::string m_base;  // scheme://host[:port] the bucket's requests go to, and the path prefix
  std::string m_path_prefix;
  std::atomic<std::uint64_t> m_requests{0};
  std::mutex m_pool_mutex;
  std::vector<std::unique_ptr<HttpClient>> m_pool;
};

// A client for the bucket of an s3:// URI, with options resolved from the environment and
// credentials from the chain. `uri_prefix` receives the URI's prefix ("" or ending in '/').
std::unique_ptr<Client> open_client(const std::string& uri, const ClientOptions& options,
                                    std::string& uri_prefix);

}  // namespace d2d::s3
