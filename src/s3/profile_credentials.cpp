// Credentials of a named profile in ~/.aws/credentials and ~/.aws/config: static keys, a role
// assumed with STS (role_arn with source_profile or credential_source) or a credential_process.
// Also the one setting read from the config file for the client (profile_setting, "region").
#include <fmt/format.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>

#include "core/error.h"
#include "s3/credential_sources.h"

namespace d2d::s3 {
namespace detail {
using core::Error;
using core::ErrorKind;

namespace {

using Section = std::map<std::string, std::string>;

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

// credential_process: a program whose standard output is the credentials as JSON (Version 1).
Credentials process_credentials(const std::string& profile, const std::string& command) {
  const std::string source = fmt::format("credential_process of profile {}", profile);
  std::fflush(nullptr);
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) fail(source, "cannot start the command");
  // Read to the end whatever the size: stopping at the cap would leave the command blocked on a
  // full pipe and pclose() waiting for it forever. What is over the cap is counted, not kept.
  constexpr std::size_t kMaxOutput = std::size_t{1} << 20;
  std::string output;
  std::size_t total = 0;
  char buffer[4096];
  for (std::size_t n = 0; (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;) {
    total += n;
    if (output.size() < kMaxOutput) output.append(buffer, std::min(n, kMaxOutput - output.size()));
  }
  const int status = ::pclose(pipe);
  if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    fail(source,
         fmt::format("the command failed (exit status {})", WIFEXITED(status) ? WEXITSTATUS(status) : -1));
  }
  if (total > kMaxOutput)
    fail(source, fmt::format("the command wrote {} bytes, more than credentials take", total));
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

}  // namespace

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

}  // namespace detail

std::optional<std::string> profile_setting(const std::string& name, const Environment& env) {
  const auto config = detail::read_ini(detail::home_file(env, "AWS_CONFIG_FILE", "config"));
  return detail::value_of(detail::config_section(config, detail::profile_name(env)), name);
}

}  // namespace d2d::s3
