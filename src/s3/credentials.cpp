// The chain: the first source that gives credentials, in the SDKs' order, and the provider that
// asks the same source again before its temporary credentials expire. The sources themselves
// are in *_credentials.cpp, one file each.
#include "s3/credentials.h"

#include <fmt/format.h>

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

}  // namespace d2d::s3
