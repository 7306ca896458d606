#include "s3/client.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <random>
#include <thread>

#include "core/checksum.h"
#include "core/error.h"

namespace d2d::s3 {
namespace {
using core::Error;
using core::ErrorKind;

constexpr const char* kEmptySha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

std::string md5_hex(std::string_view bytes) {
  core::Md5 md5;
  md5.update(bytes);
  return md5.hex_digest();
}

std::chrono::milliseconds backoff(int retry, const ClientOptions& options) {
  return backoff_delay(retry, options.backoff_base_ms, options.backoff_cap_ms);
}

// A reply that does not parse (a proxy's error page, a cut body) is worth asking for again:
// the parse error's text, or nothing when `parse` succeeded.
template <typename Parse>
std::optional<std::string> parse_error_of(const Parse& parse) {
  try {
    parse();
    return std::nullopt;
  } catch (const Error& error) {
    return std::string(error.what());
  }
}

// "bytes 100-199/1000" -> 1000.
std::optional<std::uint64_t> content_range_total(const std::string& header) {
  const auto slash = header.rfind('/');
  if (slash == std::string::npos || slash + 1 >= header.size()) return std::nullopt;
  try {
    return std::stoull(header.substr(slash + 1));
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::optional<std::uint64_t> parse_length(const std::string& header) {
  if (header.empty()) return std::nullopt;
  try {
    return std::stoull(header);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

}  // namespace

Client::Client(std::string bucket, ClientOptions options, Credentials credentials)
    : Client(std::move(bucket), std::move(options),
             std::make_unique<CredentialProvider>(std::move(credentials))) {}

Client::Client(std::string bucket, ClientOptions options, std::unique_ptr<CredentialProvider> credentials)
    : m_bucket(std::move(bucket)), m_options(std::move(options)), m_credentials(std::move(credentials)) {
  m_anonymous = m_options.anonymous || m_credentials->anonymous();
  m_signing.region = m_options.region;
  const bool custom = !m_options.endpoint.empty();
  const std::string endpoint =
      custom ? m_options.endpoint : "https://s3." + m_options.region + ".amazonaws.com";
  bool virtual_hosted = m_options.addressing == Addressing::Virtual;
  // On AWS a bucket with dots breaks the TLS wildcard of virtual hosts; other stores often
  // have no DNS for bucket names at all.
  if (m_options.addressing == Addressing::Auto)
    virtual_hosted = !custom && m_bucket.find('.') == std::string::npos;
  if (virtual_hosted) {
    const auto scheme_end = endpoint.find("://") + 3;
    m_base = endpoint.substr(0, scheme_end) + m_bucket + "." + endpoint.substr(scheme_end);
    m_path_prefix = "/";
  } else {
    m_base = endpoint;
    m_path_prefix = "/" + m_bucket + "/";
  }
}

Client::~Client() = default;

std::string Client::url_of(const std::string& key, const std::vector<QueryParam>& query) const {
  std::string url = m_base + m_path_prefix + aws_encode(key, true);
  if (key.empty() && m_path_prefix.size() > 1) url.pop_back();  // the bucket itself: /bucket
  if (!query.empty()) url += "?" + canonical_query(query);
  return url;
}

HttpResponse Client::send(HttpRequest request, const BodySink& sink) {
  std::unique_ptr<HttpClient> handle;
  {
    std::lock_guard lock(m_pool_mutex);
    if (!m_pool.empty()) {
      handle = std::move(m_pool.back());
      m_pool.pop_back();
    }
  }
  if (!handle) handle = std::make_unique<HttpClient>();
  if (request.method == "GET" || request.method == "HEAD" || request.method == "DELETE") {
    request.headers.emplace_back("x-amz-content-sha256", kEmptySha256);
  } else {
    request.headers.emplace_back("x-amz-content-sha256", sha256_hex(request.body));
    // Otherwise curl adds its form type to an in-memory body, unsigned (the botocore check saw it).
    const bool typed = std::any_of(request.headers.begin(), request.headers.end(),
                                   [](const auto& header) { return header.first == "Content-Type"; });
    if (!typed) request.headers.emplace_back("Content-Type", "application/octet-stream");
  }
  ++m_requests;
  Signing signing = m_signing;
  if (!m_anonymous) {
    const Credentials credentials = m_credentials->current();  // key, secret and token of one moment
    signing.access_key_id = credentials.access_key_id;
    signing.secret_access_key = credentials.secret_access_key;
    signing.session_token = credentials.session_token;
  }
  HttpResponse response = handle->perform(
      request, signing, Timeouts{m_options.connect_timeout_s, m_options.stall_timeout_s}, sink);
  if (response.transport == Transport::Ok) {  // a handle whose connection broke is dropped
    std::lock_guard lock(m_pool_mutex);
    m_pool.push_back(std::move(handle));
  }
  return response;
}

std::optional<Client::Failure> Client::failure_of(const HttpResponse& response) const {
  if (response.transport != Transport::Ok) {
    return Failure{response.transport_error, response.transport != Transport::Other};
  }
  if (response.status >= 200 && response.status < 300) return std::nullopt;
  const auto error = parse_error(response.body);
  const std::string code = error ? error->code : "";
  std::string message = fmt::format("HTTP {}", response.status);
  if (error) message += fmt::format(" {}: {}", error->code, error->message);
  if (response.status == 403 && m_anonymous) {
    message += " (the request was anonymous: no AWS credentials were found)";
  }
  // Credentials revoked or expired before their announced time: fetch new ones and try again.
  const bool expired = code == "ExpiredToken" || code == "TokenRefreshRequired";
  if (expired) m_credentials->invalidate();
  const bool retryable = response.status == 429 || response.status >= 500 || code == "SlowDown" ||
                         code == "RequestTimeout" || code == "InternalError" || expired;
  return Failure{message, retryable};
}

void Client::retrying(const std::string& what, const Attempt& attempt) {
  for (int tried = 1;; ++tried) {
    const auto failure = attempt();
    if (!failure) return;
    if (!failure->retryable || tried >= m_options.attempts) {
      throw Error(
          ErrorKind::Input,
          fmt::format("S3 {} failed{}: {}", what,
                      tried > 1 ? fmt::format(" after {} attempts", tried) : std::string(), failure->message),
          failure->retryable);
    }
    const auto delay = backoff(tried - 1, m_options);
    if (m_options.on_retry) {
      m_options.on_retry(fmt::format("S3 {}: {}; retry {} of {} in {} ms", what, failure->message, tried,
                                     m_options.attempts - 1, delay.count()));
    }
    std::this_thread::sleep_for(delay);
  }
}

ListPage Client::list_page(const std::string& prefix, const std::string& delimiter, const std::string& token,
                           int max_keys) {
  std::vector<QueryParam> query{
      {"list-type", "2"}, {"max-keys", std::to_string(max_keys)}, {"prefix", prefix}};
  if (!delimiter.empty()) query.push_back({"delimiter", delimiter});
  if (!token.empty()) query.push_back({"continuation-token", token});
  ListPage page;
  retrying(fmt::format("list s3://{}/{}", m_bucket, prefix), [&]() -> std::optional<Failure> {
    const HttpResponse response = send(HttpRequest{"GET", url_of("", query), {}, {}, {}});
    if (auto failure = failure_of(response)) return failure;
    if (auto error = parse_error_of([&] { page = parse_list_page(response.body); }))
      return Failure{*error, true};
    return std::nullopt;
  });
  return page;
}

std::vector<ObjectEntry> Client::list_all(const std::string& prefix) {
  std::vector<ObjectEntry> objects;
  std::string token;
  do {
    ListPage page = list_page(prefix, "", token);
    for (auto& object : page.objects) objects.push_back(std::move(object));
    token = page.truncated ? page.next_token : "";
  } while (!token.empty());
  return objects;
}

std::optional<ObjectEntry> Client::head(const std::string& key) {
  std::optional<ObjectEntry> entry;
  retrying(fmt::format("HEAD s3://{}/{}", m_bucket, key), [&]() -> std::optional<Failure> {
    const HttpResponse response = send(HttpRequest{"HEAD", url_of(key), {}, {}, {}});
    if (response.transport == Transport::Ok && response.status == 404) {
      entry.reset();
      return std::nullopt;
    }
    if (auto failure = failure_of(response)) return failure;
    const auto length = parse_length(response.header("content-length"));
    if (!length) return Failure{"HEAD answer without Content-Length", true};
    entry = ObjectEntry{key, *length, unquote_etag(response.header("etag"))};
    return std::nullopt;
  });
  return entry;
}

// The verified prefix of the object received so far.
class detail::ReceivedBody {
 public:
  virtual ~ReceivedBody() = default;
  virtual void append(std::string_view bytes) = 0;
  virtual std::uint64_t size() const = 0;
  virtual void clear() = 0;
  virtual std::string md5_hex() = 0;
};

namespace {

class MemoryBody final : public detail::ReceivedBody {
 public:
  void append(std::string_view bytes) override { m_bytes.append(bytes); }
  std::uint64_t size() const override { return m_bytes.size(); }
  void clear() override { m_bytes.clear(); }
  std::string md5_hex() override { return s3::md5_hex(m_bytes); }
  std::string take() { return std::move(m_bytes); }

 private:
  std::string m_bytes;
};

class SpoolBody final : public detail::ReceivedBody {
 public:
  explicit SpoolBody(SpoolFile& spool) : m_spool(spool) {}
  void append(std::string_view bytes) override { m_spool.append(bytes); }
  std::uint64_t size() const override { return m_spool.size(); }
  void clear() override { m_spool.clear(); }
  std::string md5_hex() override { return m_spool.md5_hex(); }

 private:
  SpoolFile& m_spool;
};

}  // namespace

std::optional<std::string> Client::get_if_exists(const std::string& key) {
  MemoryBody body;
  if (!fetch(key, std::nullopt, true, body)) return std::nullopt;
  return body.take();
}

bool Client::get_into(const std::string& key, const std::optional<ObjectEntry>& expected, SpoolFile& spool,
                      bool allow_missing) {
  SpoolBody body(spool);
  return fetch(key, expected, allow_missing, body);
}

bool Client::fetch(const std::string& key, const std::optional<ObjectEntry>& expected, bool allow_missing,
                   detail::ReceivedBody& data) {
  bool missing = false;
  std::string version_etag;  // the ETag of the object being read: a resume must read the same one
  retrying(fmt::format("GET s3://{}/{}", m_bucket, key), [&]() -> std::optional<Failure> {
    HttpRequest request{"GET", url_of(key), {}, {}, {}};
    const std::uint64_t offset = data.size();
    if (offset > 0) {
      request.headers.emplace_back("Range", fmt::format("bytes={}-", offset));
      request.headers.emplace_back("If-Match", "\"" + version_etag + "\"");
    }
    bool whole_body_started = false;
    std::optional<std::string> keep_failed;  // e.g. the temporary file's disk is full
    const HttpResponse response = send(request, [&](long status, std::string_view bytes) {
      try {  // nothing may be thrown through curl's C frames
        if (status == 200 && !whole_body_started) {
          data.clear();  // a whole body (the server may ignore Range) replaces any earlier prefix
          whole_body_started = true;
        }
        data.append(bytes);
        return true;
      } catch (const Error& error) {
        keep_failed = error.what();
        return false;
      }
    });
    if (keep_failed) return Failure{*keep_failed, false};
    std::optional<std::uint64_t> total;
    if (allow_missing && offset == 0 && response.transport == Transport::Ok && response.status == 404) {
      missing = true;
      return std::nullopt;
    }
    if (response.status == 200) {
      if (!whole_body_started) data.clear();  // an empty body, or cut before its first byte
      version_etag = unquote_etag(response.header("etag"));
      total = parse_length(response.header("content-length"));
    } else if (response.status == 206 && offset > 0) {
      total = content_range_total(response.header("content-range"));
    } else if (response.status == 412) {
      data.clear();  // the object changed since the first bytes: start again
      return Failure{"the object changed while it was read", true};
    }
    if (auto failure = failure_of(response)) return failure;  // progress, if any, is kept
    if (response.status != 200 && response.status != 206) {
      data.clear();
      return Failure{fmt::format("unexpected HTTP {}", response.status), true};
    }
    // A body shorter or longer than announced, listed, or checksummed is never handed on.
    const std::uint64_t want = expected ? expected->size : total.value_or(data.size());
    if (data.size() != want || (total && *total != want)) {
      const auto got = data.size();
      data.clear();
      return Failure{fmt::format("got {} bytes, expected {} (truncated or changed in transit)", got, want),
                     true};
    }
    const std::string etag = expected && is_md5_etag(expected->etag) ? expected->etag : version_etag;
    if (is_md5_etag(etag) && data.md5_hex() != etag) {
      data.clear();
      return Failure{"body does not match its MD5 ETag (corrupted in transit)", true};
    }
    return std::nullopt;
  });
  return !missing;
}

void Client::remove(const std::string& key) {
  retrying(fmt::format("DELETE s3://{}/{}", m_bucket, key), [&]() -> std::optional<Failure> {
    const HttpResponse response = send(HttpRequest{"DELETE", url_of(key), {}, {}, {}});
    if (response.transport == Transport::Ok && response.status == 404) return std::nullopt;
    return failure_of(response);
  });
}

std::string Client::put(const std::string& key, std::string_view bytes) {
  if (bytes.size() > m_options.multipart_threshold) {
    return put_multipart(key, bytes.size(),
                         [bytes](std::uint64_t offset, std::uint64_t length, std::string&) {
                           return bytes.substr(offset, length);
                         });
  }
  std::string etag;
  const std::string md5 = md5_hex(bytes);
  retrying(fmt::format("PUT s3://{}/{}", m_bucket, key), [&]() -> std::optional<Failure> {
    HttpRequest request{"PUT", url_of(key), {}, bytes, {}};
    request.headers = {{"Content-MD5", md5_base64(bytes)}};
    const HttpResponse response = send(request);
    if (auto failure = failure_of(response)) return failure;
    etag = unquote_etag(response.header("etag"));
    if (is_md5_etag(etag) && etag != md5) return Failure{"stored object's ETag is not the MD5 sent", true};
    return std::nullopt;
  });
  return etag;
}

std::string Client::put_from(const std::string& key, const SpoolFile& spool) {
  auto part_at = [&spool](std::uint64_t offset, std::uint64_t length, std::string& buffer) {
    buffer.resize(length);
    buffer.resize(spool.read_at(offset, buffer.data(), buffer.size()));
    return std::string_view(buffer);
  };
  std::string whole;
  if (spool.size() <= m_options.multipart_threshold) return put(key, part_at(0, spool.size(), whole));
  return put_multipart(key, spool.size(), part_at);
}

std::string Client::put_multipart(const std::string& key, std::uint64_t size, const PartReader& part_at) {
  const std::string what = fmt::format("multipart PUT s3://{}/{}", m_bucket, key);
  std::string upload_id;
  retrying(what + " (start)", [&]() -> std::optional<Failure> {
    const HttpResponse response = send(HttpRequest{"POST", url_of(key, {{"uploads", ""}}), {}, {}, {}});
    if (auto failure = failure_of(response)) return failure;
    if (auto error = parse_error_of([&] { upload_id = parse_upload_id(response.body); })) {
      return Failure{*error, true};
    }
    return std::nullopt;
  });
  try {
    std::vector<std::pair<int, std::string>> parts;
    std::string buffer;
    for (std::uint64_t offset = 0; offset < size; offset += m_options.part_size) {
      const int number = static_cast<int>(parts.size()) + 1;
      const std::string_view part =
          part_at(offset, std::min<std::uint64_t>(m_options.part_size, size - offset), buffer);
      std::string etag;
      retrying(fmt::format("{} (part {})", what, number), [&]() -> std::optional<Failure> {
        HttpRequest request{"PUT",
                            url_of(key, {{"partNumber", std::to_string(number)}, {"uploadId", upload_id}}),
                            {{"Content-MD5", md5_base64(part)}},
                            part,
                            {}};
        const HttpResponse response = send(request);
        if (auto failure = failure_of(response)) return failure;
        etag = unquote_etag(response.header("etag"));
        if (etag.empty()) return Failure{"part stored without an ETag", true};
        return std::nullopt;
      });
      parts.emplace_back(number, etag);
    }
    const std::string complete = complete_multipart_xml(parts);
    std::string etag;
    retrying(what + " (complete)", [&]() -> std::optional<Failure> {
      HttpRequest request{"POST", url_of(key, {{"uploadId", upload_id}}), {}, complete, {}};
      request.headers = {{"Content-Type", "application/xml"}};
      const HttpResponse response = send(request);
      if (auto failure = failure_of(response)) return failure;
      // S3 can answer 200 and still fail the completion, with an Error document as the body.
      if (const auto error = parse_error(response.body)) {
        return Failure{fmt::format("{}: {}", error->code, error->message), error->code == "InternalError"};
      }
      etag = unquote_etag(response.header("etag"));
      return std::nullopt;
    });
    return etag;
  } catch (const Error&) {
    // Best effort: an abandoned upload only costs storage until the bucket's lifecycle rule.
    send(HttpRequest{"DELETE", url_of(key, {{"uploadId", upload_id}}), {}, {}, {}});
    throw;
  }
}

std::unique_ptr<Client> open_client(const std::string& uri, const ClientOptions& options,
                                    std::string& uri_prefix) {
  const S3Uri parsed = parse_s3_uri(uri);
  uri_prefix = parsed.prefix;
  const Environment env = process_environment();
  ClientOptions resolved = resolve_options(options, env);
  auto credentials = credential_chain(resolved.anonymous, env, chain_options(resolved),
                                      std::chrono::seconds(resolved.credential_refresh_margin_s));
  if (resolved.on_info) {
    resolved.on_info(fmt::format("S3 bucket {} at {} ({}), credentials: {}", parsed.bucket,
                                 resolved.endpoint.empty() ? "AWS" : resolved.endpoint, resolved.region,
                                 credentials->current().origin));
  }
  return std::make_unique<Client>(parsed.bucket, std::move(resolved), std::move(credentials));
}

}  // namespace d2d::s3
