#include "warehouse/migrations.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <regex>

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
                    "written by a newer version: this d2d is too old for it (upgrade d2d)",
                    warehouse, applied.begin()->first, applied.begin()->second.name));
  }
  return states;
}

void require_current_schema(const std::vector<MigrationState>& states, const std::string& warehouse) {
  int applied = 0;
  const MigrationState* missing = nullptr;
  for (const MigrationState& state : states) {
    if (state.applied) {
      ++applied;
    } else if (missing == nullptr) {
      missing = &state;
    }
  }
  if (missing == nullptr) return;
  throw core::Error(core::ErrorKind::Warehouse,
                    fmt::format("warehouse {} is behind this d2d: {} of {} schema migrations applied, "
                                "{:04d} ({}) is not: run `d2d migrate up` first",
                                warehouse, applied, states.size(), missing->version, missing->name));
}

std::vector<std::string> tables_dropped_by(std::string_view rollback_sql) {
  // Comments are skipped so that a note mentioning DROP TABLE is not taken for one.
  static const std::regex drop(
      R"re(DROP\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?:[^\s.;]+\.)?"?([A-Za-z_][A-Za-z0-9_]*)"?)re",
      std::regex::icase);
  std::string code;
  for (std::size_t at = 0; at < rollback_sql.size();) {
    const std::size_t end = std::min(rollback_sql.find('\n', at), rollback_sql.size());
    std::string_view line = rollback_sql.substr(at, end - at);
    if (const std::size_t comment = line.find("--"); comment != std::string_view::npos)
      line = line.substr(0, comment);
    code.append(line).push_back('\n');
    at = end + 1;
  }
  std::vector<std::string> tables;
  for (auto it = std::sregex_iterator(code.begin(), code.end(), drop); it != std::sregex_iterator(); ++it) {
    std::string name = (*it)[1];
    if (std::find(tables.begin(), tables.end(), name) == tables.end()) tables.push_back(std::move(name));
  }
  return tables;
}

std::vector<std::string> tables_kept_by(std::string_view rollback_sql) {
  static constexpr std::string_view kMarker = "-- rows kept:";
  std::vector<std::string> tables;
  for (std::size_t at = 0; at < rollback_sql.size();) {
    const std::size_t end = std::min(rollback_sql.find('\n', at), rollback_sql.size());
    std::string_view line = rollback_sql.substr(at, end - at);
    at = end + 1;
    if (!line.starts_with(kMarker)) continue;
    line.remove_prefix(kMarker.size());
    while (!line.empty()) {
      const std::size_t comma = std::min(line.find(','), line.size());
      std::string_view name = line.substr(0, comma);
      while (!name.empty() && std::isspace(static_cast<unsigned char>(name.front())) != 0)
        name.remove_prefix(1);
      while (!name.empty() && std::isspace(static_cast<unsigned char>(name.back())) != 0)
        name.remove_suffix(1);
      if (!name.empty()) tables.emplace_back(name);
      line.remove_prefix(std::min(comma + 1, line.size()));
    }
  }
  return tables;
}

const Migration& find_migration(const std::vector<Migration>& known, int version) {
  for (const Migration& migration : known) {
    if (migration.version == version) return migration;
  }
  throw core::Error(core::ErrorKind::Internal, fmt::format("unknown migration {}", version));
}

std::vector<TableRows> tables_with_rows_dropped_by_down(
    const std::vector<MigrationState>& states, const std::vector<Migration>& known, int steps,
    const std::function<std::int64_t(const std::string&)>& rows_of) {
  std::vector<TableRows> tables;
  int left = steps;
  for (auto it = states.rbegin(); it != states.rend() && left > 0; ++it) {
    if (!it->applied) continue;
    --left;
    const std::string_view rollback = find_migration(known, it->version).down_sql;
    const std::vector<std::string> kept = tables_kept_by(rollback);
    for (const std::string& table : tables_dropped_by(rollback)) {
      if (std::find(kept.begin(), kept.end(), table) != kept.end()) continue;
      if (const std::int64_t rows = rows_of(table); rows > 0) tables.push_back({table, rows});
    }
  }
  return tables;
}

}  // namespace d2d::warehouse
