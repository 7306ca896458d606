// Versioned schema migrations, embedded in the binary at build time from
// src/warehouse/migrations/<dialect>/NNNN_name.sql and NNNN_name.rollback.sql.
#pragma once

#include <string>
#include <vector>

namespace d2d::warehouse {

struct Migration {
  int version;
  const char* name;
  const char* up_sql;
  const char* down_sql;
};

struct MigrationState {
  int version = 0;
  std::string name;
  bool applied = false;
  std::string applied_at;  // empty when not applied
};

const std::vector<Migration>& sqlite_migrations();
const std::vector<Migration>& postgres_migrations();

}  // namespace d2d::warehouse
