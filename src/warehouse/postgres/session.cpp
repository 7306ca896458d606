#include "warehouse/postgres/session.h"

#include <fmt/format.h>

#include "core/error.h"
#include "warehouse/postgres/sql_text.h"

namespace d2d::warehouse::pg {

std::string with_schema(std::string_view text, std::string_view quoted_schema) {
  return replace_in_sql_code(replace_in_sql_code(text, "{{schema}}", quoted_schema), "{s}", quoted_schema);
}

std::string time_param(core::UtcMicros at_us) { return core::format_utc(at_us); }

PgSession::PgSession(WarehouseOptions options) : m_options(std::move(options)) {
  check_pg_schema(m_options.pg_schema);  // before any connection: nothing is touched on a bad name
  connect();
}

Connection& PgSession::connection() {
  if (!m_db->is_ok()) connect();
  return *m_db;
}

void PgSession::connect() {
  m_db = std::make_unique<Connection>(m_options.uri, m_options.connect_attempts);
  m_schema = m_db->quote_identifier(m_options.pg_schema);
  // The server, not only this code, then refuses any write or DDL of a read command.
  if (m_options.read_only) m_db->exec_script("SET default_transaction_read_only = on");
}

void PgSession::refuse_if_read_only(std::string_view what) const {
  if (m_options.read_only) {
    throw core::Error(core::ErrorKind::Internal, fmt::format("{} on a read-only warehouse", what));
  }
}

void PgSession::rollback_quietly() { PQclear(PQexec(m_db->handle(), "ROLLBACK")); }

std::string PgSession::describe() const { return describe_postgres(m_options.uri, m_options.pg_schema); }

}  // namespace d2d::warehouse::pg
