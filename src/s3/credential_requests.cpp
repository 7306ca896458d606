// What every credential source shares: one-line failures that name the source, environment
// settings, expiry times, and asking an endpoint over the S3 client's HTTP stack with its backoff
// (STS, container agent, instance metadata), then reading a JSON answer of credentials.
#include <fmt/format.h>
#include <simdjson.h>

#include <thread>

#include "core/error.h"
#include "core/secret_file.h"
#include "core/time.h"
#include "s3/credential_sources.h"

namespace d2d::s3::detail {
using core::Error;
using core::ErrorKind;

std::string trim(const std::string& text) { return std::string(core::trim_space(text)); }

std::optional<std::string> setting_of(const Environment& env, const char* name) {
  auto value = env(name);
  if (!value || value->empty()) return std::nullopt;
  return value;
}

void debug(const ChainOptions& options, const std::string& message) {
  if (options.on_debug) options.on_debug("AWS credentials: " + message);
}

[[noreturn]] void fail(const std::string& source, const std::string& why, bool transient) {
  throw Error(ErrorKind::Input, fmt::format("AWS credentials from {}: {}", source, why), transient);
}

std::optional<Clock::time_point> parse_expiration(const std::string& text, const std::string& source) {
  if (text.empty()) return std::nullopt;
  const auto at_us = core::parse_rfc3339(text);
  if (!at_us) fail(source, fmt::format("the expiration '{}' is not an RFC 3339 time", text));
  return Clock::time_point(std::chrono::microseconds(*at_us));
}

std::string describe_expiry(const Credentials& credentials) {
  if (!credentials.expires_at) return "";
  const auto at_us =
      std::chrono::duration_cast<std::chrono::microseconds>(credentials.expires_at->time_since_epoch());
  return ", expiring " + core::format_utc(at_us.count());
}

HttpResponse exchange(const Call& call, const HttpRequest& request, const Signing& signing,
                      const ChainOptions& options) {
  HttpClient http;
  for (int tried = 1;; ++tried) {
    HttpResponse response = http.perform(request, signing, call.timeouts);
    const bool transport_failed = response.transport != Transport::Ok;
    const bool retryable = transport_failed ? call.retry_transport && response.transport != Transport::Other
                                            : response.status == 429 || response.status >= 500;
    if (!retryable || tried >= call.attempts) return response;
    const auto delay = backoff_delay(tried - 1, options.backoff_base_ms, options.backoff_cap_ms);
    if (options.on_retry) {
      options.on_retry(
          fmt::format("AWS credentials from {}: {}; retry {} of {} in {} ms", call.source,
                      transport_failed ? response.transport_error : fmt::format("HTTP {}", response.status),
                      tried, call.attempts - 1, delay.count()));
    }
    std::this_thread::sleep_for(delay);
  }
}

void expect_success(const Call& call, const HttpResponse& response, const std::string& what) {
  if (response.transport != Transport::Ok) {
    fail(call.source, fmt::format("{}: {}", what, response.transport_error), true);
  }
  if (response.status < 200 || response.status >= 300) {
    fail(call.source, fmt::format("{} answered HTTP {}", what, response.status), response.status >= 500);
  }
}

Credentials parse_json_credentials(const std::string& text, const std::string& source,
                                   const char* token_field, std::map<std::string, std::string>* extra) {
  simdjson::ondemand::parser parser;
  const simdjson::padded_string padded(text);
  std::map<std::string, std::string> fields;
  auto malformed = [&source] { fail(source, "the answer is not a JSON object of credentials"); };
  simdjson::ondemand::document document;
  simdjson::ondemand::object object;
  if (parser.iterate(padded).get(document) || document.get_object().get(object)) malformed();
  for (auto field : object) {
    std::string_view name;
    simdjson::ondemand::value value;
    if (field.unescaped_key().get(name) || field.value().get(value)) malformed();
    simdjson::ondemand::json_type type;
    if (value.type().get(type)) malformed();
    if (type == simdjson::ondemand::json_type::string) {
      std::string_view text_value;
      if (value.get_string().get(text_value)) malformed();
      fields[std::string(name)] = std::string(text_value);
    } else if (type == simdjson::ondemand::json_type::number) {
      std::int64_t number = 0;
      if (value.get_int64().get(number)) malformed();
      fields[std::string(name)] = std::to_string(number);
    }  // other values (objects, arrays) are skipped by the next field's iteration, which checks them
  }
  Credentials credentials;
  credentials.access_key_id = fields["AccessKeyId"];
  credentials.secret_access_key = fields["SecretAccessKey"];
  credentials.session_token = fields[token_field];
  if (credentials.access_key_id.empty() || credentials.secret_access_key.empty()) {
    fail(source, "the answer has no AccessKeyId and SecretAccessKey");
  }
  credentials.expires_at = parse_expiration(fields["Expiration"], source);
  credentials.origin = source;
  if (extra != nullptr) *extra = std::move(fields);
  return credentials;
}

}  // namespace d2d::s3::detail
