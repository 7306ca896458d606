#include "cli/settings.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <toml++/toml.h>

#include <filesystem>

#include "core/error.h"
#include "warehouse/sql_text.h"

namespace d2d::cli {
using core::Error;
using core::ErrorKind;

namespace {
// A line must hold at least an event; one of a GiB is what the cap is there to refuse.
constexpr std::int64_t kMinLineBytes = 1024;
constexpr std::int64_t kMaxLineBytes = std::int64_t{1} << 30;
constexpr int kMaxPeriodDays = 3660;
}  // namespace

const int kMaxCatchupDays = 3660;

void add_source_option(CLI::App& command, Settings& settings) {
  command
      .add_option("--source", settings.source,
                  "where the events land: a folder, file:// URI or s3://bucket/prefix")
      ->envname("D2D_SOURCE");
}
void add_lake_option(CLI::App& command, Settings& settings) {
  command
      .add_option("--lake", settings.lake,
                  "the team's lake (raw and rejected zones): a folder, file:// URI or s3://bucket/prefix")
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

void add_lake_date_run_options(CLI::App& command, Settings& settings) {
  command
      .add_option("--attempts", settings.attempts,
                  "tries of transform+load when the warehouse fails transiently")
      ->check(CLI::Range(1, 20))
      ->capture_default_str();
  command.add_flag("--allow-empty", settings.allow_empty,
                   "succeed (loading nothing) when a date has no objects");
  command.add_flag("--force", settings.force,
                   "load again even when the raw zone is unchanged since the last successful run");
  add_source_option(command, settings);
  add_lake_option(command, settings);
  add_warehouse_option(command, settings);
  add_reject_ratio_option(command, settings);
  add_input_limit_options(command, settings);
  add_s3_options(command, settings);
}

// SPEC §3's configurable limits on what one line may be.
void add_input_limit_options(CLI::App& command, Settings& settings) {
  command
      .add_option("--max-line-bytes", settings.max_line_bytes,
                  "reject longer lines as line_too_long (they are skipped, never held in memory)")
      ->envname("D2D_MAX_LINE_BYTES")
      ->check(CLI::Range(std::uint64_t{kMinLineBytes}, std::uint64_t{kMaxLineBytes}))
      ->capture_default_str();
  command
      .add_option("--max-period-days", settings.max_period_days,
                  "reject operating periods longer than this many days as invalid_window")
      ->envname("D2D_MAX_PERIOD_DAYS")
      ->check(CLI::Range(1, kMaxPeriodDays))
      ->capture_default_str();
}

pipeline::RunOptions run_options(const Settings& settings) {
  if (settings.source.empty()) throw Error(ErrorKind::Usage, "no source given (--source or D2D_SOURCE)");
  pipeline::RunOptions options;
  options.source_uri = settings.source;
  options.lake_uri = settings.lake;
  options.max_reject_ratio = settings.max_reject_ratio;
  options.allow_empty = settings.allow_empty;
  options.attempts = settings.attempts;
  options.force = settings.force;
  options.max_line_bytes = settings.max_line_bytes;
  options.max_period_days = settings.max_period_days;
  options.s3 = s3_options(settings);
  return options;
}

warehouse::WarehouseOptions warehouse_options(const Settings& settings) {
  warehouse::WarehouseOptions options;
  options.uri = settings.warehouse;
  // Whichever of flag, D2D_PG_SCHEMA or d2d.toml gave it, and whatever the engine: a name that
  // could reach SQL is checked before any command connects.
  warehouse::check_pg_schema(settings.pg_schema);
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

void add_s3_options(CLI::App& command, Settings& settings) {
  command
      .add_option("--s3-endpoint", settings.s3_endpoint,
                  "S3-compatible endpoint, e.g. http://127.0.0.1:9000 (default: AWS_ENDPOINT_URL, else AWS)")
      ->envname("D2D_S3_ENDPOINT");
  command
      .add_option("--s3-region", settings.s3_region,
                  "S3 region (default: AWS_REGION, AWS_DEFAULT_REGION, the profile's region, us-east-1)")
      ->envname("D2D_S3_REGION");
  command
      .add_option("--s3-addressing", settings.s3_addressing,
                  "auto (virtual-hosted on AWS, path-style elsewhere), path or virtual")
      ->envname("D2D_S3_ADDRESSING")
      ->check(CLI::IsMember({"auto", "path", "virtual"}))
      ->capture_default_str();
  command.add_flag("--s3-anonymous", settings.s3_anonymous, "unsigned S3 requests (public buckets)")
      ->envname("D2D_S3_ANONYMOUS");
  command.add_option("--s3-parallel", settings.s3_parallel, "S3 objects transferred at once")
      ->envname("D2D_S3_PARALLEL")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  command
      .add_option("--s3-attempts", settings.s3_attempts,
                  "tries per S3 request on throttling, 5xx, timeouts and resets")
      ->envname("D2D_S3_ATTEMPTS")
      ->check(CLI::Range(1, 20))
      ->capture_default_str();
  command
      .add_option("--s3-stall-timeout-s", settings.s3_stall_timeout_s,
                  "abandon (and retry) an S3 request when no byte moves for this many seconds")
      ->envname("D2D_S3_STALL_TIMEOUT_S")
      ->check(CLI::Range(1, 600))
      ->capture_default_str();
}

s3::ClientOptions s3_options(const Settings& settings) {
  s3::ClientOptions options;
  options.endpoint = settings.s3_endpoint;
  options.region = settings.s3_region;
  options.addressing = s3::parse_addressing(settings.s3_addressing);
  options.anonymous = settings.s3_anonymous;
  options.parallel = settings.s3_parallel;
  options.attempts = settings.s3_attempts;
  options.stall_timeout_s = settings.s3_stall_timeout_s;
  options.on_retry = [](const std::string& message) { spdlog::warn("{}", message); };
  options.on_info = [](const std::string& message) { spdlog::info("{}", message); };
  return options;
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
    } else if (name == "s3_endpoint") {
      if (!given("--s3-endpoint")) settings.s3_endpoint = text();
    } else if (name == "s3_region") {
      if (!given("--s3-region")) settings.s3_region = text();
    } else if (name == "s3_addressing") {
      if (!given("--s3-addressing")) settings.s3_addressing = text();
      s3::parse_addressing(settings.s3_addressing);
    } else if (name == "s3_anonymous") {
      auto flag = value.value<bool>();
      if (!flag)
        throw Error(ErrorKind::Usage,
                    fmt::format("config file {}: `s3_anonymous` must be true or false", path));
      if (!given("--s3-anonymous")) settings.s3_anonymous = *flag;
    } else if (name == "s3_parallel" || name == "s3_attempts" || name == "s3_stall_timeout_s") {
      auto number = value.value<std::int64_t>();
      const std::int64_t limit = name == "s3_parallel" ? 64 : name == "s3_attempts" ? 20 : 600;
      if (!number || *number < 1 || *number > limit) {
        throw Error(ErrorKind::Usage, fmt::format("config file {}: `{}` must be a whole number from 1 to {}",
                                                  path, name, limit));
      }
      if (name == "s3_parallel" && !given("--s3-parallel"))
        settings.s3_parallel = static_cast<unsigned>(*number);
      if (name == "s3_attempts" && !given("--s3-attempts")) settings.s3_attempts = static_cast<int>(*number);
      if (name == "s3_stall_timeout_s" && !given("--s3-stall-timeout-s"))
        settings.s3_stall_timeout_s = *number;
    } else if (name == "serve_at") {
      if (!given("--at")) settings.serve_at = text();
    } else if (name == "serve_tz") {
      if (!given("--tz")) settings.serve_tz = text();
    } else if (name == "serve_start_date") {
      if (!given("--start-date")) settings.serve_start_date = text();
    } else if (name == "serve_end_date") {
      if (!given("--end-date")) settings.serve_end_date = text();
    } else if (name == "serve_no_catchup") {
      auto flag = value.value<bool>();
      if (!flag)
        throw Error(ErrorKind::Usage,
                    fmt::format("config file {}: `serve_no_catchup` must be true or false", path));
      if (!given("--no-catchup")) settings.serve_no_catchup = *flag;
    } else if (name == "serve_catchup_days") {
      auto number = value.value<std::int64_t>();
      if (!number || *number < 1 || *number > kMaxCatchupDays) {
        throw Error(ErrorKind::Usage,
                    fmt::format("config file {}: `serve_catchup_days` must be a whole number from 1 to {}",
                                path, kMaxCatchupDays));
      }
      if (!given("--catchup-days")) settings.serve_catchup_days = static_cast<int>(*number);
    } else if (name == "serve_bind") {
      if (!given("--bind")) settings.serve_bind = text();
    } else if (name == "serve_auth_token_file") {
      if (!given("--auth-token-file")) settings.serve_auth_token_file = text();
    } else if (name == "serve_allow_unauthenticated") {
      auto flag = value.value<bool>();
      if (!flag)
        throw Error(ErrorKind::Usage,
                    fmt::format("config file {}: `serve_allow_unauthenticated` must be true or false", path));
      if (!given("--allow-unauthenticated")) settings.serve_allow_unauthenticated = *flag;
    } else if (name == "serve_port" || name == "serve_retries") {
      auto number = value.value<std::int64_t>();
      const std::int64_t high = name == "serve_port" ? 65535 : 20;
      if (!number || *number < 0 || *number > high) {
        throw Error(ErrorKind::Usage, fmt::format("config file {}: `{}` must be a whole number from 0 to {}",
                                                  path, name, high));
      }
      if (name == "serve_port" && !given("--port")) settings.serve_port = static_cast<int>(*number);
      if (name == "serve_retries" && !given("--retries")) settings.serve_retries = static_cast<int>(*number);
    } else if (name == "max_line_bytes") {
      auto number = value.value<std::int64_t>();
      if (!number || *number < kMinLineBytes || *number > kMaxLineBytes) {
        throw Error(ErrorKind::Usage,
                    fmt::format("config file {}: `max_line_bytes` must be a whole number from {} "
                                "to {}",
                                path, kMinLineBytes, kMaxLineBytes));
      }
      if (!given("--max-line-bytes")) settings.max_line_bytes = static_cast<std::uint64_t>(*number);
    } else if (name == "max_period_days") {
      auto number = value.value<std::int64_t>();
      if (!number || *number < 1 || *number > kMaxPeriodDays) {
        throw Error(ErrorKind::Usage,
                    fmt::format("config file {}: `max_period_days` must be a whole number from 1 to {}", path,
                                kMaxPeriodDays));
      }
      if (!given("--max-period-days")) settings.max_period_days = static_cast<int>(*number);
    } else if (name == "max_reject_ratio") {
      auto number = value.value<double>();
      if (!number || *number < 0 || *number > 1) {
        throw Error(ErrorKind::Usage,
                    fmt::format("config file {}: `max_reject_ratio` must be a number in [0, 1]", path));
      }
      if (!given("--max-reject-ratio")) settings.max_reject_ratio = *number;
    } else {
      throw Error(
          ErrorKind::Usage,
          fmt::format("config file {}: unknown key `{}` (known: source, lake, warehouse, "
                      "pg_schema, max_reject_ratio, max_line_bytes, max_period_days, s3_endpoint, s3_region, "
                      "s3_addressing, s3_anonymous, "
                      "s3_parallel, s3_attempts, s3_stall_timeout_s, serve_at, serve_tz, serve_start_date, "
                      "serve_end_date, serve_catchup_days, serve_no_catchup, serve_retries, serve_bind, "
                      "serve_port, serve_auth_token_file, "
                      "serve_allow_unauthenticated)",
                      path, name));
    }
  }
}

}  // namespace d2d::cli
