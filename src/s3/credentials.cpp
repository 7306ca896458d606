#include "s3/credentials.h"

#include <fmt/format.h>
#include <simdjson.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "core/error.h"
#include "core/time.h"
#include "s3/http.h"
#include "s3/uri_encode.h"
#include "s3/xml.h"

namespace d2d::s3 {
namespace {
using core::Error;
using core::ErrorKind;

using Section = std::map<std::string, std::string>;
using Fetch = CredentialProvider::Fetch;

std::string trim(const std::string& text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return "";
  return text.substr(first, text.find_last_not_of(" \t\r\n") - first + 1);
}

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
  return text;
}

std::optional<std::string> setting_of(const Environment& env, const char* name) {
  auto value = env(name);
  if (!value || value->empty()) return std::nullopt;
  return value;
}

void debug(const ChainOptions& options, const std::string& message) {
  if (options.on_debug) options.on_debug("AWS credentials: " + message);
}

// Every failure of a configured source is one line that names it.
[[noreturn]] void fail(const std::string& source, const std::string& why, bool transient = false) {
  throw Error(ErrorKind::Input, fmt::format("AWS credentials from {}: {}", source, why), transient);
}

// The sections of an AWS INI file; a missing file has none.
std::map<std::string, Section> read_ini(const std::string& path) {
  std::map<std::string, Section> sections;
  std::ifstream in(path);
  std::string line;
  Section* current = nullptr;
  while (std::getline(in, line)) {
    line = trim(line);
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    if (line.front() == '[' && line.back() == ']') {
      current = &sections[trim(line.substr(1, line.size() - 2))];
      continue;
    }
    const auto equals = line.find('=');
    if (current == nullptr || equals == std::string::npos) continue;
    (*current)[trim(line.substr(0, equals))] = trim(line.substr(equals + 1));
  }
  return sections;
}

std::string home_file(const Environment& env, const char* override_variable, const char* name) {
  if (auto path = setting_of(env, override_variable)) return *path;
  const std::string home = env("HOME").value_or("");
  return home.empty() ? std::string() : home + "/.aws/" + name;
}

std::string profile_name(const Environment& env) {
  if (auto name = setting_of(env, "AWS_PROFILE")) return *name;
  if (auto name = setting_of(env, "AWS_DEFAULT_PROFILE")) return *name;
  return "default";
}

// ~/.aws/config names profiles `[profile NAME]`, except `[default]`.
const Section* config_section(const std::map<std::string, Section>& config, const std::string& profile) {
  auto it = config.find(profile == "default" ? profile : "profile " + profile);
  if (it == config.end() && profile == "default") it = config.find("profile default");
  return it == config.end() ? nullptr : &it->second;
}

std::optional<std::string> value_of(const Section* section, const std::string& key) {
  if (section == nullptr) return std::nullopt;
  const auto it = section->find(key);
  if (it == section->end() || it->second.empty()) return std::nullopt;
  return it->second;
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

// ---- HTTP, through the client's libcurl stack and its backoff ------------------------------

struct Call {
  std::string source;  // names the source in messages
  Timeouts timeouts;
  int attempts = 1;
  bool retry_transport = true;  // false for IMDS's first request: no answer means "not on EC2"
};

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

// Fails with one line unless the response is a 2xx.
void expect_success(const Call& call, const HttpResponse& response, const std::string& what) {
  if (response.transport != Transport::Ok) {
    fail(call.source, fmt::format("{}: {}", what, response.transport_error), true);
  }
  if (response.status < 200 || response.status >= 300) {
    fail(call.source, fmt::format("{} answered HTTP {}", what, response.status), response.status >= 500);
  }
}

// ---- JSON: container, instance metadata, credential_process --------------------------------

Credentials parse_json_credentials(const std::string& text, const std::string& source,
                                   const char* token_field,
                                   std::map<std::string, std::string>* extra = nullptr) {
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

// ---- STS ---------------------------------------------------------------------------------

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

// ---- the sources, in the chain's order -----------------------------------------------------

std::optional<Fetch> environment_source(const Environment& env) {
  const auto key = setting_of(env, "AWS_ACCESS_KEY_ID");
  const auto secret = setting_of(env, "AWS_SECRET_ACCESS_KEY");
  if (!key || !secret) return std::nullopt;
  Credentials credentials;
  credentials.access_key_id = *key;
  credentials.secret_access_key = *secret;
  credentials.session_token = env("AWS_SESSION_TOKEN").value_or("");
  credentials.origin = "environment";
  return [credentials] { return credentials; };
}

std::optional<Fetch> web_identity_source(const Environment& env, const ChainOptions& options) {
  const auto role = setting_of(env, "AWS_ROLE_ARN");
  const auto token_file = setting_of(env, "AWS_WEB_IDENTITY_TOKEN_FILE");
  if (!role || !token_file) return std::nullopt;
  const std::string session = session_name(env);
  return [=] {
    const std::string source = fmt::format("web identity ({})", *role);
    // Read each time: the kubelet rotates the projected token file.
    std::ifstream in(*token_file);
    std::stringstream token;
    token << in.rdbuf();
    if (!in || trim(token.str()).empty())
      fail(source, fmt::format("cannot read the token file {}", *token_file));
    return call_sts(
        source, "AssumeRoleWithWebIdentity",
        {{"RoleArn", *role}, {"RoleSessionName", session}, {"WebIdentityToken", trim(token.str())}}, nullptr,
        env, options);
  };
}

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
  const bool allowed = host == "localhost" || host.starts_with("127.") || host == "[::1]" ||
                       host == "169.254.170.2" || host == "169.254.170.23" || host == "[fd00:ec2::23]";
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
    std::ifstream in(*file);  // read each time: EKS Pod Identity rotates it
    std::stringstream text;
    text << in.rdbuf();
    if (!in) fail(source, fmt::format("cannot read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE {}", *file));
    token = trim(text.str());
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

// credential_process: a program whose standard output is the credentials as JSON (Version 1).
Credentials process_credentials(const std::string& profile, const std::string& command) {
  const std::string source = fmt::format("credential_process of profile {}", profile);
  std::fflush(nullptr);
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) fail(source, "cannot start the command");
  std::string output;
  char buffer[4096];
  std::size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0 && output.size() < (1 << 20))
    output.append(buffer, n);
  const int status = ::pclose(pipe);
  if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    fail(source,
         fmt::format("the command failed (exit status {})", WIFEXITED(status) ? WEXITSTATUS(status) : -1));
  }
  std::map<std::string, std::string> fields;
  Credentials credentials = parse_json_credentials(output, source, "SessionToken", &fields);
  if (fields["Version"] != "1") fail(source, "the output's Version is not 1");
  return credentials;
}

