#include "model/winners.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <array>
#include <vector>

namespace d2d::model {
namespace {

// Each list is its rule's key (winners.h), most significant first, as SQL expressions over
// `{0}`, the table alias. Every one is ordered descending: the greater wins.
constexpr std::array<std::string_view, 4> kFixVersionColumns = {"{0}.event_at", "{0}.lat", "{0}.lng",
                                                                "COALESCE({0}.organization_id, '')"};
constexpr std::array<std::string_view, 6> kPeriodVersionColumns = {"{0}.event_at",
                                                                   "{0}.deleted",
                                                                   "{0}.start_at",
                                                                   "{0}.finish_at",
                                                                   "COALESCE({0}.organization_id, '')",
                                                                   "({0}.organization_id IS NOT NULL)"};
constexpr std::array<std::string_view, 2> kOrganizationColumns = {"{0}.organization_at",
                                                                  "{0}.organization_id"};

template <std::size_t N>
std::string joined(const std::array<std::string_view, N>& columns, std::string_view alias,
                   std::string_view each_suffix) {
  std::vector<std::string> parts;
  parts.reserve(N);
  for (const std::string_view column : columns) {
    parts.push_back(fmt::format("{}{}", fmt::format(fmt::runtime(column), alias), each_suffix));
  }
  return fmt::format("{}", fmt::join(parts, ", "));
}

}  // namespace

std::string fix_best_first_sql(std::string_view alias) { return joined(kFixVersionColumns, alias, " DESC"); }

std::string fix_version_row_sql(std::string_view alias) {
  return fmt::format("({})", joined(kFixVersionColumns, alias, ""));
}

std::string period_best_first_sql(std::string_view alias) {
  return joined(kPeriodVersionColumns, alias, " DESC NULLS LAST");
}

std::string organization_best_first_sql(std::string_view alias) {
  return joined(kOrganizationColumns, alias, " DESC");
}

}  // namespace d2d::model
