// SQLite takes one writer at a time per file. Connections of other processes wait on the busy
// timeout; the threads of this process (a backfill loads several dates at once, each with its
// own connection) take turns at this gate instead, so a long load never runs another thread's
// statements into that timeout. Every write of the engine passes it: ledger rows, migrations,
// and a load, from its BEGIN to its COMMIT or rollback.
#pragma once

#include <memory>
#include <mutex>
#include <string>

namespace d2d::warehouse::sqlite {

// The gate of the file at `path`, shared by every connection this process opens to it (by
// canonical path), kept while one of them holds it.
std::shared_ptr<std::mutex> writer_gate(const std::string& path);

}  // namespace d2d::warehouse::sqlite
