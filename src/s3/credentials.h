// AWS credentials from the places the AWS SDKs read them, in their order: the environment
// (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN); web identity (AWS_ROLE_ARN +
// AWS_WEB_IDENTITY_TOKEN_FILE, STS AssumeRoleWithWebIdentity: EKS IRSA); the profile (AWS_PROFILE,
// else `default`) in ~/.aws/credentials and ~/.aws/config: static keys, `role_arn` with
// `source_profile` (STS AssumeRole) or `credential_process`; container credentials (ECS, Fargate,
// EKS Pod Identity); EC2 instance metadata (IMDSv2); else none (anonymous requests, as for a public
// bucket). Temporary credentials are fetched again before they expire by a CredentialProvider that
// the transfers of one client share. Secrets never appear in origins, messages or errors.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "core/error.h"

namespace d2d::s3 {

// Reads an environment variable; tests pass their own.
using Environment = std::function<std::optional<std::string>(const std::string&)>;
Environment process_environment();

using Clock = std::chrono::system_clock;

struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;
  // "environment", "profile NAME (FILE)", "web identity (ROLE)", "container credentials (URL)",
  // "EC2 instance metadata (ROLE)", "anonymous", ...
  std::string origin = "anonymous";
  std::optional<Clock::time_point> expires_at;  // temporary credentials only
  bool anonymous() const { return access_key_id.empty(); }
};

// How the chain talks to AWS's credential endpoints (STS, container, instance metadata).
struct ChainOptions {
  std::string region = "us-east-1";  // for STS's regional endpoint and its signature
  int attempts = 3;                  // per request on 5xx, throttling and timeouts (IMDS's token: 1)
  int backoff_base_ms = 200;
  int backoff_cap_ms = 2'000;
  // A machine without instance metadata must not wait long for it (the SDKs use 1 s too).
  long metadata_connect_timeout_s = 1;
  long metadata_stall_timeout_s = 2;
  long sts_connect_timeout_s = 5;
  long sts_stall_timeout_s = 10;
  // After a refresh fails (or the source gives none), the source is not asked again for this long:
  // parallel transfers must not queue behind one failing fetch after another.
  int refresh_retry_ms = 5'000;
  // Credentials in their last `expiry_guard_ms` are refreshed before use, and never handed out
  // when that refresh fails: a request signed just before the expiry must not reach S3 after it
  // (ExpiredToken). S3 checks the signature when a request arrives, not when its transfer ends,
  // so this covers the way to S3, not a whole transfer. (A source that answers the refresh with
  // the same credentials again is believed: they are used.)
  int expiry_guard_ms = 10'000;
  // Which source was tried and used (debug level); retries of the credential endpoints and a
  // refresh that failed while the old credentials still hold (warnings). Never given a secret.
  std::function<void(const std::string&)> on_debug;
  std::function<void(const std::string&)> on_retry;
};

// One resolution of the chain. `force_anonymous` (--s3-anonymous) skips it. Throws
// core::Error(Usage) for a broken configuration (AWS_PROFILE names no profile, half a key pair,
// a role without a source) and core::Error(Input) with one line naming the source when a
// configured source answers badly (HTTP errors, STS error XML, malformed JSON, no answer).
Credentials resolve_credentials(bool force_anonymous, const Environment& env,
                                const ChainOptions& options = {});

// The credentials of one client, shared by its parallel transfers: current() hands out a
// consistent copy, fetched again from the same source (under a mutex, once for all threads) when
// it expires within `refresh_margin`. A refresh that fails (or gives no credentials) is tried again
// only after `options.refresh_retry_ms`; meanwhile credentials that are still valid are handed out
// (the failure reported once through on_retry), and expired ones never: current() throws the
// failure, core::Error(Input) in one line naming the source, without asking the source again.
class CredentialProvider {
 public:
  using Fetch = std::function<Credentials()>;
  explicit CredentialProvider(Credentials fixed);
  // Fetches the first credentials at once. Of `options`, only on_retry, on_debug,
  // refresh_retry_ms and expiry_guard_ms are used.
  CredentialProvider(Fetch fetch, std::chrono::seconds refresh_margin, const ChainOptions& options = {});

  Credentials current();
  // Forget the current credentials (S3 said they expired early): the next current() fetches.
  void invalidate();
  bool anonymous() const { return m_anonymous; }

 private:
  Fetch m_fetch;
  std::chrono::seconds m_margin{0};
  std::function<void(const std::string&)> m_on_retry;
  std::function<void(const std::string&)> m_on_debug;
  bool m_anonymous = false;
  std::chrono::milliseconds m_retry_after{0};
  std::chrono::milliseconds m_expiry_guard{0};
  std::mutex m_mutex;
  Credentials m_current;
  bool m_stale = false;
  // The last refresh's failure, and when the source may be asked again.
  std::optional<core::Error> m_failure;
  std::chrono::steady_clock::time_point m_next_try;
};

// The chain as a provider: the first source that gives credentials, asked again as they expire.
std::unique_ptr<CredentialProvider> credential_chain(bool force_anonymous, const Environment& env,
                                                     const ChainOptions& options,
                                                     std::chrono::seconds refresh_margin);

// A setting of the active profile in ~/.aws/config (AWS_CONFIG_FILE), e.g. "region".
std::optional<std::string> profile_setting(const std::string& name, const Environment& env);

}  // namespace d2d::s3
