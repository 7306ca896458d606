#include <gtest/gtest.h>

#include "warehouse/pg_conn.h"

namespace d2d::warehouse::pg {
namespace {

TEST(MaskUri, HidesPasswordsAndNothingElse) {
  EXPECT_EQ(mask_uri("postgresql://etl:s3cr:et@db:5432/analytics?sslmode=require"),
            "postgresql://etl:***@db:5432/analytics?sslmode=require");
  EXPECT_EQ(mask_uri("postgresql://etl@db/analytics"), "postgresql://etl@db/analytics");
  EXPECT_EQ(mask_uri("postgresql://db:5432/analytics"), "postgresql://db:5432/analytics");
  EXPECT_EQ(mask_uri("postgresql://db/x?user=etl&password=hunter2&sslmode=require"),
            "postgresql://db/x?user=etl&password=***&sslmode=require");
  EXPECT_EQ(mask_uri("host=db password=hunter2 user=etl"), "host=db password=*** user=etl");
}

}  // namespace
}  // namespace d2d::warehouse::pg
