// d2d status: the etl_run ledger (latest run per lake date by default), read-only, as a terminal
// table, CSV or one JSON object.
#include <fmt/format.h>

#include <algorithm>

#include "cli/command.h"
#include "cli/output_text.h"
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
    command
        .add_option("--format", m_format,
                    "table, csv (with a header) or json (one object: {\"runs\": [...]})")
        ->check(CLI::IsMember({"table", "csv", "json"}))
        ->capture_default_str();
    add_warehouse_option(command, settings);
  }

  int run(Settings& settings) override {
    if (!m_date.empty() && !core::parse_date(m_date)) {
      throw core::Error(core::ErrorKind::Usage,
                        fmt::format("--date '{}' is not a date (expected YYYY-MM-DD)", m_date));
    }
    // Read-only: a mistyped path must not create a database (or its folder).
    warehouse::WarehouseOptions options = warehouse_options(settings);
    options.read_only = true;
    auto warehouse = warehouse::open_warehouse(options);
    warehouse::RunFilter filter;
    if (!m_date.empty()) filter.lake_date = m_date;
    filter.latest_per_date = !m_all;
    const auto runs = warehouse->ledger().runs(filter);
    if (m_format == "json") {
      print_json(runs);
    } else if (m_format == "csv") {
      print_csv(runs);
    } else {
      print_table(runs);
    }
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

  // Every column of etl_run that RunRecord holds, in one order for CSV and JSON; figures are
  // empty (CSV) or null (JSON) for a run that loaded nothing.
  static std::vector<std::pair<std::string, std::string>> fields(const warehouse::RunRecord& run, bool json) {
    const std::string null = json ? "null" : "";
    auto text = [json](const std::string& value) { return json ? json_string(value) : csv_field(value); };
    auto time = [&](const std::optional<core::UtcMicros>& at_us) {
      return at_us ? text(core::format_utc(*at_us)) : null;
    };
    std::vector<std::pair<std::string, std::string>> row = {
        {"run_id", std::to_string(run.run_id)},
        {"lake_date", text(run.lake_date)},
        {"status", text(run.status)},
        {"started_at", time(run.started_at_us)},
        {"finished_at", time(run.finished_at_us)},
        {"unchanged", run.unchanged ? "true" : "false"},
        {"objects_refused", std::to_string(run.objects_refused)},
        // The phase a running run is in, or the one a failed run failed in.
        {"phase", run.phase ? text(std::string(warehouse::run_phase_name(*run.phase))) : null},
    };
    const auto* f = run.figures ? &*run.figures : nullptr;
    auto number = [&](auto value) { return f != nullptr ? std::to_string(value) : null; };
    row.emplace_back("extract_ms", number(f ? f->extract_ms : 0));
    row.emplace_back("transform_ms", number(f ? f->transform_ms : 0));
    row.emplace_back("load_ms", number(f ? f->load_ms : 0));
    row.emplace_back("derive_ms", number(f ? f->derive_ms : 0));
    row.emplace_back("objects", number(f ? f->objects : 0));
    row.emplace_back("objects_copied", number(f ? f->objects_copied : 0));
    row.emplace_back("bytes", number(f ? f->bytes : 0));
    row.emplace_back("events_read", number(f ? f->events_read : 0));
    row.emplace_back("events_rejected", number(f ? f->events_rejected : 0));
    row.emplace_back("rows_loaded", number(f ? f->rows_loaded : 0));
    row.emplace_back("periods_derived", number(f ? f->periods_derived : 0));
    // full or incremental (SPEC §8); null for runs that loaded nothing and runs before the column.
    row.emplace_back("load_mode", f != nullptr && f->load_mode
                                      ? text(std::string(warehouse::load_mode_name(*f->load_mode)))
                                      : null);
    row.emplace_back("objects_loaded", number(f ? f->objects_loaded : 0));
    row.emplace_back("code_version", text(run.code_version));
    row.emplace_back("error", run.error ? text(*run.error) : null);
    return row;
  }

  static void print_csv(const std::vector<warehouse::RunRecord>& runs) {
    std::string header;
    for (const auto& [name, value] : fields(warehouse::RunRecord{}, false))
      header += (header.empty() ? "" : ",") + name;
    fmt::print("{}\n", header);
    for (const auto& run : runs) {
      std::string line;
      bool first = true;
      for (const auto& [name, value] : fields(run, false)) {
        line += (first ? "" : ",") + value;
        first = false;
      }
      fmt::print("{}\n", line);
    }
  }

  static void print_json(const std::vector<warehouse::RunRecord>& runs) {
    std::string out = "{\"runs\": [";
    for (std::size_t i = 0; i < runs.size(); ++i) {
      out += i == 0 ? "{" : ", {";
      bool first = true;
      for (const auto& [name, value] : fields(runs[i], true)) {
        out += fmt::format("{}\"{}\": {}", first ? "" : ", ", name, value);
        first = false;
      }
      out += "}";
    }
    fmt::print("{}]}}\n", out);
  }

  bool m_all = false;
  std::string m_date;
  std::string m_format = "table";
};

}  // namespace

std::unique_ptr<Command> make_status_command() { return std::make_unique<StatusCommand>(); }

}  // namespace d2d::cli
