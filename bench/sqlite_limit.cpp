// The SQLite warehouse limit of bench/run.sh (issue 5): how fast this machine's SQLite takes one
// lake date's already-transformed, de-duplicated location rows into d2d's own storage (since
// storage v2 the table `location_fix` behind the `location_update` view: vehicle and organization
// keys, the lake date as a day number, event_at only where it differs from at), with nothing of
// d2d's work around it. The file is created by d2d's own migrations (the same tables and indexes),
// the connection gets d2d's own pragmas, the dimension rows are written and the rows (read from
// the CSV that bench/run.sh writes for psql \copy, held in memory, keyed and sorted by key before
// the clock starts) go in key order through one prepared INSERT OR IGNORE of 100 rows (as `d2d run`
// inserts them: a statement that cannot fail half-way keeps no statement journal, docs/decisions.md)
// in one transaction, bound without copies; every row must be inserted.
// Timed: BEGIN ... INSERT every row ... COMMIT, the commit including its WAL checkpoint, as in
// `d2d run` (an explicit checkpoint follows, as closing the file does). Reading the CSV, sorting and
// creating the file are not timed.
// Prints one line: ROWS INSERT_S COMMIT_S INSERT_CPU_S COMMIT_CPU_S (CPU: user + sys).
// Usage: d2d_sqlite_limit ROWS_CSV DB [FLAG VALUE]...; the flags vary one thing, for experiments:
//   --order csv        insert in the CSV's order (time order) instead of key order
//   --order first-seen vehicles in the order the CSV first names them, each one's fixes by time
//                      (FixSorter's order before it sorted vehicles by id)
//   --rows N           rows per INSERT statement (a multi-row VALUES), 100 by default as in `d2d run`
//   --drop-index NAME  drop an index of the schema before the timed part (what it costs)
//   --page-size BYTES  create the file with this page size instead of the one d2d gives it
//   --pragma SQL       run SQL after d2d's pragmas, before the timed part
//   --keys integer     the same rows into a table d2d does not have, every text as an integer
//                      (vehicle and organization interned, times in microseconds, the lake date as
//                      a day number), same primary key, WITHOUT ROWID: what no text schema can beat
#include <fmt/format.h>
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "core/time.h"
#include "warehouse/sqlite/sqlite_db.h"
#include "warehouse/sqlite/sqlite_warehouse.h"

