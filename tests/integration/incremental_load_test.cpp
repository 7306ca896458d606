// Issue 19 item 6, SPEC §8: a lake date that gains objects between runs ends in exactly the state
// one load of all its objects gives (every relation row for row, and `d2d report`), whatever the
// order and grouping in which the objects arrived, when objects are rewritten or vanish, and when
// two runs of the date overlap. Both engines. These tests hold for a pipeline that reloads the
// whole date on every change as well as for one that loads only the new objects; the LoadMode
// tests at the end say which one ran (etl_run.load_mode, etl_run.objects_loaded).
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <fstream>
#include <functional>
#include <memory>
#include <random>
#include <set>
#include <sstream>

#include "core/time.h"
#include "generate/fleet_simulator.h"
#include "harness.h"

namespace d2d::testing {
namespace {
namespace fs = std::filesystem;
using generate::KeyLayout;

constexpr const char* kDay = "2021-03-01";
constexpr const char* kNextDay = "2021-03-02";  // the generator spills the day's last hours into it

// The lake date of a key: the YYYY-MM-DD its file name starts with (SPEC §2).
std::string date_of(const std::string& key) { return fs::path(key).filename().string().substr(0, 10); }

std::vector<std::string> keys_under(const fs::path& root) {
  std::vector<std::string> keys;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (entry.is_regular_file()) keys.push_back(entry.path().lexically_relative(root).generic_string());
  }
  std::sort(keys.begin(), keys.end());
  return keys;
}

std::vector<std::string> keys_of_date(const std::vector<std::string>& keys, const std::string& date) {
  std::vector<std::string> of_date;
  std::copy_if(keys.begin(), keys.end(), std::back_inserter(of_date),
               [&](const std::string& key) { return date_of(key) == date; });
  return of_date;
}

std::set<std::string> dates_of(const std::vector<std::string>& keys) {
  std::set<std::string> dates;
  for (const auto& key : keys) dates.insert(date_of(key));
  return dates;
}

void copy_objects(const fs::path& from, const fs::path& to, const std::vector<std::string>& keys) {
  for (const auto& key : keys) {
    fs::create_directories((to / key).parent_path());
    fs::copy_file(from / key, to / key, fs::copy_options::overwrite_existing);
  }
}

// Rewrites a source object in place (same inode) with another body, and gives it a modification
// time it never had: a same-size rewrite within the same second could otherwise pass the
// source's quick check, which is not what these tests are about.
void rewrite(const fs::path& object, const std::function<std::string(const std::string&)>& edit) {
  const auto modified = fs::last_write_time(object);
  const std::string before = read_text(object);
  const std::string after = edit(before);
  ASSERT_NE(before, after) << object;
  std::ofstream(object, std::ios::binary | std::ios::trunc) << after;
  fs::last_write_time(object, modified - std::chrono::hours(1));
}

// Applies `edit` to each line (without its end) of a text; a line `edit` empties is dropped.
std::string edit_lines(const std::string& text, const std::function<std::string(std::string, int)>& edit) {
  std::istringstream lines(text);
  std::string out;
  int number = 0;
  for (std::string line; std::getline(lines, line);) {
    line = edit(line, ++number);
    if (!line.empty()) out += line + "\n";
  }
  return out;
}

// One GPS fix of the generated data, as the positions of its fields in its line: corrections are
// made by replacing the event `at` and `lat` of a copy, so everything else stays as written.
struct Fix {
  std::string line;
  std::size_t event_at = 0, event_at_end = 0, lat = 0, lat_end = 0;
  std::string vehicle_id;
  double lat_deg = 0;
  std::string with(const std::string& event_at_text, double lat_deg_new) const {
    std::string out = line;
    out.replace(lat, lat_end - lat, fmt::format("{:.6f}", lat_deg_new));
    out.replace(event_at, event_at_end - event_at, event_at_text);  // before `lat` in the line
    return out;
  }
  std::string event_at_text() const { return line.substr(event_at, event_at_end - event_at); }
};

// Fixes in the generator's usual field order with UTC times (others are skipped, not needed).
std::optional<Fix> parse_fix(const std::string& line) {
  static const std::string kHead = R"({"event":"update","on":"vehicle","at":")";
  if (!line.starts_with(kHead)) return std::nullopt;
  Fix fix;
  fix.line = line;
  fix.event_at = kHead.size();
  fix.event_at_end = line.find('"', fix.event_at);
  const auto id = line.find(R"("data":{"id":")");
  const auto lat = line.find(R"("location":{"lat":)");
  if (fix.event_at_end == std::string::npos || id == std::string::npos || lat == std::string::npos) {
    return std::nullopt;
  }
  if (line[fix.event_at_end - 1] != 'Z') return std::nullopt;
  fix.vehicle_id = line.substr(id + 14, line.find('"', id + 14) - (id + 14));
  fix.lat = lat + 18;
  fix.lat_end = line.find(',', fix.lat);
  if (fix.lat_end == std::string::npos) return std::nullopt;
  // Bad lines (a quoted latitude, say) start the same way: only a plain number will do.
  const char* const lat_end = line.data() + fix.lat_end;
  const auto [end, error] = std::from_chars(line.data() + fix.lat, lat_end, fix.lat_deg);
  if (error != std::errc() || end != lat_end) return std::nullopt;
  return fix;
}

