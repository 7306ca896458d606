// AWS credentials and settings from the places the AWS tools read them, in their order:
// the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN), then the
// profile (AWS_PROFILE, else `default`) in ~/.aws/credentials and ~/.aws/config, then none
// (anonymous requests, as for a public bucket). Secrets never appear in describe().
#pragma once

#include <functional>
#include <optional>
#include <string>

namespace d2d::s3 {

// Reads an environment variable; tests pass their own.
using Environment = std::function<std::optional<std::string>(const std::string&)>;
Environment process_environment();

struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;
  std::string origin = "anonymous";  // "environment", "profile NAME (FILE)", "anonymous"
  bool anonymous() const { return access_key_id.empty(); }
};

// The credential chain. `force_anonymous` (--s3-anonymous) skips it. Throws core::Error(Usage)
// when AWS_PROFILE names a profile that is in neither file, or a profile has half a key pair.
Credentials resolve_credentials(bool force_anonymous, const Environment& env);

// A setting of the active profile in ~/.aws/config (AWS_CONFIG_FILE), e.g. "region".
std::optional<std::string> profile_setting(const std::string& name, const Environment& env);

}  // namespace d2d::s3