namespace d2d::bench {
namespace {

using warehouse::detail::SqliteDb;
using warehouse::detail::Statement;

struct Row {
  std::string vehicle_id, at, organization_id, lake_date, event_at;
  double lat = 0, lng = 0;
  bool has_organization = false;
};

// The fields of one record of sqlite3's CSV output (RFC 4180 quoting, CRLF or LF line ends).
// Returns false at the end of the text.
bool next_record(std::string_view& text, std::vector<std::string>& fields) {
  if (text.empty()) return false;
  fields.assign(1, std::string());
  std::size_t i = 0;
  bool quoted = false;
  for (; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c != '"') {
        fields.back() += c;
      } else if (i + 1 < text.size() && text[i + 1] == '"') {
        fields.back() += '"';
        ++i;
      } else {
        quoted = false;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      fields.emplace_back();
    } else if (c == '\n') {
      break;
    } else if (c != '\r') {
      fields.back() += c;
    }
  }
  text.remove_prefix(std::min(i + 1, text.size()));
  return true;
}

std::vector<Row> read_rows(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(fmt::format("cannot read {}", path));
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::string_view text(bytes);
  std::vector<Row> rows;
  std::vector<std::string> fields;
  while (next_record(text, fields)) {
    if (fields.size() == 1 && fields[0].empty()) continue;
    if (fields.size() != 7)
      throw std::runtime_error(fmt::format("{}: a record has {} fields", path, fields.size()));
    // vehicle_id, at, lat, lng, organization_id, lake_date, event_at; an empty organization is NULL.
    rows.push_back({fields[0], fields[1], fields[4], fields[5], fields[6],
                    std::strtod(fields[2].c_str(), nullptr), std::strtod(fields[3].c_str(), nullptr),
                    !fields[4].empty()});
  }
  return rows;
}

double cpu_seconds() {
  timespec now{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) / 1e9;
}

void bind_text(sqlite3_stmt* statement, int index, const std::string& text) {
  sqlite3_bind_text(statement, index, text.data(), static_cast<int>(text.size()), SQLITE_STATIC);
}

int run(int argc, char** argv) {
  if (argc < 3) {
    fmt::print(
        stderr,
        "usage: d2d_sqlite_limit ROWS_CSV DB [--order key|csv] [--drop-index NAME] [--page-size BYTES] "
        "[--pragma SQL]...\n");
    return 2;
  }
  const std::string csv = argv[1], path = argv[2];
  std::string order = "key";
  std::size_t rows_per_statement = 100;
  std::vector<std::string> dropped, pragmas;
  std::string page_size;
  bool integer_keys = false;
  for (int i = 3; i + 1 < argc; i += 2) {
    const std::string_view flag = argv[i];
    if (flag == "--order") {
      order = argv[i + 1];
    } else if (flag == "--rows") {
      rows_per_statement = std::max<std::size_t>(1, std::stoul(argv[i + 1]));
    } else if (flag == "--drop-index") {
      dropped.emplace_back(argv[i + 1]);
    } else if (flag == "--page-size") {
      page_size = argv[i + 1];
    } else if (flag == "--pragma") {
      pragmas.emplace_back(argv[i + 1]);
    } else if (flag == "--keys") {
      integer_keys = std::string_view(argv[i + 1]) == "integer";
      if (!integer_keys && std::string_view(argv[i + 1]) != "text") {
        throw std::runtime_error(fmt::format("unknown keys {}", argv[i + 1]));
      }
    } else {
      throw std::runtime_error(fmt::format("unknown flag {}", flag));
    }
  }

  std::vector<Row> rows = read_rows(csv);
  if (order == "key") {
    // The primary key's order (BINARY collation: bytes), so every insert is a B-tree append.
    std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
      return std::tie(a.vehicle_id, a.at) < std::tie(b.vehicle_id, b.at);
    });
  } else if (order == "first-seen") {
    std::unordered_map<std::string, std::size_t> rank;
    for (const Row& row : rows) rank.emplace(row.vehicle_id, rank.size());
    std::sort(rows.begin(), rows.end(), [&rank](const Row& a, const Row& b) {
      return std::tuple(rank.at(a.vehicle_id), std::string_view(a.at)) <
             std::tuple(rank.at(b.vehicle_id), std::string_view(b.at));
    });
  } else if (order != "csv") {
    throw std::runtime_error(fmt::format("unknown order {}", order));
  }

  // A fresh file with d2d's schema, made by d2d itself (its migrations, its settings for new files).
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  if (!page_size.empty()) {  // the page size is fixed by the first table written
    SqliteDb fresh(path);
    fresh.exec(fmt::format("PRAGMA page_size = {}; CREATE TABLE unused (x); DROP TABLE unused", page_size));
  }
  warehouse::open_sqlite_warehouse(path)->migrator().migrate_up();

  SqliteDb db(path);
  db.exec(warehouse::detail::kConnectionPragmas);
  for (const std::string& index : dropped) db.exec(fmt::format("DROP INDEX {}", index));
  for (const std::string& pragma : pragmas) db.exec(pragma);
  Statement empty(db, "SELECT COUNT(*) FROM location_update");
  if (!empty.step() || empty.column_int(0) != 0) throw std::runtime_error("location_update is not empty");
  empty.reset();

  // The integer forms of the rows, computed before the clock starts.
  struct IntegerRow {
    std::int64_t vehicle, at_us, organization, lake_day, event_at_us;
  };
  std::vector<IntegerRow> integers;
  if (integer_keys) {
    db.exec(
        "CREATE TABLE location_update_int (vehicle INTEGER NOT NULL, at_us INTEGER NOT NULL, lat REAL NOT "
        "NULL, lng REAL NOT NULL, organization INTEGER, lake_day INTEGER NOT NULL, event_at_us INTEGER NOT "
        "NULL, PRIMARY KEY (vehicle, at_us)) WITHOUT ROWID");
  }
  {
    std::vector<std::string> names;
    for (const Row& row : rows) names.push_back(row.vehicle_id);
    std::sort(names.begin(), names.end());
    names.erase(std::unique(names.begin(), names.end()), names.end());
    std::unordered_map<std::string, std::int64_t> vehicle_ids, organization_ids;
    for (const std::string& name : names)
      vehicle_ids.emplace(name, static_cast<std::int64_t>(vehicle_ids.size()));
    auto micros = [](const std::string& text) {
      const auto parsed = core::parse_rfc3339(text);
      if (!parsed) throw std::runtime_error(fmt::format("not a time: {}", text));
      return *parsed;
    };
    for (const Row& row : rows) {
      const auto organization =
          organization_ids.emplace(row.organization_id, static_cast<std::int64_t>(organization_ids.size()));
      integers.push_back({vehicle_ids.at(row.vehicle_id), micros(row.at), organization.first->second,
                          *core::parse_date(row.lake_date), micros(row.event_at)});
    }
    if (!integer_keys) {  // d2d's dimensions, as its load keeps them (keys from 1, ids in byte order)
      for (const auto& [name, key] : vehicle_ids) {
        Statement(db, "INSERT INTO vehicle_key (vehicle_key, vehicle_id) VALUES (?1, ?2)")
            .bind(1, key + 1)
            .bind(2, std::string_view(name))
            .run();
      }
      for (const auto& [name, key] : organization_ids) {
        Statement(db, "INSERT INTO organization_key (organization_key, organization_id) VALUES (?1, ?2)")
            .bind(1, key + 1)
            .bind(2, std::string_view(name))
            .run();
      }
      for (const Row& row : rows) {
        Statement(db, "INSERT OR IGNORE INTO lake_day (lake_day, lake_date) VALUES (?1, ?2)")
            .bind(1, *core::parse_date(row.lake_date))
            .bind(2, std::string_view(row.lake_date))
            .run();
        break;  // one lake date
      }
    }
  }

  // One statement of `rows_per_statement` rows, and one for the rest.
  auto prepare = [&db, integer_keys](std::size_t count) {
    std::string sql =
        integer_keys
            ? "INSERT OR IGNORE INTO location_update_int (vehicle, at_us, lat, lng, organization, lake_day, "
              "event_at_us) "
              "VALUES "
            : "INSERT OR IGNORE INTO location_fix (vehicle_key, at, lat, lng, organization_key, lake_day, "
              "event_at) "
              "VALUES ";
    for (std::size_t i = 0; i < count; ++i) sql += i == 0 ? "(?,?,?,?,?,?,?)" : ",(?,?,?,?,?,?,?)";
    sqlite3_stmt* statement = nullptr;
    if (sqlite3_prepare_v3(db.handle(), sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &statement, nullptr) !=
        SQLITE_OK) {
      db.fail("preparing the insert");
    }
    return statement;
  };
  sqlite3_stmt* insert = prepare(rows_per_statement);
  sqlite3_stmt* rest =
      rows.size() % rows_per_statement == 0 ? nullptr : prepare(rows.size() % rows_per_statement);
  // As d2d's load binds a row of location_fix: keys, at as text, event_at NULL when equal to at.
  auto bind_row = [](sqlite3_stmt* statement, int first, const Row& row, const IntegerRow& keys) {
    sqlite3_bind_int64(statement, first, keys.vehicle + 1);
    bind_text(statement, first + 1, row.at);
    sqlite3_bind_double(statement, first + 2, row.lat);
    sqlite3_bind_double(statement, first + 3, row.lng);
    if (row.has_organization) {
      sqlite3_bind_int64(statement, first + 4, keys.organization + 1);
    } else {
      sqlite3_bind_null(statement, first + 4);
    }
    sqlite3_bind_int64(statement, first + 5, keys.lake_day);
    if (row.event_at == row.at) {
      sqlite3_bind_null(statement, first + 6);
    } else {
      bind_text(statement, first + 6, row.event_at);
    }
  };

  const auto started = std::chrono::steady_clock::now();
  const double cpu_started = cpu_seconds();
  db.exec("BEGIN IMMEDIATE");
  for (std::size_t first = 0; first < rows.size(); first += rows_per_statement) {
    const std::size_t count = std::min(rows_per_statement, rows.size() - first);
    sqlite3_stmt* statement = count == rows_per_statement ? insert : rest;
    for (std::size_t i = 0; i < count; ++i) {
      const int at = static_cast<int>(7 * i + 1);
      if (!integer_keys) {
        bind_row(statement, at, rows[first + i], integers[first + i]);
        continue;
      }
      const IntegerRow& row = integers[first + i];
      sqlite3_bind_int64(statement, at, row.vehicle);
      sqlite3_bind_int64(statement, at + 1, row.at_us);
      sqlite3_bind_double(statement, at + 2, rows[first + i].lat);
      sqlite3_bind_double(statement, at + 3, rows[first + i].lng);
      if (rows[first + i].has_organization) {
        sqlite3_bind_int64(statement, at + 4, row.organization);
      } else {
        sqlite3_bind_null(statement, at + 4);
      }
      sqlite3_bind_int64(statement, at + 5, row.lake_day);
      sqlite3_bind_int64(statement, at + 6, row.event_at_us);
    }
    if (sqlite3_step(statement) != SQLITE_DONE) db.fail("inserting rows");
    if (const int inserted_rows = sqlite3_changes(db.handle()); inserted_rows != static_cast<int>(count)) {
      throw std::runtime_error(
          fmt::format("{} of {} rows inserted: the rows repeat a key", inserted_rows, count));
    }
    sqlite3_reset(statement);
  }
  const auto inserted = std::chrono::steady_clock::now();
  const double cpu_inserted = cpu_seconds();
  db.exec("COMMIT");
  // The checkpoint that `d2d run` pays when it closes the file: a WAL under the auto-checkpoint
  // size (1,000 pages) would otherwise leave it out of the timing.
  db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  const auto committed = std::chrono::steady_clock::now();
  const double cpu_committed = cpu_seconds();
  sqlite3_finalize(insert);
  sqlite3_finalize(rest);

  const auto seconds = [](auto duration) { return std::chrono::duration<double>(duration).count(); };
  fmt::print("{} {:.3f} {:.3f} {:.3f} {:.3f}\n", rows.size(), seconds(inserted - started),
             seconds(committed - inserted), cpu_inserted - cpu_started, cpu_committed - cpu_inserted);
  return 0;
}

}  // namespace
}  // namespace d2d::bench

int main(int argc, char** argv) {
  try {
    return d2d::bench::run(argc, argv);
  } catch (const std::exception& error) {
    fmt::print(stderr, "d2d_sqlite_limit: {}\n", error.what());
    return 1;
  }
}
