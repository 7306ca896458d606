#include "pipeline/dry_run.h"

#include <fmt/format.h>

#include <filesystem>

#include "core/error.h"
#include "core/time.h"
#include "core/utf8.h"
#include "lake/lake_storage.h"
#include "lake/source.h"

namespace d2d::pipeline {

lake::ExtractPlan plan_lake_date(const RunOptions& options) {
  auto source = lake::open_source(options.source_uri, options.s3);
  // A local lake that does not exist yet holds nothing; opening it would create its folder.
  if (const auto local = lake::local_path_of(options.lake_uri); local && !std::filesystem::exists(*local)) {
    lake::Listing listing = source->list_lake_date(options.lake_date.text());
    lake::ExtractPlan plan;
    plan.refused = std::move(listing.refused);
    for (const auto& object : listing.objects)
      plan.objects.push_back({object.key, object.size, lake::ObjectChange::New});
    return plan;
  }
  const lake::RawZone raw_zone(lake::open_lake(options.lake_uri, options.s3), options.lake_date.text());
  return raw_zone.plan(*source, /*verify_all=*/options.force);
}

std::string describe_plan(const std::string& lake_date, const lake::ExtractPlan& plan,
                          const RunOptions& options) {
  std::size_t added = 0, changed = 0, unchanged = 0;
  for (const auto& object : plan.objects) {
    if (object.change == lake::ObjectChange::New) ++added;
    if (object.change == lake::ObjectChange::Changed) ++changed;
    if (object.change == lake::ObjectChange::Unchanged) ++unchanged;
  }
  const std::size_t total = plan.objects.size();
  std::string load;
  if (total == 0) {
    load = options.allow_empty ? "load nothing" : "fail: no objects (--allow-empty loads nothing)";
  } else if (changed + plan.removed.size() > 0 || options.force) {
    // A changed or vanished object: the date is loaded again whole (SPEC §8, pipeline/run.cpp).
    load = fmt::format("load all {} objects", total);
  } else if (added > 0) {
    // Whether the warehouse holds the others (loaded by this version) is in the warehouse, which
    // a dry run does not open.
    load = fmt::format(
        "load the {} new object(s) (incremental), or all {} objects if the warehouse does not hold the "
        "others "
        "as loaded by this version",
        added, total);
  } else {
    // Whether the last run loaded this very raw zone is in the warehouse, which a dry run does not open.
    load = fmt::format(
        "load all {} objects, unless the last successful run loaded this raw zone with this version (--force "
        "loads it anyway)",
        total);
  }
  std::string text = fmt::format(
      "{}: dry run: {} objects: {} new, {} changed, {} unchanged, {} removed, {} refused; would copy {} and "
      "{}\n",
      lake_date, total, added, changed, unchanged, plan.removed.size(), plan.refused.size(), added + changed,
      load);
  for (const auto& object : plan.objects) {
    if (object.change == lake::ObjectChange::Unchanged) continue;
    text +=
        fmt::format("  {:<8} {} ({} bytes)\n", object.change == lake::ObjectChange::New ? "new" : "changed",
                    core::utf8_lossy(object.key), object.size);
  }
  // Gone from the source since the last extract: the raw zone changes, so the date is loaded again.
  for (const std::string& key : plan.removed)
    text += fmt::format("  {:<8} {}\n", "removed", core::utf8_lossy(key));
  for (const auto& refused : plan.refused) {
    text += fmt::format("  {:<8} {:?}: {}\n", "refused", core::utf8_lossy(refused.key), refused.reason);
  }
  return text;
}

}  // namespace d2d::pipeline
