// Settings shared by the subcommands, resolved in this order (SPEC §6): command-line flag, then
// environment (D2D_*), then d2d.toml (or --config FILE), then the built-in default.
//
// One table, rows() in settings_table.cpp, has a row per setting: TOML key, flag, environment
// variable, range or choices, help, whether it is secret, and the Settings member it fills. The
// flags (add_settings), the variables and the keys the file accepts (resolve_settings), --help
// and `d2d config` are all made from it, so a name or a range is written once.
//
// Adding a setting:
//   1. a member of Settings below, initialised to its default;
//   2. a row in rows() (settings_table.cpp):
//      {"key", "--flag", "D2D_KEY", &Settings::key, range or choices, "help"};
//      a row without a flag is read from the environment only (secrets: a flag shows in `ps`);
//   3. add_settings(command, settings, {"key"}) in the setup() of each command that reads it,
//      so that its --help lists only what it uses;
//   4. `d2d config --format markdown` prints the README's table of settings again (a test compares
//      them: ConfigCli.ReadmeTableIsTheSettingsTable).
// E.g. serve's catch-up window: `int serve_catchup_days = 7;`, the row
//   row("serve_catchup_days", "--catchup-days", "D2D_SERVE_CATCHUP_DAYS", &Settings::serve_catchup_days,
//       "serve: ...", Range{0, 3660}),
// and "serve_catchup_days" in ServeCommand::setup()'s add_settings list.
// What one invocation is asked to do (--date, --from/--to, --format, --all, --dry-run, --yes) is
// not a setting: it stays a plain option of the command's setup(), never read from env or file.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "pipeline/run.h"
#include "s3/client_options.h"
#include "warehouse/warehouse.h"

namespace d2d::cli {

// Where a setting's effective value came from.
enum class Origin { Default, File, Env, Flag };

struct Settings {
  std::string source;
  std::string lake = "./d2d-lake";
  std::string warehouse = "./d2d.db";
  std::string pg_schema = "vehicle_analytics";
  double max_reject_ratio = 0.05;
  std::uint64_t max_line_bytes = std::uint64_t{16} << 20;
  int max_period_days = 31;
  int attempts = 3;              // transform+load tries on transient warehouse failures
  bool allow_empty = false;      // a date with no objects succeeds, loading nothing
  bool force = false;            // load even when the raw zone is unchanged since the last run
  bool no_wait = false;          // fail instead of queueing behind a run of the same date
  bool pg_analyst_role = false;  // migrations create d2d_analyst
  unsigned jobs = 1;             // backfill: lake dates at once
  // Logging and the file itself (options of `d2d`, before or after the subcommand).
  std::string config_file;  // ./d2d.toml when present
  std::string log_level = "info";
  std::string log_format = "text";
  bool quiet = false;
  bool verbose = false;
  // S3 (s3:// sources and lakes); AWS_* variables and ~/.aws fill what these leave empty.
  std::string s3_endpoint;
  std::string s3_region;
  std::string s3_addressing = "auto";
  bool s3_anonymous = false;
  unsigned s3_parallel = 8;
  int s3_attempts = 5;
  long s3_stall_timeout_s = 20;
  // d2d serve: the schedule and the HTTP listener.
  std::string serve_at = "02:00";  // HH:MM local time of serve_tz
  std::string serve_tz = "UTC";    // IANA name
  std::string serve_start_date;
  std::string serve_end_date;  // the last lake date serve schedules ("" = none)
  int serve_catchup_days = 7;  // catch-up runs at most this many missing dates
  bool serve_no_catchup = false;
  int serve_retries = 3;
  int serve_retry_delay_s = 300;
  std::string serve_every;  // freshness runs this often, e.g. 5m ("" = none)
  bool serve_no_scheduler = false;
  std::string serve_bind = "127.0.0.1";
  int serve_port = 8080;
  std::string serve_auth_token_file;
  std::string serve_token;  // D2D_SERVE_TOKEN only: never a flag, never in the file
  bool serve_allow_unauthenticated = false;

