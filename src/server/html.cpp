#include "server/html.h"

#include <fmt/format.h>

namespace d2d::server {
namespace {

// Length of the valid UTF-8 sequence at text[i], or 0 when it is not one.
std::size_t utf8_sequence(std::string_view text, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char lead = byte(i);
  std::size_t length = 0;
  unsigned minimum = 0, code = 0;
  if (lead < 0x80) return 1;
  if ((lead & 0xE0) == 0xC0) {
    length = 2, minimum = 0x80, code = lead & 0x1F;
  } else if ((lead & 0xF0) == 0xE0) {
    length = 3, minimum = 0x800, code = lead & 0x0F;
  } else if ((lead & 0xF8) == 0xF0) {
    length = 4, minimum = 0x10000, code = lead & 0x07;
  } else {
    return 0;
  }
  if (i + length > text.size()) return 0;
  for (std::size_t k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    code = (code << 6) | (byte(i + k) & 0x3F);
  }
  if (code < minimum || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return 0;
  return length;
}

}  // namespace

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t length = utf8_sequence(text, i);
    if (length == 0) {
      out += "\xEF\xBF\xBD";  // U+FFFD
      ++i;
      continue;
    }
    if (length > 1) {
      out.append(text.substr(i, length));
      i += length;
      continue;
    }
    const char c = text[i++];
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default:
        // Control characters other than tab and newline are shown, not passed through.
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n') {
          out += "\xEF\xBF\xBD";
        } else {
          out += c;
        }
    }
  }
  return out;
}

std::string url_encode(std::string_view text) {
  std::string out;
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (std::isalnum(byte) != 0 || c == '-' || c == '_' || c == '.' || c == '~') {
      out += c;
    } else {
      out += fmt::format("%{:02X}", byte);
    }
  }
  return out;
}

std::string display_time(core::UtcMicros at_us) {
  const std::string iso = core::format_utc(at_us);  // 2019-06-01T18:17:06.094000Z
  return iso.substr(0, 10) + " " + iso.substr(11, 8) + " UTC";
}

std::string display_duration_ms(std::int64_t ms) {
  if (ms < 1000) return fmt::format("{} ms", ms);
  if (ms < 60'000) return fmt::format("{:.1f} s", static_cast<double>(ms) / 1000.0);
  return fmt::format("{} min {} s", ms / 60'000, (ms % 60'000) / 1000);
}

std::string display_count(std::uint64_t count) {
  std::string digits = std::to_string(count), out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

}  // namespace d2d::server

namespace d2d::server {

std::string page_document(std::string_view title, std::string_view active_path, std::string_view body,
                          int refresh_s) {
  constexpr std::string_view kStyle = R"css(
:root { --ink:#1f2933; --muted:#616e7c; --line:#d9e2ec; --bg:#f5f7fa; --card:#fff;
  --success:#2f9e44; --failed:#e03131; --running:#74b816; --retry:#f59f00; --queued:#adb5bd;
  --track:#1c7ed6; --break:#f76707; }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;
  color:var(--ink); background:var(--bg); }
header { background:#102a43; color:#fff; padding:10px 24px; display:flex; align-items:baseline; gap:24px; }
header h1 { font-size:17px; margin:0; font-weight:600; }
header nav a { color:#bcccdc; text-decoration:none; margin-right:16px; }
header nav a.active { color:#fff; border-bottom:2px solid #fff; }
main { padding:16px 24px 40px; max-width:1400px; }
section { background:var(--card); border:1px solid var(--line); border-radius:8px; padding:14px 18px; margin:0 0 16px; }
h2 { font-size:15px; margin:0 0 10px; }
h3 { font-size:14px; margin:14px 0 6px; }
.muted { color:var(--muted); }
table.data { border-collapse:collapse; width:100%; font-variant-numeric:tabular-nums; }
table.data th, table.data td { text-align:left; padding:4px 8px; border-bottom:1px solid var(--line); vertical-align:top; }
table.data th { font-weight:600; color:var(--muted); font-size:12px; text-transform:uppercase; letter-spacing:.03em; }
table.data td.num, table.data th.num { text-align:right; white-space:nowrap; }
table.data td.time, table.data td.date { white-space:nowrap; }
table.data td.error { overflow-wrap:anywhere; color:#a61e4d; padding-top:0; }
details summary { cursor:pointer; font-size:12px; margin:0 0 4px; }
.badge { display:inline-block; padding:1px 8px; border-radius:10px; font-size:12px; color:#fff; }
.badge.success, .badge.succeeded { background:var(--success); } .badge.failed { background:var(--failed); }
.badge.running { background:var(--running); } .badge.up_for_retry { background:var(--retry); }
.badge.queued { background:var(--queued); }
table.grid { border-collapse:separate; border-spacing:3px; }
table.grid th.phase { text-align:right; padding-right:8px; font-weight:500; color:var(--muted); white-space:nowrap; }
table.grid th.date { font-weight:400; font-size:11px; color:var(--muted); writing-mode:vertical-rl; transform:rotate(180deg);
  height:78px; padding:0; }
table.grid th.date.selected { color:var(--ink); font-weight:700; }
table.grid td { padding:0; }
table.grid td.bar { height:46px; vertical-align:bottom; }
.cell { display:block; width:20px; height:20px; border-radius:4px; }
.runbar { display:block; width:20px; border-radius:3px 3px 0 0; min-height:3px; }
.success { background:var(--success); } .failed { background:var(--failed); } .running { background:var(--running); }
.up_for_retry { background:var(--retry); } .queued { background:var(--queued); }
.upstream_failed { background:repeating-linear-gradient(45deg,#ffc9c9 0 3px,#fff 3px 6px); border:1px solid #ffa8a8; }
.pager { display:flex; gap:18px; margin:6px 0 0; font-size:13px; }
.legend span.cell { display:inline-block; width:12px; height:12px; vertical-align:-1px; margin:0 4px 0 12px; }
pre.raw { margin:2px 0 8px; padding:6px 8px; background:#f0f4f8; border-radius:4px; white-space:pre-wrap;
  word-break:break-all; font:12px/1.4 ui-monospace,"DejaVu Sans Mono",monospace; max-height:7.5em; overflow:auto; }
.kv { display:flex; flex-wrap:wrap; gap:8px 28px; }
.kv div b { display:block; font-size:20px; font-weight:600; }
.kv div span { color:var(--muted); font-size:12px; }
.tracks { display:grid; grid-template-columns:repeat(auto-fill,minmax(250px,1fr)); gap:12px; }
figure.track { margin:0; border:1px solid var(--line); border-radius:6px; padding:6px; background:#fff; }
figure.track figcaption { font-size:12px; display:flex; justify-content:space-between; gap:6px; }
a { color:#1c5fb8; }
)css";
  std::string nav;
  for (const auto& [path, label] :
       {std::pair{"/", "Status"}, std::pair{"/report", "Report"}, std::pair{"/metrics", "Metrics"}}) {
    nav +=
        fmt::format("<a href=\"{}\"{}>{}</a>", path, path == active_path ? " class=\"active\"" : "", label);
  }
  return fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
      "{}<title>{} · door2door-etl</title><style>{}</style></head>"
      "<body><header><h1>door2door-etl</h1><nav>{}</nav></header><main>{}</main></body></html>\n",
      refresh_s > 0 ? fmt::format("<meta http-equiv=\"refresh\" content=\"{}\">", refresh_s) : std::string(),
      html_escape(title), kStyle, nav, body);
}

}  // namespace d2d::server
