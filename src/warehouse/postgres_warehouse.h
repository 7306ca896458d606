// The production warehouse: PostgreSQL through libpq (SPEC §5), relations in one schema
// (default vehicle_analytics). Rows stream in with COPY (FORMAT binary) into temporary staging
// tables; one set-based merge applies the winner rules; a lake date is one transaction.
// Concurrency: a transaction-scoped advisory lock per (schema, lake date) keeps two runs of
// one date from interleaving (wait or fail, by flag); merges of different dates take a second
// advisory lock so they apply one after the other, while their COPY phases overlap.
#pragma once

#include <memory>

#include "warehouse/warehouse.h"

namespace d2d::warehouse {

std::unique_ptr<Warehouse> open_postgres_warehouse(const WarehouseOptions& options);

}  // namespace d2d::warehouse
