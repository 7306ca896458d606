// The chain: the first source that gives credentials, in the SDKs' order, and the provider that
// asks the same source again before its temporary credentials expire. The sources themselves
// are in *_credentials.cpp, one file each.
#include "s3/credentials.h"

#include <fmt/format.h>

#include <algorithm>

#include "core/error.h"
#include "s3/credential_sources.h"

namespace d2d::s3 {
namespace {
using core::Error;
using detail::debug;
using detail::describe_expiry;
using detail::Fetch;

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
      {"environment", [&] { return detail::environment_source(env); }},
      {"web identity", [&] { return detail::web_identity_source(env, options); }},
      {"profile", [&] { return detail::profile_source(env, options); }},
      {"container credentials", [&] { return detail::container_source(env, options); }},
      {"EC2 instance metadata",
       [&]() -> std::optional<Fetch> {
         if (detail::metadata_disabled(env)) return std::nullopt;
         return [env, options] { return detail::instance_credentials(env, options); };
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

Credentials resolve_credentials(bool force_anonymous, const Environment& env, const ChainOptions& options) {
  return resolve_chain(force_anonymous, env, options).credentials;
}

CredentialProvider::CredentialProvider(Credentials fixed)
    : m_anonymous(fixed.anonymous()), m_current(std::move(fixed)) {}

CredentialProvider::CredentialProvider(Fetch fetch, std::chrono::seconds refresh_margin,
                                       const ChainOptions& options)
    : m_fetch(std::move(fetch)),
      m_margin(refresh_margin),
      m_on_retry(options.on_retry),
      m_on_debug(options.on_debug),
      m_retry_after(std::max(0, options.refresh_retry_ms)),
      m_expiry_guard(std::max(0, options.expiry_guard_ms)) {
  m_current = m_fetch();
  m_anonymous = m_current.anonymous();
}

Credentials CredentialProvider::current() {
  std::lock_guard lock(m_mutex);
  const bool expiring =
      m_current.expires_at &&
      Clock::now() + std::max<Clock::duration>(m_margin, m_expiry_guard) >= *m_current.expires_at;
  if (!m_fetch || !(m_stale || expiring)) return m_current;
  // Expired (or refused by S3) credentials are never handed out: a failed refresh is an error then.
  auto still_valid = [this] {
    return !m_stale && m_current.expires_at && Clock::now() + m_expiry_guard < *m_current.expires_at;
  };
  if (m_failure && std::chrono::steady_clock::now() < m_next_try) {
    if (still_valid()) return m_current;
    throw *m_failure;
  }
  try {
    Credentials fresh = m_fetch();
    if (fresh.anonymous()) {
      throw Error(core::ErrorKind::Input,
                  fmt::format("AWS credentials from {}: the refresh gave no credentials", m_current.origin),
                  true);
    }
    m_current = std::move(fresh);
    m_stale = false;
    m_failure.reset();
    if (m_on_debug) {
      m_on_debug(
          fmt::format("AWS credentials: refreshed from {}{}", m_current.origin, describe_expiry(m_current)));
    }
    return m_current;
  } catch (const Error& error) {
    m_failure = error;
    m_next_try = std::chrono::steady_clock::now() + m_retry_after;
    if (!still_valid()) throw;
    // Old credentials that still hold keep the transfers going until the next try.
    if (m_on_retry) {
      m_on_retry(fmt::format("{} (the current credentials still hold; asked again in {} ms)", error.what(),
                             m_retry_after.count()));
    }
    return m_current;
  }
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
  return std::make_unique<CredentialProvider>(std::move(again), refresh_margin, options);
}

}  // namespace d2d::s3
