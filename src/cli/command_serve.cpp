// d2d serve: the scheduler loop (daily at --at in --tz, catch-up, retries) and the HTTP status
// page, report and metrics, in one long-running process. SIGINT/SIGTERM stop it after the run
// in progress, if any, has finished.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <thread>

#include "cli/command.h"
#include "core/error.h"
#include "server/auth.h"
#include "server/http_server.h"
#include "server/scheduler.h"

namespace d2d::cli {
namespace {

using core::Error;
using core::ErrorKind;

class ServeCommand final : public Command {
 public:
  void setup(CLI::App& command, Settings& settings) override {
    command
        .add_option("--at", settings.serve_at, "local time of day the previous lake date becomes due, HH:MM")
        ->envname("D2D_SERVE_AT")
        ->capture_default_str();
    command.add_option("--tz", settings.serve_tz, "IANA time zone of --at, e.g. Europe/Berlin")
        ->envname("D2D_SERVE_TZ")
        ->capture_default_str();
    command
        .add_option(
            "--start-date", settings.serve_start_date,
            "first lake date owed a run, YYYY-MM-DD (catch-up from there; default: after the last success)")
        ->envname("D2D_SERVE_START_DATE");
    command
        .add_option("--end-date", settings.serve_end_date,
                    "last lake date serve schedules, YYYY-MM-DD (later dates are never run; default: none)")
        ->envname("D2D_SERVE_END_DATE");
    command
        .add_option("--catchup-days", settings.serve_catchup_days,
                    "catch-up runs at most the newest this many missing lake dates; older ones are skipped "
                    "with a warning naming the `d2d backfill` that loads them")
        ->envname("D2D_SERVE_CATCHUP_DAYS")
        ->check(CLI::Range(1, kMaxCatchupDays))
        ->capture_default_str();
    command
        .add_flag("--no-catchup", settings.serve_no_catchup,
                  "run only the newest due lake date (and its retries), never missed older ones")
        ->envname("D2D_SERVE_NO_CATCHUP");
    command
        .add_option("--retries", settings.serve_retries, "further tries of a failed lake date, with backoff")
        ->envname("D2D_SERVE_RETRIES")
        ->check(CLI::Range(0, 20))
        ->capture_default_str();
    command
        .add_option("--retry-delay-s", m_retry_delay_s,
                    "wait before the first retry; doubled each time, at most 1 h")
        ->check(CLI::Range(1, 86400))
        ->capture_default_str();
    command.add_option("--bind", settings.serve_bind, "address the HTTP server listens on")
        ->envname("D2D_SERVE_BIND")
        ->capture_default_str();
    command.add_option("--port", settings.serve_port, "HTTP port (0: any free port)")
        ->envname("D2D_SERVE_PORT")
        ->check(CLI::Range(0, 65535))
        ->capture_default_str();
    command
        .add_option("--auth-token-file", settings.serve_auth_token_file,
                    "file holding the token every page but /healthz requires, as a bearer token or as the "
                    "HTTP Basic password (or the token itself in D2D_SERVE_TOKEN)")
        ->envname("D2D_SERVE_AUTH_TOKEN_FILE");
    command
        .add_flag("--allow-unauthenticated", settings.serve_allow_unauthenticated,
                  "serve the pages without a token on an address other than loopback (a proxy in front "
                  "authenticates)")
        ->envname("D2D_SERVE_ALLOW_UNAUTHENTICATED");
    command.add_flag("--no-scheduler", m_no_scheduler,
                     "serve the pages only; runs come from elsewhere (d2d run, Airflow)");
    command
        .add_option("--attempts", m_attempts, "tries of transform+load when the warehouse fails transiently")
        ->check(CLI::Range(1, 20))
        ->capture_default_str();
    command.add_flag("--allow-empty", m_allow_empty, "a lake date with no objects succeeds, loading nothing");
    add_source_option(command, settings);
    add_lake_option(command, settings);
    add_warehouse_option(command, settings);
    add_reject_ratio_option(command, settings);
    add_s3_options(command, settings);
  }