struct ProfileFiles {
  std::string credentials_path;
  std::string config_path;
  std::map<std::string, Section> credentials;
  std::map<std::string, Section> config;

  explicit ProfileFiles(const Environment& env)
      : credentials_path(home_file(env, "AWS_SHARED_CREDENTIALS_FILE", "credentials")),
        config_path(home_file(env, "AWS_CONFIG_FILE", "config")),
        credentials(read_ini(credentials_path)),
        config(read_ini(config_path)) {}

  const Section* in_credentials(const std::string& profile) const {
    const auto it = credentials.find(profile);
    return it == credentials.end() ? nullptr : &it->second;
  }
  bool has(const std::string& profile) const {
    return in_credentials(profile) != nullptr || config_section(config, profile) != nullptr;
  }
  // The credentials file wins over the config file for the same profile, as in the AWS CLI.
  std::optional<std::string> value(const std::string& profile, const std::string& key) const {
    if (auto found = value_of(in_credentials(profile), key)) return found;
    return value_of(config_section(config, profile), key);
  }
};

std::optional<Credentials> static_profile_keys(const ProfileFiles& files, const std::string& profile) {
  const Section* sections[] = {files.in_credentials(profile), config_section(files.config, profile)};
  const std::string* paths[] = {&files.credentials_path, &files.config_path};
  for (int i = 0; i < 2; ++i) {
    const auto id = value_of(sections[i], "aws_access_key_id");
    const auto secret_key = value_of(sections[i], "aws_secret_access_key");
    if (!id && !secret_key) continue;
    if (!id || !secret_key) {
      throw Error(ErrorKind::Usage, fmt::format("AWS profile {} in {} has only half of a key pair "
                                                "(aws_access_key_id and aws_secret_access_key)",
                                                profile, *paths[i]));
    }
    Credentials credentials;
    credentials.access_key_id = *id;
    credentials.secret_access_key = *secret_key;
    credentials.session_token = value_of(sections[i], "aws_session_token").value_or("");
    credentials.origin = fmt::format("profile {} ({})", profile, *paths[i]);
    return credentials;
  }
  return std::nullopt;
}

