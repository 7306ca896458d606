// CopyReader against the real server: binary COPY TO rows read one at a time, every type the
// loader reads back (text, int2/4/8, float8, timestamptz, NULL), rows that straddle libpq's
// messages and the reader's buffer compaction, and a COPY abandoned half way (the connection
// must stay usable: a full reload stops reading when it gives up comparing).
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "core/error.h"
#include "harness.h"
#include "warehouse/postgres/pg_conn.h"

namespace d2d::testing {
namespace {

using warehouse::pg::Connection;
using warehouse::pg::CopyReader;

TEST(PgCopyReader, ReadsEveryTypeTheLoaderReadsBack) {
  Connection db(pg_uri(), 1);
  db.exec_script("SET TIME ZONE 'UTC'");
  CopyReader rows(
      db,
      "COPY (SELECT 'véhicule'::text, NULL::text, (-2)::int2, 2147483647::int4, "
      "(-9007199254740993)::int8, '-0'::float8, 52.520008::float8, "
      "'2021-03-01 10:00:00.000001+00'::timestamptz, '1969-12-31 23:59:59+00'::timestamptz, ''::text) "
      "TO STDOUT (FORMAT binary)");
  ASSERT_TRUE(rows.next());
  ASSERT_EQ(rows.fields(), 10U);
  EXPECT_EQ(rows.bytes(0), "véhicule");
  EXPECT_TRUE(rows.is_null(1));
  EXPECT_FALSE(rows.is_null(0));
  EXPECT_EQ(rows.int16(2), -2);
  EXPECT_EQ(rows.int32(3), 2147483647);
  EXPECT_EQ(rows.int64(4), -9007199254740993LL);
  EXPECT_TRUE(std::signbit(rows.float64(5)));
  EXPECT_EQ(rows.float64(6), 52.520008);
  EXPECT_EQ(rows.timestamp_us(7), 1'614'592'800'000'001LL);
  EXPECT_EQ(rows.timestamp_us(8), -1'000'000LL);
  EXPECT_FALSE(rows.is_null(9));
  EXPECT_EQ(rows.bytes(9), "");
  EXPECT_THROW((void)rows.int64(3), d2d::core::Error);   // an int4 is not read as an int8
  EXPECT_THROW((void)rows.bytes(10), d2d::core::Error);  // there is no eleventh field
  EXPECT_FALSE(rows.next());
  EXPECT_FALSE(rows.next());
  EXPECT_EQ(db.exec("SELECT 42::int8").int64(0, 0), 42);  // the COPY is over
}

TEST(PgCopyReader, ReadsManyRowsInOrderAndLongValues) {
  Connection db(pg_uri(), 1);
  CopyReader rows(
      db,
      "COPY (SELECT i::int8, repeat('x', (i % 7) * 1000) FROM generate_series(1, 30000) i ORDER BY i) "
      "TO STDOUT (FORMAT binary)");
  std::int64_t expected = 1;
  for (; rows.next(); ++expected) {
    ASSERT_EQ(rows.int64(0), expected);
    ASSERT_EQ(rows.bytes(1), std::string(static_cast<std::size_t>(expected % 7) * 1000, 'x'));
  }
  EXPECT_EQ(expected, 30001);
}

TEST(PgCopyReader, AnAbandonedCopyLeavesTheConnectionUsable) {
  Connection db(pg_uri(), 1);
  {
    CopyReader rows(db, "COPY (SELECT i FROM generate_series(1, 100000) i) TO STDOUT (FORMAT binary)");
    ASSERT_TRUE(rows.next());
    ASSERT_TRUE(rows.next());
  }
  EXPECT_EQ(db.exec("SELECT 42::int8").int64(0, 0), 42);
}

// The server fails half way through the rows: its own error, not "malformed data", so that the
// run says why and a transient failure (a restart) is retried.
TEST(PgCopyReader, AnErrorAfterTheFirstRowsIsTheServersError) {
  Connection db(pg_uri(), 1);
  std::string message;
  std::int64_t rows_read = 0;
  try {
    CopyReader rows(
        db, "COPY (SELECT 1 / (i - 50000) FROM generate_series(1, 100000) i) TO STDOUT (FORMAT binary)");
    while (rows.next()) ++rows_read;
  } catch (const d2d::core::Error& error) {
    message = error.what();
  }
  EXPECT_GT(rows_read, 0);
  EXPECT_NE(message.find("division by zero"), std::string::npos) << message;
  EXPECT_EQ(db.exec("SELECT 42::int8").int64(0, 0), 42);
}

TEST(PgCopyReader, AFailingQueryIsAWarehouseError) {
  Connection db(pg_uri(), 1);
  EXPECT_THROW(CopyReader(db, "COPY (SELECT 1 / 0) TO STDOUT (FORMAT binary)"), d2d::core::Error);
  EXPECT_EQ(db.exec("SELECT 42::int8").int64(0, 0), 42);
}

}  // namespace
}  // namespace d2d::testing
