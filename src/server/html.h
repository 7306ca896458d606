// Escaping for server-rendered HTML and SVG: every value from the warehouse goes through
// html_escape, which also turns bytes that are not valid UTF-8 (rejected lines may hold
// any bytes) into U+FFFD, so the page is always well-formed.
#pragma once

#include <string>
#include <string_view>

#include "core/time.h"

namespace d2d::server {

std::string html_escape(std::string_view text);
// For URL query values (href="/?date=...").
std::string url_encode(std::string_view text);
// "2019-06-01 18:17:06 UTC" (seconds precision, for people).
std::string display_time(core::UtcMicros at_us);
// "1.2 s", "850 ms", "3 min 4 s".
std::string display_duration_ms(std::int64_t ms);
// "12,345" for counts.
std::string display_count(std::uint64_t count);

}  // namespace d2d::server

namespace d2d::server {

// A complete HTML document with the shared inline stylesheet and navigation; `body` is
// already-escaped HTML. `refresh_s` > 0 makes the browser reload the page that often (a meta
// refresh: the pages have no scripts).
std::string page_document(std::string_view title, std::string_view active_path, std::string_view body,
                          int refresh_s = 0);

}  // namespace d2d::server
