// Small RAII wrappers over the SQLite C API: a connection and a prepared statement.
// Every failure becomes core::Error(Warehouse) with SQLite's message and what we were doing.
#pragma once

#include <sqlite3.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace d2d::warehouse::detail {

// What every warehouse connection sets first (the loader's and the readers'): WAL, so readers
// never block the loader; a 64 MB page cache (loads insert in key order, as appends, so a bigger
// cache only grew memory: docs/decisions.md). Temporary tables in a temporary file behind a 16 MB
// cache: a reload's tables hold a key per fix of the date (2 x 1M keys at 1M events), and in memory
// they grew the process with the day (370 MB at 1M against 131 MB for a first load).
// bench/sqlite_limit.cpp runs the same ones.
inline constexpr std::string_view kConnectionPragmas =
    "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA cache_size = -65536; "
    "PRAGMA temp_store = FILE; PRAGMA temp.cache_size = -16384;";

// The library-wide settings d2d runs SQLite with (its log at debug level in d2d's, no allocation
// statistics). SQLite takes them only before its first connection or VFS call: SqliteDb's
// constructor applies them, and so must anything that calls SQLite first (a test installing its
// own VFS). False when SQLite had already started.
bool configure_sqlite_library();

// Logs at debug level how long a statement took (`d2d -v` shows where a load spends its time).
void log_duration(std::string_view sql, std::chrono::steady_clock::time_point started);

class SqliteDb {
 public:
  // read_only: SQLITE_OPEN_READONLY, never creates the file.
  explicit SqliteDb(const std::string& path, bool read_only = false);
  ~SqliteDb();
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;

  sqlite3* handle() { return m_db; }
  void exec(std::string_view sql);  // one or more statements, no results
  // Like exec, but runs `sql` again while SQLite answers SQLITE_BUSY, for up to `patience`: some
  // lock upgrades (switching a fresh file to WAL) fail at once instead of calling the busy
  // handler, since waiting there could deadlock.
  void exec_patiently(std::string_view sql, std::chrono::milliseconds patience);
  // Like exec, but false instead of an error when another connection holds the lock (SQLITE_BUSY).
  bool try_exec(std::string_view sql);
  void set_busy_timeout(std::chrono::milliseconds timeout);
  [[noreturn]] void fail(std::string_view doing);

 private:
  sqlite3* m_db = nullptr;
  std::string m_path;
};

class Statement {
 public:
  Statement(SqliteDb& db, std::string_view sql);
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& bind(int index, std::string_view text);        // copied
  Statement& bind_blob(int index, std::string_view bytes);  // copied; any bytes (column_text reads them back)
  // Not copied: SQLite reads `text` in place, so it must stay unchanged until the statement has
  // run. Saves an allocation and a copy per value on the hot path of the load.
  Statement& bind_static(int index, std::string_view text);
  Statement& bind(int index, std::int64_t value);
  Statement& bind(int index, double value);
  Statement& bind_null(int index);
  Statement& bind(int index, const std::optional<std::string_view>& text);
  Statement& bind_time(int index, std::int64_t at_us);  // as fixed-width ISO-8601 UTC text
  Statement& bind_time(int index, const std::optional<std::int64_t>& at_us);  // NULL when empty

  bool step();  // true while a row is available
  void run();   // step to completion and reset
  void reset();

  std::int64_t column_int(int index);
  double column_double(int index);
  std::string_view column_text(int index);
  bool column_is_null(int index);
  std::int64_t column_time(int index);      // parses the fixed-width text back
  int column_index(std::string_view name);  // of a result column, by name; throws when there is none

 private:
  SqliteDb& m_db;
  sqlite3_stmt* m_statement = nullptr;
};

}  // namespace d2d::warehouse::detail
