#include <fmt/format.h>

#include "cli/command.h"
#include "core/error.h"
#include "pipeline/dry_run.h"
#include "pipeline/run.h"
#include "warehouse/warehouse.h"

namespace d2d::cli {
namespace {

class RunCommand final : public Command {
 public:
  void setup(CLI::App& command, Settings& settings) override {
    command.add_option("--date", m_date, "the lake date to process, YYYY-MM-DD")->required();
    command.add_flag("--dry-run", m_dry_run,
                     "list what would be copied (new, changed objects) and loaded; write nothing");
    add_lake_date_run_options(command, settings);
  }

  int run(Settings& settings) override {
    pipeline::RunOptions options = run_options(settings);
    const auto date = core::LakeDate::parse(m_date);
    if (!date) {
      throw core::Error(core::ErrorKind::Usage,
                        fmt::format("--date '{}' is not a date (expected YYYY-MM-DD)", m_date));
    }
    options.lake_date = *date;
    if (m_dry_run) {
      fmt::print("{}", pipeline::describe_plan(m_date, pipeline::plan_lake_date(options), options));
      return 0;  // before the warehouse is opened: opening a SQLite one creates it
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
  bool m_dry_run = false;
};

}  // namespace

std::unique_ptr<Command> make_run_command() { return std::make_unique<RunCommand>(); }

}  // namespace d2d::cli