// Where corrections go: beside the generator's objects of that date, in its layout.
std::string correction_key(KeyLayout layout, const std::string& date, const std::string& name) {
  if (layout == KeyLayout::Flat) return "data/" + date + name;
  return fmt::format("{}/{}/{}/00/00/{}{}", date.substr(0, 4), date.substr(5, 2), date.substr(8, 2), date,
                     name);
}

struct GeneratedDay {
  fs::path root;                     // the objects, keys relative to it
  std::vector<std::string> keys;     // every object of both dates, sorted
  std::string early_corrections;     // of kDay: later versions of fixes, operating periods
  std::string late_corrections;      // of kDay: ties on event `at`, a period and a break start
  std::string next_day_corrections;  // of kNextDay: versions of kDay's fixes, period moves, break end
  std::size_t corrected_fixes = 0;
};

// A small generated day (6 vehicles, breaks, 1% bad lines, 5% conflicting versions of fixes) and
// three hand-made objects that make sure winners move between objects and across the date
// boundary: for a sample of kDay's fixes another version that wins or loses on a later event
// `at`, on an earlier one, or on a tie of event `at` (SPEC §4: the greater (lat, lng) wins), some
// in the next lake date's object; an operating period created in kDay and moved or deleted from
// kNextDay; a break that starts in one object and ends in another date's.
GeneratedDay generate_day(const fs::path& root, std::uint64_t seed, KeyLayout layout, bool gzip) {
  generate::GenerateOptions options;
  options.out_dir = root;
  options.first_day = *core::parse_date(kDay);
  options.vehicles = 6;
  options.interval_s = 5;
  options.breaks = true;
  options.bad_ratio = 0.01;
  options.conflict_ratio = 0.05;
  options.seed = seed;
  options.layout = layout;
  options.gzip = gzip;
  generate::generate_fleet(options);

  // The fixes to correct come from the plain nested copy of the same events (same seed, same
  // events whatever the layout and compression).
  const fs::path plain = root.string() + "-plain";
  options.out_dir = plain;
  options.layout = KeyLayout::Nested;
  options.gzip = false;
  generate::generate_fleet(options);
  std::vector<Fix> fixes;
  for (const auto& key : keys_of_date(keys_under(plain), kDay)) {
    std::istringstream lines(read_text(plain / key));
    for (std::string line; std::getline(lines, line);) {
      if (auto fix = parse_fix(line)) fixes.push_back(std::move(*fix));
    }
  }
  fs::remove_all(plain);

  GeneratedDay day;
  day.root = root;
  std::string early, late, next;
  // Event times later than every generated line of kDay (whose writers lag minutes past midnight).
  const std::string later = "2021-03-02T06:00:00.000Z", latest = "2021-03-02T07:00:00.000Z";
  for (std::size_t i = 0; i < fixes.size(); i += 97) {
    const Fix& fix = fixes[i];
    const double lat = fix.lat_deg;
    switch ((i / 97) % 8) {
      case 0: late += fix.with(fix.event_at_text(), lat + 0.001) + "\n"; break;  // wins the tie
      case 1: late += fix.with(fix.event_at_text(), lat - 0.001) + "\n"; break;  // loses the tie
      case 2: early += fix.with(later, lat + 0.01) + "\n"; break;
      case 3:  // superseded again from the next date
        early += fix.with(later, lat + 0.01) + "\n";
        next += fix.with(latest, lat + 0.02) + "\n";
        break;
      case 4: next += fix.with("2021-02-28T00:00:00.000Z", lat + 0.01) + "\n"; break;  // older: loses
      case 5:  // a tie across dates, won by the next date's version
        early += fix.with(later, lat + 0.01) + "\n";
        next += fix.with(later, lat + 0.02) + "\n";
        break;
      case 6:  // a tie across dates, won by this date's version
        early += fix.with(later, lat + 0.02) + "\n";
        next += fix.with(later, lat + 0.01) + "\n";
        break;
      case 7: next += fix.with(latest, lat + 0.03) + "\n"; break;
    }
    ++day.corrected_fixes;
  }
  const std::string vehicle = fixes.empty() ? "none" : fixes.front().vehicle_id;
  auto period = [](const std::string& id, const std::string& at, const std::string& start,
                   const std::string& finish) {
    return fmt::format(
        R"({{"event":"create","on":"operating_period","at":"{}","data":{{"id":"{}","start":"{}","finish":"{}"}},"organization_id":"org-id"}})"
        "\n",
        at, id, start, finish);
  };
  early += period("op_manual_a", "2021-03-01T09:00:00Z", "2021-03-01T10:00:00Z", "2021-03-01T14:00:00Z");
  early += period("op_manual_b", "2021-03-01T09:00:00Z", "2021-03-01T12:00:00Z", "2021-03-01T16:00:00Z");
  late += period("op_manual_c", "2021-03-01T07:00:00Z", "2021-03-01T08:00:00Z", "2021-03-01T20:00:00Z");
  late += fmt::format(
      R"({{"event":"break_start","on":"vehicle","at":"2021-03-01T12:30:00Z","data":{{"id":"{}"}},"organization_id":"org-id"}})"
      "\n",
      vehicle);
  next += period("op_manual_a", "2021-03-02T01:00:00Z", "2021-03-01T11:00:00Z", "2021-03-01T15:00:00Z");
  next +=
      R"({"event":"delete","on":"operating_period","at":"2021-03-02T01:00:00Z","data":{"id":"op_manual_b"},"organization_id":"org-id"})"
      "\n";
  next += fmt::format(
      R"({{"event":"break_end","on":"vehicle","at":"2021-03-01T12:45:00Z","data":{{"id":"{}"}},"organization_id":"org-id"}})"
      "\n",
      vehicle);
  // The early object's name sorts before every generated one, the late one's after them.
  day.early_corrections = correction_key(layout, kDay, "-00-00-00-corrections.txt");
  day.late_corrections = correction_key(layout, kDay, "-23-59-59-corrections.txt");
  day.next_day_corrections = correction_key(layout, kNextDay, "-00-00-01-corrections.txt");
  write_text(root / day.early_corrections, early);
  write_text(root / day.late_corrections, late);
  write_text(root / day.next_day_corrections, next);
  day.keys = keys_under(root);
  return day;
}

