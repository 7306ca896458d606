// Issue 15: etl_run records the phase a run is in and the one it failed in, on both engines, and
// `d2d status` shows it. Failures in extract and transform come from the CLI; load and derive are
// made to fail in-process by a wrapper around the real warehouse, the engine doing the rest.
#include <functional>
#include <sstream>
#include <tuple>

#include "core/error.h"
#include "harness.h"
#include "pipeline/run.h"
#include "support/wrapped_warehouse.h"

namespace d2d::testing {
namespace {

namespace fs = std::filesystem;

// The data lines of `d2d status` for one lake date, each split on runs of spaces.
std::vector<std::vector<std::string>> status_rows(const std::string& status_out, const std::string& date) {
  std::vector<std::vector<std::string>> rows;
  std::istringstream lines(status_out);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(date, 0) != 0) continue;
    std::istringstream words(line);
    std::vector<std::string> fields;
    for (std::string field; words >> field;) fields.push_back(field);
    rows.push_back(std::move(fields));
  }
  return rows;
}

// A load that fails when it reaches `failing` (Load: merge, Derive: derive).
class FailingLoad final : public ForwardingLoad {
 public:
  FailingLoad(std::unique_ptr<warehouse::LakeDateLoad> inner, warehouse::RunPhase failing)
      : ForwardingLoad(std::move(inner)), m_failing(failing) {}
  std::uint64_t merge() override {
    if (m_failing == warehouse::RunPhase::Load) throw core::Error(core::ErrorKind::Warehouse, "merge broke");
    return ForwardingLoad::merge();
  }
  std::uint64_t derive() override {
    if (m_failing == warehouse::RunPhase::Derive)
      throw core::Error(core::ErrorKind::Warehouse, "derive broke");
    return ForwardingLoad::derive();
  }

 private:
  warehouse::RunPhase m_failing;
};

// The real loader; its loads fail in one phase, and `on_begin_load` sees the ledger as another
// process would at the moment the load transaction opens.
class ProbeLoader final : public warehouse::Loader {
 public:
  ProbeLoader(warehouse::Loader& inner, std::optional<warehouse::RunPhase> failing,
              std::function<void()> on_begin_load)
      : m_inner(inner), m_failing(failing), m_on_begin_load(std::move(on_begin_load)) {}
  std::unique_ptr<warehouse::LakeDateLoad> begin_load(const core::LakeDate& lake_date,
                                                      std::int64_t run_id) override {
    m_on_begin_load();
    auto load = m_inner.begin_load(lake_date, run_id);
    if (!m_failing) return load;
    return std::make_unique<FailingLoad>(std::move(load), *m_failing);
  }

 private:
  warehouse::Loader& m_inner;
  std::optional<warehouse::RunPhase> m_failing;
  std::function<void()> m_on_begin_load;
};

// The real ledger; `on_transform` sees it just before the run records the transform phase.
class ProbeLedger final : public ForwardingLedger {
 public:
  ProbeLedger(warehouse::RunLedger& inner, std::function<void()> on_transform)
      : ForwardingLedger(inner), m_on_transform(std::move(on_transform)) {}
  void set_run_phase(std::int64_t run_id, warehouse::RunPhase phase) override {
    if (phase == warehouse::RunPhase::Transform) m_on_transform();  // before: the ledger says extract
    ForwardingLedger::set_run_phase(run_id, phase);
  }

 private:
  std::function<void()> m_on_transform;
};

class PipelinePhase : public ::testing::TestWithParam<Engine> {
 protected:
  void SetUp() override {
    m_warehouse.reset();
    const auto generated = run_d2d({"generate", "--out", (m_dir / "source").string(), "--date", "2019-06-01",
                                    "--days", "1", "--vehicles", "3", "--seed", "7"});
    ASSERT_EQ(generated.exit_code, 0) << generated.err;
  }
  std::vector<std::string> with_warehouse(std::vector<std::string> args) const {
    const auto target = m_warehouse.args();
    args.insert(args.end(), target.begin(), target.end());
    return args;
  }
  warehouse::WarehouseOptions options() const {
    const auto args = m_warehouse.args();
    warehouse::WarehouseOptions result;
    result.uri = args.at(1);
    if (args.size() > 3) result.pg_schema = args.at(3);
    return result;
  }
  // Runs 2019-06-01 in this process through the probes; returns the error, "" on success.
  std::string run_in_process(
      std::optional<warehouse::RunPhase> failing, std::function<void()> on_begin_load,
      std::function<void()> on_transform = [] {}) {
    pipeline::RunOptions run;
    run.source_uri = (m_dir / "source").string();
    run.lake_uri = (m_dir / "lake").string();
    run.lake_date = *core::LakeDate::parse("2019-06-01");
    run.attempts = 1;
    run.force = true;
    WrappedWarehouse probe(warehouse::open_warehouse(options()));
    probe.replace_loader(
        std::make_unique<ProbeLoader>(probe.inner().loader(), failing, std::move(on_begin_load)));
    probe.replace_ledger(std::make_unique<ProbeLedger>(probe.inner().ledger(), std::move(on_transform)));
    try {
      pipeline::run_lake_date(run, probe);
    } catch (const std::exception& error) {
      return error.what();
    }
    return "";
  }
  std::string ledger_phase_of_last_run() const {
    return m_warehouse.query(
        "SELECT status || ':' || COALESCE(phase, '-') FROM etl_run ORDER BY run_id DESC LIMIT 1");
  }

