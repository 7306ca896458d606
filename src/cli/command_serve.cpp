// d2d serve: the scheduler loop (daily at --at in --tz, catch-up, retries) and the HTTP status
// page, report and metrics, in one long-running process. SIGINT/SIGTERM stop it after the run
// in progress, if any, has finished.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <csignal>
#include <cstdlib>
#include <thread>

#include "cli/command.h"
#include "core/error.h"
#include "core/secret_file.h"
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
    add_settings(command, settings,
                 {"serve_at", "serve_tz", "serve_start_date", "serve_end_date", "serve_catchup_days",
                  "serve_no_catchup", "serve_retries", "serve_retry_delay_s", "serve_every", "serve_bind",
                  "serve_port", "serve_auth_token_file", "serve_allow_unauthenticated", "serve_no_scheduler",
                  "attempts", "allow_empty"});
    add_source_option(command, settings);
    add_lake_option(command, settings);
    add_warehouse_option(command, settings);
    // The scheduler's runs take the lake date's lock and migrate first, like `d2d run`.
    add_settings(command, settings, {"no_wait", "pg_analyst_role"});
    add_reject_ratio_option(command, settings);
    add_input_limit_options(command, settings);
    add_s3_options(command, settings);
  }

  int run(Settings& settings) override {
    const server::Schedule schedule = schedule_from(settings);
    if (!settings.serve_no_scheduler && settings.source.empty())
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
    if (!settings.serve_no_scheduler) {
      // Exactly what `d2d run` would be given (the lake date is set per run; never --force).
      pipeline::RunOptions run = run_options(settings);
      run.force = false;
      server::SchedulerOptions options{schedule, std::move(run), warehouse_options(settings)};
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
                 settings.serve_bind, port, warehouse::describe_warehouse(warehouse_options(settings)));
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
                   !settings.serve_no_catchup
                       ? fmt::format("catch-up of at most {} date(s)", settings.serve_catchup_days)
                       : std::string("no catch-up"));
      if (schedule.every) {
        spdlog::info(
            "serve: the current lake date (UTC day) also runs every {}, the previous one until {} min "
            "after UTC midnight",
            settings.serve_every, freshness_grace_minutes(*schedule.every));
      }
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
    const std::string& from_environment = settings.serve_token;  // D2D_SERVE_TOKEN
    const bool in_environment = !from_environment.empty();
    std::string token, origin;
    if (!settings.serve_auth_token_file.empty()) {
      // Named as the operator gave it: the flag, D2D_SERVE_AUTH_TOKEN_FILE or d2d.toml's key.
      const std::string given_by = setting_source(settings, "serve_auth_token_file");
      if (in_environment)
        throw Error(ErrorKind::Usage,
                    fmt::format("both {} and D2D_SERVE_TOKEN are set: give one of them", given_by));
      origin = given_by + " " + settings.serve_auth_token_file;
      auto text = core::read_secret_file(settings.serve_auth_token_file, origin, 4096);
      if (!text) throw Error(ErrorKind::Usage, text.error());
      token = std::move(*text);
    } else if (in_environment) {
      origin = "D2D_SERVE_TOKEN";
      token = core::trim_space(from_environment);  // as a file's: a final newline is no part of it
    } else {
      return "";
    }
    if (const std::string problem = server::token_problem(token); !problem.empty())
      throw Error(ErrorKind::Usage, fmt::format("the token in {} {}", origin, problem));
    return token;
  }

  static long long freshness_grace_minutes(std::chrono::seconds every) {
    return std::chrono::duration_cast<std::chrono::minutes>(server::freshness_grace(every)).count();
  }

  static server::Schedule schedule_from(const Settings& settings) {
    server::Schedule schedule;
    const auto at = server::parse_time_of_day(settings.serve_at);
    if (!at) {
      throw Error(ErrorKind::Usage, fmt::format("{} '{}' is not a time of day (expected HH:MM)",
                                                setting_source(settings, "serve_at"), settings.serve_at));
    }
    schedule.at_minutes = *at;
    server::check_time_zone(settings.serve_tz);
    schedule.time_zone = settings.serve_tz;
    // Named as given: a flag, a D2D_* variable or d2d.toml.
    const std::string start_name = setting_source(settings, "serve_start_date");
    const std::string end_name = setting_source(settings, "serve_end_date");
    if (!settings.serve_start_date.empty()) {
      schedule.start_day = core::parse_date(settings.serve_start_date);
      if (!schedule.start_day) {
        throw Error(ErrorKind::Usage, fmt::format("{} '{}' is not a date (expected YYYY-MM-DD)", start_name,
                                                  settings.serve_start_date));
      }
    }
    if (!settings.serve_end_date.empty()) {
      schedule.end_day = core::parse_date(settings.serve_end_date);
      if (!schedule.end_day) {
        throw Error(ErrorKind::Usage, fmt::format("{} '{}' is not a date (expected YYYY-MM-DD)", end_name,
                                                  settings.serve_end_date));
      }
      if (schedule.start_day && *schedule.end_day < *schedule.start_day) {
        throw Error(ErrorKind::Usage, fmt::format("{} {} is before {} {}", end_name, settings.serve_end_date,
                                                  start_name, settings.serve_start_date));
      }
    }
    schedule.catchup = !settings.serve_no_catchup;
    schedule.catchup_days = settings.serve_catchup_days;
    schedule.retries = settings.serve_retries;
    schedule.retry_delay = std::chrono::seconds(settings.serve_retry_delay_s);
    if (!settings.serve_every.empty()) {
      schedule.every = server::parse_every(settings.serve_every);
      if (!schedule.every) {
        throw Error(ErrorKind::Usage,
                    fmt::format("{} '{}' is not a duration from 30s to 24h (expected a whole number and "
                                "s, m or h, e.g. 90s, 5m, 1h)",
                                setting_source(settings, "serve_every"), settings.serve_every));
      }
    }
    return schedule;
  }
};

}  // namespace

std::unique_ptr<Command> make_serve_command() { return std::make_unique<ServeCommand>(); }

}  // namespace d2d::cli
