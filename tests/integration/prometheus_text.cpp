#include "prometheus_text.h"

#include <cmath>
#include <regex>
#include <set>
#include <stdexcept>

namespace d2d::testing {
namespace {

const std::regex kMetricName("[a-zA-Z_:][a-zA-Z0-9_:]*");
const std::regex kLabelName("[a-zA-Z_][a-zA-Z0-9_]*");

[[noreturn]] void fail(std::size_t line, const std::string& why) {
  throw std::runtime_error("metrics line " + std::to_string(line) + ": " + why);
}

double parse_value(const std::string& text, std::size_t line) {
  if (text == "+Inf") return INFINITY;
  if (text == "-Inf") return -INFINITY;
  if (text == "NaN") return NAN;
  std::size_t used = 0;
  double value = 0;
  try {
    value = std::stod(text, &used);
  } catch (const std::exception&) {
    fail(line, "not a number: '" + text + "'");
  }
  if (used != text.size()) fail(line, "not a number: '" + text + "'");
  return value;
}

// The family a sample name belongs to, given the family's type (summary/histogram suffixes).
bool belongs_to(const std::string& sample, const PromFamily& family) {
  if (sample == family.name) return family.type != "histogram";
  for (const char* suffix : {"_sum", "_count", "_bucket"}) {
    if (sample == family.name + suffix) {
      if (family.type == "summary") return std::string_view(suffix) != "_bucket";
      if (family.type == "histogram") return true;
    }
  }
  return false;
}

PromSample parse_sample(const std::string& text, std::size_t line) {
  PromSample sample;
  std::size_t i = 0;
  while (i < text.size() && text[i] != '{' && text[i] != ' ') ++i;
  sample.name = text.substr(0, i);
  if (!std::regex_match(sample.name, kMetricName)) fail(line, "bad metric name '" + sample.name + "'");
  if (i < text.size() && text[i] == '{') {
    ++i;
    while (i < text.size() && text[i] != '}') {
      const std::size_t eq = text.find('=', i);
      if (eq == std::string::npos) fail(line, "label without '='");
      const std::string label = text.substr(i, eq - i);
      if (!std::regex_match(label, kLabelName) || label.starts_with("__"))
        fail(line, "bad label name '" + label + "'");
      if (eq + 1 >= text.size() || text[eq + 1] != '"') fail(line, "label value not quoted");
      std::string value;
      std::size_t k = eq + 2;
      for (; k < text.size() && text[k] != '"'; ++k) {
        if (text[k] == '\\') {
          if (k + 1 >= text.size()) fail(line, "dangling escape");
          const char escaped = text[++k];
          if (escaped == 'n') {
            value += '\n';
          } else if (escaped == '\\' || escaped == '"') {
            value += escaped;
          } else {
            fail(line, "bad escape in label value");
          }
        } else if (text[k] == '\n') {
          fail(line, "raw newline in label value");
        } else {
          value += text[k];
        }
      }
      if (k >= text.size()) fail(line, "unterminated label value");
      if (!sample.labels.emplace(label, value).second) fail(line, "label '" + label + "' repeated");
      i = k + 1;
      if (i < text.size() && text[i] == ',') ++i;
    }
    if (i >= text.size()) fail(line, "unterminated label set");
    ++i;
  }
  if (i >= text.size() || text[i] != ' ') fail(line, "no space before the value");
  std::string rest = text.substr(i + 1);
  const std::size_t space = rest.find(' ');
  sample.value = parse_value(rest.substr(0, space), line);
  if (space != std::string::npos) {
    const std::string timestamp = rest.substr(space + 1);
    if (timestamp.empty() || timestamp.find_first_not_of("-0123456789") != std::string::npos)
      fail(line, "bad timestamp '" + timestamp + "'");
  }
  return sample;
}

}  // namespace

std::map<std::string, PromFamily> parse_prometheus_text(std::string_view text) {
  if (text.empty() || text.back() != '\n') fail(0, "the exposition must end with a newline");
  std::map<std::string, PromFamily> families;
  std::set<std::string> closed;  // families whose samples ended: they may not appear again
  std::set<std::string> seen_series;
  PromFamily* current = nullptr;
  std::size_t number = 0, start = 0;
  while (start < text.size()) {
    const std::size_t end = text.find('\n', start);
    const std::string line(text.substr(start, end - start));
    start = end + 1;
    ++number;
    if (line.empty()) continue;
    if (line.starts_with("# HELP ") || line.starts_with("# TYPE ")) {
      const bool is_type = line[2] == 'T';
      const std::string rest = line.substr(7);
      const std::size_t space = rest.find(' ');
      const std::string name = rest.substr(0, space);
      const std::string value = space == std::string::npos ? "" : rest.substr(space + 1);
      if (!std::regex_match(name, kMetricName)) fail(number, "bad metric name in comment");
      if (closed.count(name) != 0) fail(number, "family " + name + " appears twice");
      PromFamily& family = families[name];
      family.name = name;
      if (current != nullptr && current != &family) closed.insert(current->name);
      current = &family;
      if (is_type) {
        static const std::set<std::string> kTypes = {"counter", "gauge", "histogram", "summary", "untyped"};
        if (kTypes.count(value) == 0) fail(number, "unknown type '" + value + "'");
        if (!family.type.empty()) fail(number, "second TYPE for " + name);
        if (!family.samples.empty()) fail(number, "TYPE after samples of " + name);
        family.type = value;
      } else {
        if (!family.help.empty()) fail(number, "second HELP for " + name);
        family.help = value;
      }
      continue;
    }
    if (line[0] == '#') continue;  // other comments are allowed
    PromSample sample = parse_sample(line, number);
    if (current == nullptr || !belongs_to(sample.name, *current)) {
      fail(number, "sample " + sample.name + " outside a declared family (TYPE must come first)");
    }
    std::string series = sample.name;
    for (const auto& [k, v] : sample.labels) series += "|" + k + "=" + v;
    if (!seen_series.insert(series).second) fail(number, "duplicate series " + series);
    if (current->type == "counter" && !(sample.value >= 0)) fail(number, "negative or NaN counter");
    if (sample.name.ends_with("_count") && (sample.value < 0 || sample.value != std::floor(sample.value)))
      fail(number, "a _count must be a whole number");
    current->samples.push_back(std::move(sample));
  }
  for (const auto& [name, family] : families) {
    if (family.type.empty()) fail(0, "family " + name + " has no TYPE");
    if (family.help.empty()) fail(0, "family " + name + " has no HELP");
    if (family.samples.empty()) fail(0, "family " + name + " has no samples");
  }
  return families;
}

double prom_value(const std::map<std::string, PromFamily>& families, const std::string& name,
                  const std::map<std::string, std::string>& labels) {
  for (const auto& [family_name, family] : families) {
    for (const auto& sample : family.samples) {
      if (sample.name == name && sample.labels == labels) return sample.value;
    }
  }
  throw std::runtime_error("no sample " + name);
}

}  // namespace d2d::testing
