#include "cli/settings.h"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <filesystem>

#include "core/error.h"

namespace d2d::cli {
using core::Error;
using core::ErrorKind;

void add_source_option(CLI::App& command, Settings& settings) {
  command.add_option("--source", settings.source, "where the events land: a folder or file:// URI")
      ->envname("D2D_SOURCE");
}
void add_lake_option(CLI::App& command, Settings& settings) {
  command
      .add_option("--lake", settings.lake,
                  "the team's lake (raw and rejected zones): a folder or file:// URI")
      ->envname("D2D_LAKE")
      ->capture_default_str();
}
void add_warehouse_option(CLI::App& command, Settings& settings) {
  command
      .add_option("--warehouse", settings.warehouse,
                  "sqlite:///abs/path.db, a bare file path, or postgresql://user@host:port/db?sslmode=... "
                  "(`postgresql:` alone: libpq's PG* environment)")
      ->envname("D2D_WAREHOUSE")
      ->capture_default_str();
  command.add_option("--pg-schema", settings.pg_schema, "PostgreSQL schema of the relations")
      ->envname("D2D_PG_SCHEMA")
      ->capture_default_str();
  command.add_flag("--no-wait", settings.no_wait,
                   "fail at once when another run is loading the same lake date (default: wait for it)");
  command.add_flag("--pg-analyst-role", settings.pg_analyst_role,
                   "migrations create the read-only role d2d_analyst with SELECT on the analyst relations");
}

warehouse::WarehouseOptions warehouse_options(const Settings& settings) {
  warehouse::WarehouseOptions options;
  options.uri = settings.warehouse;
  options.pg_schema = settings.pg_schema;
  options.wait_for_lock = !settings.no_wait;
  options.pg_analyst_role = settings.pg_analyst_role;
  return options;
}
void add_reject_ratio_option(CLI::App& command, Settings& settings) {
  command
      .add_option("--max-reject-ratio", settings.max_reject_ratio,
                  "fail the run (after storing everything) when more than this share of lines is rejected")
      ->envname("D2D_MAX_REJECT_RATIO")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
}

void apply_config_file(CLI::App& command, Settings& settings) {
  std::string path = settings.config_file;
  if (path.empty()) {
    if (!std::filesystem::exists("d2d.toml")) return;
    path = "d2d.toml";
  }
  toml::table table;
  try {
    table = toml::parse_file(path);
  } catch (const toml::parse_error& error) {
    throw Error(ErrorKind::Usage, fmt::format("config file {}: {} (line {})", path, error.description(),
                                              error.source().begin.line));
  }
  auto given = [&command](const char* flag) {
    try {
      return command.get_option(flag)->count() > 0;
    } catch (const CLI::OptionNotFound&) {
      return true;  // this subcommand has no such option: leave the setting alone
    }
  };
  for (const auto& entry : table) {
    const std::string name(entry.first.str());
    const toml::node& value = entry.second;
    auto text = [&]() {
      auto string = value.value<std::string>();
      if (!string)
        throw Error(ErrorKind::Usage, fmt::format("config file {}: `{}` must be a string", path, name));
      return *string;
    };
    if (name == "source") {
      if (!given("--source")) settings.source = text();
    } else if (name == "lake") {
      if (!given("--lake")) settings.lake = text();
    } else if (name == "warehouse") {
      if (!given("--warehouse")) settings.warehouse = text();
    } else if (name == "pg_schema") {
      if (!given("--pg-schema")) settings.pg_schema = text();
    } else if (name == "max_reject_ratio") {
      auto number = value.value<double>();
      if (!number || *number < 0 || *number > 1) {
        throw Error(ErrorKind::Usage,
                    fmt::format("config file {}: `max_reject_ratio` must be a number in [0, 1]", path));
      }
      if (!given("--max-reject-ratio")) settings.max_reject_ratio = *number;
    } else {
      throw Error(ErrorKind::Usage,
                  fmt::format("config file {}: unknown key `{}` (known: source, lake, warehouse, "
                              "pg_schema, max_reject_ratio)",
                              path, name));
    }
  }
}

}  // namespace d2d::cli