// What a warehouse answers: every relation (WarehouseUnderTest::dump) and `d2d report`.
struct State {
  std::string dump;
  std::string report;
};

class IncrementalLoad : public ::testing::TestWithParam<Engine> {
 protected:
  void SetUp() override { m_warehouse.reset(); }

  fs::path source() const { return m_work / "source"; }

  // `d2d run` of one date of the work folder's source; a small increment may be mostly bad
  // lines, so the reject gate is off (it judges lines, not these tests' subject).
  CliResult run(const std::string& date, std::vector<std::string> extra = {}) const {
    extra.insert(extra.begin(), {"--max-reject-ratio", "1"});
    return run_d2d(run_args_for(m_work, m_warehouse, date, extra));
  }
  void run_ok(const std::string& date, const std::vector<std::string>& extra = {}) const {
    const CliResult result = run(date, extra);
    ASSERT_EQ(result.exit_code, 0) << date << ": " << result.err;
  }

  // Starts over: no source objects, no lake, an empty warehouse.
  void start_over() const {
    fs::remove_all(source());
    fs::remove_all(m_work / "lake");
    m_warehouse.reset();
  }

  State state_of(const WarehouseUnderTest& warehouse) const {
    std::vector<std::string> args = {"report", "--format", "csv"};
    const auto target = warehouse.args();
    args.insert(args.end(), target.begin(), target.end());
    const CliResult report = run_d2d(args);
    EXPECT_EQ(report.exit_code, 0) << report.err;
    return {warehouse.dump(), report.out};
  }
  State state() const { return state_of(m_warehouse); }

