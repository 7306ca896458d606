// Settings shared by the subcommands, resolved in this order (SPEC §6): command-line flag,
// then environment (D2D_*), then d2d.toml (or --config FILE), then the built-in default.
#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>

#include "warehouse/warehouse.h"

namespace d2d::cli {

struct Settings {
  std::string source;                           // D2D_SOURCE, toml `source`
  std::string lake = "./d2d-lake";              // D2D_LAKE, toml `lake`
  std::string warehouse = "./d2d.db";           // D2D_WAREHOUSE, toml `warehouse`
  double max_reject_ratio = 0.05;               // D2D_MAX_REJECT_RATIO, toml `max_reject_ratio`
  std::string config_file;                      // --config / D2D_CONFIG; ./d2d.toml when present
  std::string pg_schema = "vehicle_analytics";  // D2D_PG_SCHEMA, toml `pg_schema`
  bool no_wait = false;          // --no-wait: fail instead of queueing behind a run of the same date
  bool pg_analyst_role = false;  // --pg-analyst-role: migrations create d2d_analyst
};

// Adds --source/--lake/--warehouse (with their D2D_* variables) to a subcommand.
void add_source_option(CLI::App& command, Settings& settings);
void add_lake_option(CLI::App& command, Settings& settings);
void add_warehouse_option(CLI::App& command, Settings& settings);  // with the PostgreSQL options
void add_reject_ratio_option(CLI::App& command, Settings& settings);

warehouse::WarehouseOptions warehouse_options(const Settings& settings);

// After parsing: fills every setting not given by flag or environment from the TOML file.
// Unknown keys in the file are errors (a typo must not silently fall back to a default).
void apply_config_file(CLI::App& command, Settings& settings);

}  // namespace d2d::cli
