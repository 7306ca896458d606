// One class per subcommand, registered in one table (main.cpp): setup() declares and checks
// flags without any I/O, run() does the work and returns the exit status.
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <vector>

#include "cli/settings.h"

namespace d2d::cli {

class Command {
 public:
  virtual ~Command() = default;
  virtual void setup(CLI::App& command, Settings& settings) = 0;
  virtual int run(Settings& settings) = 0;
};

std::unique_ptr<Command> make_run_command();
std::unique_ptr<Command> make_backfill_command();
std::unique_ptr<Command> make_report_command();
std::unique_ptr<Command> make_migrate_command();
std::unique_ptr<Command> make_generate_command();
std::unique_ptr<Command> make_status_command();
std::unique_ptr<Command> make_serve_command();
std::unique_ptr<Command> make_config_command();

}  // namespace d2d::cli
