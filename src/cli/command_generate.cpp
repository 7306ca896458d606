#include <fmt/format.h>

#include "cli/command.h"
#include "core/error.h"
#include "core/time.h"
#include "generate/fleet_simulator.h"

namespace d2d::cli {
namespace {

class GenerateCommand final : public Command {
 public:
  void setup(CLI::App& command, Settings& /*settings*/) override {
    command.add_option("--out", m_out, "folder to write the lake files into")->required();
    command.add_option("--date", m_date, "first lake date, YYYY-MM-DD")->required();
    command
        .add_option("--days", m_options.days,
                    "number of operating days (the writers' lag puts a few late events into the lake date "
                    "after the last)")
        ->capture_default_str();
    command.add_option("--vehicles", m_options.vehicles, "fleet size")->capture_default_str();
    command.add_option("--interval-s", m_options.interval_s, "seconds between two GPS fixes")
        ->capture_default_str();
    command.add_option("--layout", m_layout, "key layout: nested or flat")
        ->check(CLI::IsMember({"nested", "flat"}))
        ->capture_default_str();
    command.add_flag("--gzip", m_options.gzip, "gzip every file (.gz)");
    command.add_flag("--breaks", m_options.breaks, "drivers take breaks (break_start / break_end events)");
    command.add_option("--bad-ratio", m_options.bad_ratio, "share of malformed lines, 0..1")
        ->capture_default_str();
    command
        .add_option("--conflict-ratio", m_options.conflict_ratio,
                    "share of GPS fixes sent again in a conflicting version (same vehicle and fix time, "
                    "another position; a third with the same event time), 0..1")
        ->capture_default_str();
    command.add_option("--seed", m_options.seed, "random seed: same seed, same bytes")->capture_default_str();
    command.add_option("--file-seconds", m_options.file_seconds, "writer seconds covered by one file")
        ->capture_default_str();
  }

  int run(Settings& /*settings*/) override {
    const auto day = core::parse_date(m_date);
    if (!day)
      throw core::Error(core::ErrorKind::Usage,
                        fmt::format("--date '{}' is not a date (expected YYYY-MM-DD)", m_date));
    m_options.first_day = *day;
    m_options.out_dir = m_out;
    m_options.layout = m_layout == "flat" ? generate::KeyLayout::Flat : generate::KeyLayout::Nested;
    const auto summary = generate::generate_fleet(m_options);
    fmt::print(
        "generated {} files in {}: {} events ({} duplicates, {} late), {} malformed lines, {:.1f} MB\n",
        summary.files, m_out, summary.events, summary.duplicates, summary.late_events, summary.bad_lines,
        static_cast<double>(summary.bytes) / 1e6);
    return 0;
  }

 private:
  generate::GenerateOptions m_options;
  std::string m_out, m_date, m_layout = "nested";
};

}  // namespace

std::unique_ptr<Command> make_generate_command() { return std::make_unique<GenerateCommand>(); }

}  // namespace d2d::cli