  // The reference: `keys` of `from` copied into a fresh work folder and each of their dates loaded
  // once into a fresh warehouse.
  State one_shot(const fs::path& from, const std::vector<std::string>& keys) {
    const fs::path work = m_dir / fmt::format("one-shot-{}", ++m_one_shots);
    copy_objects(from, work / "source", keys);
    const WarehouseUnderTest fresh(GetParam(), work);
    fresh.reset();
    for (const auto& date : dates_of(keys)) {
      const CliResult result = run_d2d(run_args_for(work, fresh, date, {"--max-reject-ratio", "1"}));
      EXPECT_EQ(result.exit_code, 0) << "one-shot load of " << date << ": " << result.err;
    }
    const State state = state_of(fresh);
    fresh.reset();  // PostgreSQL: drops the schema
    fs::remove_all(work);
    return state;
  }
  State one_shot_of_source() { return one_shot(source(), keys_under(source())); }

  // The generated object of kDay in the source with the most fixes among `keys`.
  std::string fullest_object(const std::vector<std::string>& keys) const {
    std::string fullest;
    std::size_t most = 0;
    for (const auto& key : keys_of_date(keys, kDay)) {
      if (key.ends_with("-corrections.txt")) continue;
      const std::string body = read_text(source() / key);
      std::size_t fixes = 0;
      for (auto at = body.find("\"update\""); at != std::string::npos; at = body.find("\"update\"", at + 1))
        ++fixes;
      if (fixes > most) {
        fullest = key;
        most = fixes;
      }
    }
    return fullest;
  }

  // A statement that changes the warehouse (WarehouseUnderTest::query opens SQLite read-only).
  void execute(const std::string& sql) const {
    if (GetParam() == Engine::Postgres) {
      m_warehouse.query(sql);
      return;
    }
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((m_work / "w.db").c_str(), &db), SQLITE_OK);
    char* error = nullptr;
    const int status = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
    const std::string message = error != nullptr ? error : "";
    sqlite3_free(error);
    sqlite3_close(db);
    ASSERT_EQ(status, SQLITE_OK) << message;
  }

  TempDir m_dir;
  fs::path m_work = m_dir / "work";
  WarehouseUnderTest m_warehouse{GetParam(), m_work};
  int m_one_shots = 0;
};
D2D_FOR_EACH_WAREHOUSE(IncrementalLoad);

// Both states equal, relation by relation and in the report.
void expect_same(const State& expected, const State& actual, const std::string& what) {
  EXPECT_EQ(first_difference(expected.dump, actual.dump), "") << what;
  EXPECT_EQ(expected.report, actual.report) << what;
}

// Whether a dump holds a time: SQLite keeps ISO-8601 text, PostgreSQL prints timestamptz.
bool holds_time(const std::string& dump, const std::string& date, const std::string& time) {
  return dump.find(date + "T" + time) != std::string::npos ||
         dump.find(date + " " + time) != std::string::npos;
}

// The reference must hold what the corrections were made to exercise, or equality proves little.
void expect_rich(const State& reference) {
  EXPECT_NE(reference.dump.find("== vehicle_break\n"), std::string::npos);
  EXPECT_TRUE(holds_time(reference.dump, kDay, "12:30:00")) << "the hand-made break";
  EXPECT_NE(reference.dump.find(std::string("|") + kNextDay + "|"), std::string::npos)
      << "winners from the next date's objects";
  EXPECT_NE(reference.report.find("op_manual_a,"), std::string::npos) << reference.report;
  EXPECT_NE(reference.report.find("op_manual_c,"), std::string::npos) << reference.report;
  EXPECT_EQ(reference.report.find("op_manual_b,"), std::string::npos) << "deleted from the next date";
  EXPECT_NE(reference.report.find("2021-03-01T11:00:00"), std::string::npos) << "op_manual_a moved";
  const auto rejected = reference.dump.find("== rejected_event\n");
  ASSERT_NE(rejected, std::string::npos);
  EXPECT_NE(reference.dump.compare(rejected + 18, 3, "== "), 0) << "rejected lines are part of the state";
}

// A plan of arrival: the objects of each increment, in order.
using Increments = std::vector<std::vector<std::string>>;

