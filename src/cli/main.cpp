// d2d: the door2door-etl command line. main() alone maps failures to exit codes
// (0 ok, 1 run failed, 2 usage/config) and prints them as one line on stderr.
#include <fmt/format.h>
#include <malloc.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <map>

#include "cli/command.h"
#include "cli/logging.h"
#include "core/error.h"
#include "core/utf8.h"
#include "core/version.h"

namespace {

struct Registered {
  const char* name;
  const char* description;
  std::unique_ptr<d2d::cli::Command> (*make)();
};

constexpr Registered kCommands[] = {
    {"run", "extract + transform + load + derive one lake date", d2d::cli::make_run_command},
    {"backfill", "every lake date of a range, several at once, with a summary",
     d2d::cli::make_backfill_command},
    {"report", "the average distance per operating period, from the warehouse",
     d2d::cli::make_report_command},
    {"migrate", "schema migrations: up, down N, status", d2d::cli::make_migrate_command},
    {"generate", "write a realistic synthetic fleet's lake files", d2d::cli::make_generate_command},
    {"status", "the etl_run ledger: the latest run of each lake date (--all: every run)",
     d2d::cli::make_status_command},
    {"serve", "scheduler (daily, catch-up, retries) + HTTP status page, report and metrics",
     d2d::cli::make_serve_command},
};

// The one line a failure ends with: a JSON line when logs are JSON, so a collector parses it too.
void report_failure(const std::string& line, bool json_logs) {
  if (json_logs && spdlog::default_logger_raw() != nullptr) {
    spdlog::error("{}", line);
    spdlog::default_logger_raw()->flush();
  } else {
    std::fprintf(stderr, "%s\n", line.c_str());
  }
}

}  // namespace

int main(int argc, char** argv) {
  // glibc raises its mmap threshold to the size of the largest block freed (up to 32 MiB), so after
  // extract's whole-object buffers every later big block comes from the heap, where freed space
  // stays resident: 16M events peaked at 180 MB instead of 145 MB. A fixed threshold keeps blocks
  // of 4 MiB and more mapped and gives them back when freed (issue 5: memory flat in input size).
  mallopt(M_MMAP_THRESHOLD, 4 << 20);
  CLI::App app{"door2door-etl: fleet events from the bucket to the warehouse, idempotently", "d2d"};
  app.require_subcommand(1);
  app.fallthrough();  // global flags (--quiet, --config ...) may follow the subcommand
  app.set_version_flag("--version", d2d::core::code_version());
  d2d::cli::Settings settings;
  std::string log_level = "info";
  bool quiet = false, verbose = false;
  app.add_option("--config", settings.config_file, "TOML config file (default: ./d2d.toml when present)")
      ->envname("D2D_CONFIG");
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}))
      ->envname("D2D_LOG_LEVEL");
  app.add_option("--log-format", settings.log_format,
                 "stderr logs as text, or as JSON lines (ts, level, logger, msg)")
      ->check(CLI::IsMember({"text", "json"}))
      ->envname("D2D_LOG_FORMAT")
      ->capture_default_str();
  app.add_flag("-q,--quiet", quiet, "only warnings and errors on stderr");
  app.add_flag("-v,--verbose", verbose, "debug logging");

  std::map<CLI::App*, std::unique_ptr<d2d::cli::Command>> commands;
  for (const Registered& registered : kCommands) {
    CLI::App* sub = app.add_subcommand(registered.name, registered.description);
    auto command = registered.make();
    command->setup(*sub, settings);
    commands.emplace(sub, std::move(command));
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& done) {
    return app.exit(done);
  } catch (const CLI::ParseError& error) {
    std::fprintf(stderr, "d2d: %s\n", error.what());
    return 2;
  }

  const bool json_logs = settings.log_format == "json";
  try {
    d2d::cli::configure_logging(d2d::cli::parse_log_format(settings.log_format), log_level, quiet, verbose);
    for (auto& [sub, command] : commands) {
      if (sub->parsed()) {
        d2d::cli::apply_config_file(*sub, settings);
        return command->run(settings);
      }
    }
    return 2;
  } catch (const d2d::core::Error& error) {
    report_failure(fmt::format("d2d: error: {}", d2d::core::utf8_lossy(error.what())), json_logs);
    return d2d::core::exit_code_for(error.kind());
  } catch (const std::exception& error) {
    report_failure(fmt::format("d2d: internal error: {}", d2d::core::utf8_lossy(error.what())), json_logs);
    return 1;
  }
}
