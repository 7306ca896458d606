// The production warehouse: PostgreSQL through libpq (SPEC §5), relations in one schema
// (default vehicle_analytics). The engine's roles, one file each in this folder: migrator,
// ledger, load (+ load_fixes, derive_store), queries; session.h is the connection they share.
#pragma once

#include <memory>

#include "warehouse/warehouse.h"

namespace d2d::warehouse {

std::unique_ptr<Warehouse> open_postgres_warehouse(const WarehouseOptions& options);

}  // namespace d2d::warehouse
