// What a backfill shows while it runs and after: on a terminal, one line that updates in place
// (dates, files, events, rate, ETA); elsewhere (a pipe, a log collector), plain log lines; at
// the end, a summary table of every date on stdout.
#pragma once

#include <chrono>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "pipeline/backfill.h"

namespace d2d::cli {

// Counts of a running backfill, shared by both displays.
class BackfillTally {
 public:
  using Clock = std::chrono::steady_clock;
  explicit BackfillTally(std::size_t dates, Clock::time_point started = Clock::now());
  void started(const std::string& lake_date);
  void progress(const std::string& lake_date, const pipeline::RunProgress& progress);
  void finished(const pipeline::DateResult& result);
  // "1/3 dates (0 failed, 2 running), 120/300 files, 1234567 events at 45678/s, ETA 1m05s"
  std::string describe(Clock::time_point now = Clock::now()) const;

 private:
  std::size_t m_dates;
  Clock::time_point m_started;
  std::map<std::string, pipeline::RunProgress> m_running;  // by lake date
  std::size_t m_finished = 0, m_failed = 0;
  std::uint64_t m_finished_objects = 0, m_finished_events = 0;
};

// One line on a terminal, redrawn in place at most every 100 ms; a finished date leaves a
// permanent line above it.
class TerminalProgress final : public pipeline::BackfillObserver {
 public:
  TerminalProgress(std::FILE* terminal, std::size_t dates);
  ~TerminalProgress() override;  // clears the line
  TerminalProgress(const TerminalProgress&) = delete;
  TerminalProgress& operator=(const TerminalProgress&) = delete;
  void date_started(const std::string& lake_date) override;
  void date_progress(const std::string& lake_date, const pipeline::RunProgress& progress) override;
  void date_finished(const pipeline::DateResult& result) override;

 private:
  void redraw(bool force);
  std::FILE* m_terminal;
  BackfillTally m_tally;
  BackfillTally::Clock::time_point m_last_drawn{};
};

// Log lines (through spdlog, so --log-format applies): a date started, a date finished, and
// the overall progress at most every `interval`.
class LogLinesProgress final : public pipeline::BackfillObserver {
 public:
  explicit LogLinesProgress(std::size_t dates, std::chrono::seconds interval = std::chrono::seconds(10));
  void date_started(const std::string& lake_date) override;
  void date_progress(const std::string& lake_date, const pipeline::RunProgress& progress) override;
  void date_finished(const pipeline::DateResult& result) override;

 private:
  BackfillTally m_tally;
  std::chrono::seconds m_interval;
  BackfillTally::Clock::time_point m_last_logged;
};

// The one-line description of a finished date, as both displays print it.
std::string describe_result(const pipeline::DateResult& result);

// lake_date  status  events  rejected  rows  seconds  error
std::string summary_table(const std::vector<pipeline::DateResult>& results);

}  // namespace d2d::cli
