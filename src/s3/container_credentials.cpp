// Container credentials (ECS, Fargate, EKS Pod Identity): a JSON answer from the container
// agent's endpoint, named by AWS_CONTAINER_CREDENTIALS_RELATIVE_URI or _FULL_URI, with an
// optional authorization token.
#include <arpa/inet.h>
#include <fmt/format.h>

#include <algorithm>

#include "core/error.h"
#include "core/secret_file.h"
#include "s3/credential_sources.h"

namespace d2d::s3::detail {
using core::Error;
using core::ErrorKind;

// Where the container agent serves credentials; a full URI must stay on this machine or the
// agents' link-local addresses unless it is HTTPS, as in the SDKs.
std::optional<std::string> container_url(const Environment& env) {
  if (auto relative = setting_of(env, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")) {
    return "http://169.254.170.2" + (relative->starts_with('/') ? *relative : "/" + *relative);
  }
  auto full = setting_of(env, "AWS_CONTAINER_CREDENTIALS_FULL_URI");
  if (!full) return std::nullopt;
  if (full->starts_with("https://")) return full;
  if (!full->starts_with("http://")) {
    throw Error(ErrorKind::Usage,
                fmt::format("AWS_CONTAINER_CREDENTIALS_FULL_URI {} is neither http:// nor https://", *full));
  }
  std::string host = full->substr(7, full->find_first_of("/?", 7) - 7);
  if (host.starts_with('[')) {
    host = host.substr(0, host.find(']') + 1);
  } else {
    host = host.substr(0, host.find(':'));
  }
  in_addr address{};  // 127.0.0.0/8 as an address, never a name that starts with "127."
  const bool loopback_v4 =
      inet_pton(AF_INET, host.c_str(), &address) == 1 && (ntohl(address.s_addr) >> 24) == 127;
  const bool allowed = host == "localhost" || loopback_v4 || host == "[::1]" || host == "169.254.170.2" ||
                       host == "169.254.170.23" || host == "[fd00:ec2::23]";
  if (!allowed) {
    throw Error(ErrorKind::Usage, fmt::format("AWS_CONTAINER_CREDENTIALS_FULL_URI {} must be https:// or on "
                                              "loopback or the container agent's address",
                                              *full));
  }
  return full;
}

Credentials container_credentials(const std::string& url, const Environment& env,
                                  const ChainOptions& options) {
  const std::string source = fmt::format("container credentials ({})", url);
  HttpRequest request{"GET", url, {}, {}, {}};
  std::string token;
  if (auto file = setting_of(env, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")) {
    // Read each time: EKS Pod Identity rotates it.
    auto text =
        core::read_secret_file(*file, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE " + *file, kTokenFileMaxBytes);
    if (!text) fail(source, text.error());
    token = std::move(*text);
  } else {
    token = env("AWS_CONTAINER_AUTHORIZATION_TOKEN").value_or("");
  }
  if (token.find_first_of("\r\n") != std::string::npos) fail(source, "the authorization token spans lines");
  if (!token.empty()) request.headers.emplace_back("Authorization", token);
  const Call call{source, Timeouts{options.metadata_connect_timeout_s, options.metadata_stall_timeout_s},
                  std::max(1, options.attempts), true};
  const HttpResponse response = exchange(call, request, Signing{}, options);
  expect_success(call, response, "the credentials request");
  return parse_json_credentials(response.body, source, "Token");
}

std::optional<Fetch> container_source(const Environment& env, const ChainOptions& options) {
  const auto url = container_url(env);
  if (!url) return std::nullopt;
  return [=] { return container_credentials(*url, env, options); };
}

}  // namespace d2d::s3::detail
