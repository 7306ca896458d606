#include "cli/completion.h"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

#include "cli/settings.h"

namespace d2d::cli {
namespace {

std::vector<const CLI::App*> subcommands_of(const CLI::App& app) {
  return app.get_subcommands([](const CLI::App*) { return true; });
}

std::vector<std::string> long_options(const CLI::App& app) {
  std::vector<std::string> names;
  for (const CLI::Option* option : app.get_options()) {
    for (const std::string& name : option->get_lnames()) names.push_back("--" + name);
  }
  return names;
}

// The nearest candidate, or "" when none is close: one edit for short words, two for longer ones.
std::string nearest(std::string_view word, const std::vector<std::string>& candidates) {
  std::string best;
  std::size_t best_distance = 3;
  for (const std::string& candidate : candidates) {
    const std::size_t length = candidate.size() - (candidate.starts_with("--") ? 2 : 0);
    const std::size_t allowed = length >= 5 ? 2 : 1;
    const std::size_t distance = edit_distance(word, candidate);
    if (distance <= allowed && distance < best_distance) {
      best = candidate;
      best_distance = distance;
    }
  }
  return best;
}

}  // namespace

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.size()][b.size()];
}

std::string did_you_mean(const CLI::App& app, int argc, const char* const* argv) {
  const CLI::App* command = nullptr;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--") break;
    if (arg.starts_with("--")) {
      const std::string name(arg.substr(0, arg.find('=')));
      const CLI::Option* option = command != nullptr ? command->get_option_no_throw(name) : nullptr;
      if (option == nullptr) option = app.get_option_no_throw(name);
      if (option == nullptr) {
        std::vector<std::string> candidates =
            command != nullptr ? long_options(*command) : std::vector<std::string>{};
        const std::vector<std::string> global = long_options(app);
        candidates.insert(candidates.end(), global.begin(), global.end());
        const std::string best = nearest(name, candidates);
        if (best.empty()) return "";
        return fmt::format("unknown option `{}`{}; did you mean `{}`?", name,
                           command != nullptr ? fmt::format(" for `{}`", command->get_name()) : "", best);
      }
      // An option's value is not a command: skip it (unless given as --name=value).
      if (option->get_type_size() > 0 && arg.find('=') == std::string_view::npos) ++i;
    } else if (arg.starts_with("-")) {
      continue;  // -q, -v: nothing short enough to suggest against
    } else if (command == nullptr) {
      std::vector<std::string> names;
      for (const CLI::App* sub : subcommands_of(app)) {
        if (sub->get_name() == arg) command = sub;
        names.push_back(sub->get_name());
      }
      if (command != nullptr) continue;
      const std::string best = nearest(arg, names);
      return best.empty() ? "" : fmt::format("unknown command `{}`; did you mean `{}`?", arg, best);
    }
  }
  return "";
}

std::string completion_script(const CLI::App& app, const std::string& shell) {
  std::vector<std::string> names;
  for (const CLI::App* sub : subcommands_of(app)) names.push_back(sub->get_name());
  const std::vector<std::string> global = long_options(app);
  // Values worth completing after an option: the choices in the table of settings.
  std::vector<std::pair<std::string, std::string>> choices;
  for (const SettingInfo& info : setting_infos()) {
    if (info.choices.empty()) continue;
    choices.emplace_back(long_name(info.flag), fmt::format("{}", fmt::join(info.choices, " ")));
  }
  choices.emplace_back("completion", "bash zsh");

  std::string out;
  if (shell == "bash") {
    out +=
        "# d2d completion for bash: eval \"$(d2d completion bash)\", or save it in\n"
        "# /etc/bash_completion.d/d2d\n"
        "_d2d() {\n"
        "  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]} command='' words='' i\n"
        "  case $prev in\n";
    for (const auto& [option, values] : choices)
      out += fmt::format("    {}) words='{}' ;;\n", option, values);
    out +=
        "  esac\n"
        "  if [[ -z $words ]]; then\n"
        "    for ((i = 1; i < COMP_CWORD; i++)); do\n"
        "      case ${COMP_WORDS[i]} in\n"
        "        " +
        fmt::format("{}", fmt::join(names, "|")) +
        ") command=${COMP_WORDS[i]}; break ;;\n"
        "      esac\n"
        "    done\n"
        "    case $command in\n";
    for (const CLI::App* sub : subcommands_of(app)) {
      out += fmt::format("      {}) words='{}' ;;\n", sub->get_name(), fmt::join(long_options(*sub), " "));
    }
    out += fmt::format("      *) words='{}' ;;\n", fmt::join(names, " "));
    out += "    esac\n";
    out += fmt::format("    [[ $cur == -* ]] && words=\"$words {}\"\n", fmt::join(global, " "));
    out +=
        "  fi\n"
        "  COMPREPLY=($(compgen -W \"$words\" -- \"$cur\"))\n"
        "}\n"
        "complete -F _d2d d2d\n";
    return out;
  }
  // zsh: the same words through compadd; the command is the first word that names one.
  out +=
      "#compdef d2d\n"
      "# d2d completion for zsh: eval \"$(d2d completion zsh)\", or save it as _d2d in $fpath\n"
      "_d2d() {\n"
      "  local command='' word\n"
      "  local -a values\n"
      "  case ${words[CURRENT-1]} in\n";
  for (const auto& [option, values] : choices) out += fmt::format("    {}) values=({}) ;;\n", option, values);
  out +=
      "  esac\n"
      "  if (( ${#values} )); then compadd -- $values; return; fi\n"
      "  for word in ${words[2,CURRENT-1]}; do\n"
      "    case $word in\n"
      "      " +
      fmt::format("{}", fmt::join(names, "|")) +
      ") command=$word; break ;;\n"
      "    esac\n"
      "  done\n"
      "  case $command in\n";
  for (const CLI::App* sub : subcommands_of(app)) {
    out += fmt::format("    {}) values=({}) ;;\n", sub->get_name(), fmt::join(long_options(*sub), " "));
  }
  out += fmt::format("    *) values=({}) ;;\n", fmt::join(names, " "));
  out += "  esac\n";
  out += fmt::format("  [[ $PREFIX == -* ]] && values+=({})\n", fmt::join(global, " "));
  out +=
      "  compadd -- $values\n"
      "}\n"
      "compdef _d2d d2d\n";
  return out;
}

}  // namespace d2d::cli
