#include "cli/settings_table.h"

#include <fmt/format.h>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

namespace d2d::cli {
namespace {

using Range = std::pair<double, double>;
// A line must hold at least an event; one of a GiB is what the cap is there to refuse.
constexpr Range kLineBytes{1024, double(std::int64_t{1} << 30)};

Row row(std::string_view key, std::string_view flag, std::string_view env, Member member,
        std::string_view help, std::optional<Range> range = {}, std::vector<std::string_view> choices = {}) {
  Row r{SettingInfo{key, flag, env, true, Secret::No, false, range, std::move(choices), help}, member};
  r.info.whole = std::visit(
      [](auto m) {
        using T = std::remove_reference_t<decltype(std::declval<Settings&>().*m)>;
        return std::is_integral_v<T> && !std::is_same_v<T, bool>;
      },
      member);
  return r;
}
Row not_in_file(Row r) {
  r.info.in_file = false;
  return r;
}
Row secret(Row r, Secret how) {
  r.info.secret = how;
  return r;
}

// THE table. Flags, names and ranges of existing settings are an interface: change them only
// with a note in the README.
}  // namespace

const std::vector<Row>& rows() {
  static const std::vector<Row> table = {
      row("source", "--source", "D2D_SOURCE", &Settings::source,
          "where the events land: a folder, file:// URI or s3://bucket/prefix"),
      row("lake", "--lake", "D2D_LAKE", &Settings::lake,
          "the team's lake (raw and rejected zones): a folder, file:// URI or s3://bucket/prefix"),
      secret(row("warehouse", "--warehouse", "D2D_WAREHOUSE", &Settings::warehouse,
                 "sqlite:///abs/path.db, a bare file path, or postgresql://user@host:port/db?sslmode=... "
                 "(`postgresql:` alone: libpq's PG* environment)"),
             Secret::Uri),
      row("pg_schema", "--pg-schema", "D2D_PG_SCHEMA", &Settings::pg_schema,
          "PostgreSQL schema of the relations"),
      row("max_reject_ratio", "--max-reject-ratio", "D2D_MAX_REJECT_RATIO", &Settings::max_reject_ratio,
          "fail the run (after storing everything) when more than this share of lines is rejected",
          Range{0, 1}),
      row("max_line_bytes", "--max-line-bytes", "D2D_MAX_LINE_BYTES", &Settings::max_line_bytes,
          "reject longer lines as line_too_long (they are skipped, never held in memory)", kLineBytes),
      row("max_period_days", "--max-period-days", "D2D_MAX_PERIOD_DAYS", &Settings::max_period_days,
          "reject operating periods longer than this many days as invalid_window", Range{1, 3660}),
      row("attempts", "--attempts", "D2D_ATTEMPTS", &Settings::attempts,
          "tries of transform+load when the warehouse fails transiently", Range{1, 20}),
      row("allow_empty", "--allow-empty", "D2D_ALLOW_EMPTY", &Settings::allow_empty,
          "succeed (loading nothing) when a date has no objects"),
      row("force", "--force", "D2D_FORCE", &Settings::force,
          "load again even when the raw zone is unchanged since the last successful run, and read every "
          "source object again instead of trusting its size and modification time or ETag"),
      row("no_wait", "--no-wait", "D2D_NO_WAIT", &Settings::no_wait,
          "fail at once when another run is loading the same lake date (SQLite, one writer per file: "
          "when another process writes to it, after 2 s) instead of waiting for it"),
      row("pg_analyst_role", "--pg-analyst-role", "D2D_PG_ANALYST_ROLE", &Settings::pg_analyst_role,
          "migrations create the read-only role d2d_analyst with SELECT on the analyst relations"),
      row("jobs", "--jobs", "D2D_JOBS", &Settings::jobs, "backfill: lake dates run at once", Range{1, 64}),
      not_in_file(row("config", "--config", "D2D_CONFIG", &Settings::config_file,
                      "TOML config file (default: ./d2d.toml when present)")),
      row("log_level", "--log-level", "D2D_LOG_LEVEL", &Settings::log_level, "stderr logs from this level on",
          {}, {"trace", "debug", "info", "warn", "error"}),
      row("log_format", "--log-format", "D2D_LOG_FORMAT", &Settings::log_format,
          "stderr logs as text, or as JSON lines (ts, level, logger, msg)", {}, {"text", "json"}),
      row("quiet", "-q,--quiet", "D2D_QUIET", &Settings::quiet, "only warnings and errors on stderr"),
      row("verbose", "-v,--verbose", "D2D_VERBOSE", &Settings::verbose, "debug logging"),
      row("s3_endpoint", "--s3-endpoint", "D2D_S3_ENDPOINT", &Settings::s3_endpoint,
          "S3-compatible endpoint, e.g. http://127.0.0.1:9000 (default: AWS_ENDPOINT_URL, else AWS)"),
      row("s3_region", "--s3-region", "D2D_S3_REGION", &Settings::s3_region,
          "S3 region (default: AWS_REGION, AWS_DEFAULT_REGION, the profile's region, us-east-1)"),
      row("s3_addressing", "--s3-addressing", "D2D_S3_ADDRESSING", &Settings::s3_addressing,
          "auto: virtual-hosted on AWS, path-style elsewhere; or always path or virtual", {},
          {"auto", "path", "virtual"}),
      row("s3_anonymous", "--s3-anonymous", "D2D_S3_ANONYMOUS", &Settings::s3_anonymous,
          "unsigned S3 requests (public buckets)"),
      row("s3_parallel", "--s3-parallel", "D2D_S3_PARALLEL", &Settings::s3_parallel,
          "S3 objects transferred at once", Range{1, 64}),
      row("s3_attempts", "--s3-attempts", "D2D_S3_ATTEMPTS", &Settings::s3_attempts,
          "tries per S3 request on throttling, 5xx, timeouts and resets", Range{1, 20}),
      row("s3_stall_timeout_s", "--s3-stall-timeout-s", "D2D_S3_STALL_TIMEOUT_S",
          &Settings::s3_stall_timeout_s,
          "abandon (and retry) an S3 request when no byte moves for this many seconds", Range{1, 600}),
      row("serve_at", "--at", "D2D_SERVE_AT", &Settings::serve_at,
          "serve: local time of day the previous lake date becomes due, HH:MM"),
      row("serve_tz", "--tz", "D2D_SERVE_TZ", &Settings::serve_tz,
          "serve: IANA time zone of --at, e.g. Europe/Berlin"),
      row("serve_start_date", "--start-date", "D2D_SERVE_START_DATE", &Settings::serve_start_date,
          "serve: first lake date owed a run, YYYY-MM-DD (catch-up from there; default: after the last "
          "success)"),
      row("serve_end_date", "--end-date", "D2D_SERVE_END_DATE", &Settings::serve_end_date,
          "serve: last lake date serve schedules, YYYY-MM-DD (later dates are never run; default: none)"),
      row("serve_catchup_days", "--catchup-days", "D2D_SERVE_CATCHUP_DAYS", &Settings::serve_catchup_days,
          "serve: catch-up runs at most the newest this many missing lake dates; older ones are skipped with "
          "a "
          "warning naming the `d2d backfill` that loads them",
          Range{1, 3660}),
      row("serve_no_catchup", "--no-catchup", "D2D_SERVE_NO_CATCHUP", &Settings::serve_no_catchup,
          "serve: run only the newest due lake date (and its retries), never missed older ones"),
      row("serve_retries", "--retries", "D2D_SERVE_RETRIES", &Settings::serve_retries,
          "serve: further tries of a failed lake date, with backoff", Range{0, 20}),
      row("serve_retry_delay_s", "--retry-delay-s", "D2D_SERVE_RETRY_DELAY_S", &Settings::serve_retry_delay_s,
          "serve: wait before the first retry; doubled each time, at most 1 h", Range{1, 86400}),
      row("serve_every", "--every", "D2D_SERVE_EVERY", &Settings::serve_every,
          "serve: between daily runs, also run the current lake date (the UTC day) every DURATION, e.g. 90s, "
          "5m, 1h (30s to 24h), and the previous one for max(1 h, DURATION) after UTC midnight (default: "
          "off)"),
      row("serve_no_scheduler", "--no-scheduler", "D2D_SERVE_NO_SCHEDULER", &Settings::serve_no_scheduler,
          "serve: the pages only; runs come from elsewhere (d2d run, Airflow)"),
      row("serve_bind", "--bind", "D2D_SERVE_BIND", &Settings::serve_bind,
          "serve: address the HTTP server listens on"),
      row("serve_port", "--port", "D2D_SERVE_PORT", &Settings::serve_port,
          "serve: HTTP port (0: any free port)", Range{0, 65535}),
      row("serve_auth_token_file", "--auth-token-file", "D2D_SERVE_AUTH_TOKEN_FILE",
          &Settings::serve_auth_token_file,
          "serve: file holding the token every page but /healthz requires, as a bearer token or as the HTTP "
          "Basic password (or the token itself in D2D_SERVE_TOKEN)"),
      secret(not_in_file(row("serve_token", "", "D2D_SERVE_TOKEN", &Settings::serve_token,
                             "serve: the token itself (environment only: a flag would show in the process "
                             "list)")),
             Secret::Whole),
      row("serve_allow_unauthenticated", "--allow-unauthenticated", "D2D_SERVE_ALLOW_UNAUTHENTICATED",
          &Settings::serve_allow_unauthenticated,
          "serve: the pages without a token on an address other than loopback (a proxy in front "
          "authenticates)"),
  };
  return table;
}

const Row& find_row(std::string_view key) {
  for (const Row& r : rows()) {
    if (r.info.key == key) return r;
  }
  throw std::logic_error(fmt::format("no setting `{}` in the table", key));
}

}  // namespace d2d::cli
