#include "pipeline/run.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <set>
#include <thread>
#include <unordered_map>

#include "core/error.h"
#include "core/time.h"
#include "core/utf8.h"
#include "core/version.h"
#include "lake/raw_zone.h"
#include "model/lake_date_reducer.h"
#include "pipeline/object_decoder.h"
#include "pipeline/rejected_zone.h"

namespace d2d::pipeline {
namespace {

using core::Error;
using core::ErrorKind;
using Clock = std::chrono::steady_clock;

std::int64_t elapsed_ms(Clock::time_point since) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - since).count();
}

// Runs `step`; when it fails with a transient error (connection lost, server restarting), runs
// it again after an exponential backoff, up to `attempts` times in all.
template <typename Step>
auto with_retries(int attempts, const std::string& lake_date, Step&& step) -> decltype(step()) {
  for (int attempt = 1;; ++attempt) {
    try {
      return step();
    } catch (const Error& error) {
      if (!error.transient() || attempt >= attempts) throw;
      const auto backoff = std::chrono::milliseconds(500 << (attempt - 1));
      spdlog::warn("{}: attempt {} of {} failed: {}; retrying in {} ms", lake_date, attempt, attempts,
                   error.what(), backoff.count());
      std::this_thread::sleep_for(backoff);
    }
  }
}

// What etl_run.error keeps of a failure: valid UTF-8 without NUL, of bounded length. Errors quote
// untrusted bytes (keys, server messages), and recording a failure must never fail itself:
// PostgreSQL refused such a text and left the run at `running`.
std::string ledger_text(std::string_view message) {
  constexpr std::size_t kMaxBytes = 8192;
  return core::utf8_lossy(core::utf8_prefix(message, kMaxBytes));
}

// Decoding threads: one per core. The loading thread mostly waits for them during transform (it
// only files the decoded rows and sorts them a chunk at a time), so it takes no core of its own
// (docs/decisions.md, "Both cores busy").
unsigned decode_threads() { return std::max(1U, std::thread::hardware_concurrency()); }

// Streams one decoded chunk into the load (fixes, rejected lines) and the reducer.
void load_chunk(const DecodedChunk& chunk, std::int64_t object_id, model::LakeDateReducer& reducer,
                warehouse::LakeDateLoad& load, RejectedSpool& rejected_jsonl,
                warehouse::RunFigures& figures) {
  figures.events_read += chunk.lines;
  figures.events_rejected += chunk.rejected.size();
  for (const RejectedLine& line : chunk.rejected) {
    load.add_rejected(
        {chunk.source, line.line_number, line.reason_code, line.reason, line.raw, line.raw_length});
  }
  rejected_jsonl.append(chunk.rejected_jsonl);
  for (const events::Event& event : chunk.events) {
    if (event.kind == events::EventKind::VehicleUpdate) {
      load.add_location(
          {event.id, event.fix_at_us, event.at_us, event.lat_deg, event.lng_deg,
           event.has_organization ? std::optional<std::string_view>(event.organization_id) : std::nullopt,
           object_id});
    }
    reducer.observe(event);
  }
}

// What a load reads: every object of the raw zone (full), or only those the warehouse does not
// hold yet (incremental, SPEC §8). Incremental only when each object the date holds is still in
// the raw zone unchanged and was loaded by this code version: a changed or vanished object, or
// new code, means the date is loaded again whole (retracting one object's rows is not possible
// from what the warehouse keeps: a date stores only its best version of each fix, not every
// object's; docs/decisions.md).
struct LoadPlan {
  warehouse::LoadMode mode = warehouse::LoadMode::Full;
  std::vector<lake::ManifestEntry> objects;
  std::string why;  // for the log
};

LoadPlan plan_load(const std::vector<lake::ManifestEntry>& manifest,
                   const std::vector<warehouse::LoadedObject>& loaded, bool force) {
  LoadPlan plan{warehouse::LoadMode::Full, manifest, ""};
  // In key order: objects are registered in this order. FixSorter names an identical version's
  // row after the object that comes first: SQLite's ids grow in this order within a load;
  // PostgreSQL keeps the ids of objects a date held and ranks them by this order (DateFixes).
  std::sort(plan.objects.begin(), plan.objects.end(),
            [](const auto& a, const auto& b) { return a.key < b.key; });
  if (force) return plan.why = "--force", plan;
  if (loaded.empty()) return plan.why = "the warehouse holds no object of the date", plan;
  std::unordered_map<std::string_view, const lake::ManifestEntry*> in_raw_zone;
  for (const lake::ManifestEntry& entry : manifest) in_raw_zone.emplace(entry.key, &entry);
  for (const warehouse::LoadedObject& object : loaded) {
    const auto found = in_raw_zone.find(object.key);
    if (found == in_raw_zone.end()) {
      return plan.why = fmt::format("object {:?} left the source", core::utf8_lossy(object.key)), plan;
    }
    if (found->second->md5 != object.md5 || found->second->size != object.size) {
      return plan.why = fmt::format("object {:?} changed", core::utf8_lossy(object.key)), plan;
    }
    if (object.code_version != core::code_version()) {
      return plan.why = fmt::format("the date was loaded by code version {}", object.code_version), plan;
    }
    in_raw_zone.erase(found);
  }
  if (in_raw_zone.empty()) return plan.why = "no new object (the last run did not succeed)", plan;
  plan.mode = warehouse::LoadMode::Incremental;
  std::erase_if(plan.objects,
                [&](const lake::ManifestEntry& entry) { return !in_raw_zone.contains(entry.key); });
  plan.why = fmt::format("{} new object(s), {} held", plan.objects.size(), loaded.size());
  return plan;
}

