// One PostgreSQL warehouse connection, shared by the engine's roles (migrator, ledger, loader,
// queries). Every role reaches the server through connection(), which reconnects when the last
// connection broke (a server restart between runs of `serve`), so no role can forget to.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "warehouse/postgres/pg_conn.h"
#include "warehouse/warehouse.h"

namespace d2d::warehouse::pg {

// `text` with d2d's placeholder {s} and the migrations' {{schema}} replaced by the quoted schema,
// in SQL code only (a comment that mentions the placeholder stays a comment).
std::string with_schema(std::string_view text, std::string_view quoted_schema);

// Parameters of Connection::exec (text, NULL when empty).
using Params = std::vector<std::optional<std::string>>;

// A timestamptz parameter.
std::string time_param(core::UtcMicros at_us);

class PgSession {
 public:
  // options.uri: the libpq URI (parse_warehouse_uri's location), empty for the PG* environment.
  explicit PgSession(WarehouseOptions options);

  Connection& connection();                               // reconnected first when the last one broke
  const std::string& schema() const { return m_schema; }  // quoted
  const WarehouseOptions& options() const { return m_options; }
  std::string sql(std::string_view text) const { return with_schema(text, m_schema); }
  void refuse_if_read_only(std::string_view what) const;
  void rollback_quietly();
  std::string describe() const;

 private:
  void connect();

  WarehouseOptions m_options;
  std::unique_ptr<Connection> m_db;
  std::string m_schema;  // quoted
};

}  // namespace d2d::warehouse::pg
