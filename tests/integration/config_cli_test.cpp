// Issue 15, items 5 and 7: one table of settings behind flags, D2D_* variables, d2d.toml, --help
// and `d2d config`; a command line that suggests what was meant; shell completion.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <fstream>
#include <sstream>

#include "harness.h"

namespace d2d::testing {
namespace {
namespace fs = std::filesystem;

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// The line of `d2d config` (table) for one setting.
std::string config_line(const std::string& out, const std::string& key) {
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with(key + " ")) return line;
  }
  return "";
}

class ConfigCli : public ::testing::Test {
 protected:
  TempDir m_dir;
  fs::path m_toml = m_dir / "d2d.toml";
};

TEST_F(ConfigCli, EachSettingSaysWhereItCameFrom) {
  write_text(m_toml, "lake = \"/from/the/file\"\njobs = 4\nwarehouse = \"/file/w.db\"\n");
  setenv("D2D_WAREHOUSE", "/env/w.db", 1);
  setenv("D2D_S3_PARALLEL", "12", 1);
  auto result = run_d2d({"--config", m_toml.string(), "config", "--source", "/flag/events"});
  unsetenv("D2D_WAREHOUSE");
  unsetenv("D2D_S3_PARALLEL");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_TRUE(contains(config_line(result.out, "source"), "/flag/events")) << result.out;
  EXPECT_TRUE(contains(config_line(result.out, "source"), "flag --source")) << result.out;
  EXPECT_TRUE(contains(config_line(result.out, "warehouse"), "/env/w.db"))
      << "env beats file: " << result.out;
  EXPECT_TRUE(contains(config_line(result.out, "warehouse"), "env D2D_WAREHOUSE")) << result.out;
  EXPECT_TRUE(contains(config_line(result.out, "s3_parallel"), "12")) << result.out;
  EXPECT_TRUE(contains(config_line(result.out, "lake"), "file " + m_toml.string())) << result.out;
  EXPECT_TRUE(contains(config_line(result.out, "jobs"), "4")) << result.out;
  EXPECT_TRUE(contains(config_line(result.out, "max_period_days"), "31")) << result.out;
  EXPECT_TRUE(contains(config_line(result.out, "max_period_days"), "default")) << result.out;
  EXPECT_TRUE(contains(config_line(result.out, "config"), "flag --config")) << result.out;
}

TEST_F(ConfigCli, SecretsAreMasked) {
  setenv("D2D_SERVE_TOKEN", "tok-0123456789-abcdef", 1);
  auto table = run_d2d({"config", "--warehouse", "postgresql://etl:hunter2-pw@db.internal:5432/fleet"});
  auto json = run_d2d({"config", "--format", "json", "--warehouse", "postgresql://etl:hunter2-pw@db/fleet"});
  unsetenv("D2D_SERVE_TOKEN");
  for (const auto& result : {table, json}) {
    ASSERT_EQ(result.exit_code, 0) << result.err;
    EXPECT_FALSE(contains(result.out, "hunter2")) << result.out;
    EXPECT_FALSE(contains(result.out, "tok-0123456789")) << result.out;
  }
  EXPECT_TRUE(contains(config_line(table.out, "warehouse"), "postgresql://etl:***@db.internal:5432/fleet"))
      << table.out;
  EXPECT_TRUE(contains(config_line(table.out, "serve_token"), "***")) << table.out;
  EXPECT_TRUE(contains(config_line(table.out, "serve_token"), "env D2D_SERVE_TOKEN")) << table.out;
  EXPECT_TRUE(
      contains(json.out, R"({"key": "serve_token", "value": "***", "origin": "env D2D_SERVE_TOKEN"})"))
      << json.out;
}

