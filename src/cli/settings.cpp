#include "cli/settings.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <toml++/toml.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <stdexcept>
#include <type_traits>
#include <utility>
#include <variant>

#include "cli/settings_table.h"
#include "core/error.h"
#include "warehouse/postgres/pg_mask.h"
#include "warehouse/postgres/sql_text.h"

namespace d2d::cli {
using core::Error;
using core::ErrorKind;

namespace {

template <typename T>
constexpr bool kWhole = std::is_integral_v<T> && !std::is_same_v<T, bool>;

// As messages show it: "1 to 64" for whole numbers, "[0, 1]" for others.
std::string range_text(const SettingInfo& info) {
  const auto bounds = range_bounds(info);
  if (!bounds) return "";
  return info.whole ? fmt::format("{} to {}", bounds->first, bounds->second)
                    : fmt::format("[{}, {}]", bounds->first, bounds->second);
}

// Checks a value already of the member's type; "" when it is fine, else what it must be.
template <typename T>
std::string problem(const SettingInfo& info, const T& value) {
  if constexpr (std::is_same_v<T, std::string>) {
    if (!info.choices.empty() &&
        std::find(info.choices.begin(), info.choices.end(), value) == info.choices.end())
      return fmt::format("must be one of {}", fmt::join(info.choices, ", "));
  } else if constexpr (kWhole<T> || std::is_floating_point_v<T>) {
    const auto number = static_cast<double>(value);
    // Written so that NaN (which `nan` in a file or the environment parses to) is out of range.
    if (info.range && !(number >= info.range->first && number <= info.range->second)) {
      return kWhole<T> ? "must be a whole number from " + range_text(info)
                       : "must be a number in " + range_text(info);
    }
  }
  return "";
}

template <typename T>
std::string type_words(const SettingInfo& info) {
  if constexpr (std::is_same_v<T, std::string>) {
    return info.choices.empty() ? "must be a string"
                                : fmt::format("must be one of {}", fmt::join(info.choices, ", "));
  } else if constexpr (std::is_same_v<T, bool>) {
    return "must be true or false";
  } else if constexpr (kWhole<T>) {
    return info.range ? "must be a whole number from " + range_text(info) : "must be a whole number";
  } else {
    return info.range ? "must be a number in " + range_text(info) : "must be a number";
  }
}

// An environment variable's text as T, the way CLI11 reads the flag's text; nullopt if it is not.
template <typename T>
std::optional<T> from_text(const std::string& text) {
  if constexpr (std::is_same_v<T, std::string>) {
    return text;
  } else if constexpr (std::is_same_v<T, bool>) {
    std::string lower = text;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    if (lower == "1" || lower == "true" || lower == "yes" || lower == "on") return true;
    if (lower == "0" || lower == "false" || lower == "no" || lower == "off") return false;
    return std::nullopt;
  } else if constexpr (kWhole<T>) {
    T value{};
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return value;
  } else {
    char* end = nullptr;
    const double value = std::strtod(text.c_str(), &end);
    if (text.empty() || end != text.c_str() + text.size()) return std::nullopt;
    return value;
  }
}

template <typename T>
std::optional<T> from_toml(const toml::node& node) {
  if constexpr (std::is_same_v<T, std::string>) {
    return node.value<std::string>();
  } else if constexpr (std::is_same_v<T, bool>) {
    return node.value<bool>();
  } else if constexpr (kWhole<T>) {
    if (!node.is_integer()) return std::nullopt;
    const std::int64_t number = *node.value<std::int64_t>();
    // Out of T's range is not a T: a cast would wrap it (2^32 + 80 into 80) before the range check.
    if (std::cmp_less(number, std::numeric_limits<T>::min()) ||
        std::cmp_greater(number, std::numeric_limits<T>::max()))
      return std::nullopt;
    return static_cast<T>(number);  // the range check that follows bounds it
  } else {
    if (!node.is_number()) return std::nullopt;
    return node.value<double>();
  }
}

template <typename T>
std::string to_text(const T& value) {
  if constexpr (std::is_same_v<T, std::string>) {
    return value;
  } else if constexpr (std::is_same_v<T, bool>) {
    return value ? "true" : "false";
  } else {
    return fmt::format("{}", value);
  }
}

std::string help_of(const SettingInfo& info) {
  std::string text(info.help);
  text += fmt::format(" [env {}", info.env);
  if (info.in_file) text += fmt::format(", d2d.toml `{}`", info.key);
  return text + "]";
}

void add_row(CLI::App& command, Settings& settings, const Row& r) {
  if (r.info.flag.empty()) return;  // environment only
  std::visit(
      [&](auto member) {
        using T = std::remove_reference_t<decltype(settings.*member)>;
        auto& target = settings.*member;
        CLI::Option* option = nullptr;
        if constexpr (std::is_same_v<T, bool>) {
          option = command.add_flag(std::string(r.info.flag), target, help_of(r.info));
        } else {
          option = command.add_option(std::string(r.info.flag), target, help_of(r.info));
          if (!(settings.*member == T{})) option->capture_default_str();
          if constexpr (kWhole<T> || std::is_floating_point_v<T>) {
            if (r.info.range)
              option->check(
                  CLI::Range(static_cast<T>(r.info.range->first), static_cast<T>(r.info.range->second)));
          } else {
            if (!r.info.choices.empty())
              option->check(
                  CLI::IsMember(std::vector<std::string>(r.info.choices.begin(), r.info.choices.end())));
          }
        }
      },
      r.member);
}

// Sets the member from text or TOML, or throws a usage error naming `where`.
template <typename Parse>
void assign(Settings& settings, const Row& r, const std::string& where, Parse parse, bool store) {
  std::visit(
      [&](auto member) {
        using T = std::remove_reference_t<decltype(settings.*member)>;
        const std::optional<T> value = parse.template operator()<T>();
        if (!value) throw Error(ErrorKind::Usage, fmt::format("{} {}", where, type_words<T>(r.info)));
        if (const std::string bad = problem(r.info, *value); !bad.empty())
          throw Error(ErrorKind::Usage, fmt::format("{} {}", where, bad));
        if (store) settings.*member = *value;
      },
      r.member);
}

}  // namespace

std::string long_name(std::string_view flag) {
  const auto comma = flag.rfind(',');
  return std::string(comma == std::string_view::npos ? flag : flag.substr(comma + 1));
}

std::optional<std::pair<std::string, std::string>> range_bounds(const SettingInfo& info) {
  if (!info.range) return std::nullopt;
  if (info.whole) {
    return std::pair{fmt::format("{}", static_cast<std::int64_t>(info.range->first)),
                     fmt::format("{}", static_cast<std::int64_t>(info.range->second))};
  }
  return std::pair{fmt::format("{}", info.range->first), fmt::format("{}", info.range->second)};
}

const std::vector<SettingInfo>& setting_infos() {
  static const std::vector<SettingInfo> infos = [] {
    std::vector<SettingInfo> out;
    for (const Row& r : rows()) out.push_back(r.info);
    return out;
  }();
  return infos;
}

std::string setting_text(const Settings& settings, std::string_view key, bool masked) {
  const Row& r = find_row(key);
  std::string text = std::visit([&](auto member) { return to_text(settings.*member); }, r.member);
  if (!masked || text.empty()) return text;
  if (r.info.secret == Secret::Whole) return "***";
  // A SQLite path holds no secret; a PostgreSQL URI or key=value string may hold a password.
  if (r.info.secret == Secret::Uri && (text.starts_with("postgres") || text.find('=') != std::string::npos))
    return warehouse::pg::mask_uri(text);
  return text;
}

std::string setting_source(const Settings& settings, std::string_view key) {
  const Row& r = find_row(key);
  const auto origin = settings.origins.find(key);
  const Origin from = origin == settings.origins.end() ? Origin::Default : origin->second;
  if (from == Origin::Env) return std::string(r.info.env);
  if (from == Origin::File) return fmt::format("{} in {}", key, settings.config_file_read);
  return long_name(r.info.flag);
}

void add_settings(CLI::App& command, Settings& settings, std::initializer_list<std::string_view> keys) {
  for (const std::string_view key : keys) add_row(command, settings, find_row(key));
}

void add_global_settings(CLI::App& app, Settings& settings) {
  add_settings(app, settings, {"config", "log_level", "log_format", "quiet", "verbose"});
}

void add_all_settings(CLI::App& command, Settings& settings) {
  static const std::vector<std::string_view> globals = {"config", "log_level", "log_format", "quiet",
                                                        "verbose"};
  for (const Row& r : rows()) {
    if (std::find(globals.begin(), globals.end(), r.info.key) == globals.end()) add_row(command, settings, r);
  }
}

void resolve_settings(const CLI::App& app, const CLI::App& command, Settings& settings) {
  // A setting is used when `d2d` or this command declares its flag; environment-only ones always.
  auto option_of = [&](const Row& r) -> const CLI::Option* {
    const std::string name = long_name(r.info.flag);
    if (const CLI::Option* own = command.get_option_no_throw(name)) return own;
    return app.get_option_no_throw(name);
  };
  std::vector<const Row*> used;
  for (const Row& r : rows()) {
    const CLI::Option* option = r.info.flag.empty() ? nullptr : option_of(r);
    if (!r.info.flag.empty() && option == nullptr) continue;
    used.push_back(&r);
    if (option != nullptr && option->count() > 0) {
      settings.origins[std::string(r.info.key)] = Origin::Flag;
      continue;
    }
    const char* env = std::getenv(std::string(r.info.env).c_str());
    if (env == nullptr || *env == '\0') continue;  // an empty variable is unset, as for CLI11
    const std::string text = env;
    assign(
        settings, r, fmt::format("{}={}:", r.info.env, r.info.secret == Secret::No ? text : "***"),
        [&]<typename T>() { return from_text<T>(text); }, true);
    settings.origins[std::string(r.info.key)] = Origin::Env;
  }

  std::string path = settings.config_file;
  if (path.empty()) {
    if (!std::filesystem::exists("d2d.toml")) return;
    path = "d2d.toml";
  }
  toml::table table;
  try {
    table = toml::parse_file(path);
  } catch (const toml::parse_error& error) {
    throw Error(ErrorKind::Usage, fmt::format("config file {}: {} (line {})", path, error.description(),
                                              error.source().begin.line));
  }
  settings.config_file_read = path;
  for (const auto& [name, node] : table) {
    const auto r = std::find_if(rows().begin(), rows().end(), [&](const Row& candidate) {
      return candidate.info.in_file && candidate.info.key == name.str();
    });
    if (r == rows().end()) {
      std::vector<std::string_view> known;
      for (const Row& candidate : rows()) {
        if (candidate.info.in_file) known.push_back(candidate.info.key);
      }
      throw Error(ErrorKind::Usage, fmt::format("config file {}: unknown key `{}` (known: {})", path,
                                                name.str(), fmt::join(known, ", ")));
    }
    // Checked even when a flag or the environment wins, or the command does not read it: the file
    // is shared by every command, and a bad value in it should not wait for the one that reads it.
    const bool store =
        std::find(used.begin(), used.end(), &*r) != used.end() && !settings.origins.contains(r->info.key);
    assign(
        settings, *r, fmt::format("config file {}: `{}`", path, r->info.key),
        [&]<typename T>() { return from_toml<T>(node); }, store);
    if (store) settings.origins[std::string(r->info.key)] = Origin::File;
  }
}

void add_source_option(CLI::App& command, Settings& settings) { add_settings(command, settings, {"source"}); }
void add_lake_option(CLI::App& command, Settings& settings) { add_settings(command, settings, {"lake"}); }
void add_warehouse_option(CLI::App& command, Settings& settings) {
  add_settings(command, settings, {"warehouse", "pg_schema"});
}
void add_reject_ratio_option(CLI::App& command, Settings& settings) {
  add_settings(command, settings, {"max_reject_ratio"});
}
// SPEC §3's configurable limits on what one line may be.
void add_input_limit_options(CLI::App& command, Settings& settings) {
  add_settings(command, settings, {"max_line_bytes", "max_period_days"});
}
void add_s3_options(CLI::App& command, Settings& settings) {
  add_settings(command, settings,
               {"s3_endpoint", "s3_region", "s3_addressing", "s3_anonymous", "s3_parallel", "s3_attempts",
                "s3_stall_timeout_s"});
}

void add_lake_date_run_options(CLI::App& command, Settings& settings) {
  add_settings(command, settings, {"attempts", "allow_empty", "force"});
  add_source_option(command, settings);
  add_lake_option(command, settings);
  add_warehouse_option(command, settings);
  // Loads take the lake date's lock (--no-wait); run and backfill migrate first (--pg-analyst-role).
  add_settings(command, settings, {"no_wait", "pg_analyst_role"});
  add_reject_ratio_option(command, settings);
  add_input_limit_options(command, settings);
  add_s3_options(command, settings);
}

pipeline::RunOptions run_options(const Settings& settings) {
  if (settings.source.empty()) throw Error(ErrorKind::Usage, "no source given (--source or D2D_SOURCE)");
  pipeline::RunOptions options;
  options.source_uri = settings.source;
  options.lake_uri = settings.lake;
  options.max_reject_ratio = settings.max_reject_ratio;
  options.allow_empty = settings.allow_empty;
  options.attempts = settings.attempts;
  options.force = settings.force;
  options.max_line_bytes = settings.max_line_bytes;
  options.max_period_days = settings.max_period_days;
  options.s3 = s3_options(settings);
  return options;
}

warehouse::WarehouseOptions warehouse_options(const Settings& settings) {
  warehouse::WarehouseOptions options;
  options.uri = settings.warehouse;
  // Whichever of flag, D2D_PG_SCHEMA or d2d.toml gave it, and whatever the engine: a name that
  // could reach SQL is checked before any command connects.
  warehouse::check_pg_schema(settings.pg_schema);
  options.pg_schema = settings.pg_schema;
  options.wait_for_lock = !settings.no_wait;
  options.pg_analyst_role = settings.pg_analyst_role;
  return options;
}

s3::ClientOptions s3_options(const Settings& settings) {
  s3::ClientOptions options;
  options.endpoint = settings.s3_endpoint;
  options.region = settings.s3_region;
  options.addressing = s3::parse_addressing(settings.s3_addressing);
  options.anonymous = settings.s3_anonymous;
  options.parallel = settings.s3_parallel;
  options.attempts = settings.s3_attempts;
  options.stall_timeout_s = settings.s3_stall_timeout_s;
  options.on_retry = [](const std::string& message) { spdlog::warn("{}", message); };
  options.on_info = [](const std::string& message) { spdlog::info("{}", message); };
  options.on_debug = [](const std::string& message) { spdlog::debug("{}", message); };
  return options;
}

}  // namespace d2d::cli
