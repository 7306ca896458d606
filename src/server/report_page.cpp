// `/report`: the answer as SVG bars (average distance per operating period), and each
// vehicle's track in a chosen period, drawn from its fixes: stretches that count toward the
// distance in blue, stretches that overlap a break (left out, SPEC §4) dashed orange. A period
// whose answer a failed reject gate may have left partial is marked "!", as `d2d report` marks it.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "server/html.h"
#include "server/pages.h"

namespace d2d::server {
namespace {

constexpr std::size_t kMaxPointsPerTrack = 400;  // enough for the eye; keeps the page small

// The smallest 1, 2 or 5 times a power of ten at or above `value`.
double nice_ceiling(double value) {
  if (value <= 0) return 1;
  const double power = std::pow(10.0, std::floor(std::log10(value)));
  for (const double step : {1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0}) {
    if (step * power >= value) return step * power;
  }
  return 10 * power;
}

std::string km(double metres) { return fmt::format("{:.2f} km", metres / 1000.0); }

std::string render_bars(const ReportPageData& data) {
  if (data.answers.empty()) return "<p class=\"muted\">No operating periods loaded yet.</p>";
  constexpr int kLabel = 190, kBars = 560, kRow = 26, kTop = 24;
  double largest = 0;
  for (const auto& a : data.answers) largest = std::max(largest, a.avg_distance_m.value_or(0));
  const double scale_max = nice_ceiling(largest / 1000.0) * 1000.0;
  const int height = kTop + kRow * static_cast<int>(data.answers.size()) + 8;
  std::string svg = fmt::format(
      "<svg id=\"bars\" role=\"img\" aria-label=\"average distance per operating period\" width=\"{0}\" "
      "height=\"{1}\" viewBox=\"0 0 {0} {1}\" xmlns=\"http://www.w3.org/2000/svg\" "
      "font-family=\"system-ui, DejaVu Sans, sans-serif\" font-size=\"12\">",
      kLabel + kBars + 200, height);
  for (int tick = 0; tick <= 4; ++tick) {
    const double x = kLabel + kBars * tick / 4.0;
    svg += fmt::format(
        "<line x1=\"{0:.1f}\" y1=\"{1}\" x2=\"{0:.1f}\" y2=\"{2}\" stroke=\"#d9e2ec\"/>"
        "<text x=\"{0:.1f}\" y=\"14\" text-anchor=\"middle\" fill=\"#616e7c\">{3}</text>",
        x, kTop - 4, height - 6, tick == 0 ? std::string("0") : km(scale_max * tick / 4.0));
  }
  for (std::size_t i = 0; i < data.answers.size(); ++i) {
    const auto& a = data.answers[i];
    const int y = kTop + kRow * static_cast<int>(i);
    const bool selected = a.operating_period_id == data.selected_period;
    const std::string id = html_escape(a.operating_period_id);
    svg += fmt::format("<a href=\"/report?period={}\">", url_encode(a.operating_period_id));
    // The mark after the id, as `d2d report` prints it: the answer may be partial.
    svg += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"end\" fill=\"#1f2933\"{}>{}{}</text>",
                       kLabel - 8, y + 16, selected ? " font-weight=\"700\"" : "", id,
                       a.reject_gate_failed ? "<tspan class=\"gate-mark\" fill=\"#e03131\"> !</tspan>" : "");
    if (a.avg_distance_m) {
      const double width = std::max(1.0, kBars * *a.avg_distance_m / scale_max);
      svg += fmt::format(
          "<rect class=\"bar\" data-period=\"{}\" data-avg-m=\"{:.3f}\" x=\"{}\" y=\"{}\" width=\"{:.1f}\" "
          "height=\"18\" rx=\"3\" fill=\"{}\"><title>{}: {} average over {} vehicles</title></rect>"
          "<text x=\"{:.1f}\" y=\"{}\" fill=\"#3e4c59\">{} · {} vehicle{}</text>",
          id, *a.avg_distance_m, kLabel, y + 3, width, selected ? "#1864ab" : "#4dabf7", id,
          km(*a.avg_distance_m), a.vehicles, kLabel + width + 6, y + 16, km(*a.avg_distance_m), a.vehicles,
          a.vehicles == 1 ? "" : "s");
    } else {
      svg += fmt::format("<text x=\"{}\" y=\"{}\" fill=\"#9aa5b1\">no vehicles took part</text>", kLabel + 4,
                         y + 16);
    }
    svg += "</a>";
  }
  svg += "</svg>";
  if (std::any_of(data.answers.begin(), data.answers.end(),
                  [](const auto& a) { return a.reject_gate_failed; })) {
    svg +=
        "<p class=\"muted\" id=\"gate-note\"><b style=\"color:var(--failed)\">!</b> some of the "
        "period's fixes came from a lake date whose latest run failed its reject gate: the answer may be "
        "partial (see <a href=\"/\">Status</a>).</p>";
  }
  return svg;
}

struct Segment {
  std::size_t from, to;  // fix indexes, inclusive
  bool in_break;
};

// Consecutive pairs grouped into stretches of the same kind: counted, or overlapping a break.
std::vector<Segment> stretches(const warehouse::VehicleTrack& track) {
  std::vector<Segment> out;
  for (std::size_t i = 0; i + 1 < track.fixes.size(); ++i) {
    const auto a = track.fixes[i].at_us, b = track.fixes[i + 1].at_us;
    const bool in_break =
        std::any_of(track.breaks.begin(), track.breaks.end(),
                    [&](const model::BreakSpan& s) { return s.start_us <= b && s.end_us > a; });
    if (!out.empty() && out.back().in_break == in_break) {
      out.back().to = i + 1;
    } else {
      out.push_back({i, i + 1, in_break});
    }
  }
  return out;
}

std::string render_track(const TrackDrawing& drawing) {
  constexpr double kWidth = 240, kHeight = 170, kPad = 8;
  const auto& track = drawing.track;
  const auto& fixes = track.fixes;
  std::string svg = fmt::format(
      "<svg class=\"track\" data-vehicle=\"{0}\" width=\"{1}\" height=\"{2}\" viewBox=\"0 0 {1} {2}\" "
      "xmlns=\"http://www.w3.org/2000/svg\"><rect width=\"{1}\" height=\"{2}\" fill=\"#f8fafc\"/>",
      html_escape(track.vehicle_id), kWidth, kHeight + 14);
  if (!fixes.empty()) {
    double min_lat = fixes[0].lat_deg, max_lat = min_lat, min_lng = fixes[0].lng_deg, max_lng = min_lng;
    for (const auto& f : fixes) {
      min_lat = std::min(min_lat, f.lat_deg), max_lat = std::max(max_lat, f.lat_deg);
      min_lng = std::min(min_lng, f.lng_deg), max_lng = std::max(max_lng, f.lng_deg);
    }
    // Equirectangular around the middle latitude: shapes are true at city scale.
    const double x_per_lng = std::cos((min_lat + max_lat) / 2 * M_PI / 180.0);
    const double span_x = std::max((max_lng - min_lng) * x_per_lng, 1e-6);
    const double span_y = std::max(max_lat - min_lat, 1e-6);
    const double scale = std::min((kWidth - 2 * kPad) / span_x, (kHeight - 2 * kPad) / span_y);
    const double off_x = (kWidth - span_x * scale) / 2, off_y = (kHeight - span_y * scale) / 2;
    auto point = [&](const model::Fix& f) {
      return fmt::format("{:.1f},{:.1f} ", off_x + (f.lng_deg - min_lng) * x_per_lng * scale,
                         kHeight - off_y - (f.lat_deg - min_lat) * scale);
    };
    const std::size_t step = std::max<std::size_t>(1, fixes.size() / kMaxPointsPerTrack);
    for (const Segment& s : stretches(track)) {
      std::string points;
      for (std::size_t i = s.from; i < s.to; i += step) points += point(fixes[i]);
      points += point(fixes[s.to]);
      if (s.in_break) {
        // A driver on a break rarely moves: a ring marks where, the dashes show any movement.
        const std::string where = point(fixes[s.from]);
        svg += fmt::format(
            "<circle class=\"break-mark\" cx=\"{}\" cy=\"{}\" r=\"5\" fill=\"none\" stroke=\"#f76707\" "
            "stroke-width=\"2\"/>",
            where.substr(0, where.find(',')), where.substr(where.find(',') + 1));
      }
      svg += s.in_break
                 ? fmt::format(
                       "<polyline class=\"break-stretch\" points=\"{}\" fill=\"none\" stroke=\"#f76707\" "
                       "stroke-width=\"2.2\" stroke-dasharray=\"4 3\"/>",
                       points)
                 : fmt::format(
                       "<polyline class=\"counted-stretch\" points=\"{}\" fill=\"none\" stroke=\"#1c7ed6\" "
                       "stroke-width=\"1.6\" stroke-linejoin=\"round\"/>",
                       points);
    }
    const std::string start = point(fixes.front()), end = point(fixes.back());
    const auto comma = [](const std::string& p) { return p.find(','); };
    svg += fmt::format(
        "<circle cx=\"{}\" cy=\"{}\" r=\"3.5\" fill=\"#2f9e44\"><title>first fix</title></circle>",
        start.substr(0, comma(start)), start.substr(comma(start) + 1));
    svg +=
        fmt::format("<circle cx=\"{}\" cy=\"{}\" r=\"3.5\" fill=\"#1f2933\"><title>last fix</title></circle>",
                    end.substr(0, comma(end)), end.substr(comma(end) + 1));
  } else {
    svg += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"#9aa5b1\">no fixes</text>",
                       kWidth / 2, kHeight / 2);
  }
  // The period's window as a time line, breaks as orange blocks.
  const double window = static_cast<double>(std::max<core::UtcMicros>(track.finish_us - track.start_us, 1));
  svg +=
      fmt::format("<rect x=\"0\" y=\"{}\" width=\"{}\" height=\"8\" fill=\"#d0ebff\"/>", kHeight + 4, kWidth);
  for (const auto& span : track.breaks) {
    const double from = std::max<double>(0, static_cast<double>(span.start_us - track.start_us) / window);
    const double to = span.end_us == model::BreakSpan::kOpenEnd
                          ? 1.0
                          : std::min<double>(1, static_cast<double>(span.end_us - track.start_us) / window);
    svg += fmt::format(
        "<rect class=\"break-interval\" x=\"{:.1f}\" y=\"{}\" width=\"{:.1f}\" height=\"8\" fill=\"#f76707\">"
        "<title>break {} – {}</title></rect>",
        from * kWidth, kHeight + 4, std::max(1.0, (to - from) * kWidth),
        html_escape(display_time(span.start_us)),
        span.end_us == model::BreakSpan::kOpenEnd ? std::string("open")
                                                  : html_escape(display_time(span.end_us)));
  }
  return svg + "</svg>";
}

