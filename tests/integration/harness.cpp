#include "harness.h"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <fstream>
#include <sstream>
#include <stdexcept>

extern char** environ;

namespace d2d::testing {
namespace fs = std::filesystem;

TempDir::TempDir() {
  char name[] = "/tmp/d2d-it-XXXXXX";
  if (mkdtemp(name) == nullptr) throw std::runtime_error("mkdtemp failed");
  m_path = name;
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(m_path, ec);
}

void open_to_unprivileged(const fs::path& work) {
  if (geteuid() != 0) return;
  fs::permissions(work, fs::perms::all, fs::perm_options::add);
  for (const auto& entry : fs::recursive_directory_iterator(work)) {
    if (!entry.is_symlink()) fs::permissions(entry.path(), fs::perms::all, fs::perm_options::add);
  }
}

CliResult run_d2d_unprivileged(const std::vector<std::string>& args) {
  if (geteuid() != 0) return run_d2d(args);
  std::vector<std::string> wrapped = {"--reuid=65534", "--regid=65534", "--clear-groups", "--", D2D_BINARY};
  wrapped.insert(wrapped.end(), args.begin(), args.end());
  return run_program("setpriv", wrapped);
}

CliResult run_program(const std::string& program, const std::vector<std::string>& args) {
  int out_pipe[2], err_pipe[2];
  // Close-on-exec: only the dup2'ed copies reach the child, so a daemon it leaves behind (a
  // server started by a script) does not hold the pipes open.
  if (pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0)
    throw std::runtime_error("pipe failed");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);
  posix_spawn_file_actions_addclose(&actions, out_pipe[0]);
  posix_spawn_file_actions_addclose(&actions, err_pipe[0]);
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(program.c_str()));
  for (const auto& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  pid_t pid = 0;
  const int spawned = posix_spawnp(&pid, program.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(out_pipe[1]);
  close(err_pipe[1]);
  if (spawned != 0) throw std::runtime_error("cannot start " + program);
  CliResult result;
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  int open_count = 2;
  char buffer[65536];
  while (open_count > 0) {
    if (poll(fds, 2, -1) < 0) break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      const ssize_t got = read(fds[i].fd, buffer, sizeof buffer);
      if (got <= 0) {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_count;
      } else {
        (i == 0 ? result.out : result.err).append(buffer, static_cast<std::size_t>(got));
      }
    }
  }
  int status = 0;
  waitpid(pid, &status, 0);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

CliResult run_d2d(const std::vector<std::string>& args) { return run_program(D2D_BINARY, args); }

namespace {

std::string query_rows(sqlite3* db, const std::string& sql) {
  sqlite3_stmt* statement = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &statement, nullptr) != SQLITE_OK) {
    throw std::runtime_error(std::string("bad query: ") + sqlite3_errmsg(db) + " in " + sql);
  }
  std::string out;
  while (sqlite3_step(statement) == SQLITE_ROW) {
    for (int i = 0; i < sqlite3_column_count(statement); ++i) {
      if (i > 0) out += '|';
      if (sqlite3_column_type(statement, i) == SQLITE_NULL) {
        out += "NULL";
      } else if (sqlite3_column_type(statement, i) == SQLITE_FLOAT) {
        char text[64];
        std::snprintf(text, sizeof text, "%.17g", sqlite3_column_double(statement, i));
        out += text;
      } else {
        out += reinterpret_cast<const char*>(sqlite3_column_text(statement, i));
      }
    }
    out += '\n';
  }
  sqlite3_finalize(statement);
  return out;
}

