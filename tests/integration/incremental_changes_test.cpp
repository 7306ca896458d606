// Objects rewritten or deleted after their date was loaded, and two runs of one date at once.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "harness.h"
#include "incremental_fixture.h"
#include "incremental_generated_day.h"

namespace d2d::testing::incremental {
namespace {
namespace fs = std::filesystem;
using generate::KeyLayout;

// The arrival used by the tests below: half of kDay's objects and the next date, loaded; then
// most of the rest of kDay, loaded (an incremental load); `held_back` not yet in the source.
struct Arrival {
  GeneratedDay day;
  std::vector<std::string> first, second, held_back;
};

class IncrementalChanges : public IncrementalLoad {
 protected:
  Arrival arrive() {
    Arrival arrival{generate_day(m_dir / "day", 3, KeyLayout::Nested, false), {}, {}, {}};
    const auto& keys = arrival.day.keys;
    EXPECT_GT(keys.size(), 100U);
    for (std::size_t i = 0; i < keys.size(); ++i) {
      const bool corrections = keys[i].ends_with("-corrections.txt");
      if (date_of(keys[i]) == kNextDay || i % 2 == 0 || corrections) {
        arrival.first.push_back(keys[i]);
      } else if (i % 10 == 1 && !corrections) {
        arrival.held_back.push_back(keys[i]);
      } else {
        arrival.second.push_back(keys[i]);
      }
    }
    copy_objects(arrival.day.root, source(), arrival.first);
    run_ok(kDay);
    run_ok(kNextDay);
    copy_objects(arrival.day.root, source(), arrival.second);
    run_ok(kDay);
    return arrival;
  }
};
D2D_FOR_EACH_WAREHOUSE(IncrementalChanges);

// A source object rewritten after its date was loaded (same key, other content), in kDay, in the
// next date and in the hand-made corrections whose versions won: the next run gives what one
// load of the final objects gives, whether or not new objects arrive with it. Each rewrite
// changes that answer, so a run that kept the old contribution would differ.
TEST_P(IncrementalChanges, RewrittenObjectsGiveTheOneShotLoadOfTheFinalObjects) {
  const Arrival arrival = arrive();
  ASSERT_FALSE(HasFatalFailure());
  const State before = state();

  // A generated object of the first load, same size (every latitude nudged), and the early
  // corrections with every other line gone (their fixes fall back to the versions they beat).
  const std::string same_size = fullest_object(arrival.first);
  ASSERT_FALSE(same_size.empty());
  ASSERT_NO_FATAL_FAILURE(rewrite(source() / same_size, nudge_latitudes));
  EXPECT_EQ(fs::file_size(source() / same_size), fs::file_size(arrival.day.root / same_size));
  ASSERT_NO_FATAL_FAILURE(rewrite(source() / arrival.day.early_corrections, [](const std::string& text) {
    return edit_lines(text, [](std::string line, int number) { return number % 2 == 0 ? "" : line; });
  }));
  const State rewritten = one_shot_of_source();
  EXPECT_NE(first_difference(before.dump, rewritten.dump), "") << "the rewrites change the answer";
  ASSERT_NO_FATAL_FAILURE(run_ok(kDay));
  expect_same(rewritten, state(), "after rewriting two objects of " + std::string(kDay));

  // An object of the incremental load keeps only its fixes after the fifth line while the held-back
  // objects arrive; the next date's corrections lose their last line (the break's end).
  const std::string shortened = fullest_object(arrival.second);
  ASSERT_FALSE(shortened.empty());
  ASSERT_NO_FATAL_FAILURE(rewrite(source() / shortened, [](const std::string& text) {
    return edit_lines(text, [](std::string line, int number) {
      return number <= 5 || line.find("\"event\":\"update\"") == std::string::npos ? "" : line;
    });
  }));
  copy_objects(arrival.day.root, source(), arrival.held_back);
  ASSERT_NO_FATAL_FAILURE(rewrite(source() / arrival.day.next_day_corrections, [](const std::string& text) {
    return text.substr(0, text.rfind('\n', text.size() - 2) + 1);
  }));
  const State final_state = one_shot_of_source();
  EXPECT_NE(first_difference(rewritten.dump, final_state.dump), "");
  ASSERT_NO_FATAL_FAILURE(run_ok(kNextDay));
  ASSERT_NO_FATAL_FAILURE(run_ok(kDay));
  expect_same(final_state, state(), "after a rewrite with new objects, and one in " + std::string(kNextDay));
}

// Objects gone from the source after their date was loaded: the winning versions they held give
// way to the ones they beat, their rejected lines and periods go. Deleted alone, then together
// with new objects arriving.
TEST_P(IncrementalChanges, DeletedObjectsGiveTheOneShotLoadOfTheRest) {
  const Arrival arrival = arrive();
  ASSERT_FALSE(HasFatalFailure());
  const State before = state();

  // The tie winners and the break's start (first load), and a generated object of the second.
  fs::remove(source() / arrival.day.late_corrections);
  const std::string generated = fullest_object(arrival.second);
  ASSERT_FALSE(generated.empty());
  fs::remove(source() / generated);
  const State rest = one_shot_of_source();
  EXPECT_NE(first_difference(before.dump, rest.dump), "") << "the deletions change the answer";
  EXPECT_EQ(rest.report.find("op_manual_c,"), std::string::npos) << rest.report;
  ASSERT_NO_FATAL_FAILURE(run_ok(kDay));
  expect_same(rest, state(), "after deleting two objects of " + std::string(kDay));

  // The next date's corrections go (op_manual_a moves back, op_manual_b returns) while the
  // held-back objects of kDay arrive and a generated object of the first load goes.
  fs::remove(source() / arrival.day.next_day_corrections);
  fs::remove(source() / fullest_object(arrival.first));
  copy_objects(arrival.day.root, source(), arrival.held_back);
  const State final_state = one_shot_of_source();
  EXPECT_NE(final_state.report.find("op_manual_b,"), std::string::npos) << final_state.report;
  ASSERT_NO_FATAL_FAILURE(run_ok(kDay));
  ASSERT_NO_FATAL_FAILURE(run_ok(kNextDay));
  expect_same(final_state, state(), "after deletions with new objects, and one in " + std::string(kNextDay));
}

// Two runs of one date started together after objects arrived (and, last round, a run of the next
// date beside them: the operating period that crosses midnight takes fixes from both): every run
// succeeds, one waiting for the other, and the objects are taken in once. Three rounds, since a
// race may hide.
TEST_P(IncrementalChanges, TwoIncrementalRunsOfOneDateAtOnceGiveTheOneShotLoad) {
  const GeneratedDay day = generate_day(m_dir / "day", 3, KeyLayout::Nested, false);
  std::vector<std::string> keys = keys_of_date(day.keys, kDay);
  std::mt19937_64 random(41);
  std::shuffle(keys.begin(), keys.end(), random);
  const std::size_t half = keys.size() / 2;
  copy_objects(day.root, source(), {keys.begin(), keys.begin() + static_cast<std::ptrdiff_t>(half)});
  ASSERT_NO_FATAL_FAILURE(run_ok(kDay));
  const std::vector<std::string> next_day = keys_of_date(day.keys, kNextDay);
  copy_objects(day.root, source(), {next_day.begin(), next_day.end() - 3});
  ASSERT_NO_FATAL_FAILURE(run_ok(kNextDay));

  for (int round = 0; round < 3; ++round) {
    SCOPED_TRACE(fmt::format("round {}", round));
    const std::size_t from = half + round * (keys.size() - half) / 3;
    const std::size_t to = half + (round + 1) * (keys.size() - half) / 3;
    copy_objects(
        day.root, source(),
        {keys.begin() + static_cast<std::ptrdiff_t>(from), keys.begin() + static_cast<std::ptrdiff_t>(to)});
    std::vector<std::unique_ptr<BackgroundRun>> runs;
    std::vector<std::string> dates = {kDay, kDay};
    if (round == 2) {
      copy_objects(day.root, source(), {next_day.end() - 3, next_day.end()});
      dates.push_back(kNextDay);
    }
    for (std::size_t i = 0; i < dates.size(); ++i) {
      runs.push_back(std::make_unique<BackgroundRun>(
          run_args_for(m_work, m_warehouse, dates[i], {"--max-reject-ratio", "1"}),
          m_dir / fmt::format("run-{}-{}", round, i)));
    }
    for (std::size_t i = 0; i < runs.size(); ++i) {
      const CliResult result = runs[i]->wait();
      EXPECT_EQ(result.exit_code, 0) << dates[i] << ": " << result.err;
    }
    EXPECT_EQ(m_warehouse.query("SELECT COUNT(*) FROM etl_run WHERE status <> 'succeeded'"), "0");
    expect_same(one_shot_of_source(), state(), fmt::format("after round {}", round));
  }
  EXPECT_EQ(keys_under(source()).size(), day.keys.size());
}

}  // namespace
}  // namespace d2d::testing::incremental
