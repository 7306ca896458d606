#include "warehouse/postgres/pg_mask.h"

#include <fmt/format.h>
#include <libpq-fe.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <memory>

#include "core/error.h"

namespace d2d::warehouse::pg {

namespace {

constexpr std::string_view kMask = "***";

bool is_uri(std::string_view text) {
  const std::size_t scheme = text.find("://");
  if (scheme == std::string_view::npos) return false;
  std::string lower(text.substr(0, scheme));
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  return lower == "postgresql" || lower == "postgres";
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// %XX decoded where XX is hex; anything else (libpq refuses it, but it is still what the user
// typed) is kept as it is.
std::string percent_decoded(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && hex_value(text[i + 1]) >= 0 && hex_value(text[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2]));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(),
                    [](unsigned char x, unsigned char y) { return std::tolower(x) == std::tolower(y); });
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

}  // namespace

SecretMask::SecretMask(std::string_view conninfo) {
  std::string masked(conninfo);
  if (is_uri(masked)) {
    // User info: libpq reads the password up to the first '@' before any '/', but a password
    // typed with an unencoded '/' or '@' goes further. Everything from the first ':' after the
    // scheme to the last '@' is hidden: at worst a host or port is hidden with it.
    const std::size_t authority = masked.find("://") + 3;
    const std::size_t colon = masked.find(':', authority);
    const std::size_t at = masked.rfind('@');
    if (colon != std::string::npos && at != std::string::npos && at > colon) {
      const std::string_view typed = std::string_view(masked).substr(colon + 1, at - colon - 1);
      add_secret(typed);
      // As libpq reads it: up to the first '@' (the rest is then a host to it, and quoted so).
      add_secret(typed.substr(0, typed.find('@')));
      masked.replace(colon + 1, at - colon - 1, kMask);
    }
    // Query parameters: password=..., the name compared as libpq reads it (percent-decoded).
    if (const std::size_t query = masked.find('?', std::min(masked.size(), authority));
        query != std::string::npos) {
      std::string rebuilt = masked.substr(0, query + 1);
      std::string_view rest = std::string_view(masked).substr(query + 1);
      for (bool first = true; !rest.empty() || first; first = false) {
        const std::size_t end = rest.find('&');
        const std::string_view parameter = rest.substr(0, end);
        const std::size_t equals = parameter.find('=');
        if (!first) rebuilt += '&';
        if (equals != std::string_view::npos &&
            equals_ignoring_case(percent_decoded(parameter.substr(0, equals)), "password")) {
          add_secret(parameter.substr(equals + 1));
          rebuilt.append(parameter.substr(0, equals + 1)).append(kMask);
        } else {
          rebuilt.append(parameter);
        }
        if (end == std::string_view::npos) break;
        rest.remove_prefix(end + 1);
      }
      masked = std::move(rebuilt);
    }
  } else {
    // key = value pairs; a value is 'quoted' (\' and \\ inside) or runs to the next space.
    std::string rebuilt;
    std::size_t i = 0;
    while (i < masked.size()) {
      const std::size_t key_start = i;
      while (i < masked.size() && masked[i] != '=' && !is_space(masked[i])) ++i;
      const std::string key = masked.substr(key_start, i - key_start);
      while (i < masked.size() && is_space(masked[i])) ++i;
      if (i >= masked.size() || masked[i] != '=') {
        // Not key=value: whatever follows may be a password's tail; keep none of it.
        rebuilt.append(kMask);
        add_secret(std::string_view(masked).substr(key_start));
        break;
      }
      ++i;
      while (i < masked.size() && is_space(masked[i])) ++i;
      rebuilt.append(masked, key_start, i - key_start);
      const std::size_t value_start = i;
      std::string value;
      if (i < masked.size() && masked[i] == '\'') {
        for (++i; i < masked.size() && masked[i] != '\''; ++i) {
          if (masked[i] == '\\' && i + 1 < masked.size()) ++i;
          value += masked[i];
        }
        if (i < masked.size()) ++i;  // the closing quote
      } else {
        for (; i < masked.size() && !is_space(masked[i]); ++i) {
          if (masked[i] == '\\' && i + 1 < masked.size()) ++i;
          value += masked[i];
        }
      }
      if (key == "password") {
        add_secret(std::string_view(masked).substr(value_start, i - value_start));
        add_secret(value);
        rebuilt.append(kMask);
      } else {
        rebuilt.append(masked, value_start, i - value_start);
      }
      const std::size_t spaces = i;
      while (i < masked.size() && is_space(masked[i])) ++i;
      rebuilt.append(masked, spaces, i - spaces);
    }
    masked = std::move(rebuilt);
  }
  m_masked = std::move(masked);

  // The password as libpq will use it, however it was written.
  if (!conninfo.empty()) {
    char* error = nullptr;
    const std::string text(conninfo);
    if (PQconninfoOption* options = PQconninfoParse(text.c_str(), &error)) {
      for (const PQconninfoOption* option = options; option->keyword != nullptr; ++option) {
        if (option->val != nullptr && std::string_view(option->keyword) == "password")
          add_secret(option->val);
      }
      PQconninfoFree(options);
    }
    PQfreemem(error);
  }
  if (const char* environment = std::getenv("PGPASSWORD")) add_secret(environment);
  std::sort(m_secrets.begin(), m_secrets.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  m_secrets.erase(std::unique(m_secrets.begin(), m_secrets.end()), m_secrets.end());
}

void SecretMask::add_secret(std::string_view secret) {
  if (secret.empty()) return;
  m_secrets.emplace_back(secret);
  if (std::string decoded = percent_decoded(secret); decoded != secret)
    m_secrets.push_back(std::move(decoded));
}

std::string SecretMask::operator()(std::string_view text) const {
  std::string out(text);
  for (const std::string& secret : m_secrets) {
    for (std::size_t at = out.find(secret); at != std::string::npos;
         at = out.find(secret, at + kMask.size())) {
      out.replace(at, secret.size(), kMask);
    }
  }
  return out;
}

std::string mask_uri(std::string_view uri) { return SecretMask(uri).masked(); }

void check_uri(std::string_view uri, const SecretMask& mask) {
  if (uri.empty()) return;
  auto refuse = [](std::string_view reason) {
    throw core::Error(core::ErrorKind::Usage, fmt::format("the warehouse URI does not parse: {}", reason));
  };
  char* error = nullptr;
  const std::string text(uri);
  std::unique_ptr<PQconninfoOption, decltype(&PQconninfoFree)> options(PQconninfoParse(text.c_str(), &error),
                                                                       &PQconninfoFree);
  if (!options) {
    std::string reason = error != nullptr ? error : "libpq gave no reason";
    PQfreemem(error);
    if (const std::size_t end = reason.find('\n'); end != std::string::npos) reason.resize(end);
    // libpq quotes the piece it could not read, which may be any part of a password.
    std::string hidden;
    bool inside = false;
    for (const char c : reason) {
      if (c == '"') {
        hidden += c;
        if (!inside) hidden += kMask;
        inside = !inside;
      } else if (!inside) {
        hidden += c;
      }
    }
    refuse(mask(hidden));
  }
  if (!is_uri(uri)) return;
  // libpq takes user info only up to the first '@' before any '/': a password with an unencoded
  // '/' or '@' would be read as a host, port or database name, and echoed as one.
  const std::size_t authority = uri.find("://") + 3;
  const std::size_t slash = uri.find('/', authority);
  const std::size_t query = uri.find('?', slash == std::string_view::npos ? authority : slash);
  const std::string_view host_part = uri.substr(authority, std::min(slash, query) - authority);
  const std::string_view path = slash == std::string_view::npos
                                    ? std::string_view()
                                    : uri.substr(slash, query - std::min(query, slash));
  if (path.find('@') != std::string_view::npos) {
    refuse(
        "an '@' after the first '/': a '/' in the user name or password must be written %2F (and an '@' in "
        "the database name %40)");
  }
  if (std::count(host_part.begin(), host_part.end(), '@') > 1) {
    refuse("more than one '@' before the host: an '@' in the user name or password must be written %40");
  }
}

}  // namespace d2d::warehouse::pg
