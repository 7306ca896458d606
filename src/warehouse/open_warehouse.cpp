#include <fmt/format.h>

#include "core/error.h"
#include "warehouse/postgres_warehouse.h"
#include "warehouse/sqlite_warehouse.h"
#include "warehouse/warehouse.h"

namespace d2d::warehouse {

std::unique_ptr<Warehouse> open_warehouse(const WarehouseOptions& options) {
  const std::string& uri = options.uri;
  if (uri.empty())
    throw core::Error(core::ErrorKind::Usage, "no warehouse given (--warehouse or D2D_WAREHOUSE)");
  for (const char* prefix : {"sqlite://", "file://"}) {
    if (uri.starts_with(prefix)) return open_sqlite_warehouse(uri.substr(std::string_view(prefix).size()));
  }
  if (uri.starts_with("postgres://") || uri.starts_with("postgresql://") || uri == "postgresql:") {
    return open_postgres_warehouse(options);
  }
  if (uri.find("://") != std::string::npos) {
    throw core::Error(core::ErrorKind::Usage, fmt::format("unsupported warehouse URI scheme: {}",
                                                          uri.substr(0, uri.find("://") + 3)));
  }
  return open_sqlite_warehouse(uri);
}

}  // namespace d2d::warehouse
