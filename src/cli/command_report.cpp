#include <fmt/format.h>

#include "cli/command.h"
#include "warehouse/warehouse.h"

namespace d2d::cli {
namespace {

std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\n\r") == std::string::npos) return text;
  std::string quoted = "\"";
  for (char c : text) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + "\"";
}

std::string json_string(const std::string& text) {
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += fmt::format("\\u{:04x}", static_cast<unsigned>(c));
    } else {
      out += c;
    }
  }
  return out + "\"";
}

class ReportCommand final : public Command {
 public:
  void setup(CLI::App& command, Settings& settings) override {
    command.add_option("--format", m_format, "table, csv or json")
        ->check(CLI::IsMember({"table", "csv", "json"}))
        ->capture_default_str();
    add_warehouse_option(command, settings);
  }

  int run(Settings& settings) override {
    auto warehouse = warehouse::open_warehouse(warehouse_options(settings));
    warehouse->migrate_up();  // a fresh warehouse answers with an empty report, not an error
    const auto answers = warehouse->report();
    if (m_format == "json") {
      print_json(answers);
    } else if (m_format == "csv") {
      fmt::print("operating_period_id,vehicles,avg_distance_m,total_distance_m\n");
      for (const auto& a : answers) {
        fmt::print("{},{},{},{:.6f}\n", csv_field(a.operating_period_id), a.vehicles,
                   a.avg_distance_m ? fmt::format("{:.6f}", *a.avg_distance_m) : "", a.total_distance_m);
      }
    } else {
      print_table(answers);
    }
    return 0;
  }

 private:
  static void print_json(const std::vector<warehouse::PeriodAnswer>& answers) {
    std::string out = "{\"operating_periods\": [";
    for (std::size_t i = 0; i < answers.size(); ++i) {
      const auto& a = answers[i];
      out += fmt::format(
          "{}{{\"operating_period_id\": {}, \"vehicles\": {}, \"avg_distance_m\": {}, "
          "\"total_distance_m\": {:.6f}}}",
          i == 0 ? "" : ", ", json_string(a.operating_period_id), a.vehicles,
          a.avg_distance_m ? fmt::format("{:.6f}", *a.avg_distance_m) : "null", a.total_distance_m);
    }
    out += "]}\n";
    fmt::print("{}", out);
  }

  static void print_table(const std::vector<warehouse::PeriodAnswer>& answers) {
    std::size_t id_width = std::string_view("operating_period_id").size();
    for (const auto& a : answers) id_width = std::max(id_width, a.operating_period_id.size());
    fmt::print("{:<{}}  {:>8}  {:>15}  {:>17}\n", "operating_period_id", id_width, "vehicles",
               "avg_distance_m", "total_distance_m");
    fmt::print("{:-<{}}  {:->8}  {:->15}  {:->17}\n", "", id_width, "", "", "");
    for (const auto& a : answers) {
      fmt::print("{:<{}}  {:>8}  {:>15}  {:>17.2f}\n", a.operating_period_id, id_width, a.vehicles,
                 a.avg_distance_m ? fmt::format("{:.2f}", *a.avg_distance_m) : "-", a.total_distance_m);
    }
    if (answers.empty()) fmt::print("(no operating periods loaded)\n");
  }

  std::string m_format = "table";
};

}  // namespace

std::unique_ptr<Command> make_report_command() { return std::make_unique<ReportCommand>(); }

}  // namespace d2d::cli
