// The first source of the chain: keys in the process environment (AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN), and the environment reader every source uses.
#include <cstdlib>

#include "s3/credential_sources.h"

namespace d2d::s3 {

Environment process_environment() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

namespace detail {

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

}  // namespace detail
}  // namespace d2d::s3
