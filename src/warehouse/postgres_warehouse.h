// The production warehouse: PostgreSQL through libpq (SPEC §5), relations in one schema
// (default vehicle_analytics). A lake date is one transaction: its fixes, sorted in the process,
// go with COPY (FORMAT binary) straight into location_update where no other date can hold their
// keys, through a staging table and set-based SQL where one may; small relations are merged in SQL.
// Concurrency: a transaction-scoped advisory lock per (schema, lake date) keeps two runs of
// one date from interleaving (wait or fail, by flag); loads of different dates take a second
// advisory lock so they apply one after the other, while their extract and decode overlap.
#pragma once

#include <cstdint>
#include <memory>

#include "warehouse/warehouse.h"

namespace d2d::warehouse {
namespace pg {
class CopyEncoder;
}

// One row of location_update (all its columns, in table order) in COPY's binary format.
void encode_location_update(pg::CopyEncoder& copy, const LocationRow& fix, std::int64_t lake_day);

std::unique_ptr<Warehouse> open_postgres_warehouse(const WarehouseOptions& options);

}  // namespace d2d::warehouse
