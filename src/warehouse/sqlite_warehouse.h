// The embedded warehouse: one SQLite file (SPEC §5), WAL mode, one writer at a time.
#pragma once

#include <memory>
#include <string>

#include "warehouse/warehouse.h"

namespace d2d::warehouse {

// read_only: the file must exist with this binary's schema; nothing is created or migrated.
std::unique_ptr<Warehouse> open_sqlite_warehouse(const std::string& path, bool read_only = false);

}  // namespace d2d::warehouse
