// d2d: the door2door-etl command line. main() alone maps failures to exit codes
// (0 ok, 1 run failed, 2 usage/config) and prints them as one line on stderr.
#include <fmt/format.h>
#include <malloc.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <map>

#include "cli/command.h"
#include "cli/completion.h"
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
    {"config", "the effective settings and where each came from (flag, env, file, default)",
     d2d::cli::make_config_command},
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
  // stays resident and the peak grows with the input. A fixed threshold keeps blocks of 4 MiB and
  // more mapped and gives them back when freed (issue 5: memory flat in input size; measured in
  // docs/decisions.md, "glibc's mmap threshold").
  mallopt(M_MMAP_THRESHOLD, 4 << 20);
  CLI::App app{"door2door-etl: fleet events from the bucket to the warehouse, idempotently", "d2d"};
  app.require_subcommand(1);
  app.fallthrough();  // global flags (--quiet, --config ...) may follow the subcommand
  app.set_version_flag("--version", d2d::core::code_version());
  d2d::cli::Settings settings;
  d2d::cli::add_global_settings(app, settings);

  std::map<CLI::App*, std::unique_ptr<d2d::cli::Command>> commands;
  for (const Registered& registered : kCommands) {
    CLI::App* sub = app.add_subcommand(registered.name, registered.description);
    auto command = registered.make();
    command->setup(*sub, settings);
    commands.emplace(sub, std::move(command));
  }
  // Last: it describes every command above.
  std::string shell;
  CLI::App* completion = app.add_subcommand("completion", "print a completion script: bash or zsh");
  completion->add_option("shell", shell, "bash or zsh")->required()->check(CLI::IsMember({"bash", "zsh"}));

  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& done) {
    return app.exit(done);
  } catch (const CLI::ParseError& error) {
    // A mistyped command or option is named with the nearest one; otherwise CLI11's own reason.
    const std::string hint = d2d::cli::did_you_mean(app, argc, argv);
    std::fprintf(stderr, "d2d: %s\n", hint.empty() ? error.what() : hint.c_str());
    return 2;
  }
  if (completion->parsed()) {
    std::fputs(d2d::cli::completion_script(app, shell).c_str(), stdout);
    return 0;
  }

  bool json_logs = settings.log_format == "json";
  bool logging_ready = false;
  try {
    for (auto& [sub, command] : commands) {
      if (!sub->parsed()) continue;
      // d2d.toml may set the logging too, so logging starts once every setting is known.
      d2d::cli::resolve_settings(app, *sub, settings);
      json_logs = settings.log_format == "json";
      d2d::cli::configure_logging(d2d::cli::parse_log_format(settings.log_format), settings.log_level,
                                  settings.quiet, settings.verbose);
      logging_ready = true;
      return command->run(settings);
    }
    return 2;
  } catch (const d2d::core::Error& error) {
    // A bad setting ends the command before logging starts; with JSON logs its line is JSON too.
    if (json_logs && !logging_ready)
      d2d::cli::configure_logging(d2d::cli::LogFormat::Json, "info", false, false);
    report_failure(fmt::format("d2d: error: {}", d2d::core::utf8_lossy(error.what())), json_logs);
    return d2d::core::exit_code_for(error.kind());
  } catch (const std::exception& error) {
    report_failure(fmt::format("d2d: internal error: {}", d2d::core::utf8_lossy(error.what())), json_logs);
    return 1;
  }
}
