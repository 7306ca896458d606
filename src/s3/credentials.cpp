#include "s3/credentials.h"

#include <fmt/format.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>

#include "core/error.h"

namespace d2d::s3 {
namespace {
using core::Error;
using core::ErrorKind;

using Section = std::map<std::string, std::string>;

std::string trim(const std::string& text) {
  const auto first = text.find_first_not_of(" \t\r");
  if (first == std::string::npos) return "";
  return text.substr(first, text.find_last_not_of(" \t\r") - first + 1);
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
  if (auto path = env(override_variable); path && !path->empty()) return *path;
  const std::string home = env("HOME").value_or("");
  return home.empty() ? std::string() : home + "/.aws/" + name;
}

std::string profile_name(const Environment& env) {
  if (auto name = env("AWS_PROFILE"); name && !name->empty()) return *name;
  if (auto name = env("AWS_DEFAULT_PROFILE"); name && !name->empty()) return *name;
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

}  // namespace

Environment process_environment() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

Credentials resolve_credentials(bool force_anonymous, const Environment& env) {
  Credentials credentials;
  if (force_anonymous) return credentials;

  const auto key = env("AWS_ACCESS_KEY_ID");
  const auto secret = env("AWS_SECRET_ACCESS_KEY");
  if (key && !key->empty() && secret && !secret->empty()) {
    credentials.access_key_id = *key;
    credentials.secret_access_key = *secret;
    credentials.session_token = env("AWS_SESSION_TOKEN").value_or("");
    credentials.origin = "environment";
    return credentials;
  }

  const std::string profile = profile_name(env);
  const std::string credentials_path = home_file(env, "AWS_SHARED_CREDENTIALS_FILE", "credentials");
  const std::string config_path = home_file(env, "AWS_CONFIG_FILE", "config");
  const auto credentials_file = read_ini(credentials_path);
  const auto config_file = read_ini(config_path);
  // The credentials file wins over the config file for the same profile, as in the AWS CLI.
  const Section* sections[] = {credentials_file.contains(profile) ? &credentials_file.at(profile) : nullptr,
                               config_section(config_file, profile)};
  const std::string paths[] = {credentials_path, config_path};
  for (int i = 0; i < 2; ++i) {
    const auto id = value_of(sections[i], "aws_access_key_id");
    const auto secret_key = value_of(sections[i], "aws_secret_access_key");
    if (!id && !secret_key) continue;
    if (!id || !secret_key) {
      throw Error(ErrorKind::Usage, fmt::format("AWS profile {} in {} has only half of a key pair "
                                                "(aws_access_key_id and aws_secret_access_key)",
                                                profile, paths[i]));
    }
    credentials.access_key_id = *id;
    credentials.secret_access_key = *secret_key;
    credentials.session_token = value_of(sections[i], "aws_session_token").value_or("");
    credentials.origin = fmt::format("profile {} ({})", profile, paths[i]);
    return credentials;
  }
  const bool profile_named = env("AWS_PROFILE").has_value() && !env("AWS_PROFILE")->empty();
  if (profile_named && sections[0] == nullptr && sections[1] == nullptr) {
    throw Error(ErrorKind::Usage, fmt::format("AWS_PROFILE={} is in neither {} nor {}", profile,
                                              credentials_path, config_path));
  }
  return credentials;  // anonymous: fine for public buckets, and S3 says so clearly otherwise
}

std::optional<std::string> profile_setting(const std::string& name, const Environment& env) {
  const auto config = read_ini(home_file(env, "AWS_CONFIG_FILE", "config"));
  return value_of(config_section(config, profile_name(env)), name);
}

}  // namespace d2d::s3
