#include "warehouse/postgres/sql_text.h"

#include <gtest/gtest.h>

#include <vector>

#include "core/error.h"

namespace d2d::warehouse {
namespace {

TEST(PlainIdentifier, TakesWhatPostgresTakesUnquotedInAnyCase) {
  for (const std::string& name :
       std::vector<std::string>{"vehicle_analytics", "Fleet_2", "_", "_x9", "A", std::string(63, 'a')}) {
    EXPECT_TRUE(is_plain_identifier(name)) << name;
    EXPECT_NO_THROW(check_pg_schema(name)) << name;
  }
}

TEST(PlainIdentifier, RefusesAnythingElseWithAUsageErrorOnOneLine) {
  for (const std::string& name :
       {std::string(), std::string(64, 'a'), std::string("2fleet"), std::string("a-b"), std::string("a b"),
        std::string("a.b"), std::string("a\"b"), std::string("a;b"),
        std::string("x\nCREATE TABLE public.pwned()"),
        std::string("fl\xc3\xa9"
                    "et"),
        std::string("a\0b", 3), std::string("$1")}) {
    EXPECT_FALSE(is_plain_identifier(name)) << name;
    try {
      check_pg_schema(name);
      ADD_FAILURE() << "accepted: " << name;
    } catch (const core::Error& error) {
      EXPECT_EQ(error.kind(), core::ErrorKind::Usage);
      EXPECT_EQ(std::string(error.what()).find('\n'), std::string::npos) << error.what();
      EXPECT_NE(std::string(error.what()).find("--pg-schema"), std::string::npos) << error.what();
    }
  }
}

TEST(ReplaceInSqlCode, ReplacesInCodeAndDollarQuotedBodiesOnly) {
  EXPECT_EQ(replace_in_sql_code("CREATE TABLE {{schema}}.t (a int); -- {{schema}} here\n"
                                "DROP TABLE {{schema}}.u;",
                                "{{schema}}", "\"S\""),
            "CREATE TABLE \"S\".t (a int); -- {{schema}} here\nDROP TABLE \"S\".u;");
  EXPECT_EQ(replace_in_sql_code("/* {{schema}} /* nested {{schema}} */ {{schema}} */ {{schema}}",
                                "{{schema}}", "X"),
            "/* {{schema}} /* nested {{schema}} */ {{schema}} */ X");
  EXPECT_EQ(replace_in_sql_code("SELECT '{s}', 'it''s {s}', E'\\' {s}', \"{s}\", {s}", "{s}", "X"),
            "SELECT '{s}', 'it''s {s}', E'\\' {s}', \"{s}\", X");
  EXPECT_EQ(
      replace_in_sql_code("DO $$ BEGIN GRANT USAGE ON SCHEMA {{schema}} TO r; END $$;", "{{schema}}", "X"),
      "DO $$ BEGIN GRANT USAGE ON SCHEMA X TO r; END $$;");
  // A comment at the very end, and an unterminated literal, are copied as they are.
  EXPECT_EQ(replace_in_sql_code("{s} -- {s}", "{s}", "X"), "X -- {s}");
  EXPECT_EQ(replace_in_sql_code("{s} '{s}", "{s}", "X"), "X '{s}");
}

}  // namespace
}  // namespace d2d::warehouse
