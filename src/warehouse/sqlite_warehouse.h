// The embedded warehouse: one SQLite file (SPEC §5), WAL mode, one writer at a time.
#pragma once

#include <memory>
#include <string>

#include "warehouse/warehouse.h"

namespace d2d::warehouse {

std::unique_ptr<Warehouse> open_sqlite_warehouse(const std::string& path);

}  // namespace d2d::warehouse
