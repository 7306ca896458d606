#include <fmt/format.h>

#include "cli/command.h"
#include "core/error.h"
#include "warehouse/warehouse.h"

namespace d2d::cli {
namespace {

class MigrateCommand final : public Command {
 public:
  void setup(CLI::App& command, Settings& settings) override {
    command.add_option("action", m_action, "up (default), down or status")
        ->check(CLI::IsMember({"up", "down", "status"}));
    command.add_option("steps", m_steps, "how many migrations `down` rolls back")->check(CLI::PositiveNumber);
    command.add_flag(
        "--yes", m_yes,
        "let `down` drop tables that hold rows (without it, such a `down` lists them and exits 2)");
    add_warehouse_option(command, settings);
    add_settings(command, settings, {"pg_analyst_role"});  // `up` may create the role
  }

  int run(Settings& settings) override {
    auto warehouse = warehouse::open_warehouse(warehouse_options(settings));
    if (m_action == "up") {
      const int applied = warehouse->migrator().migrate_up();
      fmt::print("{} migration(s) applied\n", applied);
    } else if (m_action == "down") {
      if (m_steps <= 0)
        throw core::Error(core::ErrorKind::Usage, "`migrate down N` needs the number of steps N");
      // Destruction asks first (SPEC §6): a rollback that would drop rows needs --yes.
      if (const auto doomed = warehouse->migrator().rows_dropped_by_down(m_steps);
          !doomed.empty() && !m_yes) {
        std::string tables;
        for (const auto& table : doomed) {
          tables += fmt::format("{}{} ({} row{})", tables.empty() ? "" : ", ", table.table, table.rows,
                                table.rows == 1 ? "" : "s");
        }
        throw core::Error(
            core::ErrorKind::Usage,
            fmt::format("`migrate down {}` would drop {} table(s) holding rows: {}; nothing was "
                        "changed: add --yes to drop them",
                        m_steps, doomed.size(), tables));
      }
      const int rolled_back = warehouse->migrator().migrate_down(m_steps);
      fmt::print("{} migration(s) rolled back\n", rolled_back);
    }
    for (const auto& state : warehouse->migrator().migration_status()) {
      fmt::print("{:04d}  {:<24}  {}\n", state.version, state.name,
                 state.applied ? "applied " + state.applied_at : "pending");
    }
    return 0;
  }

 private:
  std::string m_action = "up";
  int m_steps = 0;
  bool m_yes = false;
};

}  // namespace

std::unique_ptr<Command> make_migrate_command() { return std::make_unique<MigrateCommand>(); }

}  // namespace d2d::cli