// 1..max_k increments of a random order of `keys`, cut at random places.
Increments random_increments(std::vector<std::string> keys, std::mt19937_64& random, int max_k) {
  std::shuffle(keys.begin(), keys.end(), random);
  const int k = std::uniform_int_distribution<int>(1, max_k)(random);
  std::set<std::size_t> cuts = {0, keys.size()};
  while (cuts.size() < static_cast<std::size_t>(k) + 1) {
    cuts.insert(std::uniform_int_distribution<std::size_t>(1, keys.size() - 1)(random));
  }
  Increments increments;
  for (auto cut = cuts.begin(); std::next(cut) != cuts.end(); ++cut) {
    increments.emplace_back(keys.begin() + static_cast<std::ptrdiff_t>(*cut),
                            keys.begin() + static_cast<std::ptrdiff_t>(*std::next(cut)));
  }
  return increments;
}

std::string describe(const Increments& increments) {
  std::vector<std::size_t> sizes;
  for (const auto& increment : increments) sizes.push_back(increment.size());
  return fmt::format("{} increment(s) of {} objects", increments.size(), fmt::join(sizes, "+"));
}

// Item 6's property test. Each increment's objects are added to the source, then every date that
// has objects so far is run, in a random order (a date the increment did not touch has nothing to
// do, and must not take in the other date's new objects). After the last increment the warehouse
// equals the one-shot load. Two days: nested plain keys, and flat gzip keys where both dates'
// objects share one folder.
TEST_P(IncrementalLoad, IncrementsInAnyOrderGiveTheOneShotLoad) {
  struct Variant {
    std::uint64_t seed;
    KeyLayout layout;
    bool gzip;
  };
  const Variant variants[] = {{3, KeyLayout::Nested, false}, {5, KeyLayout::Flat, true}};
  for (std::size_t v = 0; v < std::size(variants); ++v) {
    const GeneratedDay day = generate_day(m_dir / fmt::format("day-{}", v), variants[v].seed,
                                          variants[v].layout, variants[v].gzip);
    ASSERT_GT(keys_of_date(day.keys, kDay).size(), 100U);
    ASSERT_GT(keys_of_date(day.keys, kNextDay).size(), 10U);
    EXPECT_GT(day.corrected_fixes, 100U);
    const State reference = one_shot(day.root, day.keys);
    expect_rich(reference);

    std::vector<std::pair<std::string, Increments>> plans;
    // Newest objects first, in four increments: every late object arrives after later ones.
    {
      std::vector<std::string> newest_first = day.keys;
      std::sort(newest_first.begin(), newest_first.end(), [](const std::string& a, const std::string& b) {
        return fs::path(a).filename() > fs::path(b).filename();
      });
      Increments increments(4);
      for (std::size_t i = 0; i < newest_first.size(); ++i) {
        increments[i * 4 / newest_first.size()].push_back(newest_first[i]);
      }
      plans.emplace_back("newest first", increments);
    }
    // Every other object, then the holes.
    {
      Increments increments(2);
      for (std::size_t i = 0; i < day.keys.size(); ++i) increments[i % 2].push_back(day.keys[i]);
      plans.emplace_back("holes filled later", increments);
    }
    // A random order: most of it at once, then the last five one object at a time (streaming).
    {
      std::vector<std::string> keys = day.keys;
      std::mt19937_64 random(100 + v);
      std::shuffle(keys.begin(), keys.end(), random);
      Increments increments(1, std::vector<std::string>(keys.begin(), keys.end() - 5));
      for (auto key = keys.end() - 5; key != keys.end(); ++key) increments.push_back({*key});
      plans.emplace_back("one object at a time at the end", increments);
    }
    for (const std::uint64_t seed : {11, 12, 13}) {
      std::mt19937_64 random(seed * 10 + v);
      plans.emplace_back(fmt::format("random, seed {}", seed), random_increments(day.keys, random, 8));
    }

    for (const auto& [name, increments] : plans) {
      const std::string what =
          fmt::format("day {} ({}): {}, {}", v, variants[v].seed, name, describe(increments));
      SCOPED_TRACE(what);
      start_over();
      std::mt19937_64 random(increments.size() * 1000 + v);
      std::set<std::string> dates;
      for (const auto& increment : increments) {
        copy_objects(day.root, source(), increment);
        for (const auto& date : dates_of(increment)) dates.insert(date);
        std::vector<std::string> order(dates.begin(), dates.end());
        std::shuffle(order.begin(), order.end(), random);
        for (const auto& date : order) ASSERT_NO_FATAL_FAILURE(run_ok(date));
      }
      expect_same(reference, state(), what);
    }
  }
}

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

