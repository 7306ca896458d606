// Which runs loaded only the new objects (etl_run.load_mode, objects_loaded), apart from the equality tests.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstddef>
#include <exception>
#include <string>
#include <vector>

#include "harness.h"
#include "incremental_fixture.h"
#include "incremental_generated_day.h"

namespace d2d::testing::incremental {
namespace {
namespace fs = std::filesystem;
using generate::KeyLayout;

// Item 5: which runs loaded only the new objects. These fail until `d2d run` loads increments and
// etl_run has load_mode and objects_loaded; the equality tests (incremental_load_test.cpp,
// incremental_changes_test.cpp) hold either way.
class LoadMode : public IncrementalLoad {
 protected:
  // status | load_mode | objects_loaded | unchanged of the date's last run (a run with nothing
  // to do may leave objects_loaded NULL or 0); a query error (the columns missing) comes back as
  // text, so that each assertion fails on its own.
  std::string last_run(const std::string& date) const {
    try {
      return m_warehouse.query(
          fmt::format("SELECT status, COALESCE(load_mode, 'NULL'), COALESCE(objects_loaded, 0), "
                      "CASE WHEN unchanged THEN 1 ELSE 0 END FROM etl_run WHERE lake_date = '{}' "
                      "ORDER BY run_id DESC LIMIT 1",
                      date));
    } catch (const std::exception& error) {
      return std::string("etl_run cannot say: ") + error.what();
    }
  }
};
D2D_FOR_EACH_WAREHOUSE(LoadMode);

// New objects alone are loaded incrementally, counting only themselves, whether their keys sort
// after the loaded ones or among them (late objects); an unchanged date has nothing to do, and
// the next date's new objects do not touch it.
TEST_P(LoadMode, NewObjectsAloneLoadIncrementally) {
  const GeneratedDay day = generate_day(m_dir / "day", 3, KeyLayout::Nested, false);
  const std::vector<std::string> keys = keys_of_date(day.keys, kDay),
                                 next_day = keys_of_date(day.keys, kNextDay);
  std::vector<std::string> first, held_back;
  for (std::size_t i = 0; i < keys.size(); ++i)
    (i % 20 == 7 && held_back.size() < 11 ? held_back : first).push_back(keys[i]);
  ASSERT_EQ(held_back.size(), 11U);
  copy_objects(day.root, source(), first);
  ASSERT_NO_FATAL_FAILURE(run_ok(kDay));
  // An assumption of these tests: with no load to add to, the first load counts as a full one.
  EXPECT_EQ(last_run(kDay), fmt::format("succeeded|full|{}|0", first.size())) << "nothing loaded before";

  copy_objects(day.root, source(), {held_back.begin() + 1, held_back.end()});
  ASSERT_NO_FATAL_FAILURE(run_ok(kDay));
  EXPECT_EQ(last_run(kDay), "succeeded|incremental|10|0");

  copy_objects(day.root, source(), {held_back.front()});  // its key sorts before all but 7
  ASSERT_NO_FATAL_FAILURE(run_ok(kDay));
  EXPECT_EQ(last_run(kDay), "succeeded|incremental|1|0");

  const CliResult again = run(kDay);
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.out.find("nothing to do"), std::string::npos) << again.out;
  EXPECT_EQ(last_run(kDay), "succeeded|NULL|0|1") << "nothing to do, as before";

  copy_objects(day.root, source(), {next_day.begin(), next_day.end() - 1});
  ASSERT_NO_FATAL_FAILURE(run_ok(kNextDay));
  copy_objects(day.root, source(), {next_day.back()});
  ASSERT_NO_FATAL_FAILURE(run_ok(kDay));
  EXPECT_EQ(last_run(kDay), "succeeded|NULL|0|1") << "the next date's object is not this date's";
  ASSERT_NO_FATAL_FAILURE(run_ok(kNextDay));
  EXPECT_EQ(last_run(kNextDay), "succeeded|incremental|1|0");
  expect_same(one_shot_of_source(), state(), "after the incremental loads");
}

// A rewritten object, a vanished one, --force and a new code version each reload the whole date.
TEST_P(LoadMode, ChangesOtherThanNewObjectsReloadTheDate) {
  const GeneratedDay day = generate_day(m_dir / "day", 3, KeyLayout::Nested, false);
  const std::vector<std::string> keys = keys_of_date(day.keys, kDay);
  copy_objects(day.root, source(), {keys.begin(), keys.end() - 4});
  ASSERT_NO_FATAL_FAILURE(run_ok(kDay));
  copy_objects(day.root, source(), {keys.end() - 4, keys.end() - 3});
  ASSERT_NO_FATAL_FAILURE(run_ok(kDay));
  std::size_t objects = keys.size() - 3;

  // Rewritten, with a new object beside it: still a full reload.
  const std::string rewritten = fullest_object(keys_under(source()));
  ASSERT_NO_FATAL_FAILURE(rewrite(source() / rewritten, nudge_latitudes));
  copy_objects(day.root, source(), {keys.end() - 3, keys.end() - 2});
  ++objects;
  ASSERT_NO_FATAL_FAILURE(run_ok(kDay));
  EXPECT_EQ(last_run(kDay), fmt::format("succeeded|full|{}|0", objects)) << "rewritten";

  fs::remove(source() / keys[keys[keys.size() / 3] == rewritten ? keys.size() / 3 + 1 : keys.size() / 3]);
  --objects;
  ASSERT_NO_FATAL_FAILURE(run_ok(kDay));
  EXPECT_EQ(last_run(kDay), fmt::format("succeeded|full|{}|0", objects)) << "deleted";

  ASSERT_NO_FATAL_FAILURE(run_ok(kDay, {"--force"}));
  EXPECT_EQ(last_run(kDay), fmt::format("succeeded|full|{}|0", objects)) << "--force";

  // The date was last loaded by other code: its state may not be what this code would build.
  ASSERT_NO_FATAL_FAILURE(
      execute(fmt::format("UPDATE etl_run SET code_version = 'd2d 0.0.1-older' "
                          "WHERE lake_date = '{}'",
                          kDay)));
  copy_objects(day.root, source(), {keys.end() - 2, keys.end() - 1});
  ++objects;
  ASSERT_NO_FATAL_FAILURE(run_ok(kDay));
  EXPECT_EQ(last_run(kDay), fmt::format("succeeded|full|{}|0", objects)) << "new code version";
  expect_same(one_shot_of_source(), state(), "after the full reloads");
}

}  // namespace
}  // namespace d2d::testing::incremental
