// run_backfill on a real SQLite warehouse: the engine's writer gate keeps loads of parallel dates
// from overlapping (they queue in-process instead of on SQLite's busy timeout), every date
// succeeds, and the observer hears of each date in order of its own events.
#include "pipeline/backfill.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include "core/error.h"
#include "support/wrapped_warehouse.h"

namespace d2d::pipeline {
namespace {
namespace fs = std::filesystem;

TEST(LakeDatesBetween, EveryDateIncludedAcrossMonthsAndLeapDays) {
  auto texts = [](const std::vector<core::LakeDate>& dates) {
    std::vector<std::string> result;
    for (const core::LakeDate& date : dates) result.push_back(date.text());
    return result;
  };
  EXPECT_EQ(texts(lake_dates_between("2020-02-28", "2020-03-01")),
            (std::vector<std::string>{"2020-02-28", "2020-02-29", "2020-03-01"}));
  EXPECT_EQ(texts(lake_dates_between("2019-12-31", "2019-12-31")), (std::vector<std::string>{"2019-12-31"}));
  EXPECT_THROW(lake_dates_between("2019-06-02", "2019-06-01"), core::Error);
  EXPECT_THROW(lake_dates_between("2019-06-31", "2019-07-01"), core::Error);
}

// Counts loads that have begun and not yet ended. The count goes up once the real begin_load
// returns, i.e. once the load holds SQLite's write transaction: two at once would be an overlap.
class CountingLoad final : public testing::ForwardingLoad {
 public:
  CountingLoad(std::atomic<int>& active, std::unique_ptr<warehouse::LakeDateLoad> inner)
      : ForwardingLoad(std::move(inner)), m_active(active) {}
  ~CountingLoad() override {
    --m_active;  // before the real load ends (and the next may begin)
    end_inner();
  }
  CountingLoad(const CountingLoad&) = delete;
  CountingLoad& operator=(const CountingLoad&) = delete;
  std::uint64_t merge() override {
    std::this_thread::sleep_for(std::chrono::milliseconds(150));  // widen the window for overlaps
    return ForwardingLoad::merge();
  }

 private:
  std::atomic<int>& m_active;
};

class CountingLoader final : public warehouse::Loader {
 public:
  CountingLoader(std::atomic<int>& active, std::atomic<int>& most, warehouse::Loader& inner)
      : m_active(active), m_most(most), m_inner(inner) {}
  std::unique_ptr<warehouse::LakeDateLoad> begin_load(const core::LakeDate& lake_date,
                                                      std::int64_t run_id) override {
    auto load = m_inner.begin_load(lake_date, run_id);
    const int now = ++m_active;
    for (int seen = m_most.load(); now > seen && !m_most.compare_exchange_weak(seen, now);) {
    }
    return std::make_unique<CountingLoad>(m_active, std::move(load));
  }

 private:
  std::atomic<int>& m_active;
  std::atomic<int>& m_most;
  warehouse::Loader& m_inner;
};

class RecordingObserver final : public BackfillObserver {
 public:
  void date_started(const std::string& lake_date) override { m_events.push_back("start " + lake_date); }
  void date_progress(const std::string& lake_date, const RunProgress& progress) override {
    EXPECT_LE(progress.objects_done, progress.objects_total);
    m_events.push_back("progress " + lake_date);
  }
  void date_finished(const DateResult& result) override { m_events.push_back("end " + result.lake_date); }
  std::vector<std::string> m_events;
};

class BackfillOnSqlite : public ::testing::Test {
 protected:
  void SetUp() override {
    char name[] = "/tmp/d2d-backfill-XXXXXX";
    ASSERT_NE(mkdtemp(name), nullptr);
    m_dir = name;
    fs::create_directories(m_dir / "source/data");
    for (const auto& date : m_dates) {
      for (int object = 0; object < 2; ++object) {
        std::ofstream out(m_dir / "source/data" /
                          (date + "-1" + std::to_string(object) + "-00-0-events.json"));
        for (int i = 0; i < 5; ++i) {
          const std::string at = date + "T1" + std::to_string(object) + ":0" + std::to_string(i) + ":00Z";
          out << R"({"event":"update","on":"vehicle","at":")" << at
              << R"(","data":{"id":"v1","location":{"lat":52.5,)"
              << R"("lng":13.)" << i << R"(,"at":")" << at << R"("}},"organization_id":"org"})" << '\n';
        }
      }
    }
  }
  void TearDown() override { fs::remove_all(m_dir); }

  fs::path m_dir;
  std::vector<std::string> m_dates = {"2019-06-01", "2019-06-02", "2019-06-03"};
};

TEST_F(BackfillOnSqlite, ParallelDatesLoadOneAtATimeAndAllSucceed) {
  std::atomic<int> active{0}, most{0};
  BackfillOptions options;
  for (const auto& date : m_dates) options.lake_dates.push_back(*core::LakeDate::parse(date));
  options.jobs = 3;
  options.run.source_uri = (m_dir / "source").string();
  options.run.lake_uri = (m_dir / "lake").string();
  const std::string db = (m_dir / "w.db").string();
  options.open_warehouse = [&] {
    auto counted = std::make_unique<testing::WrappedWarehouse>(warehouse::open_warehouse(db));
    counted->replace_loader(std::make_unique<CountingLoader>(active, most, counted->inner().loader()));
    return counted;
  };
  warehouse::open_warehouse(db)->migrator().migrate_up();
  RecordingObserver observer;
  const auto results = run_backfill(options, observer);

  ASSERT_EQ(results.size(), 3U);
  for (std::size_t i = 0; i < results.size(); ++i) {
    EXPECT_EQ(results[i].lake_date, m_dates[i]) << "results in the order of the dates";
    EXPECT_EQ(results[i].status, DateStatus::Succeeded) << results[i].error;
    EXPECT_EQ(results[i].figures.events_read, 10U);
    EXPECT_EQ(results[i].figures.rows_loaded, 10U);
  }
  EXPECT_EQ(most.load(), 1) << "two loads were open at once";
  EXPECT_EQ(active.load(), 0);
  // Each date: started, then a progress report per object, then finished.
  for (const auto& date : m_dates) {
    std::vector<std::string> of_date;
    for (const auto& event : observer.m_events) {
      if (event.ends_with(date)) of_date.push_back(event.substr(0, event.find(' ')));
    }
    EXPECT_EQ(of_date, (std::vector<std::string>{"start", "progress", "progress", "end"})) << date;
  }
}

}  // namespace
}  // namespace d2d::pipeline