std::string render_tracks(const ReportPageData& data) {
  if (data.selected_period.empty()) return "";
  std::string out =
      fmt::format("<section id=\"tracks\"><h2>Vehicle tracks in {}</h2>", html_escape(data.selected_period));
  if (!data.period_found) {
    return out + fmt::format("<p class=\"muted\">No live operating period {}.</p></section>",
                             html_escape(data.selected_period));
  }
  out += fmt::format(
      "<p class=\"legend muted\"><svg width=\"30\" height=\"10\"><line x1=\"0\" y1=\"5\" x2=\"30\" y2=\"5\" "
      "stroke=\"#1c7ed6\" stroke-width=\"2\"/></svg> counted toward the distance "
      "<svg width=\"30\" height=\"10\"><line x1=\"0\" y1=\"5\" x2=\"30\" y2=\"5\" stroke=\"#f76707\" "
      "stroke-width=\"2.2\" stroke-dasharray=\"4 3\"/></svg> overlaps a break (left out) · the strip under "
      "each "
      "track is the period's window, breaks in orange. Showing {} of {} vehicles.</p><div class=\"tracks\">",
      data.tracks.size(), data.vehicles_total);
  for (const auto& drawing : data.tracks) {
    out += fmt::format(
        "<figure class=\"track\"><figcaption><b>{}</b><span>{} · {} fixes "
        "counted</span></figcaption>{}</figure>",
        html_escape(drawing.vehicle.vehicle_id), km(drawing.vehicle.distance_m), drawing.vehicle.updates,
        render_track(drawing));
  }
  return out + "</div></section>";
}

}  // namespace

std::string render_report_page(const ReportPageData& data) {
  std::string body =
      "<section><h2>Average distance per operating period (breaks left out)</h2>"
      "<p class=\"muted\">Choose a period to draw its vehicles' tracks.</p>";
  body += render_bars(data) + "</section>" + render_tracks(data);
  return page_document("Report", "/report", body);
}

}  // namespace d2d::server