  int run(Settings& settings) override {
    const server::Schedule schedule = schedule_from(settings);
    if (!m_no_scheduler && settings.source.empty())
      throw Error(ErrorKind::Usage, "no source given (--source or D2D_SOURCE), or pass --no-scheduler");
    std::string token = auth_token(settings);
    const bool loopback = server::is_loopback(settings.serve_bind);
    if (token.empty() && !loopback && !settings.serve_allow_unauthenticated) {
      throw Error(ErrorKind::Usage,
                  fmt::format("refusing to serve the pages (fleet positions, rejected lines) on {} without "
                              "authentication: give --auth-token-file FILE or D2D_SERVE_TOKEN, or "
                              "--allow-unauthenticated when a proxy in front authenticates",
                              settings.serve_bind));
    }

    // Signals are taken by one thread of ours (sigwait), never by whichever thread they hit.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

    std::unique_ptr<server::Scheduler> scheduler;
    if (!m_no_scheduler) {
      server::SchedulerOptions options{schedule,
                                       {settings.source, settings.lake, "", settings.max_reject_ratio,
                                        m_allow_empty, m_attempts, s3_options(settings)},
                                       warehouse_options(settings)};
      scheduler = std::make_unique<server::Scheduler>(std::move(options), server::system_now);
    }
    server::HttpOptions http_options;
    http_options.bind = settings.serve_bind;
    http_options.port = settings.serve_port;
    const bool authenticated = !token.empty();
    http_options.auth_token = std::move(token);
    server::HttpServer http(std::move(http_options), warehouse_options(settings), scheduler.get());
    const int port = http.bind();
    spdlog::info("serve: http://{}:{}/ (status), /report, /metrics, /healthz; warehouse {}",
                 settings.serve_bind, port,
                 warehouse::open_warehouse(warehouse_options(settings))->describe());
    if (authenticated) {
      spdlog::info("serve: every page but /healthz requires the token (bearer, or the HTTP Basic password)");
    } else if (!loopback) {
      spdlog::warn("serve: the pages on {} require no authentication (--allow-unauthenticated)",
                   settings.serve_bind);
    }
    if (scheduler) {
      spdlog::info("serve: each lake date is due the next day at {} {}{}{}; {}", settings.serve_at,
                   settings.serve_tz,
                   settings.serve_start_date.empty() ? "" : "; owed from " + settings.serve_start_date,
                   settings.serve_end_date.empty() ? "" : "; none after " + settings.serve_end_date,
                   schedule.catchup ? fmt::format("catch-up of at most {} date(s)", schedule.catchup_days)
                                    : std::string("no catch-up"));
    }

    std::thread signals([&] {
      int received = 0;
      sigwait(&stop_signals, &received);
      spdlog::info("serve: signal {}, stopping{}", received, scheduler ? " after the run in progress" : "");
      if (scheduler) scheduler->stop();
      http.stop();
    });
    std::thread loop;
    if (scheduler) loop = std::thread([&] { scheduler->run_until_stopped(); });
    http.listen();
    // listen() also returns when it fails; wake the signal thread so that everything ends.
    kill(getpid(), SIGTERM);
    signals.join();
    if (loop.joinable()) loop.join();
    return 0;
  }

 private:
  // The token the pages require, "" for none. The token itself comes only from the environment or
  // a file: as a flag, anyone listing processes would read it. Messages never quote it.
  static std::string auth_token(const Settings& settings) {
    const char* from_environment = std::getenv("D2D_SERVE_TOKEN");
    const bool in_environment = from_environment != nullptr && *from_environment != '\0';
    std::string token, origin;
    if (!settings.serve_auth_token_file.empty()) {
      if (in_environment)
        throw Error(ErrorKind::Usage, "both --auth-token-file and D2D_SERVE_TOKEN are set: give one of them");
      origin = "--auth-token-file " + settings.serve_auth_token_file;
      std::ifstream file(settings.serve_auth_token_file, std::ios::binary);
      if (!file)
        throw Error(ErrorKind::Usage, fmt::format("cannot read {}: {}", origin, std::strerror(errno)));
      token.resize(4097);
      file.read(token.data(), static_cast<std::streamsize>(token.size()));
      token.resize(static_cast<std::size_t>(file.gcount()));
      if (token.size() > 4096) throw Error(ErrorKind::Usage, origin + " is longer than 4096 bytes");
    } else if (in_environment) {
      origin = "D2D_SERVE_TOKEN";
      token = from_environment;
    } else {
      return "";
    }
    // `echo token > file` and secret stores leave a final newline.
    const auto first = token.find_first_not_of(" \t\r\n");
    token =
        first == std::string::npos ? "" : token.substr(first, token.find_last_not_of(" \t\r\n") - first + 1);
    if (const std::string problem = server::token_problem(token); !problem.empty())
      throw Error(ErrorKind::Usage, fmt::format("the token in {} {}", origin, problem));
    return token;
  }

  server::Schedule schedule_from(const Settings& settings) const {
    server::Schedule schedule;
    const auto at = server::parse_time_of_day(settings.serve_at);
    if (!at)
      throw Error(ErrorKind::Usage,
                  fmt::format("--at '{}' is not a time of day (expected HH:MM)", settings.serve_at));
    schedule.at_minutes = *at;
    server::check_time_zone(settings.serve_tz);
    schedule.time_zone = settings.serve_tz;
    if (!settings.serve_start_date.empty()) {
      schedule.start_day = core::parse_date(settings.serve_start_date);
      if (!schedule.start_day) {
        throw Error(ErrorKind::Usage, fmt::format("--start-date '{}' is not a date (expected YYYY-MM-DD)",
                                                  settings.serve_start_date));
      }
    }
    if (!settings.serve_end_date.empty()) {
      schedule.end_day = core::parse_date(settings.serve_end_date);
      if (!schedule.end_day) {
        throw Error(ErrorKind::Usage, fmt::format("--end-date '{}' is not a date (expected YYYY-MM-DD)",
                                                  settings.serve_end_date));
      }
      if (schedule.start_day && *schedule.end_day < *schedule.start_day) {
        throw Error(ErrorKind::Usage, fmt::format("--end-date {} is before --start-date {}",
                                                  settings.serve_end_date, settings.serve_start_date));
      }
    }
    schedule.catchup = !settings.serve_no_catchup;
    schedule.catchup_days = settings.serve_catchup_days;
    schedule.retries = settings.serve_retries;
    schedule.retry_delay = std::chrono::seconds(m_retry_delay_s);
    return schedule;
  }

  bool m_no_scheduler = false;
  bool m_allow_empty = false;
  int m_attempts = 3;
  int m_retry_delay_s = 300;
};

}  // namespace

std::unique_ptr<Command> make_serve_command() { return std::make_unique<ServeCommand>(); }

}  // namespace d2d::cli
