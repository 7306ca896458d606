// d2d run/backfill --dry-run: what a run of a lake date would copy into the raw zone and load,
// found by comparing the source's listing with the lake (extract's own rule), writing nothing:
// no lake file, no warehouse file, no ledger row.
#pragma once

#include <string>

#include "lake/raw_zone.h"
#include "pipeline/run.h"

namespace d2d::pipeline {

// The plan for options.lake_date. Throws core::Error when the source or the lake cannot be read.
lake::ExtractPlan plan_lake_date(const RunOptions& options);

// The plan as text for people: one summary line, then a line per new or changed object.
std::string describe_plan(const std::string& lake_date, const lake::ExtractPlan& plan,
                          const RunOptions& options);

}  // namespace d2d::pipeline
