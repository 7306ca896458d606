#include <fmt/format.h>

#include "core/error.h"
#include "warehouse/postgres/pg_mask.h"
#include "warehouse/postgres/postgres_warehouse.h"
#include "warehouse/sqlite/sqlite_warehouse.h"
#include "warehouse/warehouse.h"

namespace d2d::warehouse {

WarehouseTarget parse_warehouse_uri(std::string_view uri) {
  if (uri.empty())
    throw core::Error(core::ErrorKind::Usage, "no warehouse given (--warehouse or D2D_WAREHOUSE)");
  for (const std::string_view prefix : {"sqlite://", "file://"}) {
    if (uri.starts_with(prefix)) return {WarehouseEngine::Sqlite, std::string(uri.substr(prefix.size()))};
  }
  if (uri == "postgresql:") return {WarehouseEngine::Postgres, ""};  // libpq's PG* environment only
  if (uri.starts_with("postgres://") || uri.starts_with("postgresql://")) {
    return {WarehouseEngine::Postgres, std::string(uri)};
  }
  // "postgresql:/user:secret@host" is a mistyped URI, not a SQLite file to create under that name.
  if (uri.starts_with("postgres:") || uri.starts_with("postgresql:")) {
    throw core::Error(core::ErrorKind::Usage,
                      "the warehouse URI does not parse: a PostgreSQL URI starts with postgresql:// "
                      "(or is `postgresql:` alone for libpq's PG* environment)");
  }
  if (const auto scheme = uri.find("://"); scheme != std::string_view::npos) {
    throw core::Error(core::ErrorKind::Usage,
                      fmt::format("unsupported warehouse URI scheme: {}", uri.substr(0, scheme + 3)));
  }
  return {WarehouseEngine::Sqlite, std::string(uri)};
}

std::string describe_postgres(const std::string& libpq_uri, const std::string& pg_schema) {
  return fmt::format("{} (schema {})",
                     libpq_uri.empty() ? "postgresql: (PG* environment)" : pg::mask_uri(libpq_uri),
                     pg_schema);
}

std::unique_ptr<Warehouse> open_warehouse(const WarehouseOptions& options) {
  const WarehouseTarget target = parse_warehouse_uri(options.uri);
  if (target.engine == WarehouseEngine::Sqlite) {
    return open_sqlite_warehouse(target.location, options.read_only, options.wait_for_lock);
  }
  WarehouseOptions postgres = options;
  postgres.uri = target.location;
  return open_postgres_warehouse(postgres);
}

std::string describe_warehouse(const WarehouseOptions& options) {
  const WarehouseTarget target = parse_warehouse_uri(options.uri);
  if (target.engine == WarehouseEngine::Sqlite) return "sqlite:" + target.location;
  return describe_postgres(target.location, options.pg_schema);
}

}  // namespace d2d::warehouse