// Transform (streaming rows into the load transaction), load, derive, commit.
// `phase` follows the work, so that a failure is recorded against the phase it happened in.
void load_from_raw_zone(const RunOptions& options, const lake::RawZone& raw_zone,
                        warehouse::Warehouse& warehouse, std::int64_t run_id, warehouse::RunFigures& figures,
                        warehouse::LineCounts& date_lines, warehouse::RunPhase& phase) {
  using warehouse::RunPhase;
  figures.events_read = figures.events_rejected = 0;
  // Committed before the load transaction opens: inside it, readers would not see the update.
  phase = RunPhase::Transform;
  warehouse.ledger().set_run_phase(run_id, phase);
  if (options.on_phase) options.on_phase(phase);
  auto started = Clock::now();
  auto load = warehouse.loader().begin_load(options.lake_date, run_id);
  const std::vector<warehouse::LoadedObject> held = load->loaded_objects();
  const LoadPlan plan = plan_load(raw_zone.manifest(), held, options.force);
  spdlog::info("{}: {} load: {}", options.lake_date.text(), warehouse::load_mode_name(plan.mode), plan.why);
  load->start(plan.mode);
  figures.load_mode = plan.mode;
  figures.objects_loaded = plan.objects.size();
  // The rejected zone holds a file per load the warehouse holds; one of a run that never committed
  // goes (its objects are read again now). The others stay until a full load replaces them.
  std::set<std::int64_t> held_runs;
  for (const warehouse::LoadedObject& object : held) held_runs.insert(object.run_id);
  raw_zone.remove_rejected_files_except(held_runs, /*legacy=*/false);
  model::LakeDateReducer reducer;
  RejectedSpool rejected_jsonl;
  std::unordered_map<const lake::ManifestEntry*, std::pair<std::int64_t, warehouse::LineCounts>> objects;
  for (const lake::ManifestEntry& entry : plan.objects) {
    objects[&entry] = {load->add_object({entry.key, entry.size, entry.md5}), {}};
  }
  // Objects are decoded on every core while this thread takes their rows, in manifest order.
  DecodeLimits limits;
  limits.max_line_bytes = options.max_line_bytes;
  limits.decoder.max_period_us = options.max_period_days * core::kMicrosPerDay;
  ObjectDecoder decoder(raw_zone, plan.objects, options.lake_date.text(), decode_threads(), limits);
  std::uint64_t objects_done = 0;
  for (DecodedChunk chunk; decoder.next(chunk);) {
    auto& [object_id, lines] = objects.at(chunk.entry);
    load_chunk(chunk, object_id, reducer, *load, rejected_jsonl, figures);
    lines.read += chunk.lines;
    lines.rejected += chunk.rejected.size();
    if (chunk.last_of_object && options.on_progress) {
      options.on_progress(
          {++objects_done, plan.objects.size(), figures.events_read, figures.events_rejected});
    }
  }
  for (const auto& [entry, object] : objects) load->set_object_lines(object.first, object.second);
  reducer.flush_to(*load);
  figures.transform_ms = elapsed_ms(started);
  spdlog::info("transform {}: {} events read, {} rejected in {} ms", options.lake_date.text(),
               figures.events_read, figures.events_rejected, figures.transform_ms);

  phase = RunPhase::Load;
  if (options.on_phase) options.on_phase(phase);
  started = Clock::now();
  figures.rows_loaded = load->merge();
  figures.load_ms = elapsed_ms(started);
  phase = RunPhase::Derive;
  if (options.on_phase) options.on_phase(phase);
  started = Clock::now();
  figures.periods_derived = load->derive();
  figures.derive_ms = elapsed_ms(started);
  spdlog::info("load {}: {} location rows in {} ms; derive: {} operating periods in {} ms",
               options.lake_date.text(), figures.rows_loaded, figures.load_ms, figures.periods_derived,
               figures.derive_ms);
  date_lines = load->date_lines();

  // This run's rejected lines are written before the commit: if the commit fails, the next run
  // removes the file and reads its objects again.
  if (figures.events_rejected > 0) raw_zone.write_rejected(rejected_jsonl.file(), run_id);
  load->commit(figures);
  if (plan.mode == warehouse::LoadMode::Full) {
    // Committed: the files of the loads this one replaced go. A failure here loses nothing (the
    // next run removes them), so it is a warning.
    try {
      raw_zone.remove_rejected_files_except({run_id}, /*legacy=*/true);
    } catch (const std::exception& error) {
      spdlog::warn("{}: could not remove the replaced rejected-zone files: {}", options.lake_date.text(),
                   error.what());
    }
  }
}

