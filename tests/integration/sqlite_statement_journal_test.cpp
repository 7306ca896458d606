// The load's batches of fixes keep no statement journal (Clashes::Skip in
// warehouse/sqlite/load_fixes.cpp). An INSERT that can fail half-way through its rows makes SQLite
// copy every page it changes into a statement journal first, and with 64 KB pages that journal is
// a temporary file: the batches wrote 1.7 GB to it for the bench's 1M day, and the kernel's
// copying of it was much of a 16M load's system time. A VFS over the default one counts what SQLite
// writes to statement journal files while a real load and reload run in this process.
#include <sqlite3.h>

#include <atomic>
#include <cstdint>

#include "harness.h"
#include "pipeline/run.h"
#include "warehouse/sqlite/sqlite_db.h"
#include "warehouse/warehouse.h"

namespace d2d::testing {
namespace {

std::atomic<int> g_statement_journal_files{0};
std::atomic<std::int64_t> g_statement_journal_bytes{0};
sqlite3_vfs* g_real_vfs = nullptr;
const sqlite3_io_methods* g_real_methods = nullptr;
sqlite3_io_methods g_counting_methods{};

int write_counting(sqlite3_file* file, const void* data, int bytes, sqlite3_int64 offset) {
  g_statement_journal_bytes += bytes;
  return g_real_methods->xWrite(file, data, bytes, offset);
}

// Statement journals get methods that count their writes; every other file keeps the real ones.
int open_counting_statement_journals(sqlite3_vfs* /*shim*/, const char* name, sqlite3_file* file, int flags,
                                     int* out_flags) {
  const int status = g_real_vfs->xOpen(g_real_vfs, name, file, flags, out_flags);
  if (status == SQLITE_OK && (flags & SQLITE_OPEN_SUBJOURNAL) != 0) {
    ++g_statement_journal_files;
    if (g_real_methods == nullptr) {
      g_real_methods = file->pMethods;
      g_counting_methods = *g_real_methods;
      g_counting_methods.xWrite = write_counting;
    }
    if (file->pMethods == g_real_methods) file->pMethods = &g_counting_methods;
  }
  return status;
}

// The default VFS with xOpen wrapped; every other method (and its pAppData, which the unix VFS
// reads) is the real one's. The default for every connection opened while it lives.
class CountingVfs {
 public:
  CountingVfs() {
    g_real_vfs = sqlite3_vfs_find(nullptr);
    m_vfs = *g_real_vfs;
    m_vfs.zName = "d2d-counting-statement-journals";
    m_vfs.xOpen = open_counting_statement_journals;
    sqlite3_vfs_register(&m_vfs, 1);
  }
  ~CountingVfs() { sqlite3_vfs_unregister(&m_vfs); }
  CountingVfs(const CountingVfs&) = delete;
  CountingVfs& operator=(const CountingVfs&) = delete;

 private:
  sqlite3_vfs m_vfs{};
};

TEST(SqliteLoad, TheBatchesOfFixesKeepNoStatementJournal) {
  // First, before anything in this process starts SQLite (ctest runs each test in its own process).
  ASSERT_TRUE(warehouse::detail::configure_sqlite_library())
      << "SQLite had started before the warehouse configured it: run this test on its own";
  TempDir dir;
  const auto generated =
      run_d2d({"generate", "--out", (dir / "source").string(), "--date", "2019-06-01", "--days", "1",
               "--vehicles", "20", "--interval-s", "5", "--conflict-ratio", "0.1", "--seed", "3"});
  ASSERT_EQ(generated.exit_code, 0) << generated.err;

  CountingVfs counting;
  pipeline::RunOptions run;
  run.source_uri = (dir / "source").string();
  run.lake_uri = (dir / "lake").string();
  run.lake_date = *core::LakeDate::parse("2019-06-01");
  run.attempts = 1;
  const auto db = dir / "w.db";
  const auto warehouse = warehouse::open_warehouse(db.string());
  const auto first = pipeline::run_lake_date(run, *warehouse);
  run.force = true;  // and a full reload, which merges into standing rows
  const auto again = pipeline::run_lake_date(run, *warehouse);

  EXPECT_GT(first.figures.rows_loaded, 50000U) << "the test's premise: many batches of inserts";
  EXPECT_EQ(again.figures.rows_loaded, first.figures.rows_loaded);
  EXPECT_EQ(query_one(db, "SELECT count(*) FROM location_update"), std::to_string(first.figures.rows_loaded));
  // Other statements of a load may still keep one (a few pages each, whatever the size of the day);
  // a batch of 100 fixes that kept one wrote a 64 KB page to it.
  const std::int64_t one_page_per_batch =
      2 * static_cast<std::int64_t>(first.figures.rows_loaded) / 100 * 65536;
  EXPECT_LT(g_statement_journal_bytes.load(), one_page_per_batch / 4)
      << g_statement_journal_files.load() << " statement journal files";
}

}  // namespace
}  // namespace d2d::testing