// Before issue 15 the file refused `jobs` and the logging options.
TEST_F(ConfigCli, JobsAndLoggingComeFromTheFileToo) {
  const fs::path source = m_dir / "events";
  auto generated = run_d2d({"generate", "--out", source.string(), "--date", "2019-06-01", "--days", "1",
                            "--vehicles", "2", "--interval-s", "300", "--seed", "3"});
  ASSERT_EQ(generated.exit_code, 0) << generated.err;
  write_text(m_toml, "jobs = 2\nlog_format = \"json\"\nlog_level = \"info\"\nsource = \"" + source.string() +
                         "\"\nlake = \"" + (m_dir / "lake").string() + "\"\nwarehouse = \"" +
                         (m_dir / "w.db").string() + "\"\n");
  auto result = run_d2d({"--config", m_toml.string(), "backfill", "--from", "2019-06-01", "--to",
                         "2019-06-02", "--allow-empty"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_TRUE(contains(result.err, R"({"ts":")")) << "JSON logs from the file: " << result.err;
  EXPECT_TRUE(contains(result.err, "2 lake dates, 2 at a time")) << "jobs from the file: " << result.err;

  write_text(m_toml, "quiet = true\n");
  auto quiet = run_d2d({"--config", m_toml.string(), "config"});
  EXPECT_TRUE(contains(config_line(quiet.out, "quiet"), "true")) << quiet.out;
}

TEST_F(ConfigCli, UnknownKeysAndBadValuesAreUsageErrors) {
  write_text(m_toml, "job = 2\n");
  auto unknown = run_d2d({"--config", m_toml.string(), "config"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_TRUE(contains(unknown.err, "unknown key `job`")) << unknown.err;
  EXPECT_TRUE(contains(unknown.err, "jobs, log_level, log_format"))
      << "the known keys, from the table: " << unknown.err;
  write_text(m_toml, "jobs = 65\n");
  auto range = run_d2d({"--config", m_toml.string(), "config"});
  EXPECT_EQ(range.exit_code, 2);
  EXPECT_TRUE(contains(range.err, "`jobs` must be a whole number from 1 to 64")) << range.err;
  // A whole number beyond the type is refused, not wrapped into range (2^32 + 80 was port 80).
  write_text(m_toml, "serve_port = 4294967376\n");
  auto wrapped = run_d2d({"--config", m_toml.string(), "config"});
  EXPECT_EQ(wrapped.exit_code, 2) << wrapped.out;
  EXPECT_TRUE(contains(wrapped.err, "serve_port")) << wrapped.err;
  // NaN is no number in range: it used to pass every range check (and switch off the reject gate).
  write_text(m_toml, "max_reject_ratio = nan\n");
  auto nan_in_file = run_d2d({"--config", m_toml.string(), "config"});
  EXPECT_EQ(nan_in_file.exit_code, 2) << nan_in_file.out;
  EXPECT_TRUE(contains(nan_in_file.err, "`max_reject_ratio` must be a number in")) << nan_in_file.err;
  setenv("D2D_MAX_REJECT_RATIO", "nan", 1);
  auto nan_in_env = run_d2d({"config"});
  unsetenv("D2D_MAX_REJECT_RATIO");
  EXPECT_EQ(nan_in_env.exit_code, 2) << nan_in_env.out;
  write_text(m_toml, "log_format = \"xml\"\n");
  auto choice = run_d2d({"--config", m_toml.string(), "config"});
  EXPECT_EQ(choice.exit_code, 2);
  EXPECT_TRUE(contains(choice.err, "`log_format` must be one of text, json")) << choice.err;

  setenv("D2D_JOBS", "0", 1);
  auto env = run_d2d({"config"});
  unsetenv("D2D_JOBS");
  EXPECT_EQ(env.exit_code, 2);
  EXPECT_TRUE(contains(env.err, "D2D_JOBS=0: must be a whole number from 1 to 64")) << env.err;
  // A flag is checked by the same range (written once, in the table).
  auto flag = run_d2d({"config", "--jobs", "65"});
  EXPECT_EQ(flag.exit_code, 2) << flag.out;
}

// The README's table of settings is `d2d config --format markdown`, so it cannot drift from the code.
TEST_F(ConfigCli, ReadmeTableIsTheSettingsTable) {
  const std::string readme = read_text(fs::path(D2D_TEST_DATA_DIR) / ".." / ".." / "README.md");
  const std::string begin = "<!-- settings: d2d config --format markdown -->\n";
  const std::string end = "<!-- end of settings -->";
  const auto from = readme.find(begin);
  const auto to = readme.find(end);
  ASSERT_NE(from, std::string::npos) << "README lacks " << begin;
  ASSERT_NE(to, std::string::npos);
  auto table = run_d2d({"config", "--format", "markdown"});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_EQ(readme.substr(from + begin.size(), to - from - begin.size()), table.out)
      << "regenerate it: d2d config --format markdown";
}

TEST(CliHelp, MistypedCommandsAndOptionsGetASuggestion) {
  auto command = run_d2d({"rnu", "--date", "2019-06-01"});
  EXPECT_EQ(command.exit_code, 2);
  EXPECT_EQ(command.err, "d2d: unknown command `rnu`; did you mean `run`?\n");
  auto option = run_d2d({"run", "--dat", "2019-06-01"});
  EXPECT_EQ(option.exit_code, 2);
  EXPECT_EQ(option.err, "d2d: unknown option `--dat` for `run`; did you mean `--date`?\n");
  // d2d's own options count too, before or after the command; values of options are not commands.
  auto global = run_d2d({"--log-level", "warn", "backfil", "--from", "2019-06-01"});
  EXPECT_EQ(global.exit_code, 2);
  EXPECT_TRUE(contains(global.err, "did you mean `backfill`?")) << global.err;
  auto quiet = run_d2d({"report", "--quite"});
  EXPECT_EQ(quiet.exit_code, 2);
  EXPECT_TRUE(contains(quiet.err, "did you mean `--quiet`?")) << quiet.err;
  // Nothing close: CLI11's own reason, still exit 2.
  auto far = run_d2d({"xyzzy"});
  EXPECT_EQ(far.exit_code, 2);
  EXPECT_FALSE(contains(far.err, "did you mean")) << far.err;
}

TEST(CliHelp, EachCommandListsOnlyTheOptionsItReads) {
  auto help = [](const std::string& command) {
    auto result = run_d2d({command, "--help"});
    EXPECT_EQ(result.exit_code, 0) << result.err;
    return result.out;
  };
  for (const std::string command : {"report", "status"}) {
    const std::string out = help(command);
    EXPECT_FALSE(contains(out, "--no-wait")) << command << ":\n" << out;
    EXPECT_FALSE(contains(out, "--pg-analyst-role")) << command << ":\n" << out;
    EXPECT_TRUE(contains(out, "--warehouse")) << command << ":\n" << out;
  }
  const std::string migrate = help("migrate");
  EXPECT_FALSE(contains(migrate, "--no-wait")) << migrate;
  EXPECT_TRUE(contains(migrate, "--pg-analyst-role")) << "`migrate up` creates the role:\n" << migrate;
  for (const std::string command : {"run", "backfill", "serve"}) {
    const std::string out = help(command);
    EXPECT_TRUE(contains(out, "--no-wait")) << command << ":\n" << out;
    EXPECT_TRUE(contains(out, "--pg-analyst-role")) << command << ":\n" << out;
  }
  // serve's scheduled runs are `d2d run`s: they take the same input limits (they ran with the
  // defaults, whatever was configured, before).
  for (const std::string command : {"run", "backfill", "serve"}) {
    const std::string out = help(command);
    EXPECT_TRUE(contains(out, "--max-line-bytes")) << command << ":\n" << out;
    EXPECT_TRUE(contains(out, "--max-period-days")) << command << ":\n" << out;
  }
  EXPECT_TRUE(contains(help("backfill"), "D2D_JOBS")) << "help names the variable";
  EXPECT_FALSE(contains(help("run"), "--jobs"));
}

// Sources the script in bash and asks its function for the words after `line`.
std::string complete_in_bash(const std::string& script, const std::string& line) {
  const std::string program = "source " + script + "\nCOMP_WORDS=(" + line +
                              ")\nCOMP_CWORD=$((${#COMP_WORDS[@]} - 1))\n"
                              "_d2d\n(( ${#COMPREPLY[@]} )) && printf '%s\\n' \"${COMPREPLY[@]}\"\ntrue\n";
  auto result = run_program("bash", {"-c", program});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  return result.out;
}

TEST(CliHelp, BashCompletionOffersCommandsOptionsAndChoices) {
  TempDir dir;
  auto script = run_d2d({"completion", "bash"});
  ASSERT_EQ(script.exit_code, 0) << script.err;
  const fs::path file = dir / "d2d.bash";
  write_text(file, script.out);
  auto syntax = run_program("bash", {"-n", file.string()});
  EXPECT_EQ(syntax.exit_code, 0) << syntax.err;

  EXPECT_EQ(complete_in_bash(file.string(), "d2d ba"), "backfill\n");
  const std::string commands = complete_in_bash(file.string(), "d2d ''");
  for (const std::string command :
       {"run", "backfill", "report", "migrate", "generate", "status", "serve", "config", "completion"})
    EXPECT_TRUE(contains(commands, command + "\n")) << commands;
  EXPECT_EQ(complete_in_bash(file.string(), "d2d run --da"), "--date\n");
  EXPECT_EQ(complete_in_bash(file.string(), "d2d --quiet backfill --jo"), "--jobs\n");
  EXPECT_EQ(complete_in_bash(file.string(), "d2d report --no-w"), "") << "report does not wait for loads";
  EXPECT_EQ(complete_in_bash(file.string(), "d2d run --log-format ''"), "text\njson\n");
  EXPECT_EQ(complete_in_bash(file.string(), "d2d report --qu"), "--quiet\n") << "d2d's own options";
}

TEST(CliHelp, ZshCompletionNamesEveryCommand) {
  auto script = run_d2d({"completion", "zsh"});
  ASSERT_EQ(script.exit_code, 0) << script.err;
  EXPECT_TRUE(script.out.starts_with("#compdef d2d\n")) << script.out;
  EXPECT_TRUE(contains(script.out, "    run) values=(")) << script.out;
  EXPECT_TRUE(contains(script.out, "compdef _d2d d2d")) << script.out;
  EXPECT_EQ(run_d2d({"completion", "fish"}).exit_code, 2);
  if (run_program("sh", {"-c", "command -v zsh"}).exit_code != 0) GTEST_SKIP() << "no zsh here to parse it";
  TempDir dir;
  write_text(dir / "_d2d", script.out);
  EXPECT_EQ(run_program("zsh", {"-n", (dir / "_d2d").string()}).exit_code, 0);
}

}  // namespace
}  // namespace d2d::testing
