#include "pipeline/run.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <thread>

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

// Decoding threads: all cores but the loading one, at least one.
unsigned decode_threads() { return std::max(2U, std::thread::hardware_concurrency()) - 1; }

// Streams one decoded chunk into the load (fixes, rejected lines) and the reducer.
void load_chunk(const DecodedChunk& chunk, model::LakeDateReducer& reducer, warehouse::LakeDateLoad& load,
                RejectedSpool& rejected_jsonl, warehouse::RunFigures& figures) {
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
           event.has_organization ? std::optional<std::string_view>(event.organization_id) : std::nullopt});
    }
    reducer.observe(event);
  }
}

// Transform (streaming rows into the load transaction), load, derive, commit.
// `phase` follows the work, so that a failure is recorded against the phase it happened in.
void load_from_raw_zone(const RunOptions& options, const lake::RawZone& raw_zone,
                        warehouse::Warehouse& warehouse, std::int64_t run_id, warehouse::RunFigures& figures,
                        warehouse::RunPhase& phase) {
  using warehouse::RunPhase;
  figures.events_read = figures.events_rejected = 0;
  // Committed before the load transaction opens: inside it, readers would not see the update.
  phase = RunPhase::Transform;
  warehouse.ledger().set_run_phase(run_id, phase);
  if (options.on_phase) options.on_phase(phase);
  auto started = Clock::now();
  auto load = warehouse.loader().begin_load(options.lake_date, run_id);
  model::LakeDateReducer reducer;
  RejectedSpool rejected_jsonl;
  // Objects are decoded on every core but one while this thread loads them, in manifest order.
  const std::vector<lake::ManifestEntry> manifest = raw_zone.manifest();
  DecodeLimits limits;
  limits.max_line_bytes = options.max_line_bytes;
  limits.decoder.max_period_us = options.max_period_days * core::kMicrosPerDay;
  ObjectDecoder decoder(raw_zone, manifest, options.lake_date.text(), decode_threads(), limits);
  std::uint64_t objects_done = 0;
  for (DecodedChunk chunk; decoder.next(chunk);) {
    load_chunk(chunk, reducer, *load, rejected_jsonl, figures);
    if (chunk.last_of_object && options.on_progress) {
      options.on_progress({++objects_done, manifest.size(), figures.events_read, figures.events_rejected});
    }
  }
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

  // The rejected zone is written before the commit: if the commit fails, a re-run rewrites it.
  raw_zone.write_rejected(rejected_jsonl.file());
  load->commit(figures);
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
    with_retries(options.attempts, options.lake_date.text(),
                 [&] { load_from_raw_zone(options, raw_zone, warehouse, outcome.run_id, figures, phase); });
  } catch (const std::exception& error) {
    try {
      warehouse.ledger().fail_run(outcome.run_id, ledger_text(error.what()), phase);
    } catch (const std::exception& ledger_error) {
      spdlog::warn("could not record the failed run in etl_run: {}", ledger_error.what());
    }
    throw;
  }

  const double ratio = figures.events_read == 0 ? 0.0
                                                : static_cast<double>(figures.events_rejected) /
                                                      static_cast<double>(figures.events_read);
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