  TempDir m_dir;
  WarehouseUnderTest m_warehouse{GetParam(), m_dir / "w"};
};

D2D_FOR_EACH_WAREHOUSE(PipelinePhase);

TEST_P(PipelinePhase, ExtractAndTransformFailuresAreRecordedAndShownByStatus) {
  // No objects that day: the extract phase fails.
  const auto empty = run_d2d(run_args_for(m_dir.path(), m_warehouse, "2019-05-20"));
  ASSERT_EQ(empty.exit_code, 1);
  EXPECT_EQ(ledger_phase_of_last_run(), "failed:extract");
  // Every line rejected: the reject gate judges transform's output, after everything is stored.
  write_text(m_dir / "source/data/2019-05-21-10-00-0-events.json", "not json\n{\"also\": \"bad\"}\n");
  const auto rejected = run_d2d(run_args_for(m_dir.path(), m_warehouse, "2019-05-21"));
  ASSERT_EQ(rejected.exit_code, 1) << rejected.err;
  EXPECT_EQ(ledger_phase_of_last_run(), "failed:transform");
  // A success records no phase.
  const auto loaded = run_d2d(run_args_for(m_dir.path(), m_warehouse, "2019-06-01"));
  ASSERT_EQ(loaded.exit_code, 0) << loaded.err;
  EXPECT_EQ(ledger_phase_of_last_run(), "succeeded:-");

  const auto status = run_d2d(with_warehouse({"status"}));
  ASSERT_EQ(status.exit_code, 0) << status.err;
  ASSERT_NE(status.out.find(" phase "), std::string::npos) << status.out;
  for (const auto& [date, state, phase] :
       {std::tuple{"2019-05-20", "failed", "extract"}, std::tuple{"2019-05-21", "failed", "transform"},
        std::tuple{"2019-06-01", "succeeded", "-"}}) {
    const auto rows = status_rows(status.out, date);
    ASSERT_EQ(rows.size(), 1U) << status.out;
    const auto& fields = rows.front();
    ASSERT_GE(fields.size(), 4U) << status.out;
    EXPECT_EQ(fields[2], state) << status.out;
    EXPECT_EQ(fields[3], phase) << status.out;
  }
}

TEST_P(PipelinePhase, LoadAndDeriveFailuresAreRecordedAgainstTheirPhase) {
  EXPECT_EQ(run_in_process(warehouse::RunPhase::Load, [] {}), "merge broke");
  EXPECT_EQ(ledger_phase_of_last_run(), "failed:load");
  EXPECT_EQ(run_in_process(warehouse::RunPhase::Derive, [] {}), "derive broke");
  EXPECT_EQ(ledger_phase_of_last_run(), "failed:derive");
  // The failed loads left nothing behind.
  EXPECT_EQ(m_warehouse.query("SELECT COUNT(*) FROM location_update"), "0");
  const auto status = run_d2d(with_warehouse({"status", "--all"}));
  ASSERT_EQ(status.exit_code, 0) << status.err;
  const auto rows = status_rows(status.out, "2019-06-01");
  ASSERT_EQ(rows.size(), 2U) << status.out;
  EXPECT_EQ((std::vector<std::string>{rows[0].at(2), rows[0].at(3)}),
            (std::vector<std::string>{"failed", "load"}));
  EXPECT_EQ((std::vector<std::string>{rows[1].at(2), rows[1].at(3)}),
            (std::vector<std::string>{"failed", "derive"}));
}

TEST_P(PipelinePhase, OtherConnectionsSeeTheRunningPhase) {
  std::string before_transform, at_begin_load;
  const std::string error = run_in_process(
      std::nullopt, [&] { at_begin_load = ledger_phase_of_last_run(); },
      [&] { before_transform = ledger_phase_of_last_run(); });
  EXPECT_EQ(error, "");
  EXPECT_EQ(before_transform, "running:extract");
  EXPECT_EQ(at_begin_load, "running:transform");  // committed before the load transaction opened
  EXPECT_EQ(ledger_phase_of_last_run(), "succeeded:-");
}

}  // namespace
}  // namespace d2d::testing
