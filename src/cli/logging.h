// Logging of the d2d binary: everything goes to stderr through spdlog, as text for people or as
// JSON lines for log collectors (--log-format json): {"ts","level","logger","msg"} per line. Both
// stamp each line in UTC, ISO-8601 with `Z`, whatever TZ says.
#pragma once

#include <string>

namespace d2d::cli {

enum class LogFormat { Text, Json };

// "text" or "json"; throws core::Error (Usage) otherwise.
LogFormat parse_log_format(const std::string& name);

// Installs the default logger. --quiet keeps warnings and errors, --verbose adds debug lines,
// otherwise `level` (trace, debug, info, warn, error) applies.
void configure_logging(LogFormat format, const std::string& level, bool quiet, bool verbose);

}  // namespace d2d::cli