// Every fix of a line moved by one unit in the last digit of its latitude: the same size.
std::string nudge_latitudes(const std::string& text) {
  return edit_lines(text, [](std::string line, int) {
    const auto lat = line.find(R"("lat":)");
    if (lat == std::string::npos) return line;
    const auto end = line.find_first_of(",}", lat);
    char& digit = line[end - 1];
    if (digit >= '0' && digit <= '9') digit = digit == '9' ? '8' : static_cast<char>(digit + 1);
    return line;
  });
}

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

// Item 5: which runs loaded only the new objects. These fail until `d2d run` loads increments and
// etl_run has load_mode and objects_loaded; the equality tests above hold either way.
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
}  // namespace d2d::testing

namespace d2d::testing {
namespace {

std::vector<std::string> sorted_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  std::sort(lines.begin(), lines.end());
  return lines;
}

std::vector<std::string> zone_files(const fs::path& lake) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(lake / "rejected" / (std::string("lake_date=") + kDay))) {
    names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

// The rejected zone under increments: each load writes only its own objects' lines, to a file of
// its own (an increment costs what it reads, not the day's rejects again); together they hold
// exactly the one-shot load's lines; a file of a run that never committed is removed; a full load,
// once committed, leaves its file alone.
TEST(RejectedZone, EachLoadKeepsItsOwnFileAndAFullLoadReplacesThem) {
  TempDir dir;
  ASSERT_EQ(run_d2d({"generate", "--out", (dir / "all").string(), "--date", kDay, "--vehicles", "3",
                     "--bad-ratio", "0.05", "--seed", "5"})
                .exit_code,
            0);
  const auto keys = keys_of_date(keys_under(dir / "all"), kDay);
  ASSERT_GT(keys.size(), 4U);
  auto run = [&](const std::string& source, const std::string& lake, const std::string& db,
                 const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {"run",
                                     "--date",
                                     kDay,
                                     "--source",
                                     (dir / source).string(),
                                     "--lake",
                                     (dir / lake).string(),
                                     "--warehouse",
                                     (dir / db).string(),
                                     "--quiet",
                                     "--max-reject-ratio",
                                     "1"};
    args.insert(args.end(), extra.begin(), extra.end());
    const CliResult result = run_d2d(args);
    EXPECT_EQ(result.exit_code, 0) << result.err;
  };
  run("all", "lake_one", "one.db");
  const auto one_shot = sorted_lines(read_rejected_zone(dir / "lake_one", kDay));
  ASSERT_FALSE(one_shot.empty());

  const std::vector<std::string> first(keys.begin(),
                                       keys.begin() + static_cast<std::ptrdiff_t>(keys.size() / 2));
  const std::vector<std::string> rest(keys.begin() + static_cast<std::ptrdiff_t>(keys.size() / 2),
                                      keys.end());
  copy_objects(dir / "all", dir / "source", first);
  run("source", "lake", "w.db");
  EXPECT_EQ(zone_files(dir / "lake"), std::vector<std::string>{"rejected-run-1.jsonl"});
  // A run that wrote its file and then failed to commit (say, killed): the next run removes it.
  write_text(dir / "lake/rejected" / (std::string("lake_date=") + kDay) / "rejected-run-77.jsonl", "{}\n");
  copy_objects(dir / "all", dir / "source", rest);
  run("source", "lake", "w.db");
  EXPECT_EQ(query_one(dir / "w.db", "SELECT load_mode FROM etl_run WHERE run_id = 2"), "incremental");
  EXPECT_EQ(zone_files(dir / "lake"),
            (std::vector<std::string>{"rejected-run-1.jsonl", "rejected-run-2.jsonl"}));
  EXPECT_EQ(sorted_lines(read_rejected_zone(dir / "lake", kDay)), one_shot);

  run("source", "lake", "w.db", {"--force"});
  EXPECT_EQ(zone_files(dir / "lake"), std::vector<std::string>{"rejected-run-3.jsonl"});
  EXPECT_EQ(sorted_lines(read_rejected_zone(dir / "lake", kDay)), one_shot);
}

}  // namespace
}  // namespace d2d::testing
