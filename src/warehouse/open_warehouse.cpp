#include <fmt/format.h>

#include "core/error.h"
#include "warehouse/pg_mask.h"
#include "warehouse/postgres_warehouse.h"
#include "warehouse/sqlite_warehouse.h"
#include "warehouse/warehouse.h"

namespace d2d::warehouse {

namespace {

enum class Engine { Sqlite, Postgres };

struct EngineAndTarget {
  Engine engine;
  std::string sqlite_path;  // for SQLite
};

EngineAndTarget engine_of(const std::string& uri) {
  if (uri.empty())
    throw core::Error(core::ErrorKind::Usage, "no warehouse given (--warehouse or D2D_WAREHOUSE)");
  for (const char* prefix : {"sqlite://", "file://"}) {
    if (uri.starts_with(prefix)) return {Engine::Sqlite, uri.substr(std::string_view(prefix).size())};
  }
  if (uri.starts_with("postgres://") || uri.starts_with("postgresql://") || uri == "postgresql:") {
    return {Engine::Postgres, ""};
  }
  // "postgresql:/user:secret@host" is a mistyped URI, not a SQLite file to create under that name.
  if (uri.starts_with("postgres:") || uri.starts_with("postgresql:")) {
    throw core::Error(core::ErrorKind::Usage,
                      "the warehouse URI does not parse: a PostgreSQL URI starts with postgresql:// "
                      "(or is `postgresql:` alone for libpq's PG* environment)");
  }
  if (uri.find("://") != std::string::npos) {
    throw core::Error(core::ErrorKind::Usage, fmt::format("unsupported warehouse URI scheme: {}",
                                                          uri.substr(0, uri.find("://") + 3)));
  }
  return {Engine::Sqlite, uri};
}

}  // namespace

bool allows_parallel_loads(const WarehouseOptions& options) {
  return engine_of(options.uri).engine == Engine::Postgres;
}

std::unique_ptr<Warehouse> open_warehouse(const WarehouseOptions& options) {
  const EngineAndTarget target = engine_of(options.uri);
  if (target.engine == Engine::Postgres) return open_postgres_warehouse(options);
  return open_sqlite_warehouse(target.sqlite_path, options.read_only);
}

std::string describe_warehouse(const WarehouseOptions& options) {
  const EngineAndTarget target = engine_of(options.uri);
  if (target.engine == Engine::Sqlite) return "sqlite:" + target.sqlite_path;
  return fmt::format("{} (schema {})",
                     options.uri.empty() || options.uri == "postgresql:" ? "postgresql: (PG* environment)"
                                                                         : pg::mask_uri(options.uri),
                     options.pg_schema);
}

}  // namespace d2d::warehouse