Credentials profile_credentials(const ProfileFiles& files, const std::string& profile, const Environment& env,
                                const ChainOptions& options, int depth);

// `role_arn` with `source_profile` (or `credential_source`): STS AssumeRole, signed with the
// source's credentials.
Credentials assumed_role(const ProfileFiles& files, const std::string& profile, const std::string& role,
                         const Environment& env, const ChainOptions& options, int depth) {
  const std::string source = fmt::format("profile {} (role {})", profile, role);
  Credentials signer;
  if (auto source_profile = files.value(profile, "source_profile")) {
    if (*source_profile == profile) {
      auto keys = static_profile_keys(files, profile);
      if (!keys)
        throw Error(ErrorKind::Usage, fmt::format("AWS profile {} is its own source_profile but has "
                                                  "no keys",
                                                  profile));
      signer = *keys;
    } else {
      if (!files.has(*source_profile)) {
        throw Error(ErrorKind::Usage,
                    fmt::format("AWS profile {}: source_profile {} is in neither {} nor {}", profile,
                                *source_profile, files.credentials_path, files.config_path));
      }
      signer = profile_credentials(files, *source_profile, env, options, depth + 1);
    }
  } else if (auto named = files.value(profile, "credential_source")) {
    if (*named == "Environment") {
      if (auto fetch = environment_source(env)) signer = (*fetch)();
    } else if (*named == "EcsContainer") {
      if (auto url = container_url(env)) signer = container_credentials(*url, env, options);
    } else if (*named == "Ec2InstanceMetadata") {
      if (!metadata_disabled(env)) signer = instance_credentials(env, options);
    } else {
      throw Error(ErrorKind::Usage, fmt::format("AWS profile {}: credential_source {} is not Environment, "
                                                "EcsContainer or Ec2InstanceMetadata",
                                                profile, *named));
    }
  } else {
    throw Error(
        ErrorKind::Usage,
        fmt::format("AWS profile {} has role_arn but neither source_profile nor credential_source", profile));
  }
  if (signer.anonymous()) fail(source, "the source of the role's caller has no credentials");
  std::vector<QueryParam> params{
      {"RoleArn", role},
      {"RoleSessionName", files.value(profile, "role_session_name").value_or(session_name(env))}};
  if (auto external_id = files.value(profile, "external_id")) params.push_back({"ExternalId", *external_id});
  if (auto duration = files.value(profile, "duration_seconds"))
    params.push_back({"DurationSeconds", *duration});
  debug(options, fmt::format("assuming role {} for profile {} with credentials from {}", role, profile,
                             signer.origin));
  return call_sts(source, "AssumeRole", params, &signer, env, options);
}

// A profile's credentials: a role (which wins over keys, as in the AWS CLI), static keys or a
// credential process; anonymous when the profile has none of them.
Credentials profile_credentials(const ProfileFiles& files, const std::string& profile, const Environment& env,
                                const ChainOptions& options, int depth) {
  if (depth > 4)
    throw Error(ErrorKind::Usage,
                fmt::format("AWS profile {}: source_profile chain too long or a loop", profile));
  if (auto role = files.value(profile, "role_arn"))
    return assumed_role(files, profile, *role, env, options, depth);
  if (auto keys = static_profile_keys(files, profile)) return *keys;
  if (auto command = files.value(profile, "credential_process"))
    return process_credentials(profile, *command);
  return Credentials{};
}

std::optional<Fetch> profile_source(const Environment& env, const ChainOptions& options) {
  const std::string profile = profile_name(env);
  const ProfileFiles files(env);
  if (!files.has(profile)) {
    if (setting_of(env, "AWS_PROFILE")) {
      throw Error(ErrorKind::Usage, fmt::format("AWS_PROFILE={} is in neither {} nor {}", profile,
                                                files.credentials_path, files.config_path));
    }
    return std::nullopt;
  }
  // Read the files again on each refresh: an operator may have rotated the keys meanwhile.
  return [=] { return profile_credentials(ProfileFiles(env), profile, env, options, 0); };
}

struct Resolved {
  Credentials credentials;
  Fetch again;
};

