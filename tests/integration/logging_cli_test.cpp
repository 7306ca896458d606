// Logs on stderr: --log-format json (or D2D_LOG_FORMAT=json) gives one JSON object per line, parsed
// here with simdjson, even when a message quotes text with quotes, newlines and invalid UTF-8;
// --quiet, the default level and --verbose show what they promise.
#include <gtest/gtest.h>
#include <simdjson.h>
#include <stdlib.h>

#include <chrono>
#include <cstdlib>
#include <sstream>

#include "core/time.h"
#include "harness.h"

namespace d2d::testing {
namespace {
namespace fs = std::filesystem;

struct LogLine {
  std::string ts, level, logger, msg;
};

// Every stderr line as JSON; a line that does not parse, or lacks a field, fails the test.
std::vector<LogLine> parse_json_lines(const std::string& err) {
  std::vector<LogLine> lines;
  simdjson::dom::parser parser;  // DOM: the whole line must be one valid JSON document
  std::istringstream in(err);
  for (std::string text; std::getline(in, text);) {
    simdjson::dom::element doc;
    std::string_view ts, level, logger, msg;
    const bool parsed = parser.parse(text).get(doc) == simdjson::SUCCESS &&
                        doc["ts"].get_string().get(ts) == simdjson::SUCCESS &&
                        doc["level"].get_string().get(level) == simdjson::SUCCESS &&
                        doc["logger"].get_string().get(logger) == simdjson::SUCCESS &&
                        doc["msg"].get_string().get(msg) == simdjson::SUCCESS;
    EXPECT_TRUE(parsed) << "not a JSON log line: " << text;
    if (!parsed) continue;
    lines.push_back({std::string(ts), std::string(level), std::string(logger), std::string(msg)});
  }
  return lines;
}

class JsonLogs : public ::testing::Test {
 protected:
  void SetUp() override {
    auto generated = run_d2d({"generate", "--out", m_source.string(), "--date", "2019-06-01", "--days", "1",
                              "--vehicles", "3", "--interval-s", "120", "--layout", "flat", "--seed", "5"});
    ASSERT_EQ(generated.exit_code, 0) << generated.err;
  }
  std::vector<std::string> run_args(const fs::path& source) const {
    return {"run",
            "--source",
            source.string(),
            "--lake",
            (m_dir / "lake").string(),
            "--warehouse",
            (m_dir / "w.db").string(),
            "--date",
            "2019-06-01"};
  }
  TempDir m_dir;
  // The extract log line names the source folder: quotes, a newline, a tab, a backslash, an
  // invalid UTF-8 byte and a non-ASCII letter, all of which the JSON line must survive.
  const std::string m_weird_name = "events \"quoted\"\nnext line\t\\ \xff caf\xc3\xa9";
  const fs::path m_source = m_dir / m_weird_name;
};

TEST_F(JsonLogs, EveryLineParsesAndKeepsTheMessage) {
  auto args = run_args(m_source);
  args.insert(args.begin(), {"--log-format", "json"});
  auto run = run_d2d(args);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const auto lines = parse_json_lines(run.err);
  ASSERT_GE(lines.size(), 3U) << run.err;
  bool found_source = false;
  for (const auto& line : lines) {
    EXPECT_TRUE(core::parse_rfc3339(line.ts).has_value()) << line.ts;
    EXPECT_TRUE(line.ts.ends_with("Z")) << "UTC: " << line.ts;
    EXPECT_EQ(line.level, "info");
    EXPECT_EQ(line.logger, "d2d");
    // The invalid byte became U+FFFD; everything else is the folder name, byte for byte.
    std::string expected = (m_dir / "events \"quoted\"\nnext line\t\\ \xef\xbf\xbd caf\xc3\xa9").string();
    if (line.msg.find(expected) != std::string::npos) found_source = true;
  }
  EXPECT_TRUE(found_source) << run.err;
  EXPECT_NE(run.out.find("2019-06-01: "), std::string::npos) << "results stay on stdout, as text";
}

TEST_F(JsonLogs, TheFailureLineIsJsonToo) {
  auto args = run_args(m_dir / "missing \"folder\"\nhere");
  args.insert(args.begin(), {"--log-format", "json"});
  auto run = run_d2d(args);
  EXPECT_EQ(run.exit_code, 1);
  const auto lines = parse_json_lines(run.err);
  ASSERT_FALSE(lines.empty()) << run.err;
  EXPECT_EQ(lines.back().level, "error");
  EXPECT_TRUE(lines.back().msg.starts_with("d2d: error: ")) << lines.back().msg;
  EXPECT_NE(lines.back().msg.find("missing \"folder\"\nhere"), std::string::npos) << lines.back().msg;
}

TEST_F(JsonLogs, TheEnvironmentVariableSelectsJson) {
  setenv("D2D_LOG_FORMAT", "json", 1);
  auto run = run_d2d(run_args(m_source));
  unsetenv("D2D_LOG_FORMAT");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_GE(parse_json_lines(run.err).size(), 3U);
  // Without it: text lines, which are not JSON.
  auto text = run_d2d(run_args(m_source));
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.err.find(" info extract 2019-06-01: "), std::string::npos) << text.err;
  EXPECT_EQ(text.err.find("{\"ts\""), std::string::npos) << text.err;
}

// Issue 15: text logs, JSON logs and the ledger share one clock, UTC with `Z`, even when the
// machine's zone is elsewhere (Kathmandu is +05:45: no whole-hour coincidence can hide a bug).
TEST_F(JsonLogs, TextAndJsonLinesAreUtcWithZWhateverTheZone) {
  setenv("TZ", "Asia/Kathmandu", 1);
  auto text = run_d2d(run_args(m_source));
  auto args = run_args(m_source);
  args.insert(args.begin(), {"--log-format", "json"});
  args.push_back("--force");  // load again: the second run must log, not find nothing to do
  auto json = run_d2d(args);
  unsetenv("TZ");
  ASSERT_EQ(text.exit_code, 0) << text.err;
  ASSERT_EQ(json.exit_code, 0) << json.err;
  const auto now_us = std::chrono::duration_cast<std::chrono::microseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  auto near_now = [&](const std::string& ts) {
    const auto at = core::parse_rfc3339(ts);
    return at.has_value() && std::llabs(*at - now_us) < 120'000'000;
  };
  std::istringstream in(text.err);
  int lines = 0;
  for (std::string line; std::getline(in, line);) {
    // The source's name holds a newline: its second half starts a line of its own.
    if (line.empty() || line[0] < '0' || line[0] > '9') continue;
    ++lines;
    // 2026-12-03T13:37:33.617Z info ...
    const std::string ts = line.substr(0, line.find(' '));
    EXPECT_EQ(ts.size(), 24U) << line;
    EXPECT_TRUE(ts.ends_with("Z")) << line;
    EXPECT_TRUE(near_now(ts)) << "not UTC now: " << line;
  }
  EXPECT_GE(lines, 3);
  for (const auto& line : parse_json_lines(json.err)) {
    EXPECT_TRUE(line.ts.ends_with("Z")) << line.ts;
    EXPECT_TRUE(near_now(line.ts)) << "not UTC now: " << line.ts;
  }
}

TEST_F(JsonLogs, UnknownFormatIsAUsageError) {
  auto args = run_args(m_source);
  args.insert(args.begin(), {"--log-format", "xml"});
  EXPECT_EQ(run_d2d(args).exit_code, 2);
}

TEST_F(JsonLogs, QuietDefaultAndVerboseLevels) {
  auto backfill = [&](const std::vector<std::string>& flags) {
    std::vector<std::string> args = {"backfill",
                                     "--source",
                                     m_source.string(),
                                     "--lake",
                                     (m_dir / "lake").string(),
                                     "--warehouse",
                                     (m_dir / "w.db").string(),
                                     "--from",
                                     "2019-06-01",
                                     "--to",
                                     "2019-06-01",
                                     "--force"};  // load every time, not "unchanged"
    args.insert(args.end(), flags.begin(), flags.end());
    auto result = run_d2d(args);
    EXPECT_EQ(result.exit_code, 0) << result.err;
    EXPECT_NE(result.out.find("1 dates: 1 succeeded, 0 unchanged, 0 failed"), std::string::npos)
        << "the summary is not a log";
    return result.err;
  };
  EXPECT_EQ(backfill({"--quiet"}), "") << "quiet: nothing but warnings and errors";
  const std::string normal = backfill({});
  EXPECT_NE(normal.find(" info backfill: 2019-06-01 succeeded"), std::string::npos) << normal;
  EXPECT_EQ(normal.find(" debug "), std::string::npos) << normal;
  const std::string verbose = backfill({"--verbose"});
  EXPECT_NE(verbose.find(" debug backfill: 2019-06-01: 1/"), std::string::npos) << verbose;
  EXPECT_EQ(backfill({"--log-level", "warn"}), "");
}

}  // namespace
}  // namespace d2d::testing
