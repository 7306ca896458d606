// Inside the credential chain (credentials.h): each source of credentials in a file of its own
// (environment_, sts_, profile_, container_, instance_metadata_credentials.cpp), what they share
// (credential_requests.cpp), and the chain in credentials.cpp that asks them in turn. Not for use
// outside src/s3: the chain is the interface.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "s3/credentials.h"
#include "s3/http.h"
#include "s3/uri_encode.h"

namespace d2d::s3::detail {

// Asks one source again (the first call included); anonymous credentials when it has none.
using Fetch = CredentialProvider::Fetch;

// ---- shared by the sources (credential_requests.cpp) -----------------------------------------

std::string trim(const std::string& text);
// Web identity and container token files: far more than a token takes (STS allows 20000 bytes),
// and a path to something endless is refused instead of read forever.
constexpr std::size_t kTokenFileMaxBytes = 64 * 1024;
// An environment variable's value; nothing when unset or empty.
std::optional<std::string> setting_of(const Environment& env, const char* name);
// A debug line prefixed "AWS credentials: ".
void debug(const ChainOptions& options, const std::string& message);
// Every failure of a configured source is one line that names it: core::Error(Input).
[[noreturn]] void fail(const std::string& source, const std::string& why, bool transient = false);
std::optional<Clock::time_point> parse_expiration(const std::string& text, const std::string& source);
// ", expiring <UTC time>" for temporary credentials, else "".
std::string describe_expiry(const Credentials& credentials);

// One request to a credential endpoint, through the client's libcurl stack and its backoff.
struct Call {
  std::string source;  // names the source in messages
  Timeouts timeouts;
  int attempts = 1;
  bool retry_transport = true;  // false for IMDS's first request: no answer means "not on EC2"
};
HttpResponse exchange(const Call& call, const HttpRequest& request, const Signing& signing,
                      const ChainOptions& options);
// Fails with one line unless the response is a 2xx.
void expect_success(const Call& call, const HttpResponse& response, const std::string& what);

// The JSON answer of the container agent, instance metadata or a credential_process. `extra`
// receives every string and number field, for the checks one source adds.
Credentials parse_json_credentials(const std::string& text, const std::string& source,
                                   const char* token_field,
                                   std::map<std::string, std::string>* extra = nullptr);

// ---- the sources, in the chain's order; nothing when a source is not configured -------------

// environment_credentials.cpp
std::optional<Fetch> environment_source(const Environment& env);
// sts_credentials.cpp
std::optional<Fetch> web_identity_source(const Environment& env, const ChainOptions& options);
// profile_credentials.cpp
std::optional<Fetch> profile_source(const Environment& env, const ChainOptions& options);
// container_credentials.cpp
std::optional<Fetch> container_source(const Environment& env, const ChainOptions& options);
// instance_metadata_credentials.cpp: AWS_EC2_METADATA_DISABLED, and IMDSv2 (anonymous when
// nothing answers, which ends the chain).
bool metadata_disabled(const Environment& env);
Credentials instance_credentials(const Environment& env, const ChainOptions& options);

// ---- what a profile's role borrows from the other sources ----------------------------------

// STS AssumeRole (signed by `signer`) or AssumeRoleWithWebIdentity (unsigned: the token is the
// proof), `params` after Action and Version (sts_credentials.cpp).
Credentials call_sts(const std::string& source, const std::string& action, std::vector<QueryParam> params,
                     const Credentials* signer, const Environment& env, const ChainOptions& options);
// AWS_ROLE_SESSION_NAME, else "d2d-<unix seconds>".
std::string session_name(const Environment& env);
// The container agent's URL from the environment (container_credentials.cpp); throws
// core::Error(Usage) for a full URI that is not allowed.
std::optional<std::string> container_url(const Environment& env);
Credentials container_credentials(const std::string& url, const Environment& env,
                                  const ChainOptions& options);

}  // namespace d2d::s3::detail
