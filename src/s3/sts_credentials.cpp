// Credentials from AWS STS: AssumeRoleWithWebIdentity for a web identity token file (EKS IRSA),
// and the AssumeRole call a profile's role_arn makes (profile_credentials.cpp). Both answer XML.
#include <fmt/format.h>

#include <algorithm>

#include "core/secret_file.h"
#include "s3/credential_sources.h"
#include "s3/xml.h"

namespace d2d::s3::detail {
namespace {

std::string sts_endpoint(const Environment& env, const ChainOptions& options) {
  std::string endpoint = setting_of(env, "AWS_ENDPOINT_URL_STS")
                             .value_or(setting_of(env, "AWS_ENDPOINT_URL")
                                           .value_or("https://sts." + options.region + ".amazonaws.com"));
  while (endpoint.ends_with('/')) endpoint.pop_back();
  return endpoint;
}

std::string form(const std::vector<QueryParam>& params) {
  std::string body;
  for (const auto& [name, value] : params) {
    if (!body.empty()) body += '&';
    body += aws_encode(name, false) + "=" + aws_encode(value, false);
  }
  return body;
}

}  // namespace

// AssumeRole (signed by `signer`) or AssumeRoleWithWebIdentity (unsigned: the token is the proof).
Credentials call_sts(const std::string& source, const std::string& action, std::vector<QueryParam> params,
                     const Credentials* signer, const Environment& env, const ChainOptions& options) {
  params.insert(params.begin(), {{"Action", action}, {"Version", "2011-06-15"}});
  const std::string body = form(params);
  const std::string endpoint = sts_endpoint(env, options);
  HttpRequest request{"POST", endpoint + "/", {}, body, {}};
  request.headers = {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"},
                     {"Accept", "application/xml"}};
  Signing signing;
  signing.region = options.region;
  signing.service = "sts";
  if (signer != nullptr) {
    signing.access_key_id = signer->access_key_id;
    signing.secret_access_key = signer->secret_access_key;
    signing.session_token = signer->session_token;
  }
  const Call call{source, Timeouts{options.sts_connect_timeout_s, options.sts_stall_timeout_s},
                  std::max(1, options.attempts), true};
  const HttpResponse response = exchange(call, request, signing, options);
  if (response.transport != Transport::Ok) {
    fail(source, fmt::format("STS {} at {}: {}", action, endpoint, response.transport_error), true);
  }
  if (response.status != 200) {
    if (const auto error = parse_sts_error(response.body)) {
      fail(
          source,
          fmt::format("STS {} answered HTTP {} {}: {}", action, response.status, error->code, error->message),
          response.status >= 500);
    }
    fail(source, fmt::format("STS {} answered HTTP {}", action, response.status), response.status >= 500);
  }
  const auto answer = parse_sts_credentials(response.body, action + "Result");
  if (!answer) fail(source, fmt::format("STS {} answered without credentials", action));
  Credentials credentials;
  credentials.access_key_id = answer->access_key_id;
  credentials.secret_access_key = answer->secret_access_key;
  credentials.session_token = answer->session_token;
  credentials.expires_at = parse_expiration(answer->expiration, source);
  credentials.origin = source;
  return credentials;
}

std::string session_name(const Environment& env) {
  if (auto name = setting_of(env, "AWS_ROLE_SESSION_NAME")) return *name;
  return fmt::format(
      "d2d-{}", std::chrono::duration_cast<std::chrono::seconds>(Clock::now().time_since_epoch()).count());
}

std::optional<Fetch> web_identity_source(const Environment& env, const ChainOptions& options) {
  const auto role = setting_of(env, "AWS_ROLE_ARN");
  const auto token_file = setting_of(env, "AWS_WEB_IDENTITY_TOKEN_FILE");
  if (!role || !token_file) return std::nullopt;
  const std::string session = session_name(env);
  return [=] {
    const std::string source = fmt::format("web identity ({})", *role);
    // Read each time: the kubelet rotates the projected token file.
    const auto token =
        core::read_secret_file(*token_file, "the token file " + *token_file, kTokenFileMaxBytes);
    if (!token) fail(source, token.error());
    if (token->empty()) fail(source, fmt::format("the token file {} is empty", *token_file));
    return call_sts(source, "AssumeRoleWithWebIdentity",
                    {{"RoleArn", *role}, {"RoleSessionName", session}, {"WebIdentityToken", *token}}, nullptr,
                    env, options);
  };
}

}  // namespace d2d::s3::detail
