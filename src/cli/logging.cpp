#include "cli/logging.h"

#include <fmt/format.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "core/error.h"
#include "core/json_text.h"

namespace d2d::cli {
namespace {

// A pattern flag that writes one field of the message as a quoted JSON string. Messages quote
// input (object keys, reasons, server errors), so they are escaped here, never concatenated.
class JsonStringFlag final : public spdlog::custom_flag_formatter {
 public:
  enum class Field { Message, LoggerName };
  explicit JsonStringFlag(Field field) : m_field(field) {}

  void format(const spdlog::details::log_msg& message, const std::tm& /*time*/,
              spdlog::memory_buf_t& dest) override {
    const spdlog::string_view_t text = m_field == Field::Message ? message.payload : message.logger_name;
    m_scratch.clear();
    core::append_json_string_lossy(m_scratch, std::string_view(text.data(), text.size()));
    dest.append(m_scratch.data(), m_scratch.data() + m_scratch.size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return spdlog::details::make_unique<JsonStringFlag>(m_field);
  }

 private:
  Field m_field;
  std::string m_scratch;
};

std::unique_ptr<spdlog::formatter> json_formatter() {
  // UTC with microseconds, like every timestamp the pipeline stores (etl_run, core::format_utc).
  auto formatter = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc);
  formatter->add_flag<JsonStringFlag>('*', JsonStringFlag::Field::Message);
  formatter->add_flag<JsonStringFlag>('&', JsonStringFlag::Field::LoggerName);
  formatter->set_pattern(R"({"ts":"%Y-%m-%dT%H:%M:%S.%fZ","level":"%l","logger":%&,"msg":%*})");
  return formatter;
}

}  // namespace

LogFormat parse_log_format(const std::string& name) {
  if (name == "text") return LogFormat::Text;
  if (name == "json") return LogFormat::Json;
  throw core::Error(core::ErrorKind::Usage, fmt::format("--log-format '{}': expected text or json", name));
}

void configure_logging(LogFormat format, const std::string& level, bool quiet, bool verbose) {
  auto logger = spdlog::stderr_color_mt("d2d");
  if (format == LogFormat::Json) {
    logger->set_formatter(json_formatter());
  } else {
    // UTC with `Z`, like the JSON lines and the ledger: a local time without an offset could not be
    // lined up with them (or with a server in another zone). Milliseconds are enough for people.
    logger->set_formatter(std::make_unique<spdlog::pattern_formatter>("%Y-%m-%dT%H:%M:%S.%eZ %^%l%$ %v",
                                                                      spdlog::pattern_time_type::utc));
  }
  spdlog::set_default_logger(logger);
  spdlog::set_level(quiet     ? spdlog::level::warn
                    : verbose ? spdlog::level::debug
                              : spdlog::level::from_str(level));
}

}  // namespace d2d::cli
