// SPEC §4's rules are written once (model/winners.h): a C++ key and SQL made from the same
// columns. These tests hold the two together on SQLite, with random versions full of ties: the
// SQL `ORDER BY ... , lake_date DESC` picks the version the C++ key (then the lake date) picks.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "model/winners.h"
#include "warehouse/sqlite/sqlite_db.h"

namespace d2d::warehouse {
namespace {

using detail::SqliteDb;
using detail::Statement;

struct FixVersion {
  model::LocationRow row;
  std::optional<std::string> organization;  // owns what row.organization_id views
  std::string lake_date;
};

std::vector<FixVersion> random_fix_versions(std::mt19937& random, int count) {
  const std::vector<std::optional<std::string>> organizations = {std::nullopt, "", "org_a", "org_b"};
  std::vector<FixVersion> versions(static_cast<std::size_t>(count));
  std::vector<int> days(static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) days[static_cast<std::size_t>(i)] = i + 1;
  std::shuffle(days.begin(), days.end(), random);
  for (int i = 0; i < count; ++i) {
    FixVersion& version = versions[static_cast<std::size_t>(i)];
    version.organization = organizations[random() % organizations.size()];
    version.row.event_at_us = static_cast<core::UtcMicros>(random() % 3) * core::kMicrosPerSecond;
    version.row.lat_deg = 52.0 + static_cast<double>(random() % 2) * 0.5;
    version.row.lng_deg = 13.0 - static_cast<double>(random() % 2) * 0.5;
    version.lake_date = fmt::format("2019-06-{:02}", days[static_cast<std::size_t>(i)]);
  }
  for (FixVersion& version : versions) {
    if (version.organization) version.row.organization_id = *version.organization;
  }
  return versions;
}

class WinnersSql : public ::testing::Test {
 protected:
  SqliteDb m_db{":memory:"};
};

TEST_F(WinnersSql, FixOrderByPicksWhatTheKeyPicks) {
  std::mt19937 random(7);
  m_db.exec(
      "CREATE TABLE v (i INTEGER, event_at TEXT, lat REAL, lng REAL, organization_id TEXT, lake_date TEXT)");
  for (int round = 0; round < 300; ++round) {
    m_db.exec("DELETE FROM v");
    const auto versions = random_fix_versions(random, 1 + round % 6);
    Statement insert(m_db, "INSERT INTO v VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
    for (std::size_t i = 0; i < versions.size(); ++i) {
      const FixVersion& version = versions[i];
      insert.bind(1, static_cast<std::int64_t>(i)).bind_time(2, version.row.event_at_us);
      insert.bind(3, version.row.lat_deg).bind(4, version.row.lng_deg).bind(5, version.row.organization_id);
      insert.bind(6, std::string_view(version.lake_date)).run();
    }
    Statement best(
        m_db, "SELECT i FROM v ORDER BY " + model::fix_best_first_sql("v") + ", v.lake_date DESC LIMIT 1");
    ASSERT_TRUE(best.step());
    const auto expected =
        std::max_element(versions.begin(), versions.end(), [](const auto& a, const auto& b) {
          return std::tuple(model::fix_version_key(a.row), a.lake_date) <
                 std::tuple(model::fix_version_key(b.row), b.lake_date);
        });
    EXPECT_EQ(best.column_int(0), expected - versions.begin()) << "round " << round;
  }
}

TEST_F(WinnersSql, FixRowComparisonIsTheKeysComparison) {
  std::mt19937 random(11);
  m_db.exec("CREATE TABLE a (event_at TEXT, lat REAL, lng REAL, organization_id TEXT)");
  m_db.exec("CREATE TABLE b (event_at TEXT, lat REAL, lng REAL, organization_id TEXT)");
  for (int round = 0; round < 300; ++round) {
    const auto versions = random_fix_versions(random, 2);
    m_db.exec("DELETE FROM a; DELETE FROM b");
    for (const auto& [table, version] : {std::pair{"a", &versions[0]}, std::pair{"b", &versions[1]}}) {
      Statement insert(m_db, fmt::format("INSERT INTO {} VALUES (?1, ?2, ?3, ?4)", table));
      insert.bind_time(1, version->row.event_at_us)
          .bind(2, version->row.lat_deg)
          .bind(3, version->row.lng_deg);
      insert.bind(4, version->row.organization_id).run();
    }
    Statement compare(m_db, fmt::format("SELECT {} > {} FROM a, b", model::fix_version_row_sql("a"),
                                        model::fix_version_row_sql("b")));
    ASSERT_TRUE(compare.step());
    EXPECT_EQ(compare.column_int(0) != 0,
              model::fix_version_key(versions[0].row) > model::fix_version_key(versions[1].row))
        << "round " << round;
  }
}

TEST_F(WinnersSql, PeriodOrderByPicksWhatTheKeyPicks) {
  std::mt19937 random(3);
  m_db.exec(
      "CREATE TABLE e (i INTEGER, event_at TEXT, deleted INTEGER, start_at TEXT, finish_at TEXT, "
      "organization_id "
      "TEXT, lake_date TEXT)");
  const std::vector<std::optional<std::string>> organizations = {std::nullopt, "", "org_a", "org_b"};
  for (int round = 0; round < 300; ++round) {
    m_db.exec("DELETE FROM e");
    const int count = 1 + round % 5;
    std::vector<std::pair<model::PeriodVersion, std::string>> versions;
    std::vector<std::optional<std::string>> owned_organizations;  // what the versions view
    owned_organizations.reserve(static_cast<std::size_t>(count));
    for (int i = 0; i < count; ++i) {
      model::PeriodVersion version;
      version.event_at_us = static_cast<core::UtcMicros>(random() % 2) * core::kMicrosPerSecond;
      version.deleted = random() % 3 == 0;
      if (!version.deleted) {
        version.start_us = static_cast<core::UtcMicros>(random() % 2) * core::kMicrosPerDay;
        version.finish_us =
            version.start_us + static_cast<core::UtcMicros>(1 + random() % 2) * core::kMicrosPerDay;
      }
      owned_organizations.push_back(organizations[random() % organizations.size()]);
      if (owned_organizations.back()) version.organization_id = *owned_organizations.back();
      versions.emplace_back(version, fmt::format("2019-06-{:02}", count - i));
      Statement insert(m_db, "INSERT INTO e VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
      insert.bind(1, static_cast<std::int64_t>(i)).bind_time(2, version.event_at_us);
      insert.bind(3, static_cast<std::int64_t>(version.deleted ? 1 : 0));
      insert.bind_time(4, version.deleted ? std::nullopt : std::optional(version.start_us));
      insert.bind_time(5, version.deleted ? std::nullopt : std::optional(version.finish_us));
      insert.bind(6, version.organization_id);
      insert.bind(7, std::string_view(versions.back().second)).run();
    }
    Statement best(
        m_db, "SELECT i FROM e ORDER BY " + model::period_best_first_sql("e") + ", e.lake_date DESC LIMIT 1");
    ASSERT_TRUE(best.step());
    const auto expected =
        std::max_element(versions.begin(), versions.end(), [](const auto& a, const auto& b) {
          return std::tuple(model::period_version_key(a.first), a.second) <
                 std::tuple(model::period_version_key(b.first), b.second);
        });
    EXPECT_EQ(best.column_int(0), expected - versions.begin()) << "round " << round;
  }
}

TEST_F(WinnersSql, OrganizationOrderByPicksWhatTheRulePicks) {
  m_db.exec(
      "CREATE TABLE o (organization_at TEXT, organization_id TEXT);"
      "INSERT INTO o VALUES ('2019-06-01T10:00:00.000000Z', 'org_b'), ('2019-06-01T11:00:00.000000Z', "
      "'org_a'),"
      "('2019-06-01T11:00:00.000000Z', 'org_c')");
  Statement best(
      m_db, "SELECT organization_id FROM o ORDER BY " + model::organization_best_first_sql("o") + " LIMIT 1");
  ASSERT_TRUE(best.step());
  EXPECT_EQ(best.column_text(0), "org_c");
  EXPECT_TRUE(model::organization_wins(2, "org_c", 2, "org_a"));
  EXPECT_TRUE(model::organization_wins(2, "org_a", 1, "org_b"));
}

}  // namespace
}  // namespace d2d::warehouse
