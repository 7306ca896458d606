// d2d config: the effective value of every setting and where it came from (flag, environment,
// file, default), secrets masked; --format markdown prints the README's table of settings.
#include <fmt/format.h>

#include <algorithm>

#include "cli/command.h"
#include "core/json_text.h"

namespace d2d::cli {
namespace {

std::string origin_text(const Settings& settings, const SettingInfo& info) {
  const auto found = settings.origins.find(info.key);
  if (found == settings.origins.end()) return "default";
  switch (found->second) {
    case Origin::Flag: return fmt::format("flag {}", long_name(info.flag));
    case Origin::Env: return fmt::format("env {}", info.env);
    case Origin::File: return fmt::format("file {}", settings.config_file_read);
    case Origin::Default: break;
  }
  return "default";
}

std::string markdown_cell(std::string text) {
  std::string out;
  for (const char c : text) {
    if (c == '|') out += '\\';
    out += c;
  }
  return out;
}

class ConfigCommand final : public Command {
 public:
  void setup(CLI::App& command, Settings& settings) override {
    command.add_option("--format", m_format, "table, json, or markdown (the README's table of settings)")
        ->check(CLI::IsMember({"table", "json", "markdown"}))
        ->capture_default_str();
    add_all_settings(command, settings);
  }

  int run(Settings& settings) override {
    if (m_format == "markdown") {
      print_markdown();
    } else if (m_format == "json") {
      std::string out = "{\"settings\": [";
      bool first = true;
      for (const SettingInfo& info : setting_infos()) {
        out += first ? "\n  {\"key\": " : ",\n  {\"key\": ";
        first = false;
        core::append_json_string_lossy(out, info.key);
        out += ", \"value\": ";
        core::append_json_string_lossy(out, setting_text(settings, info.key));
        out += ", \"origin\": ";
        core::append_json_string_lossy(out, origin_text(settings, info));
        out += "}";
      }
      out += "\n]}\n";
      fmt::print("{}", out);
    } else {
      std::size_t key_width = 7, value_width = 5;
      for (const SettingInfo& info : setting_infos()) {
        key_width = std::max(key_width, info.key.size());
        value_width = std::max(value_width, setting_text(settings, info.key).size());
      }
      fmt::print("{:<{}}  {:<{}}  {}\n", "setting", key_width, "value", value_width, "from");
      fmt::print("{:-<{}}  {:-<{}}  {:-<7}\n", "", key_width, "", value_width, "");
      for (const SettingInfo& info : setting_infos()) {
        const std::string value = setting_text(settings, info.key);
        fmt::print("{:<{}}  {:<{}}  {}\n", info.key, key_width, value.empty() ? "-" : value, value_width,
                   origin_text(settings, info));
      }
    }
    return 0;
  }

 private:
  // The README's table, made from the table of settings (a test keeps the README equal to it).
  static void print_markdown() {
    const Settings defaults;
    fmt::print("| d2d.toml | flag | environment | default | meaning |\n|---|---|---|---|---|\n");
    for (const SettingInfo& info : setting_infos()) {
      const std::string fallback = setting_text(defaults, info.key, false);
      std::string meaning(info.help);
      if (const auto bounds = range_bounds(info))
        meaning += fmt::format(" (from {} to {})", bounds->first, bounds->second);
      if (!info.choices.empty()) meaning += fmt::format(" ({})", fmt::join(info.choices, ", "));
      if (info.secret != Secret::No) meaning += "; shown masked";
      fmt::print("| {} | {} | `{}` | {} | {} |\n", info.in_file ? fmt::format("`{}`", info.key) : "-",
                 info.flag.empty() ? "-" : fmt::format("`{}`", info.flag), info.env,
                 fallback.empty() ? "-" : fmt::format("`{}`", fallback), markdown_cell(meaning));
    }
  }

  std::string m_format = "table";
};

}  // namespace

std::unique_ptr<Command> make_config_command() { return std::make_unique<ConfigCommand>(); }

}  // namespace d2d::cli