// (relation, query) for every relation a dump shows, rows sorted. Distances are sums of
// floating-point terms, rendered with 6 decimals by `six_decimals` ("{}" is the column).
std::vector<std::pair<std::string, std::string>> dump_queries(const std::string& versions_table,
                                                              const std::string& six_decimals) {
  auto decimals = [&](const std::string& column) {
    std::string text = six_decimals;
    return text.replace(text.find("{}"), 2, column);
  };
  std::vector<std::pair<std::string, std::string>> queries;
  for (const char* table : {"vehicle", "operating_period", "vehicle_break"}) {
    queries.emplace_back(table, std::string("SELECT * FROM ") + table + " ORDER BY 1, 2, 3");
  }
  // Fix versions name the object they came from by its key: lake_object ids depend on the order
  // and grouping of loads, the object a row names must not.
  queries.emplace_back(
      "location_update",
      "SELECT u.vehicle_id, u.at, u.lat, u.lng, u.organization_id, u.lake_date, u.event_at, "
      "o.source AS object FROM location_update u LEFT JOIN lake_object o ON o.lake_object_id = "
      "u.lake_object_id ORDER BY 1, 2, 3");
  queries.emplace_back(versions_table,
                       "SELECT s.vehicle_id, s.at, s.lake_date, s.event_at, s.lat, s.lng, "
                       "s.organization_id, o.source AS object FROM " +
                           versions_table +
                           " s LEFT JOIN lake_object o ON o.lake_object_id = s.lake_object_id "
                           "ORDER BY 1, 2, 3");
  queries.emplace_back(
      "lake_object",
      "SELECT lake_date, source, size, md5, lines, lines_rejected FROM lake_object ORDER BY 1, 2");
  queries.emplace_back("vehicle_operating_period_distance",
                       "SELECT operating_period_id, vehicle_id, " + decimals("distance_m") +
                           ", updates FROM vehicle_operating_period_distance ORDER BY 1, 2");
  queries.emplace_back("operating_period_avg_distance",
                       "SELECT operating_period_id, vehicles, " + decimals("avg_distance_m") + ", " +
                           decimals("total_distance_m") + " FROM operating_period_avg_distance ORDER BY 1");
  for (const std::string& table :
       {std::string("rejected_event"), std::string("lake_vehicle"),
        std::string("lake_operating_period_event"), std::string("lake_break_event")}) {
    queries.emplace_back(table, "SELECT * FROM " + table + " ORDER BY 1, 2, 3");
  }
  return queries;
}

}  // namespace

std::string read_rejected_zone(const fs::path& lake, const std::string& lake_date) {
  const fs::path folder = lake / "rejected" / ("lake_date=" + lake_date);
  std::vector<fs::path> files;
  if (fs::exists(folder)) {
    for (const auto& entry : fs::directory_iterator(folder)) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  std::string zone;
  for (const fs::path& file : files) zone += read_text(file);
  return zone;
}

std::string dump_warehouse(const fs::path& path) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    throw std::runtime_error("cannot open " + path.string());
  }
  std::string dump;
  for (const auto& [table, sql] : dump_queries("lake_location_superseded", "printf('%.6f', {})")) {
    dump += "== " + table + "\n" + query_rows(db, sql);
  }
  sqlite3_close(db);
  return dump;
}

std::string first_difference(const std::string& expected, const std::string& actual) {
  if (expected == actual) return "";
  std::istringstream a(expected), b(actual);
  std::string line_a, line_b, section;
  for (int number = 1;; ++number) {
    const bool more_a = static_cast<bool>(std::getline(a, line_a));
    const bool more_b = static_cast<bool>(std::getline(b, line_b));
    if (!more_a && !more_b) return "dumps differ only in trailing bytes";
    if (more_a && line_a.starts_with("== ")) section = line_a;
    if (!more_a || !more_b || line_a != line_b) {
      return "in " + section + ", line " + std::to_string(number) +
             ":\n  expected: " + (more_a ? line_a : "<end>") + "\n  actual:   " + (more_b ? line_b : "<end>");
    }
  }
}

std::string query_one(const fs::path& path, const std::string& sql) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    throw std::runtime_error("cannot open " + path.string());
  }
  std::string rows = query_rows(db, sql);
  sqlite3_close(db);
  if (!rows.empty() && rows.back() == '\n') rows.pop_back();
  return rows;
}

void write_text(const fs::path& path, std::string_view text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

fs::path sample_dir() { return D2D_SAMPLE_DIR; }
bool sample_available() { return fs::is_directory(sample_dir()); }

}  // namespace d2d::testing

#include <libpq-fe.h>

namespace d2d::testing {

std::string engine_name(Engine engine) { return engine == Engine::Sqlite ? "sqlite" : "postgresql"; }

std::string pg_uri() {
  std::string uri = read_text(fs::path(D2D_PG_DIR) / "uri");
  while (!uri.empty() && (uri.back() == '\n' || uri.back() == ' ')) uri.pop_back();
  if (uri.empty()) throw std::runtime_error("no test PostgreSQL server: " D2D_PG_DIR "/uri is missing");
  return uri;
}

namespace {

std::string schema_for(const fs::path& work) {
  std::string name = "it_" + work.parent_path().filename().string() + "_" + work.filename().string();
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name;
}

class PgSession {
 public:
  PgSession(const std::string& uri, const std::string& schema) {
    m_conn = PQconnectdb(uri.c_str());
    if (PQstatus(m_conn) != CONNECTION_OK) throw std::runtime_error(PQerrorMessage(m_conn));
    PQsetNoticeProcessor(
        m_conn, [](void*, const char*) {}, nullptr);
    exec("SET search_path TO \"" + schema + "\"; SET TIME ZONE 'UTC'");
  }
  ~PgSession() { PQfinish(m_conn); }
  std::string exec(const std::string& sql) {
    PGresult* result = PQexec(m_conn, sql.c_str());
    const auto status = PQresultStatus(result);
    if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
      std::string message = PQresultErrorMessage(result);
      PQclear(result);
      throw std::runtime_error("query failed: " + message + " in " + sql);
    }
    std::string out;
    for (int row = 0; row < PQntuples(result); ++row) {
      for (int column = 0; column < PQnfields(result); ++column) {
        if (column > 0) out += '|';
        out += PQgetisnull(result, row, column) ? "NULL" : PQgetvalue(result, row, column);
      }
      out += '\n';
    }
    PQclear(result);
    return out;
  }

