// Help for a mistyped command line, and shell completion: both read the commands and options
// from the CLI11 tree main() built, so a new command or setting is completed and suggested
// without a second list.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

namespace d2d::cli {

// After a failed parse of argv: "unknown command `rnu`; did you mean `run`?" or "unknown option
// `--dat` for `run`; did you mean `--date`?" when a word is close to a command or to an option of
// the command (or of d2d itself); "" when nothing is close enough to suggest.
std::string did_you_mean(const CLI::App& app, int argc, const char* const* argv);

// Optimal string alignment distance: insertions, deletions, substitutions and swaps of two
// neighbours (`rnu` is one swap from `run`).
std::size_t edit_distance(std::string_view a, std::string_view b);

// A completion script for "bash" or "zsh": the subcommands, each one's options and d2d's own.
std::string completion_script(const CLI::App& app, const std::string& shell);

}  // namespace d2d::cli
