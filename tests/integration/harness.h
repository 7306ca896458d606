// Test harness for whole-pipeline tests: temporary folders, running the real d2d binary,
// and a canonical text dump of a SQLite warehouse to compare states exactly.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace d2d::testing {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return m_path; }
  std::filesystem::path operator/(const std::string& name) const { return m_path / name; }

 private:
  std::filesystem::path m_path;
};

struct CliResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs build/d2d with `args` (no shell involved).
CliResult run_d2d(const std::vector<std::string>& args);

// Runs a program with args; returns exit code and stdout.
CliResult run_program(const std::string& program, const std::vector<std::string>& args);

// Every analyst relation (and the per-date contribution tables), rows sorted, as text;
// etl_run is left out since it records every run by design.
std::string dump_warehouse(const std::filesystem::path& db);

// "" when the dumps are equal, else the first differing line of each (with its number).
// Use instead of EXPECT_EQ on dumps: gtest's diff of two large strings needs quadratic memory.
std::string first_difference(const std::string& expected, const std::string& actual);

// A single value from a query on the warehouse.
std::string query_one(const std::filesystem::path& db, const std::string& sql);

void write_text(const std::filesystem::path& path, std::string_view text);
std::string read_text(const std::filesystem::path& path);

bool sample_available();
std::filesystem::path sample_dir();

}  // namespace d2d::testing
