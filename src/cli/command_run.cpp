#include <fmt/format.h>

#include "cli/command.h"
#include "core/error.h"
#include "pipeline/run.h"
#include "warehouse/warehouse.h"

namespace d2d::cli {
namespace {

class RunCommand final : public Command {
 public:
  void setup(CLI::App& command, Settings& settings) override {
    command.add_option("--date", m_date, "the lake date to process, YYYY-MM-DD")->required();
    command
        .add_option("--attempts", m_attempts, "tries of transform+load when the warehouse fails transiently")
        ->check(CLI::Range(1, 20))
        ->capture_default_str();
    command.add_flag("--allow-empty", m_allow_empty,
                     "succeed (loading nothing) when the date has no objects");
    command.add_flag("--force", m_force,
                     "load again even when the raw zone is unchanged since the last successful run");
    add_source_option(command, settings);
    add_lake_option(command, settings);
    add_warehouse_option(command, settings);
    add_reject_ratio_option(command, settings);
    add_s3_options(command, settings);
  }

  int run(Settings& settings) override {
    if (settings.source.empty())
      throw core::Error(core::ErrorKind::Usage, "no source given (--source or D2D_SOURCE)");
    pipeline::RunOptions options{settings.source,           settings.lake, m_date,
                                 settings.max_reject_ratio, m_allow_empty, m_attempts,
                                 s3_options(settings)};
    options.force = m_force;
    if (!core::parse_date(m_date)) {
      throw core::Error(core::ErrorKind::Usage,
                        fmt::format("--date '{}' is not a date (expected YYYY-MM-DD)", m_date));
    }
    auto warehouse = warehouse::open_warehouse(warehouse_options(settings));
    const auto outcome = pipeline::run_lake_date(options, *warehouse);
    const auto& f = outcome.figures;
    if (outcome.nothing_to_do) {
      fmt::print(
          "{}: nothing to do: the raw zone is unchanged since run {} ({} objects); --force loads it again "
          "(run {})\n",
          m_date, outcome.loaded_by_run, f.objects, outcome.run_id);
      return 0;
    }
    fmt::print(
        "{}: {} objects, {} events, {} rejected, {} location rows, {} periods derived in {} ms (run {})\n",
        m_date, f.objects, f.events_read, f.events_rejected, f.rows_loaded, f.periods_derived,
        f.extract_ms + f.transform_ms + f.load_ms + f.derive_ms, outcome.run_id);
    return 0;
  }

 private:
  std::string m_date;
  bool m_allow_empty = false;
  bool m_force = false;
  int m_attempts = 3;
};

}  // namespace

std::unique_ptr<Command> make_run_command() { return std::make_unique<RunCommand>(); }

}  // namespace d2d::cli
