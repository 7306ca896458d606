// The embedded warehouse: one SQLite file (SPEC §5), WAL mode, one writer at a time. The engine's
// roles, one file each in this folder: migrator, ledger, load (+ load_fixes, derive_store),
// queries; sqlite_file.h is what they share, writer_gate.h how writers take turns.
#pragma once

#include <memory>
#include <string>

#include "warehouse/warehouse.h"

namespace d2d::warehouse {

// read_only: the file must exist with this binary's schema; nothing is created or migrated.
// wait_for_lock: see WarehouseOptions.
std::unique_ptr<Warehouse> open_sqlite_warehouse(const std::string& path, bool read_only = false,
                                                 bool wait_for_lock = true);

}  // namespace d2d::warehouse
