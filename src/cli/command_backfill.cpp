#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <optional>

#include "cli/backfill_display.h"
#include "cli/command.h"
#include "core/error.h"
#include "pipeline/backfill.h"
#include "pipeline/dry_run.h"
#include "warehouse/warehouse.h"

namespace d2d::cli {
namespace {

// Restores the log level when the progress line gives the terminal back.
class LogLevelScope {
 public:
  explicit LogLevelScope(spdlog::level::level_enum level) : m_saved(spdlog::get_level()) {
    spdlog::set_level(level);
  }
  ~LogLevelScope() { spdlog::set_level(m_saved); }
  LogLevelScope(const LogLevelScope&) = delete;
  LogLevelScope& operator=(const LogLevelScope&) = delete;

 private:
  spdlog::level::level_enum m_saved;
};

class BackfillCommand final : public Command {
 public:
  void setup(CLI::App& command, Settings& settings) override {
    command.add_option("--from", m_from, "first lake date, YYYY-MM-DD")->required();
    command.add_option("--to", m_to, "last lake date (included), YYYY-MM-DD")->required();
    add_settings(command, settings, {"jobs"});
    command.add_flag("--dry-run", m_dry_run,
                     "list what each date would copy (new, changed objects) and load; write nothing");
    add_lake_date_run_options(command, settings);
  }

  int run(Settings& settings) override {
    pipeline::BackfillOptions options;
    options.lake_dates = pipeline::lake_dates_between(m_from, m_to);
    options.jobs = settings.jobs;
    options.run = run_options(settings);
    if (m_dry_run) {
      // One date after another: a plan reads listings and checksums, it does not load.
      for (const core::LakeDate& lake_date : options.lake_dates) {
        pipeline::RunOptions run = options.run;
        run.lake_date = lake_date;
        fmt::print("{}", pipeline::describe_plan(lake_date.text(), pipeline::plan_lake_date(run), run));
      }
      return 0;
    }
    const warehouse::WarehouseOptions target = warehouse_options(settings);
    options.open_warehouse = [target] { return warehouse::open_warehouse(target); };

    // Migrate once, before the dates start: a bad URI or credentials end the backfill at once,
    // and parallel dates never race to create the schema.
    {
      const auto warehouse = options.open_warehouse();
      warehouse->migrator().migrate_up();
      spdlog::info("backfill {}..{}: {} lake dates, {} at a time, into {}", m_from, m_to,
                   options.lake_dates.size(), std::min<std::size_t>(settings.jobs, options.lake_dates.size()),
                   warehouse->describe());
    }

    const std::vector<pipeline::DateResult> results = run_with_display(options, settings);
    fmt::print("{}", summary_table(results));
    std::fflush(stdout);

    std::vector<std::string> failed;
    for (const auto& result : results) {
      if (result.status == pipeline::DateStatus::Failed) failed.push_back(result.lake_date);
    }
    if (!failed.empty()) {
      throw core::Error(core::ErrorKind::Input,
                        fmt::format("backfill: {} of {} lake dates failed: {}", failed.size(), results.size(),
                                    fmt::join(failed, ", ")));
    }
    return 0;
  }

 private:
  // The updating line only when stderr is a terminal showing text logs at the default level:
  // with --verbose or JSON logs, plain lines keep every message intact; --quiet shows neither.
  static std::vector<pipeline::DateResult> run_with_display(const pipeline::BackfillOptions& options,
                                                            const Settings& settings) {
    const bool terminal = isatty(STDERR_FILENO) == 1;
    if (terminal && settings.log_format == "text" && spdlog::get_level() == spdlog::level::info) {
      // The run's own info lines would break the line; warnings and errors still show.
      const LogLevelScope quieter(spdlog::level::warn);
      TerminalProgress progress(stderr, options.lake_dates.size());
      return pipeline::run_backfill(options, progress);
    }
    LogLinesProgress progress(options.lake_dates.size());
    return pipeline::run_backfill(options, progress);
  }

  std::string m_from, m_to;
  bool m_dry_run = false;
};

}  // namespace

std::unique_ptr<Command> make_backfill_command() { return std::make_unique<BackfillCommand>(); }

}  // namespace d2d::cli
