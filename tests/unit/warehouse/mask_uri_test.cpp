#include <gtest/gtest.h>
#include <stdlib.h>

#include "core/error.h"
#include "warehouse/postgres/pg_conn.h"

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

// Any byte may be in a password, and however it is written it must not show.
TEST(MaskUri, HidesPasswordsWrittenAnyWay) {
  EXPECT_EQ(mask_uri("postgresql://etl:S3cr%2Ft/pw%ZZ@db:5432/x"), "postgresql://etl:***@db:5432/x");
  EXPECT_EQ(mask_uri("postgresql://etl:Pa/ss@db/x"), "postgresql://etl:***@db/x");
  EXPECT_EQ(mask_uri("postgresql://etl:p@ss?w&rd@db/x?sslmode=disable"),
            "postgresql://etl:***@db/x?sslmode=disable");
  EXPECT_EQ(mask_uri("postgresql://db/x?password=Pa ss/x&sslmode=disable"),
            "postgresql://db/x?password=***&sslmode=disable");
  EXPECT_EQ(mask_uri("postgresql://db/x?pass%77ord=hunter2"), "postgresql://db/x?pass%77ord=***");
  EXPECT_EQ(mask_uri("POSTGRES://db/x?PASSWORD=hunter2"), "POSTGRES://db/x?PASSWORD=***");
  EXPECT_EQ(mask_uri("host=db password = 'it''s \\' x' user=etl"), "host=db password = ******");
  EXPECT_EQ(mask_uri("host=db password='a b\\'c' user=etl"), "host=db password=*** user=etl");
  // Not key=value from some point on: the rest may be a password's tail and is not shown.
  EXPECT_EQ(mask_uri("host=db password='unterminated user=etl"), "host=db password=***");
  EXPECT_EQ(mask_uri("host=db password=x 'it''s' user=etl"), "host=db password=*** ***");
}

TEST(SecretMask, HidesEveryFormOfThePasswordInMessages) {
  const SecretMask mask("postgresql://etl@db/x?password=S3cr%2Ft/pw%ZZ");
  EXPECT_EQ(mask("invalid percent-encoded token: \"S3cr%2Ft/pw%ZZ\""),
            "invalid percent-encoded token: \"***\"");
  EXPECT_EQ(mask("decoded S3cr/t/pw%ZZ here"), "decoded *** here");
  const SecretMask typed("postgresql://etl:%41bc%2Fdef@db/x");
  EXPECT_EQ(typed("Abc/def and %41bc%2Fdef"), "*** and ***");
  ::setenv("PGPASSWORD", "from-the-environment", 1);
  EXPECT_EQ(SecretMask("")("password from-the-environment refused"), "password *** refused");
  ::unsetenv("PGPASSWORD");
}

TEST(CheckUri, RefusesWhatLibpqCannotReadWithoutShowingIt) {
  auto reason = [](const std::string& uri) -> std::string {
    try {
      check_uri(uri, SecretMask(uri));
    } catch (const core::Error& error) {
      EXPECT_EQ(error.kind(), core::ErrorKind::Usage);
      return error.what();
    }
    return "";
  };
  EXPECT_EQ(reason("postgresql://etl:pw@db:5432/x?sslmode=disable"), "");
  EXPECT_EQ(reason("postgresql://db/x?pass%77ord=Pa/ss"), "");
  EXPECT_EQ(reason("postgresql://etl:SEC%ZZRET10@db/x"),
            "the warehouse URI does not parse: invalid percent-encoded token: \"***\"");
  for (const std::string uri :
       {"postgresql://etl:S3cr%2Ft/pw%ZZ@db:5432/x", "postgresql://etl:Pa/ss@db:5432/x",
        "postgresql://etl:p@ss@db/x", "postgresql://db/x?password=S3cr%2Ft/pw%ZZ",
        "postgresql://db/x?password=a=b"}) {
    const std::string said = reason(uri);
    EXPECT_TRUE(said.starts_with("the warehouse URI does not parse: ")) << uri << ": " << said;
    for (const std::string secret : {"S3cr", "pw%ZZ", "Qz", "Xv", "a=b", "dbhost", "etl"}) {
      EXPECT_EQ(said.find(secret), std::string::npos) << uri << ": " << said;
    }
  }
}

}  // namespace
}  // namespace d2d::warehouse::pg
