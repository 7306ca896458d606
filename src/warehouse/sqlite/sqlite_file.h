// One open SQLite warehouse file, shared by the engine's roles (migrator, ledger, loader,
// queries): the connection, how it was opened, and the file's writer gate.
#pragma once

#include <fmt/format.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "core/error.h"
#include "core/time.h"
#include "warehouse/sqlite/sqlite_db.h"
#include "warehouse/sqlite/writer_gate.h"

namespace d2d::warehouse::sqlite {

// How long a statement waits for another process's write transaction (a load of another lake
// date, or migrations) before it fails with "database is locked".
inline constexpr std::chrono::milliseconds kBusyTimeout(60'000);
// With --no-wait: long enough for another process's ledger row, not for its load.
inline constexpr std::chrono::milliseconds kNoWaitBusyTimeout(2'000);

struct SqliteFile {
  SqliteFile(const std::string& file_path, bool read_only_file, bool wait)
      : path(file_path),
        db(file_path, read_only_file),
        read_only(read_only_file),
        wait_for_lock(wait),
        gate(writer_gate(file_path)) {}

  std::chrono::milliseconds busy_timeout() const { return wait_for_lock ? kBusyTimeout : kNoWaitBusyTimeout; }

  void refuse_if_read_only(std::string_view what) const {
    if (read_only)
      throw core::Error(core::ErrorKind::Internal, fmt::format("{} on a read-only warehouse", what));
  }

  std::string path;
  detail::SqliteDb db;
  bool read_only = false;
  bool wait_for_lock = true;
  std::shared_ptr<std::mutex> gate;  // held by every write (writer_gate.h)
};

// Times are stored as fixed-width ISO-8601 UTC text.
inline std::string now_utc() {
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  return core::format_utc(std::chrono::duration_cast<std::chrono::microseconds>(now).count());
}

}  // namespace d2d::warehouse::sqlite