  // Filled by resolve_settings(): the origin of each key that is not a default.
  std::map<std::string, Origin, std::less<>> origins;
  std::string config_file_read;  // the file resolve_settings() read, "" for none
};

// How `d2d config` shows a value.
enum class Secret { No, Uri, Whole };  // Uri: the password of a postgresql:// URI becomes ***

// One row of the table; see the header comment for how to add one.
struct SettingInfo {
  std::string_view key;   // TOML key, and the name `d2d config` shows
  std::string_view flag;  // CLI11 names, e.g. "-q,--quiet"; "" for environment only
  std::string_view env;   // D2D_*
  bool in_file = true;    // false: the file cannot give it (--config itself, the token)
  Secret secret = Secret::No;
  bool whole = false;                              // an integer setting (its range is shown without decimals)
  std::optional<std::pair<double, double>> range;  // numbers: inclusive bounds
  std::vector<std::string_view> choices;           // strings: the accepted values
  std::string_view help;
};

// The rows, in the order of the README and `d2d config`.
const std::vector<SettingInfo>& setting_infos();
// The long name of a flag, the one CLI11 knows the option by ("-q,--quiet" -> "--quiet").
std::string long_name(std::string_view flag);
// A setting's inclusive bounds as text, whole-number settings without decimals ("1", "64");
// nothing when it has no range.
std::optional<std::pair<std::string, std::string>> range_bounds(const SettingInfo& info);
// The value of one setting as text (secrets masked), and its default.
std::string setting_text(const Settings& settings, std::string_view key, bool masked = true);

// How a message names where the value of `key` came from: its variable ("D2D_SERVE_START_DATE"),
// the file ("serve_start_date in d2d.toml"), else its flag ("--start-date").
std::string setting_source(const Settings& settings, std::string_view key);

// Adds the flags of these keys to a command (with range or choices checks and the help of the
// table). Throws std::logic_error for a key that is not in the table.
void add_settings(CLI::App& command, Settings& settings, std::initializer_list<std::string_view> keys);
// The options of `d2d` itself: --config, --log-level, --log-format, --quiet, --verbose.
void add_global_settings(CLI::App& app, Settings& settings);
// Every setting with a flag (d2d config).
void add_all_settings(CLI::App& command, Settings& settings);

// After parsing `app` with the subcommand `command`: for each setting the command (or `d2d`)
// declares, and each environment-only one, a setting not given by flag comes from its variable,
// then from the TOML file; records origins. Unknown keys in the file are errors, listing the known
// ones (a typo must not silently fall back to a default); a bad value anywhere is a usage error.
void resolve_settings(const CLI::App& app, const CLI::App& command, Settings& settings);

// Groups of settings most commands share.
void add_source_option(CLI::App& command, Settings& settings);
void add_lake_option(CLI::App& command, Settings& settings);
void add_warehouse_option(CLI::App& command, Settings& settings);  // --warehouse, --pg-schema
void add_reject_ratio_option(CLI::App& command, Settings& settings);
void add_input_limit_options(CLI::App& command, Settings& settings);  // --max-line-bytes, --max-period-days
void add_s3_options(CLI::App& command, Settings& settings);

// Everything a run of lake dates needs (run, backfill): source, lake, warehouse with --no-wait and
// --pg-analyst-role, reject ratio, input limits, S3, --attempts, --allow-empty and --force.
void add_lake_date_run_options(CLI::App& command, Settings& settings);
// The options of one run; the lake date is set by the caller.
pipeline::RunOptions run_options(const Settings& settings);

warehouse::WarehouseOptions warehouse_options(const Settings& settings);
// The S3 client's options, with retries and the credential source logged.
s3::ClientOptions s3_options(const Settings& settings);

}  // namespace d2d::cli
