// d2d status: the etl_run ledger as a terminal table (latest run per lake date by default).
#include <fmt/format.h>

#include <algorithm>

#include "cli/command.h"
#include "core/error.h"
#include "warehouse/warehouse.h"

namespace d2d::cli {
namespace {

std::string duration(std::int64_t ms) {
  return ms < 10'000 ? fmt::format("{} ms", ms) : fmt::format("{:.1f} s", static_cast<double>(ms) / 1000.0);
}

class StatusCommand final : public Command {
 public:
  void setup(CLI::App& command, Settings& settings) override {
    command.add_flag("--all", m_all, "every run, not only the latest of each lake date");
    command.add_option("--date", m_date, "only this lake date, YYYY-MM-DD");
    add_warehouse_option(command, settings);
  }

  int run(Settings& settings) override {
    if (!m_date.empty() && !core::parse_date(m_date)) {
      throw core::Error(core::ErrorKind::Usage,
                        fmt::format("--date '{}' is not a date (expected YYYY-MM-DD)", m_date));
    }
    auto warehouse = warehouse::open_warehouse(warehouse_options(settings));
    warehouse->migrate_up();  // a fresh warehouse has an empty ledger
    warehouse::RunFilter filter;
    if (!m_date.empty()) filter.lake_date = m_date;
    filter.latest_per_date = !m_all;
    print_table(warehouse->runs(filter));
    return 0;
  }

 private:
  static void print_table(const std::vector<warehouse::RunRecord>& runs) {
    std::vector<std::vector<std::string>> rows;
    rows.push_back({"lake_date", "run", "status", "phase", "started_at", "extract", "transform", "load",
                    "derive", "objects", "refused", "events", "rejected", "rows", "error"});
    for (const auto& run : runs) {
      // The phase a running run is in, or the one a failed run failed in.
      const std::string phase = run.phase ? std::string(warehouse::run_phase_name(*run.phase)) : "-";
      std::vector<std::string> row = {run.lake_date, std::to_string(run.run_id), run.status, phase,
                                      core::format_utc(run.started_at_us).substr(0, 19) + "Z"};
      if (run.figures) {
        const auto& f = *run.figures;
        for (const std::int64_t ms : {f.extract_ms, f.transform_ms, f.load_ms, f.derive_ms})
          row.push_back(duration(ms));
        for (const std::uint64_t n :
             {f.objects, run.objects_refused, f.events_read, f.events_rejected, f.rows_loaded})
          row.push_back(std::to_string(n));
      } else {
        row.insert(row.end(), 5, "-");
        row.push_back(std::to_string(run.objects_refused));  // known even when nothing was loaded
        row.insert(row.end(), 3, "-");
      }
      std::string error = run.unchanged ? "(unchanged: nothing to do)" : run.error.value_or("");
      std::replace(error.begin(), error.end(), '\n', ' ');
      row.push_back(error);
      rows.push_back(std::move(row));
    }
    std::vector<std::size_t> widths(rows.front().size(), 0);
    for (const auto& row : rows) {
      for (std::size_t i = 0; i + 1 < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
    }
    for (std::size_t r = 0; r < rows.size(); ++r) {
      std::string line;
      for (std::size_t i = 0; i < rows[r].size(); ++i) {
        const bool numeric = i == 1 || (i >= 5 && i + 1 < rows[r].size());
        if (i + 1 == rows[r].size()) {
          line += rows[r][i];
        } else {
          line += numeric ? fmt::format("{:>{}}  ", rows[r][i], widths[i])
                          : fmt::format("{:<{}}  ", rows[r][i], widths[i]);
        }
      }
      while (!line.empty() && line.back() == ' ') line.pop_back();
      fmt::print("{}\n", line);
      if (r == 0) {
        std::string rule;
        for (std::size_t i = 0; i + 1 < widths.size(); ++i) rule += std::string(widths[i], '-') + "  ";
        fmt::print("{}-----\n", rule);
      }
    }
    if (runs.empty()) fmt::print("(the ledger is empty: no lake date has run yet)\n");
  }

  bool m_all = false;
  std::string m_date;
};

}  // namespace

std::unique_ptr<Command> make_status_command() { return std::make_unique<StatusCommand>(); }

}  // namespace d2d::cli
