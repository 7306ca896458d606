// What d2d may say about a PostgreSQL connection string (SPEC §7: credentials never appear in
// output, logs, the ledger or the pages). A password may hold any byte: percent-encoded or not,
// in the URI's user info, as a ?password= parameter (whose name may itself be percent-encoded)
// or as a key=value password='...'; libpq's messages quote what they could not parse, so every
// message of libpq's passes through the mask too, and a URI that does not parse is never shown.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace d2d::warehouse::pg {

class SecretMask {
 public:
  // `conninfo`: a postgresql:// URI or a key=value string; "" for libpq's PG* environment.
  explicit SecretMask(std::string_view conninfo);

  // The connection string with each password (and whatever could be one) as ***.
  const std::string& masked() const { return m_masked; }
  // `text` (libpq's message, an error naming the connection) with every form of every password
  // replaced by *** (as typed, percent-decoded, as libpq read it, PGPASSWORD).
  std::string operator()(std::string_view text) const;

 private:
  void add_secret(std::string_view secret);

  std::string m_masked;
  std::vector<std::string> m_secrets;  // longest first, so a longer form is not left half shown
};

// postgresql://user:secret@host/db -> postgresql://user:***@host/db (also password= parameters).
std::string mask_uri(std::string_view uri);

// Throws core::Error(Usage) when libpq cannot parse `uri`, or would read a password as a host, port
// or database name (an unencoded '/' or '@' in it): "the warehouse URI does not parse: <reason>",
// never with the URI, and with every quoted piece of libpq's reason hidden.
void check_uri(std::string_view uri, const SecretMask& mask);

}  // namespace d2d::warehouse::pg
