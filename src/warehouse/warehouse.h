// The warehouse: where typed rows land and the answer is read (SPEC §5). One implementation
// per engine (warehouse/sqlite/, warehouse/postgres/), each split into the roles its callers use:
// the migrator (`d2d migrate`, every writer first), the run ledger (etl_run), the loader (one lake
// date at a time) and the queries (report, status and serve's pages). Each engine owns its
// concurrency (SQLite: one writer per file; PostgreSQL: a lock per lake date); callers never lock.
//
// Loading a lake date is one transaction (LakeDateLoad): what the date contributed before is
// replaced by what it contributes now, the winners of SPEC §4 are recomputed across all
// dates for every key the date touches (old or new), and the distances of every operating
// period those changes can reach are derived again. The result depends only on the set of
// loaded dates, never on their order or on how often each was loaded.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/time.h"
#include "model/distance.h"
#include "model/lake_date_rows.h"
#include "warehouse/migrations.h"

namespace d2d::warehouse {

using model::BreakEventRow;
using model::LocationRow;
using model::PeriodEventRow;
using model::VehicleRow;

struct RejectedRow {
  std::string_view source;  // the object key
  std::uint64_t line = 0;
  std::string_view reason_code;
  std::string_view reason;
  std::string_view raw;  // possibly cut
  std::uint64_t raw_length = 0;
};

// How a load treats what its lake date held before (SPEC §8): a full load replaces it; an
// incremental load keeps it and adds new objects, whose rows compete with the date's own under
// SPEC §4 exactly as if all the objects had been read at once.
enum class LoadMode { Full, Incremental };
constexpr std::string_view load_mode_name(LoadMode mode) {
  return mode == LoadMode::Full ? "full" : "incremental";
}

// Figures of one run, recorded in etl_run.
struct RunFigures {
  std::int64_t extract_ms = 0, transform_ms = 0, load_ms = 0, derive_ms = 0;
  std::uint64_t objects = 0, objects_copied = 0, bytes = 0;
  std::uint64_t objects_refused = 0;  // keys that could not be used as lake paths (SPEC §7): skipped
  std::uint64_t events_read = 0, events_rejected = 0, rows_loaded = 0, periods_derived = 0;
  std::string raw_manifest_md5;  // what the run read: the raw zone's manifest, hashed
  // How the run loaded (SPEC §8) and how many objects it read: all of the date's (full) or the
  // ones it gained since its last load (incremental). events_* count the lines of those objects.
  std::optional<LoadMode> load_mode;
  std::uint64_t objects_loaded = 0;
};

// The last finished run of a lake date (succeeded or failed), as the no-op check needs it.
struct LastRun {
  std::int64_t run_id = 0;
  bool succeeded = false;
  std::string raw_manifest_md5;  // empty for runs recorded before the column existed
  std::string code_version;
};

struct PeriodAnswer {
  std::string operating_period_id;
  std::int64_t vehicles = 0;
  std::optional<double> avg_distance_m;  // null when no vehicle took part
  double total_distance_m = 0;
  core::UtcMicros start_us = 0, finish_us = 0;
  std::optional<std::string> organization_id;  // the period's own (operating_period.organization_id)
  // Some of its vehicles' fixes in its window came from a lake date whose latest load failed its
  // reject gate (stored everything, then failed on --max-reject-ratio): the answer may be partial.
  bool reject_gate_failed = false;
};

// Which periods `report` answers for; empty fields do not filter.
struct ReportFilter {
  std::optional<core::UtcMicros> start_from_us;    // start_at >= this
  std::optional<core::UtcMicros> start_before_us;  // start_at < this
  std::optional<std::string> organization_id;      // operating_period.organization_id = this
};

// The phases of a run, in the order they happen (etl_run.phase).
enum class RunPhase { Extract, Transform, Load, Derive };
inline constexpr std::array<RunPhase, 4> kRunPhases = {RunPhase::Extract, RunPhase::Transform, RunPhase::Load,
                                                       RunPhase::Derive};
constexpr std::string_view run_phase_name(RunPhase phase) {
  constexpr std::array<std::string_view, 4> names = {"extract", "transform", "load", "derive"};
  return names[static_cast<std::size_t>(phase)];
}
// nullopt for NULL or a name this binary does not know (a newer one wrote it).
inline std::optional<RunPhase> parse_run_phase(std::string_view name) {
  for (const RunPhase phase : kRunPhases) {
    if (run_phase_name(phase) == name) return phase;
  }
  return std::nullopt;
}

// One row of the etl_run ledger, as the status page and `d2d status` read it.
struct RunRecord {
  std::int64_t run_id = 0;
  std::string lake_date;  // YYYY-MM-DD
  std::string status;     // running, succeeded or failed
  core::UtcMicros started_at_us = 0;
  std::optional<core::UtcMicros> finished_at_us;
  // Recorded when the load committed: every succeeded run, and a run failed afterwards on the
  // reject ratio. A run that failed before (or is still running) has none.
  std::optional<RunFigures> figures;
  std::string code_version;
  std::optional<std::string> error;
  bool unchanged = false;             // succeeded with nothing to do: same raw zone, same code version
  std::uint64_t objects_refused = 0;  // skipped: keys that could not be lake paths (SPEC §7)
  // A running run: the phase it is in, as far as readers can see (see set_run_phase). A failed
  // run: the phase that failed. Succeeded runs, and runs recorded before the column, have none.
  std::optional<RunPhase> phase;
};

struct RunFilter {
  std::optional<std::string> lake_date;  // only this date
  bool latest_per_date = false;          // only the newest run of each date
};

struct RejectSample {
  std::string source;  // object key
  std::uint64_t line = 0;
  std::string reason;
  std::string raw;  // as stored (cut at 4 KiB; may not be valid UTF-8)
  std::uint64_t raw_length = 0;
};

// Rejected lines of one lake date grouped by reason code, most frequent first.
struct RejectReason {
  std::string reason_code;
  std::int64_t count = 0;
  std::vector<RejectSample> samples;  // the first few, by source and line
};

// A vehicle that took part in an operating period (vehicle_operating_period_distance).
struct PeriodVehicle {
  std::string vehicle_id;
  double distance_m = 0;
  std::int64_t updates = 0;
};

// What drawing one vehicle's track in one period needs: its fixes inside the window (those in
// a break too, so the drawing can show them) and its breaks that meet the window.
struct VehicleTrack {
  std::string vehicle_id;
  core::UtcMicros start_us = 0, finish_us = 0;  // the period's window
  std::vector<model::Fix> fixes;                // by time
  std::vector<model::BreakSpan> breaks;         // by start
};

// An object of the raw zone whose lines a committed load of its lake date holds (lake_object).
struct LoadedObject {
  std::string key;  // the source object's key, as in the raw zone's manifest
  std::uint64_t size = 0;
  std::string md5;
  std::string code_version;  // of the run that loaded it
  std::int64_t run_id = 0;   // that run (its rejected lines are in its rejected-zone file)
};

// One object a load reads, registered before its lines (add_object).
struct ObjectRow {
  std::string_view key;
  std::uint64_t size = 0;
  std::string_view md5;
};

// Lines read and rejected, of the objects of a lake date the warehouse holds.
struct LineCounts {
  std::uint64_t read = 0, rejected = 0;
};

class LakeDateLoad : public model::LakeDateEntitySink {
 public:
  ~LakeDateLoad() override = default;  // without commit(): everything is rolled back
  // The objects the date's committed loads hold, read inside this load's transaction (after its
  // lock), so two runs of one date never both take the same objects for new.
  virtual std::vector<LoadedObject> loaded_objects() = 0;
  // Called once, before any row: Full forgets everything the date contributed before.
  virtual void start(LoadMode mode) = 0;
  // Registers an object this load reads (lake_object); returns its key there.
  virtual std::int64_t add_object(const ObjectRow& object) = 0;
  // Records how many lines of a registered object were read and rejected.
  virtual void set_object_lines(std::int64_t object_id, const LineCounts& lines) = 0;
  // Lines of every object the date holds once this load commits: the reject gate judges the date.
  virtual LineCounts date_lines() = 0;
  virtual void add_location(const LocationRow& row) = 0;
  virtual void add_rejected(const RejectedRow& row) = 0;
  // Applies winners across dates; returns the number of location rows the date now holds.
  virtual std::uint64_t merge() = 0;
  // Recomputes distances of every affected operating period; returns how many.
  virtual std::uint64_t derive() = 0;
  // Records the run as succeeded with its figures and commits everything at once.
  virtual void commit(const RunFigures& figures) = 0;
};

// Versioned schema changes (SPEC §6).
class Migrator {
 public:
  virtual ~Migrator() = default;
  virtual std::vector<MigrationState> migration_status() = 0;
  virtual int migrate_up() = 0;             // returns the number of migrations applied
  virtual int migrate_down(int steps) = 0;  // returns the number rolled back
  // The tables the rollbacks of `migrate_down(steps)` would drop that hold rows now, so the
  // command can ask before it destroys data (SPEC §6).
  virtual std::vector<TableRows> rows_dropped_by_down(int steps) = 0;
};

// The etl_run ledger: written by runs, read by status, serve and the no-op check.
class RunLedger {
 public:
  virtual ~RunLedger() = default;
  // Records a 'running' run (committed at once, so a crash leaves a trace) and returns its id.
  virtual std::int64_t start_run(const core::LakeDate& lake_date) = 0;
  // Records the phase a running run has entered, committed at once. Transform, load and derive
  // share one transaction (SQLite has one writer; readers see a load whole or not at all), so
  // readers see `transform` until that transaction commits.
  virtual void set_run_phase(std::int64_t run_id, RunPhase phase) = 0;
  // `phase`: the one that failed, recorded with the failure (a rolled-back load took its own
  // phase updates with it).
  virtual void fail_run(std::int64_t run_id, const std::string& error, RunPhase phase) = 0;
  // The date's latest run that finished, if any: a re-run of an unchanged raw zone by the same
  // code has nothing to do.
  virtual std::optional<LastRun> last_finished_run(const core::LakeDate& lake_date) = 0;
  // Records a run that found nothing to do: succeeded, `unchanged`, with the extract figures.
  virtual void finish_unchanged(std::int64_t run_id, const RunFigures& figures) = 0;
  // The ledger, by lake date then run id.
  virtual std::vector<RunRecord> runs(const RunFilter& filter) = 0;
};

class Loader {
 public:
  virtual ~Loader() = default;
  // Opens the lake date's load transaction. Waits for (or, without wait_for_lock, fails at once
  // on) another run holding what the engine locks: see WarehouseOptions::wait_for_lock.
  virtual std::unique_ptr<LakeDateLoad> begin_load(const core::LakeDate& lake_date, std::int64_t run_id) = 0;
};

// What analysts and the pages read.
class Queries {
 public:
  virtual ~Queries() = default;
  // Live periods by id, with their windows and the reject-gate mark.
  virtual std::vector<PeriodAnswer> report(const ReportFilter& filter) = 0;
  virtual std::vector<RejectReason> reject_reasons(const std::string& lake_date, int samples_per_reason) = 0;
  // Vehicles that took part in a live period, by id (empty when unknown or deleted).
  virtual std::vector<PeriodVehicle> period_vehicles(const std::string& period_id) = 0;
  // nullopt when the period is unknown or deleted.
  virtual std::optional<VehicleTrack> vehicle_track(const std::string& period_id,
                                                    const std::string& vehicle_id) = 0;
  // The newest location.at the warehouse holds (SPEC §8's freshness); nullopt when it holds none.
  virtual std::optional<core::UtcMicros> newest_fix_at() = 0;
};

// One open warehouse: its roles share the engine's connection (not thread-safe: one per thread).
class Warehouse {
 public:
  virtual ~Warehouse() = default;
  virtual Migrator& migrator() = 0;
  virtual RunLedger& ledger() = 0;
  virtual Loader& loader() = 0;
  virtual Queries& queries() = 0;
  virtual std::string describe() const = 0;  // masked, for logs
};

struct WarehouseOptions {
  // sqlite:///abs/path.db, file:///abs/path.db, a bare path, or postgresql://... ("postgresql:"
  // alone, or an empty string with PGHOST set, takes everything from libpq's PG* environment).
  std::string uri;
  std::string pg_schema = "vehicle_analytics";
  // false: a load fails at once instead of waiting for another run. PostgreSQL: another run of the
  // same lake date. SQLite, one writer per file: another process writing to the file (loads in
  // this process, a backfill's dates, still take turns).
  bool wait_for_lock = true;
  bool pg_analyst_role = false;  // migrations create the read-only d2d_analyst role
  int connect_attempts = 5;      // with exponential backoff, for refused/starting servers
  // Commands that read (report, status, serve's pages) never create, migrate or change a
  // warehouse (SPEC §6): a missing one, or one whose schema is not this binary's, is an error
  // naming the command that fixes it. migrate_up/down and loads are refused.
  bool read_only = false;
};

enum class WarehouseEngine { Sqlite, Postgres };

// What a warehouse URI names, parsed once, when the warehouse is opened (or described).
struct WarehouseTarget {
  WarehouseEngine engine = WarehouseEngine::Sqlite;
  // SQLite: the file's path. PostgreSQL: the libpq URI as given, empty for libpq's PG* environment.
  std::string location;
};
// Throws core::Error(Usage) with one clear line for a URI that names no warehouse.
WarehouseTarget parse_warehouse_uri(std::string_view uri);

// For logs, without opening the warehouse (PostgreSQL passwords masked).
std::string describe_warehouse(const WarehouseOptions& options);
std::string describe_postgres(const std::string& libpq_uri, const std::string& pg_schema);

// Opens a warehouse. Throws core::Error with one clear line when it cannot.
std::unique_ptr<Warehouse> open_warehouse(const WarehouseOptions& options);
inline std::unique_ptr<Warehouse> open_warehouse(const std::string& uri) {
  return open_warehouse(WarehouseOptions{uri});
}

}  // namespace d2d::warehouse