 private:
  PGconn* m_conn = nullptr;
};

}  // namespace

std::string pg_query(const std::string& sql, const std::string& server_uri) {
  PgSession session(server_uri.empty() ? pg_uri() : server_uri, "public");
  std::string rows = session.exec(sql);
  if (!rows.empty() && rows.back() == '\n') rows.pop_back();
  return rows;
}

WarehouseUnderTest::WarehouseUnderTest(Engine engine, fs::path work, std::string server_uri)
    : m_engine(engine),
      m_work(std::move(work)),
      m_schema(schema_for(m_work)),
      m_server_uri(std::move(server_uri)) {}

std::string WarehouseUnderTest::server_uri() const { return m_server_uri.empty() ? pg_uri() : m_server_uri; }

std::vector<std::string> WarehouseUnderTest::args() const {
  if (m_engine == Engine::Sqlite) return {"--warehouse", (m_work / "w.db").string()};
  return {"--warehouse", server_uri(), "--pg-schema", m_schema};
}

void WarehouseUnderTest::reset() const {
  if (m_engine == Engine::Sqlite) {
    for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(m_work / (std::string("w.db") + suffix));
    return;
  }
  PgSession session(server_uri(), "public");
  session.exec("DROP SCHEMA IF EXISTS \"" + m_schema + "\" CASCADE");
}

std::string WarehouseUnderTest::dump() const {
  if (m_engine == Engine::Sqlite) return dump_warehouse(m_work / "w.db");
  PgSession session(server_uri(), m_schema);
  std::string dump;
  // PostgreSQL keeps only the superseded fix versions per date (docs/decisions.md).
  for (const auto& [table, sql] : dump_queries("lake_location_superseded", "round({}::numeric, 6)")) {
    dump += "== " + table + "\n" + session.exec(sql);
  }
  return dump;
}

std::string WarehouseUnderTest::query(const std::string& sql) const {
  if (m_engine == Engine::Sqlite) return query_one(m_work / "w.db", sql);
  PgSession session(server_uri(), m_schema);
  std::string rows = session.exec(sql);
  if (!rows.empty() && rows.back() == '\n') rows.pop_back();
  return rows;
}

std::vector<std::string> run_args_for(const fs::path& work, const WarehouseUnderTest& warehouse,
                                      const std::string& date, const std::vector<std::string>& extra) {
  std::vector<std::string> args = {
      "run", "--source", (work / "source").string(), "--lake", (work / "lake").string(), "--date",
      date,  "--quiet"};
  const auto target = warehouse.args();
  args.insert(args.end(), target.begin(), target.end());
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

BackgroundRun::BackgroundRun(const std::vector<std::string>& args, const fs::path& log_prefix,
                             const std::vector<std::string>& extra_env)
    : m_log_prefix(log_prefix) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  const std::string out = log_prefix.string() + ".out", err = log_prefix.string() + ".err";
  posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  std::vector<char*> argv;
  const std::string program = D2D_BINARY;
  argv.push_back(const_cast<char*>(program.c_str()));
  for (const auto& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  std::vector<std::string> env_storage;
  for (char** e = environ; *e != nullptr; ++e) env_storage.emplace_back(*e);
  env_storage.insert(env_storage.end(), extra_env.begin(), extra_env.end());
  std::vector<char*> envp;
  for (auto& e : env_storage) envp.push_back(e.data());
  envp.push_back(nullptr);
  if (posix_spawn(&m_pid, program.c_str(), &actions, nullptr, argv.data(), envp.data()) != 0) {
    throw std::runtime_error("cannot start d2d");
  }
  posix_spawn_file_actions_destroy(&actions);
}

CliResult BackgroundRun::wait() {
  int status = 0;
  waitpid(m_pid, &status, 0);
  CliResult result;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  result.out = read_text(m_log_prefix.string() + ".out");
  result.err = read_text(m_log_prefix.string() + ".err");
  return result;
}

void BackgroundRun::signal(int signal_number) const { ::kill(m_pid, signal_number); }

int free_port() {
  const CliResult result = run_program("bash", {std::string(D2D_SCRIPTS_DIR) + "/free-port.sh"});
  if (result.exit_code != 0) throw std::runtime_error("free-port.sh failed");
  return std::stoi(result.out);
}

}  // namespace d2d::testing
