// Settings shared by the subcommands, resolved in this order (SPEC §6): command-line flag,
// then environment (D2D_*), then d2d.toml (or --config FILE), then the built-in default.
#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>

#include "pipeline/run.h"
#include "s3/client_options.h"
#include "warehouse/warehouse.h"

namespace d2d::cli {

struct Settings {
  std::string source;                                      // D2D_SOURCE, toml `source`
  std::string lake = "./d2d-lake";                         // D2D_LAKE, toml `lake`
  std::string warehouse = "./d2d.db";                      // D2D_WAREHOUSE, toml `warehouse`
  double max_reject_ratio = 0.05;                          // D2D_MAX_REJECT_RATIO, toml `max_reject_ratio`
  std::uint64_t max_line_bytes = std::uint64_t{16} << 20;  // D2D_MAX_LINE_BYTES, toml `max_line_bytes`
  int max_period_days = 31;                                // D2D_MAX_PERIOD_DAYS, toml `max_period_days`
  std::string config_file;                                 // --config / D2D_CONFIG; ./d2d.toml when present
  std::string log_format = "text";                         // --log-format / D2D_LOG_FORMAT: text or json
  std::string pg_schema = "vehicle_analytics";             // D2D_PG_SCHEMA, toml `pg_schema`
  int attempts = 3;              // --attempts: transform+load tries on transient warehouse failures
  bool allow_empty = false;      // --allow-empty: a date with no objects succeeds, loading nothing
  bool force = false;            // --force: load even when the raw zone is unchanged since the last run
  bool no_wait = false;          // --no-wait: fail instead of queueing behind a run of the same date
  bool pg_analyst_role = false;  // --pg-analyst-role: migrations create d2d_analyst
  // S3 (s3:// sources and lakes); AWS_* variables and ~/.aws fill what these leave empty.
  std::string s3_endpoint;             // D2D_S3_ENDPOINT, toml `s3_endpoint`
  std::string s3_region;               // D2D_S3_REGION, toml `s3_region`
  std::string s3_addressing = "auto";  // D2D_S3_ADDRESSING, toml `s3_addressing`
  bool s3_anonymous = false;           // D2D_S3_ANONYMOUS, toml `s3_anonymous`
  unsigned s3_parallel = 8;            // D2D_S3_PARALLEL, toml `s3_parallel`
  int s3_attempts = 5;                 // D2D_S3_ATTEMPTS, toml `s3_attempts`
  long s3_stall_timeout_s = 20;        // D2D_S3_STALL_TIMEOUT_S, toml `s3_stall_timeout_s`
  // d2d serve: the schedule and the HTTP listener.
  std::string serve_at = "02:00";        // --at, D2D_SERVE_AT, toml `serve_at` (HH:MM local time)
  std::string serve_tz = "UTC";          // --tz, D2D_SERVE_TZ, toml `serve_tz` (IANA name)
  std::string serve_start_date;          // --start-date, D2D_SERVE_START_DATE, toml `serve_start_date`
  std::string serve_end_date;            // --end-date, D2D_SERVE_END_DATE, toml `serve_end_date`
  int serve_catchup_days = 7;            // --catchup-days, D2D_SERVE_CATCHUP_DAYS, toml `serve_catchup_days`
  bool serve_no_catchup = false;         // --no-catchup, D2D_SERVE_NO_CATCHUP, toml `serve_no_catchup`
  int serve_retries = 3;                 // --retries, D2D_SERVE_RETRIES, toml `serve_retries`
  std::string serve_bind = "127.0.0.1";  // --bind, D2D_SERVE_BIND, toml `serve_bind`
  int serve_port = 8080;                 // --port, D2D_SERVE_PORT, toml `serve_port`
  // The pages' token: this file, or D2D_SERVE_TOKEN itself (environment only, never a flag).
  std::string
      serve_auth_token_file;  // --auth-token-file, D2D_SERVE_AUTH_TOKEN_FILE, toml `serve_auth_token_file`
  // --allow-unauthenticated, D2D_SERVE_ALLOW_UNAUTHENTICATED, toml `serve_allow_unauthenticated`
  bool serve_allow_unauthenticated = false;
};

// Catch-up of `d2d serve` reaches back at most this many days (about ten years).
extern const int kMaxCatchupDays;

// Adds --source/--lake/--warehouse (with their D2D_* variables) to a subcommand.
void add_source_option(CLI::App& command, Settings& settings);
void add_lake_option(CLI::App& command, Settings& settings);
void add_warehouse_option(CLI::App& command, Settings& settings);  // with the PostgreSQL options
void add_reject_ratio_option(CLI::App& command, Settings& settings);
void add_input_limit_options(CLI::App& command, Settings& settings);  // --max-line-bytes, --max-period-days
void add_s3_options(CLI::App& command, Settings& settings);

// Everything a run of lake dates needs (run, backfill): source, lake, warehouse, reject ratio,
// S3, --attempts, --allow-empty and --force.
void add_lake_date_run_options(CLI::App& command, Settings& settings);
// The options of one run; the lake date is set by the caller.
pipeline::RunOptions run_options(const Settings& settings);

warehouse::WarehouseOptions warehouse_options(const Settings& settings);
// The S3 client's options, with retries and the credential source logged.
s3::ClientOptions s3_options(const Settings& settings);

// After parsing: fills every setting not given by flag or environment from the TOML file.
// Unknown keys in the file are errors (a typo must not silently fall back to a default).
void apply_config_file(CLI::App& command, Settings& settings);

}  // namespace d2d::cli