Resolved resolve_chain(bool force_anonymous, const Environment& env, const ChainOptions& options) {
  if (force_anonymous) {
    debug(options, "anonymous (--s3-anonymous)");
    return {};
  }
  using Finder = std::function<std::optional<Fetch>()>;
  const std::pair<const char*, Finder> sources[] = {
      {"environment", [&] { return environment_source(env); }},
      {"web identity", [&] { return web_identity_source(env, options); }},
      {"profile", [&] { return profile_source(env, options); }},
      {"container credentials", [&] { return container_source(env, options); }},
      {"EC2 instance metadata",
       [&]() -> std::optional<Fetch> {
         if (metadata_disabled(env)) return std::nullopt;
         return [env, options] { return instance_credentials(env, options); };
       }},
  };
  for (const auto& [name, find] : sources) {
    auto fetch = find();
    if (!fetch) {
      debug(options, fmt::format("{}: not configured", name));
      continue;
    }
    Credentials credentials = (*fetch)();
    if (credentials.anonymous()) {
      debug(options, fmt::format("{}: no credentials", name));
      continue;
    }
    debug(options, fmt::format("using {}{}", credentials.origin, describe_expiry(credentials)));
    return {std::move(credentials), std::move(*fetch)};
  }
  debug(options, "none found: requests are anonymous");
  return {};
}

}  // namespace

Environment process_environment() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

Credentials resolve_credentials(bool force_anonymous, const Environment& env, const ChainOptions& options) {
  return resolve_chain(force_anonymous, env, options).credentials;
}

CredentialProvider::CredentialProvider(Credentials fixed)
    : m_anonymous(fixed.anonymous()), m_current(std::move(fixed)) {}

CredentialProvider::CredentialProvider(Fetch fetch, std::chrono::seconds refresh_margin,
                                       std::function<void(const std::string&)> on_retry,
                                       std::function<void(const std::string&)> on_debug)
    : m_fetch(std::move(fetch)),
      m_margin(refresh_margin),
      m_on_retry(std::move(on_retry)),
      m_on_debug(std::move(on_debug)) {
  m_current = m_fetch();
  m_anonymous = m_current.anonymous();
}

Credentials CredentialProvider::current() {
  std::lock_guard lock(m_mutex);
  const auto now = Clock::now();
  const bool expiring = m_current.expires_at && now + m_margin >= *m_current.expires_at;
  if (m_fetch && (m_stale || expiring)) {
    try {
      Credentials fresh = m_fetch();
      if (!fresh.anonymous()) {
        m_current = std::move(fresh);
        m_stale = false;
        if (m_on_debug) {
          m_on_debug(fmt::format("AWS credentials: refreshed from {}{}", m_current.origin,
                                 describe_expiry(m_current)));
        }
      } else if (m_on_retry) {
        m_on_retry(fmt::format("AWS credentials: {} gave none on refresh", m_current.origin));
      }
    } catch (const Error& error) {
      // Old credentials that still hold keep the transfers going; the next request tries again.
      const bool still_valid = !m_stale && m_current.expires_at && now < *m_current.expires_at;
      if (!still_valid) throw;
      if (m_on_retry) m_on_retry(fmt::format("{} (the current credentials still hold)", error.what()));
    }
  }
  return m_current;
}

void CredentialProvider::invalidate() {
  std::lock_guard lock(m_mutex);
  if (m_fetch) m_stale = true;
}

std::unique_ptr<CredentialProvider> credential_chain(bool force_anonymous, const Environment& env,
                                                     const ChainOptions& options,
                                                     std::chrono::seconds refresh_margin) {
  Resolved resolved = resolve_chain(force_anonymous, env, options);
  if (!resolved.again || !resolved.credentials.expires_at) {
    return std::make_unique<CredentialProvider>(std::move(resolved.credentials));
  }
  // The first fetch is the chain's; later ones ask only the source that answered.
  auto first = std::make_shared<std::optional<Credentials>>(std::move(resolved.credentials));
  Fetch again = [first, fetch = std::move(resolved.again)]() mutable {
    if (*first) {
      Credentials credentials = std::move(**first);
      first->reset();
      return credentials;
    }
    return fetch();
  };
  return std::make_unique<CredentialProvider>(std::move(again), refresh_margin, options.on_retry,
                                              options.on_debug);
}

std::optional<std::string> profile_setting(const std::string& name, const Environment& env) {
  const auto config = read_ini(home_file(env, "AWS_CONFIG_FILE", "config"));
  return value_of(config_section(config, profile_name(env)), name);
}

}  // namespace d2d::s3
