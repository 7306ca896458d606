// d2d serve: the scheduler loop (daily at --at in --tz, catch-up, retries) and the HTTP status
// page, report and metrics, in one long-running process. SIGINT/SIGTERM stop it after the run
// in progress, if any, has finished.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <csignal>
#include <thread>

#include "cli/command.h"
#include "core/error.h"
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
    server::HttpServer http({settings.serve_bind, settings.serve_port}, warehouse_options(settings),
                            scheduler.get());
    const int port = http.bind();
    spdlog::info("serve: http://{}:{}/ (status), /report, /metrics, /healthz; warehouse {}",
                 settings.serve_bind, port,
                 warehouse::open_warehouse(warehouse_options(settings))->describe());
    if (scheduler) {
      spdlog::info("serve: each lake date is due the next day at {} {}{}", settings.serve_at,
                   settings.serve_tz,
                   settings.serve_start_date.empty() ? "" : "; owed from " + settings.serve_start_date);
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
