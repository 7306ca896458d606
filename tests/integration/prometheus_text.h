// A strict parser of the Prometheus text exposition format (0.0.4), written for the tests so
// that /metrics is checked by something other than the code that renders it. Throws
// std::runtime_error naming the line on anything a Prometheus server would refuse or misread.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace d2d::testing {

struct PromSample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};

struct PromFamily {
  std::string name, type, help;
  std::vector<PromSample> samples;
};

std::map<std::string, PromFamily> parse_prometheus_text(std::string_view text);

// The value of the one sample `name` with exactly `labels`; throws when absent.
double prom_value(const std::map<std::string, PromFamily>& families, const std::string& name,
                  const std::map<std::string, std::string>& labels = {});

}  // namespace d2d::testing
