// Small RAII wrappers over libpq: a connection, a result, and a binary COPY writer.
// Values always travel as parameters or through COPY, never spliced into SQL text.
// Failures become core::Error(Warehouse); those a retry can cure (the connection is gone,
// the server is shutting down or not yet up) are marked transient.
#pragma once

#include <libpq-fe.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "warehouse/postgres/pg_mask.h"

namespace d2d::warehouse::pg {

class Result {
 public:
  explicit Result(PGresult* result) : m_result(result) {}
  ~Result() { PQclear(m_result); }
  Result(Result&& other) noexcept : m_result(other.m_result) { other.m_result = nullptr; }
  Result(const Result&) = delete;
  Result& operator=(const Result&) = delete;
  Result& operator=(Result&&) = delete;

  int rows() const { return PQntuples(m_result); }
  // Rows an INSERT, UPDATE or DELETE touched.
  std::uint64_t affected_rows() const;
  bool is_null(int row, int column) const { return PQgetisnull(m_result, row, column) != 0; }
  // Binary-format accessors (results are requested in binary).
  std::string_view text(int row, int column) const;
  std::int64_t int64(int row, int column) const;
  double float64(int row, int column) const;
  bool boolean(int row, int column) const;
  std::int64_t timestamp_us(int row, int column) const;  // timestamptz -> Unix microseconds
  int column(const char* name) const;                    // by name; throws when there is none

 private:
  PGresult* m_result;
};

class Connection {
 public:
  // Connects with bounded retries on transient failures (refused, server starting up). A URI that
  // does not parse is a usage error that never shows the URI.
  Connection(const std::string& uri, int connect_attempts);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  bool is_ok() const { return PQstatus(m_conn) == CONNECTION_OK; }
  PGconn* handle() { return m_conn; }
  std::string quote_identifier(std::string_view name);

  // Runs SQL with text parameters (nullopt = NULL) and returns binary results.
  Result exec(std::string_view sql, const std::vector<std::optional<std::string>>& params = {});
  void exec_script(std::string_view sql);  // several statements, no parameters

  // COPY ... FROM STDIN (FORMAT binary), one writer at a time.
  void copy_begin(std::string_view copy_sql);
  void copy_put(std::string_view bytes);
  void copy_end();
  // Reads the results of the command in progress; throws (fail) on the first that is not a success.
  void finish_results(std::string_view doing);

  [[noreturn]] void fail(std::string_view doing, const PGresult* result = nullptr);

 private:
  PGconn* m_conn = nullptr;
  SecretMask m_mask;  // every message of libpq's passes through it
  std::string m_masked_uri;
};

// Encodes rows in COPY's binary format (header, rows, trailer) into a buffer; no connection,
// so the encoding can also be measured on its own (bench/decode_bench.cpp).
class CopyEncoder {
 public:
  CopyEncoder();  // starts with the header
  virtual ~CopyEncoder() = default;
  CopyEncoder(const CopyEncoder&) = delete;
  CopyEncoder& operator=(const CopyEncoder&) = delete;
  void begin_row(std::int16_t fields);
  void text(std::string_view value);
  void bytes(std::string_view value) { text(value); }
  void null();
  void int64(std::int64_t value);
  void int32(std::int32_t value);
  void int16(std::int16_t value);
  void float64(double value);
  void boolean(bool value);
  void timestamp_us(std::int64_t unix_micros);
  void date_days(std::int64_t unix_days);
  // NULL when the value is absent.
  void optional_text(std::optional<std::string_view> value);
  void optional_timestamp_us(std::optional<std::int64_t> unix_micros);
  void trailer();
  std::uint64_t rows() const { return m_rows; }
  std::string& buffer() { return m_buffer; }

 protected:
  virtual void before_row() {}  // a writer sends a full buffer here, between rows

 private:
  void put_u32(std::uint32_t value);
  void put_u64(std::uint64_t value);

  std::string m_buffer;
  std::uint64_t m_rows = 0;
};

// A CopyEncoder whose buffer goes to the connection in large chunks, between rows.
class CopyWriter : public CopyEncoder {
 public:
  CopyWriter(Connection& connection, std::string_view copy_sql);
  void finish();  // trailer + end of COPY

 private:
  void before_row() override;

  Connection& m_connection;
  bool m_finished = false;
};

// Reads the rows of a `COPY (...) TO STDOUT (FORMAT binary)` one at a time, as the server sends
// them: memory holds a row, not the result (a SELECT's PGresult would hold all of a day's rows).
// A row's values are valid until the next call of next().
class CopyReader {
 public:
  CopyReader(Connection& connection, std::string_view copy_sql);
  ~CopyReader();  // an unfinished COPY is read to its end, so the connection stays usable
  CopyReader(const CopyReader&) = delete;
  CopyReader& operator=(const CopyReader&) = delete;

  // Moves to the next row; false after the last one, once the server reported success.
  bool next();
  std::size_t fields() const { return m_fields.size(); }
  bool is_null(std::size_t field) const { return this->field(field).second < 0; }
  std::string_view bytes(std::size_t field) const;  // text and bytea as they are
  std::int64_t int64(std::size_t field) const;
  std::int32_t int32(std::size_t field) const;
  std::int16_t int16(std::size_t field) const;
  double float64(std::size_t field) const;
  std::int64_t timestamp_us(std::size_t field) const;  // timestamptz -> Unix microseconds

 private:
  bool fill(std::size_t bytes);  // false when the data ended before `bytes` more were there
  std::uint64_t unsigned_value(std::size_t field, std::size_t size) const;
  const std::pair<std::size_t, std::int32_t>& field(std::size_t index) const;  // throws past the last
  void read_result();  // the COPY's result: throws the server's error, if it reported one
  void finish();

  Connection& m_connection;
  std::string m_data;  // received, from m_at on not yet parsed
  std::size_t m_at = 0;
  std::vector<std::pair<std::size_t, std::int32_t>> m_fields;  // offset in m_data, length (-1: NULL)
  bool m_header_read = false, m_ended = false, m_finished = false;
};

}  // namespace d2d::warehouse::pg