// The run that loaded exactly this raw zone with this code version, when it is the date's last
// finished run: re-loading would give the same warehouse. A failed last run (including a reject
// ratio over the threshold) always means work to do.
std::optional<std::int64_t> unchanged_since(warehouse::Warehouse& warehouse, const core::LakeDate& lake_date,
                                            const std::string& raw_manifest_md5) {
  const auto last = warehouse.ledger().last_finished_run(lake_date);
  if (!last || !last->succeeded || last->raw_manifest_md5 != raw_manifest_md5 ||
      last->code_version != core::code_version()) {
    return std::nullopt;
  }
  return last->run_id;
}

}  // namespace

RunOutcome run_lake_date(const RunOptions& options, warehouse::Warehouse& warehouse) {
  RunOutcome outcome;
  outcome.run_id = with_retries(options.attempts, options.lake_date.text(), [&] {
    warehouse.migrator().migrate_up();
    return warehouse.ledger().start_run(options.lake_date);
  });
  warehouse::RunFigures& figures = outcome.figures;
  warehouse::LineCounts date_lines;           // of every object the date holds, for the reject gate
  auto phase = warehouse::RunPhase::Extract;  // start_run records it
  if (options.on_phase) options.on_phase(phase);
  try {
    // Extract: source -> raw zone.
    auto started = Clock::now();
    auto source = lake::open_source(options.source_uri, options.s3);
    lake::RawZone raw_zone(lake::open_lake(options.lake_uri, options.s3), options.lake_date.text());
    const lake::ExtractStats extracted = raw_zone.extract(*source, /*verify_all=*/options.force);
    figures.extract_ms = elapsed_ms(started);
    figures.objects = extracted.objects;
    figures.objects_copied = extracted.copied;
    figures.objects_refused = extracted.refused.size();
    figures.bytes = extracted.bytes;
    for (const lake::RefusedObject& refused : extracted.refused) {
      spdlog::warn("{}: skipping source object {:?}: {}", options.lake_date.text(),
                   core::utf8_lossy(refused.key), refused.reason);
    }
    if (extracted.stale_temporaries > 0) {
      spdlog::info("{}: removed {} temporary file(s) an interrupted run left in the lake",
                   options.lake_date.text(), extracted.stale_temporaries);
    }
    spdlog::info(
        "extract {}: {} objects from {} ({} copied, {} unchanged, {} read again to compare), {:.1f} MB "
        "in {} ms",
        options.lake_date.text(), extracted.objects, source->describe(), extracted.copied, extracted.skipped,
        extracted.reread, static_cast<double>(extracted.bytes) / 1e6, figures.extract_ms);
    figures.raw_manifest_md5 = extracted.manifest_md5;
    if (!options.force) {
      // Retried like the load: the server may restart between the extract and the load.
      const auto unchanged = with_retries(options.attempts, options.lake_date.text(), [&] {
        return unchanged_since(warehouse, options.lake_date, figures.raw_manifest_md5);
      });
      if (const auto& last = unchanged) {
        warehouse.ledger().finish_unchanged(outcome.run_id, figures);
        outcome.nothing_to_do = true;
        outcome.loaded_by_run = *last;
        spdlog::info("{}: nothing to do: run {} loaded this raw zone with this code version",
                     options.lake_date.text(), *last);
        return outcome;
      }
    }
    if (extracted.objects == 0 && !options.allow_empty) {
      throw Error(ErrorKind::Input,
                  fmt::format("no objects for lake date {} in source {} (pass --allow-empty if the "
                              "date really has no data)",
                              options.lake_date.text(), source->describe()));
    }

    // Transform + load + derive, one transaction. A transient warehouse failure (connection
    // lost, server restarting) rolls it back; the attempt is repeated from the raw zone.
    with_retries(options.attempts, options.lake_date.text(), [&] {
      load_from_raw_zone(options, raw_zone, warehouse, outcome.run_id, figures, date_lines, phase);
    });
  } catch (const std::exception& error) {
    try {
      warehouse.ledger().fail_run(outcome.run_id, ledger_text(error.what()), phase);
    } catch (const std::exception& ledger_error) {
      spdlog::warn("could not record the failed run in etl_run: {}", ledger_error.what());
    }
    throw;
  }

  // The gate judges the whole date, not one increment: a one-minute object with one bad line of
  // five must not fail a date whose lines are 99.9% good (SPEC §8: the same as one load of all).
  const double ratio = date_lines.read == 0
                           ? 0.0
                           : static_cast<double>(date_lines.rejected) / static_cast<double>(date_lines.read);
  if (ratio > options.max_reject_ratio) {
    const std::string message = fmt::format(
        "lake date {}: {:.2f}% of lines rejected, above the threshold of {:.2f}% (everything was stored; "
        "see rejected_event)",
        options.lake_date.text(), ratio * 100, options.max_reject_ratio * 100);
    // The gate judges what transform made of the lines; load and derive did their work.
    warehouse.ledger().fail_run(outcome.run_id, ledger_text(message), warehouse::RunPhase::Transform);
    throw Error(ErrorKind::Input, message);
  }
  return outcome;
}

}  // namespace d2d::pipeline
