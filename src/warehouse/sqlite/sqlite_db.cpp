#include "warehouse/sqlite/sqlite_db.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "core/error.h"
#include "core/time.h"

namespace d2d::warehouse::detail {
using core::Error;
using core::ErrorKind;

namespace {
// SQLite's own log names the cause of an error more precisely than its message does (the system
// call, errno and source line of an I/O error): at debug level in d2d's log.
void log_from_sqlite(void* /*unused*/, int code, const char* message) {
  spdlog::debug("sqlite log: {} ({})", message, sqlite3_errstr(code));
}

bool apply_library_settings() {
  const int log = sqlite3_config(SQLITE_CONFIG_LOG, log_from_sqlite, nullptr);
  // SQLite's allocation statistics take a process-wide mutex on every allocation (a page of the
  // cache is one); d2d never reads them.
  const int no_memory_statistics = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
  return log == SQLITE_OK && no_memory_statistics == SQLITE_OK;
}
}  // namespace

bool configure_sqlite_library() {
  static const bool applied = apply_library_settings();
  return applied;
}

SqliteDb::SqliteDb(const std::string& path, bool read_only) : m_path(path) {
  configure_sqlite_library();  // refused, harmlessly, once SQLite is initialized
  // Every connection is used by one thread at a time (the HTTP server holds a mutex around its
  // own), so the per-call connection mutex of Debian's serialized build is not needed: a load
  // took it twice per bind and step (5% of `d2d run`'s samples in perf).
  const int mode = read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
  const int status = sqlite3_open_v2(path.c_str(), &m_db, mode | SQLITE_OPEN_NOMUTEX, nullptr);
  if (status != SQLITE_OK) {
    const std::string message = m_db != nullptr ? sqlite3_errmsg(m_db) : sqlite3_errstr(status);
    sqlite3_close(m_db);
    m_db = nullptr;
    throw Error(ErrorKind::Warehouse, fmt::format("cannot open SQLite warehouse {}: {}", path, message));
  }
  sqlite3_extended_result_codes(m_db, 1);
}

SqliteDb::~SqliteDb() { sqlite3_close(m_db); }

void SqliteDb::fail(std::string_view doing) {
  const int code = sqlite3_errcode(m_db);
  if ((code & 0xff) == SQLITE_NOTADB) {
    throw Error(ErrorKind::Warehouse, fmt::format("warehouse {} is not a SQLite database", m_path));
  }
  if ((code & 0xff) == SQLITE_BUSY) {
    throw Error(ErrorKind::Warehouse,
                fmt::format("SQLite warehouse {}: {} failed: another process is writing to it ({})", m_path,
                            doing, sqlite3_errmsg(m_db)));
  }
  throw Error(ErrorKind::Warehouse,
              fmt::format("SQLite warehouse {}: {} failed: {}", m_path, doing, sqlite3_errmsg(m_db)));
}

void log_duration(std::string_view sql, std::chrono::steady_clock::time_point started) {
  const auto elapsed = std::chrono::steady_clock::now() - started;
  spdlog::debug("sqlite: {} ms: {:.90}",
                std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count(), sql);
}

void SqliteDb::exec(std::string_view sql) {
  const std::string text(sql);
  const auto started = std::chrono::steady_clock::now();
  if (sqlite3_exec(m_db, text.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) {
    fail(fmt::format("'{}'", text.substr(0, 80)));
  }
  log_duration(sql, started);
}

void SqliteDb::exec_patiently(std::string_view sql, std::chrono::milliseconds patience) {
  const std::string text(sql);
  const auto until = std::chrono::steady_clock::now() + patience;
  std::chrono::milliseconds pause(1);
  for (;;) {
    const int status = sqlite3_exec(m_db, text.c_str(), nullptr, nullptr, nullptr);
    if (status == SQLITE_OK) return;
    if ((status & 0xff) != SQLITE_BUSY || std::chrono::steady_clock::now() >= until) {
      fail(fmt::format("'{}'", text.substr(0, 80)));
    }
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(50));
  }
}

bool SqliteDb::try_exec(std::string_view sql) {
  const std::string text(sql);
  const int status = sqlite3_exec(m_db, text.c_str(), nullptr, nullptr, nullptr);
  if (status == SQLITE_OK) return true;
  if ((status & 0xff) == SQLITE_BUSY) return false;
  fail(fmt::format("'{}'", text.substr(0, 80)));
}

void SqliteDb::set_busy_timeout(std::chrono::milliseconds timeout) {
  sqlite3_busy_timeout(m_db, static_cast<int>(timeout.count()));
}

int Statement::column_index(std::string_view name) {
  const int columns = sqlite3_column_count(m_statement);
  for (int i = 0; i < columns; ++i) {
    if (const char* column = sqlite3_column_name(m_statement, i); column != nullptr && name == column)
      return i;
  }
  throw core::Error(core::ErrorKind::Internal, fmt::format("the query has no column {}", name));
}

Statement::Statement(SqliteDb& db, std::string_view sql) : m_db(db) {
  if (sqlite3_prepare_v3(db.handle(), sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                         &m_statement, nullptr) != SQLITE_OK) {
    db.fail(fmt::format("preparing '{}'", sql.substr(0, 80)));
  }
}

Statement::~Statement() { sqlite3_finalize(m_statement); }

Statement& Statement::bind(int index, std::string_view text) {
  sqlite3_bind_text(m_statement, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
  return *this;
}
Statement& Statement::bind_blob(int index, std::string_view bytes) {
  sqlite3_bind_blob(m_statement, index, bytes.data(), static_cast<int>(bytes.size()), SQLITE_TRANSIENT);
  return *this;
}
Statement& Statement::bind_static(int index, std::string_view text) {
  sqlite3_bind_text(m_statement, index, text.data(), static_cast<int>(text.size()), SQLITE_STATIC);
  return *this;
}
Statement& Statement::bind(int index, std::int64_t value) {
  sqlite3_bind_int64(m_statement, index, value);
  return *this;
}
Statement& Statement::bind(int index, double value) {
  sqlite3_bind_double(m_statement, index, value);
  return *this;
}
Statement& Statement::bind_null(int index) {
  sqlite3_bind_null(m_statement, index);
  return *this;
}
Statement& Statement::bind(int index, const std::optional<std::string_view>& text) {
  return text ? bind(index, *text) : bind_null(index);
}
Statement& Statement::bind_time(int index, std::int64_t at_us) {
  char text[32];
  const std::size_t length = core::format_utc(at_us, text);
  return bind(index, std::string_view(text, length));
}

Statement& Statement::bind_time(int index, const std::optional<std::int64_t>& at_us) {
  return at_us ? bind_time(index, *at_us) : bind_null(index);
}

bool Statement::step() {
  const int status = sqlite3_step(m_statement);
  if (status == SQLITE_ROW) return true;
  if (status == SQLITE_DONE) return false;
  const std::string sql = sqlite3_sql(m_statement);
  sqlite3_reset(m_statement);
  m_db.fail(fmt::format("'{}'", sql.substr(0, 80)));
}

void Statement::run() {
  while (step()) {
  }
  reset();
}

void Statement::reset() {
  sqlite3_reset(m_statement);
  sqlite3_clear_bindings(m_statement);
}

std::int64_t Statement::column_int(int index) { return sqlite3_column_int64(m_statement, index); }
double Statement::column_double(int index) { return sqlite3_column_double(m_statement, index); }
std::string_view Statement::column_text(int index) {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(m_statement, index));
  return text == nullptr
             ? std::string_view()
             : std::string_view(text, static_cast<std::size_t>(sqlite3_column_bytes(m_statement, index)));
}
bool Statement::column_is_null(int index) { return sqlite3_column_type(m_statement, index) == SQLITE_NULL; }
std::int64_t Statement::column_time(int index) {
  const auto parsed = core::parse_rfc3339(column_text(index));
  if (!parsed)
    throw Error(ErrorKind::Warehouse,
                fmt::format("warehouse holds an unreadable timestamp '{}'", column_text(index)));
  return *parsed;
}

}  // namespace d2d::warehouse::detail
