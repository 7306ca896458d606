// d2d report: the answer per operating period (SPEC §6), read-only, as a table, CSV or JSON.
#include <fmt/format.h>

#include "cli/command.h"
#include "cli/output_text.h"
#include "core/error.h"
#include "core/time.h"
#include "warehouse/warehouse.h"

namespace d2d::cli {
namespace {

// RFC 3339 in UTC with Z; whole seconds without a fraction, as periods usually are.
std::string rfc3339(core::UtcMicros at_us) {
  const std::string text = core::format_utc(at_us);
  return at_us % core::kMicrosPerSecond == 0 ? text.substr(0, 19) + "Z" : text;
}

// --from/--to: a date is the start of that UTC day (--to: of the day after, so the day is
// included); an RFC 3339 time is that instant (--to: excluded).
core::UtcMicros parse_bound(const std::string& flag, const std::string& text, bool upper) {
  if (const auto day = core::parse_date(text)) return (*day + (upper ? 1 : 0)) * core::kMicrosPerDay;
  if (const auto at = core::parse_rfc3339(text)) return *at;
  throw core::Error(core::ErrorKind::Usage,
                    fmt::format("{} '{}' is neither a date (YYYY-MM-DD) nor an RFC 3339 time "
                                "(YYYY-MM-DDTHH:MM:SSZ)",
                                flag, text));
}

class ReportCommand final : public Command {
 public:
  void setup(CLI::App& command, Settings& settings) override {
    command.add_option("--format", m_format, "table, csv or json")
        ->check(CLI::IsMember({"table", "csv", "json"}))
        ->capture_default_str();
    command.add_option("--from", m_from,
                       "only periods starting at or after this: a date YYYY-MM-DD (its UTC midnight) or an "
                       "RFC 3339 time");
    command.add_option("--to", m_to,
                       "only periods starting before this: a date YYYY-MM-DD (that UTC day included) or an "
                       "RFC 3339 time (excluded)");
    command.add_option("--organization", m_organization,
                       "only periods of this organization (operating_period.organization_id, the tenant "
                       "its own event named)");
    add_warehouse_option(command, settings);
  }

  int run(Settings& settings) override {
    warehouse::ReportFilter filter;
    if (!m_from.empty()) filter.start_from_us = parse_bound("--from", m_from, false);
    if (!m_to.empty()) filter.start_before_us = parse_bound("--to", m_to, true);
    if (filter.start_from_us && filter.start_before_us && *filter.start_from_us >= *filter.start_before_us) {
      throw core::Error(
          core::ErrorKind::Usage,
          fmt::format("--from {} is not before --to {}: no period can start in between", m_from, m_to));
    }
    if (!m_organization.empty()) filter.organization_id = m_organization;
    // Read-only: a missing or outdated warehouse is an error naming the command that fixes it,
    // never a new empty database and an empty report.
    warehouse::WarehouseOptions options = warehouse_options(settings);
    options.read_only = true;
    auto warehouse = warehouse::open_warehouse(options);
    const auto answers = warehouse->queries().report(filter);
    if (m_format == "json") {
      print_json(answers);
    } else if (m_format == "csv") {
      print_csv(answers);
    } else {
      print_table(answers);
    }
    return 0;
  }

 private:
  static void print_json(const std::vector<warehouse::PeriodAnswer>& answers) {
    // SPEC §6's keys first and unchanged; start, finish and the gate's mark were added after.
    std::string out = "{\"operating_periods\": [";
    for (std::size_t i = 0; i < answers.size(); ++i) {
      const auto& a = answers[i];
      out += fmt::format(
          "{}{{\"operating_period_id\": {}, \"vehicles\": {}, \"avg_distance_m\": {}, "
          "\"total_distance_m\": {:.6f}, \"start\": \"{}\", \"finish\": \"{}\", \"organization_id\": {}, "
          "\"reject_gate_failed\": {}}}",
          i == 0 ? "" : ", ", json_string(a.operating_period_id), a.vehicles,
          a.avg_distance_m ? fmt::format("{:.6f}", *a.avg_distance_m) : "null", a.total_distance_m,
          rfc3339(a.start_us), rfc3339(a.finish_us),
          a.organization_id ? json_string(*a.organization_id) : "null", a.reject_gate_failed);
    }
    out += "]}\n";
    fmt::print("{}", out);
  }

  static void print_csv(const std::vector<warehouse::PeriodAnswer>& answers) {
    fmt::print(
        "operating_period_id,vehicles,avg_distance_m,total_distance_m,start,finish,organization_id,"
        "reject_gate_failed\n");
    for (const auto& a : answers) {
      fmt::print("{},{},{},{:.6f},{},{},{},{}\n", csv_field(a.operating_period_id), a.vehicles,
                 a.avg_distance_m ? fmt::format("{:.6f}", *a.avg_distance_m) : "", a.total_distance_m,
                 rfc3339(a.start_us), rfc3339(a.finish_us), csv_field(a.organization_id.value_or("")),
                 a.reject_gate_failed);
    }
  }

  static void print_table(const std::vector<warehouse::PeriodAnswer>& answers) {
    std::size_t id_width = std::string_view("operating_period_id").size();
    for (const auto& a : answers) id_width = std::max(id_width, a.operating_period_id.size() + 1);
    fmt::print("{:<{}}  {:<20}  {:<20}  {:>8}  {:>15}  {:>17}\n", "operating_period_id", id_width, "start",
               "finish", "vehicles", "avg_distance_m", "total_distance_m");
    fmt::print("{:-<{}}  {:-<20}  {:-<20}  {:->8}  {:->15}  {:->17}\n", "", id_width, "", "", "", "", "");
    bool any_marked = false;
    for (const auto& a : answers) {
      any_marked = any_marked || a.reject_gate_failed;
      // The mark goes after the id: a period whose data a failed reject gate let in.
      fmt::print("{:<{}}  {:<20}  {:<20}  {:>8}  {:>15}  {:>17.2f}\n",
                 a.operating_period_id + (a.reject_gate_failed ? "!" : ""), id_width,
                 rfc3339(a.start_us).substr(0, 19) + "Z", rfc3339(a.finish_us).substr(0, 19) + "Z",
                 a.vehicles, a.avg_distance_m ? fmt::format("{:.2f}", *a.avg_distance_m) : "-",
                 a.total_distance_m);
    }
    if (answers.empty()) fmt::print("(no operating periods loaded)\n");
    if (any_marked) {
      fmt::print(
          "! some of the period's fixes came from a lake date whose latest run failed its reject gate "
          "(see `d2d status`)\n");
    }
  }

  std::string m_format = "table";
  std::string m_from, m_to, m_organization;
};

}  // namespace

std::unique_ptr<Command> make_report_command() { return std::make_unique<ReportCommand>(); }

}  // namespace d2d::cli
