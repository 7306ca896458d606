// EC2 instance metadata (IMDSv2): the last source of the chain, which must give up quickly on
// a machine that is not on EC2.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <map>

#include "s3/credential_sources.h"

namespace d2d::s3::detail {
namespace {

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
  return text;
}

}  // namespace

bool metadata_disabled(const Environment& env) {
  return lower(env("AWS_EC2_METADATA_DISABLED").value_or("")) == "true";
}

// IMDSv2 only: a session token first, then the role's name and its credentials. Anonymous when
// nothing answers (not on EC2), so a laptop reaches the end of the chain within the timeouts.
Credentials instance_credentials(const Environment& env, const ChainOptions& options) {
  std::string endpoint =
      setting_of(env, "AWS_EC2_METADATA_SERVICE_ENDPOINT").value_or("http://169.254.169.254");
  while (endpoint.ends_with('/')) endpoint.pop_back();
  const std::string source = fmt::format("EC2 instance metadata ({})", endpoint);
  const Timeouts timeouts{options.metadata_connect_timeout_s, options.metadata_stall_timeout_s};
  const Call first{source, timeouts, std::max(1, options.attempts), false};
  HttpRequest token_request{"PUT", endpoint + "/latest/api/token", {}, {}, {}};
  token_request.headers = {{"X-aws-ec2-metadata-token-ttl-seconds", "21600"}};
  const HttpResponse token = exchange(first, token_request, Signing{}, options);
  if (token.transport != Transport::Ok) {
    debug(options, fmt::format("{} does not answer ({})", source, token.transport_error));
    return Credentials{};
  }
  expect_success(first, token, "the IMDSv2 token request");
  const std::string session = trim(token.body);
  // It becomes a header: a line break in it would smuggle another one in.
  if (session.empty() || session.find_first_of("\r\n") != std::string::npos) {
    fail(source, "the IMDSv2 token request answered no usable token");
  }
  const std::vector<std::pair<std::string, std::string>> with_token{{"X-aws-ec2-metadata-token", session}};
  const Call call{source, timeouts, std::max(1, options.attempts), true};
  const std::string roles_url = endpoint + "/latest/meta-data/iam/security-credentials/";
  const HttpResponse roles =
      exchange(call, HttpRequest{"GET", roles_url, with_token, {}, {}}, Signing{}, options);
  if (roles.transport == Transport::Ok && roles.status == 404) {
    debug(options, source + " has no instance profile (no IAM role attached)");
    return Credentials{};
  }
  expect_success(call, roles, "the role name request");
  const std::string role = trim(roles.body.substr(0, roles.body.find('\n')));
  if (role.empty() || role.find_first_of("/?#% ") != std::string::npos) {
    fail(source, "the role name request answered no usable role name");
  }
  const HttpResponse answer =
      exchange(call, HttpRequest{"GET", roles_url + role, with_token, {}, {}}, Signing{}, options);
  expect_success(call, answer, fmt::format("the credentials request for role {}", role));
  std::map<std::string, std::string> fields;
  Credentials credentials = parse_json_credentials(
      answer.body, fmt::format("EC2 instance metadata (role {})", role), "Token", &fields);
  if (fields.contains("Code") && fields["Code"] != "Success") {
    fail(source, fmt::format("the credentials of role {} came with Code {}", role, fields["Code"]));
  }
  return credentials;
}

}  // namespace d2d::s3::detail
