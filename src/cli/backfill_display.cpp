#include "cli/backfill_display.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>

namespace d2d::cli {
namespace {

using pipeline::DateResult;
using pipeline::DateStatus;

std::string format_duration(double seconds) {
  const long long whole = std::llround(seconds);
  if (whole < 60) return fmt::format("{}s", whole);
  if (whole < 3600) return fmt::format("{}m{:02}s", whole / 60, whole % 60);
  return fmt::format("{}h{:02}m", whole / 3600, (whole % 3600) / 60);
}

const char* status_name(DateStatus status) {
  switch (status) {
    case DateStatus::Succeeded: return "succeeded";
    case DateStatus::Unchanged: return "unchanged";
    case DateStatus::Failed: break;
  }
  return "failed";
}

}  // namespace

BackfillTally::BackfillTally(std::size_t dates, Clock::time_point started)
    : m_dates(dates), m_started(started) {}

void BackfillTally::started(const std::string& lake_date) { m_running[lake_date] = {}; }

void BackfillTally::progress(const std::string& lake_date, const pipeline::RunProgress& progress) {
  m_running[lake_date] = progress;
}

void BackfillTally::finished(const DateResult& result) {
  m_running.erase(result.lake_date);
  ++m_finished;
  if (result.status == DateStatus::Failed) ++m_failed;
  m_finished_objects += result.figures.objects;
  m_finished_events += result.figures.events_read;
}

std::string BackfillTally::describe(Clock::time_point now) const {
  std::uint64_t objects_done = m_finished_objects, objects_known = m_finished_objects;
  std::uint64_t events = m_finished_events;
  // Share of the whole backfill done: finished dates count whole, running ones by their files.
  double done = static_cast<double>(m_finished);
  for (const auto& [date, progress] : m_running) {
    objects_done += progress.objects_done;
    objects_known += progress.objects_total;
    events += progress.events_read;
    if (progress.objects_total > 0) {
      done += static_cast<double>(progress.objects_done) / static_cast<double>(progress.objects_total);
    }
  }
  const double elapsed_s = std::chrono::duration<double>(now - m_started).count();
  const double rate = elapsed_s > 0 ? static_cast<double>(events) / elapsed_s : 0.0;
  const double share = m_dates == 0 ? 1.0 : done / static_cast<double>(m_dates);
  const std::string eta =
      share <= 0 ? "-" : (m_finished == m_dates ? "0s" : format_duration(elapsed_s * (1 - share) / share));
  return fmt::format("{}/{} dates ({} failed, {} running), {}/{} files, {} events at {:.0f}/s, ETA {}",
                     m_finished, m_dates, m_failed, m_running.size(), objects_done, objects_known, events,
                     rate, eta);
}

std::string describe_result(const DateResult& result) {
  const auto& f = result.figures;
  if (result.status == DateStatus::Succeeded) {
    return fmt::format(
        "{} succeeded in {:.1f} s: {} objects, {} events, {} rejected, {} location rows (run {})",
        result.lake_date, result.seconds, f.objects, f.events_read, f.events_rejected, f.rows_loaded,
        result.run_id);
  }
  if (result.status == DateStatus::Unchanged) {
    return fmt::format(
        "{} unchanged: nothing to do, run {} loaded this raw zone ({} objects; --force loads it again)",
        result.lake_date, result.loaded_by_run, f.objects);
  }
  return fmt::format("{} failed in {:.1f} s: {}", result.lake_date, result.seconds, result.error);
}

TerminalProgress::TerminalProgress(std::FILE* terminal, std::size_t dates)
    : m_terminal(terminal), m_tally(dates) {}

TerminalProgress::~TerminalProgress() {
  std::fputs("\r\033[K", m_terminal);
  std::fflush(m_terminal);
}

void TerminalProgress::date_started(const std::string& lake_date) {
  m_tally.started(lake_date);
  redraw(true);
}

void TerminalProgress::date_progress(const std::string& lake_date, const pipeline::RunProgress& progress) {
  m_tally.progress(lake_date, progress);
  redraw(false);
}

void TerminalProgress::date_finished(const DateResult& result) {
  m_tally.finished(result);
  // \r and "erase line" first: the finished date replaces the progress line, which is drawn again below it.
  fmt::print(m_terminal, "\r\033[K{}\n", describe_result(result));
  redraw(true);
}

void TerminalProgress::redraw(bool force) {
  const auto now = BackfillTally::Clock::now();
  if (!force && now - m_last_drawn < std::chrono::milliseconds(100)) return;
  m_last_drawn = now;
  fmt::print(m_terminal, "\r\033[Kbackfill: {}", m_tally.describe(now));
  std::fflush(m_terminal);
}

LogLinesProgress::LogLinesProgress(std::size_t dates, std::chrono::seconds interval)
    : m_tally(dates), m_interval(interval), m_last_logged(BackfillTally::Clock::now()) {}

void LogLinesProgress::date_started(const std::string& lake_date) {
  m_tally.started(lake_date);
  spdlog::info("backfill: {} started", lake_date);
}

void LogLinesProgress::date_progress(const std::string& lake_date, const pipeline::RunProgress& progress) {
  m_tally.progress(lake_date, progress);
  spdlog::debug("backfill: {}: {}/{} objects transformed, {} events, {} rejected", lake_date,
                progress.objects_done, progress.objects_total, progress.events_read,
                progress.events_rejected);
  const auto now = BackfillTally::Clock::now();
  if (now - m_last_logged < m_interval) return;
  m_last_logged = now;
  spdlog::info("backfill: {}", m_tally.describe(now));
}

void LogLinesProgress::date_finished(const DateResult& result) {
  m_tally.finished(result);
  if (result.status == DateStatus::Failed) {
    spdlog::error("backfill: {}", describe_result(result));
  } else {
    spdlog::info("backfill: {}", describe_result(result));
  }
  spdlog::info("backfill: {}", m_tally.describe());
}

std::string summary_table(const std::vector<DateResult>& results) {
  std::string out = fmt::format("{:<10}  {:<9}  {:>10}  {:>8}  {:>10}  {:>7}  {}\n", "lake_date", "status",
                                "events", "rejected", "rows", "seconds", "error");
  out +=
      fmt::format("{:-<10}  {:-<9}  {:->10}  {:->8}  {:->10}  {:->7}  {:-<5}\n", "", "", "", "", "", "", "");
  for (const DateResult& r : results) {
    const bool ok = r.status != DateStatus::Failed;
    std::string row = fmt::format("{:<10}  {:<9}  {:>10}  {:>8}  {:>10}  {:>7.2f}  {}", r.lake_date,
                                  status_name(r.status), r.figures.events_read, r.figures.events_rejected,
                                  ok ? std::to_string(r.figures.rows_loaded) : "-", r.seconds, r.error);
    row.erase(row.find_last_not_of(' ') + 1);  // no trailing blanks when there is no error
    out += row + "\n";
  }
  const auto count = [&](DateStatus status) {
    return std::count_if(results.begin(), results.end(),
                         [&](const DateResult& r) { return r.status == status; });
  };
  out += fmt::format("{} dates: {} succeeded, {} unchanged, {} failed\n", results.size(),
                     count(DateStatus::Succeeded), count(DateStatus::Unchanged), count(DateStatus::Failed));
  return out;
}

}  // namespace d2d::cli
