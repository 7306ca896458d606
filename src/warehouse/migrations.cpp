#include "warehouse/migrations.h"

#include <fmt/format.h>

#include "core/error.h"

namespace d2d::warehouse {

std::vector<MigrationState> migration_states(const std::vector<Migration>& known,
                                             std::map<int, AppliedMigration> applied,
                                             const std::string& warehouse) {
  std::vector<MigrationState> states;
  for (const Migration& migration : known) {
    const auto found = applied.find(migration.version);
    const bool is_applied = found != applied.end();
    states.push_back(
        {migration.version, migration.name, is_applied, is_applied ? found->second.applied_at : ""});
    if (is_applied) applied.erase(found);
  }
  if (!applied.empty()) {
    throw core::Error(
        core::ErrorKind::Warehouse,
        fmt::format("warehouse {} has schema migration {} ({}) that this d2d does not know: it was "
                    "written by a newer version",
                    warehouse, applied.begin()->first, applied.begin()->second.name));
  }
  return states;
}

const Migration& find_migration(const std::vector<Migration>& known, int version) {
  for (const Migration& migration : known) {
    if (migration.version == version) return migration;
  }
  throw core::Error(core::ErrorKind::Internal, fmt::format("unknown migration {}", version));
}

}  // namespace d2d::warehouse
