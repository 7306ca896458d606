#include "warehouse/postgres/pg_conn.h"

#include <fmt/format.h>

#include <bit>
#include <chrono>
#include <cstring>
#include <thread>

#include "core/error.h"

namespace d2d::warehouse::pg {
using core::Error;
using core::ErrorKind;

namespace {

constexpr std::int64_t kPgEpochUnixMicros = 946'684'800'000'000;  // 2000-01-01 in Unix microseconds
constexpr std::int64_t kPgEpochUnixDays = 10'957;
constexpr std::size_t kCopyChunkBytes = 1 << 20;

std::uint64_t read_be64(const char* data) {
  std::uint64_t value = 0;
  std::memcpy(&value, data, 8);
  return std::endian::native == std::endian::little ? __builtin_bswap64(value) : value;
}

// Errors a fresh attempt may not meet: the connection or the server went away.
bool is_transient(PGconn* conn, const PGresult* result) {
  if (PQstatus(conn) != CONNECTION_OK) return true;
  if (result == nullptr) return false;
  const char* state = PQresultErrorField(result, PG_DIAG_SQLSTATE);
  if (state == nullptr) return false;
  const std::string_view code(state);
  return code.starts_with("08") || code == "57P01" || code == "57P02" || code == "57P03" || code == "40P01" ||
         code == "40001";
}

std::string first_line(const char* message) {
  std::string text = message == nullptr ? "" : message;
  if (const auto end = text.find('\n'); end != std::string::npos) text.resize(end);
  return text;
}

}  // namespace

std::uint64_t Result::affected_rows() const {
  const char* tuples = PQcmdTuples(m_result);
  return tuples[0] == '\0' ? 0 : std::stoull(tuples);
}

int Result::column(const char* name) const {
  const int index = PQfnumber(m_result, name);
  if (index < 0)
    throw core::Error(core::ErrorKind::Internal, fmt::format("the query has no column {}", name));
  return index;
}

std::string_view Result::text(int row, int column) const {
  return {PQgetvalue(m_result, row, column), static_cast<std::size_t>(PQgetlength(m_result, row, column))};
}
std::int64_t Result::int64(int row, int column) const {
  return static_cast<std::int64_t>(read_be64(PQgetvalue(m_result, row, column)));
}
double Result::float64(int row, int column) const {
  return std::bit_cast<double>(read_be64(PQgetvalue(m_result, row, column)));
}
bool Result::boolean(int row, int column) const { return PQgetvalue(m_result, row, column)[0] != 0; }
std::int64_t Result::timestamp_us(int row, int column) const {
  return int64(row, column) + kPgEpochUnixMicros;
}

Connection::Connection(const std::string& uri, int connect_attempts)
    : m_mask(uri), m_masked_uri(m_mask.masked()) {
  check_uri(uri, m_mask);
  std::chrono::milliseconds backoff(200);
  for (int attempt = 1;; ++attempt) {
    // The URI (or, when empty, libpq's PG* environment) decides everything but the default
    // application name, which lets operators spot d2d in pg_stat_activity.
    const char* keywords[] = {"dbname", "fallback_application_name", nullptr};
    const char* values[] = {uri.c_str(), "d2d", nullptr};
    m_conn = PQconnectdbParams(keywords, values, /*expand_dbname=*/1);
    if (PQstatus(m_conn) == CONNECTION_OK) break;
    const std::string message = m_mask(first_line(PQerrorMessage(m_conn)));
    PQfinish(m_conn);
    m_conn = nullptr;
    // Wrong credentials or a missing database will not fix themselves: no retry for those.
    const bool refused_for_good = message.find("authentication failed") != std::string::npos ||
                                  message.find("pg_hba.conf") != std::string::npos ||
                                  message.find("does not exist") != std::string::npos;
    if (attempt >= connect_attempts || refused_for_good) {
      throw Error(ErrorKind::Warehouse,
                  fmt::format("cannot connect to PostgreSQL warehouse {}: {}", m_masked_uri, message),
                  /*transient=*/!refused_for_good);
    }
    std::this_thread::sleep_for(backoff);
    backoff *= 2;
  }
  // Server notices ("schema already exists, skipping") are not for the user: libraries never print.
  PQsetNoticeProcessor(
      m_conn, [](void*, const char*) {}, nullptr);
  // Timestamps cross the wire as UTC text in parameters; make the session agree.
  // Staging tables of a lake date are temporary: let them live in memory (the default 8MB
  // would write a day's staging to disk). Only allocated as used, and only settable before
  // the session touches its first temporary table.
  exec_script("SET TIME ZONE 'UTC'; SET temp_buffers = '256MB'");
}

Connection::~Connection() { PQfinish(m_conn); }

std::string Connection::quote_identifier(std::string_view name) {
  char* quoted = PQescapeIdentifier(m_conn, name.data(), name.size());
  if (quoted == nullptr) fail("quoting an identifier");
  std::string result(quoted);
  PQfreemem(quoted);
  return result;
}

void Connection::fail(std::string_view doing, const PGresult* result) {
  const std::string message =
      m_mask(first_line(result != nullptr ? PQresultErrorMessage(result) : PQerrorMessage(m_conn)));
  throw Error(ErrorKind::Warehouse,
              fmt::format("PostgreSQL warehouse {}: {} failed: {}", m_masked_uri, doing,
                          message.empty() ? "connection lost" : message),
              is_transient(m_conn, result));
}

Result Connection::exec(std::string_view sql, const std::vector<std::optional<std::string>>& params) {
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& param : params) values.push_back(param ? param->c_str() : nullptr);
  const std::string text(sql);
  PGresult* raw = PQexecParams(m_conn, text.c_str(), static_cast<int>(params.size()), nullptr, values.data(),
                               nullptr, nullptr, /*resultFormat=*/1);
  Result result(raw);
  const auto status = PQresultStatus(raw);
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)
    fail(fmt::format("'{}'", text.substr(0, 80)), raw);
  return result;
}

void Connection::exec_script(std::string_view sql) {
  const std::string text(sql);
  PGresult* result = PQexec(m_conn, text.c_str());
  const auto status = PQresultStatus(result);
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    const std::string doing = fmt::format("'{}'", text.substr(0, 80));
    try {
      fail(doing, result);
    } catch (...) {
      PQclear(result);
      throw;
    }
  }
  PQclear(result);
}

void Connection::copy_begin(std::string_view copy_sql) {
  const std::string text(copy_sql);
  PGresult* result = PQexec(m_conn, text.c_str());
  if (PQresultStatus(result) != PGRES_COPY_IN) {
    try {
      fail(fmt::format("'{}'", text.substr(0, 80)), result);
    } catch (...) {
      PQclear(result);
      throw;
    }
  }
  PQclear(result);
}

void Connection::copy_put(std::string_view bytes) {
  if (PQputCopyData(m_conn, bytes.data(), static_cast<int>(bytes.size())) != 1) fail("sending COPY data");
}

void Connection::copy_end() {
  if (PQputCopyEnd(m_conn, nullptr) != 1) fail("ending COPY");
  finish_results("COPY");
}

void Connection::finish_results(std::string_view doing) {
  while (PGresult* result = PQgetResult(m_conn)) {
    if (PQresultStatus(result) != PGRES_COMMAND_OK) {
      try {
        fail(doing, result);
      } catch (...) {
        PQclear(result);
        while (PGresult* rest = PQgetResult(m_conn)) PQclear(rest);
        throw;
      }
    }
    PQclear(result);
  }
}

CopyEncoder::CopyEncoder() {
  m_buffer.reserve(kCopyChunkBytes + 4096);
  m_buffer.append("PGCOPY\n\377\r\n\0", 11);
  put_u32(0);  // flags
  put_u32(0);  // header extension length
}

void CopyEncoder::put_u32(std::uint32_t value) {
  const std::uint32_t big = std::endian::native == std::endian::little ? __builtin_bswap32(value) : value;
  m_buffer.append(reinterpret_cast<const char*>(&big), 4);
}

void CopyEncoder::put_u64(std::uint64_t value) {
  const std::uint64_t big = std::endian::native == std::endian::little ? __builtin_bswap64(value) : value;
  m_buffer.append(reinterpret_cast<const char*>(&big), 8);
}

void CopyEncoder::begin_row(std::int16_t fields) {
  before_row();
  const auto big = static_cast<std::uint16_t>(std::endian::native == std::endian::little
                                                  ? __builtin_bswap16(static_cast<std::uint16_t>(fields))
                                                  : static_cast<std::uint16_t>(fields));
  m_buffer.append(reinterpret_cast<const char*>(&big), 2);
  ++m_rows;
}

void CopyEncoder::text(std::string_view value) {
  put_u32(static_cast<std::uint32_t>(value.size()));
  m_buffer.append(value);
}

void CopyEncoder::null() { put_u32(0xFFFFFFFFU); }

void CopyEncoder::int64(std::int64_t value) {
  put_u32(8);
  put_u64(static_cast<std::uint64_t>(value));
}

void CopyEncoder::int32(std::int32_t value) {
  put_u32(4);
  put_u32(static_cast<std::uint32_t>(value));
}

void CopyEncoder::int16(std::int16_t value) {
  put_u32(2);
  const auto bits = static_cast<std::uint16_t>(value);
  const char big[2] = {static_cast<char>(bits >> 8), static_cast<char>(bits & 0xFF)};
  m_buffer.append(big, 2);
}

void CopyEncoder::float64(double value) {
  put_u32(8);
  put_u64(std::bit_cast<std::uint64_t>(value));
}

void CopyEncoder::boolean(bool value) {
  put_u32(1);
  m_buffer.push_back(value ? 1 : 0);
}

void CopyEncoder::timestamp_us(std::int64_t unix_micros) { int64(unix_micros - kPgEpochUnixMicros); }

void CopyEncoder::date_days(std::int64_t unix_days) {
  put_u32(4);
  put_u32(static_cast<std::uint32_t>(static_cast<std::int32_t>(unix_days - kPgEpochUnixDays)));
}

void CopyEncoder::optional_text(std::optional<std::string_view> value) {
  if (value) {
    text(*value);
  } else {
    null();
  }
}

void CopyEncoder::optional_timestamp_us(std::optional<std::int64_t> unix_micros) {
  if (unix_micros) {
    timestamp_us(*unix_micros);
  } else {
    null();
  }
}

void CopyEncoder::trailer() { m_buffer.append("\xFF\xFF", 2); }

CopyWriter::CopyWriter(Connection& connection, std::string_view copy_sql) : m_connection(connection) {
  m_connection.copy_begin(copy_sql);
}

void CopyWriter::before_row() {
  if (buffer().size() >= kCopyChunkBytes) {
    m_connection.copy_put(buffer());
    buffer().clear();
  }
}

void CopyWriter::finish() {
  if (m_finished) return;
  m_finished = true;
  trailer();
  m_connection.copy_put(buffer());
  buffer().clear();
  m_connection.copy_end();
}

CopyReader::CopyReader(Connection& connection, std::string_view copy_sql) : m_connection(connection) {
  const std::string text(copy_sql);
  PGresult* result = PQexec(m_connection.handle(), text.c_str());
  if (PQresultStatus(result) != PGRES_COPY_OUT) {
    try {
      m_connection.fail(fmt::format("'{}'", text.substr(0, 80)), result);
    } catch (...) {
      PQclear(result);
      throw;
    }
  }
  PQclear(result);
}

CopyReader::~CopyReader() {
  if (m_finished) return;
  // Read the rest and the result: libpq accepts no other command until the COPY is over.
  PGconn* conn = m_connection.handle();
  char* buffer = nullptr;
  while (PQgetCopyData(conn, &buffer, 0) > 0) PQfreemem(buffer);
  while (PGresult* result = PQgetResult(conn)) PQclear(result);
}

bool CopyReader::fill(std::size_t bytes) {
  while (m_data.size() - m_at < bytes) {
    if (m_ended) return false;
    char* buffer = nullptr;
    const int length = PQgetCopyData(m_connection.handle(), &buffer, 0);
    if (length > 0) {
      m_data.append(buffer, static_cast<std::size_t>(length));
      PQfreemem(buffer);
    } else if (length == -1) {
      // The data ended early: the server says why (a restart, a cancel, a timeout), and whether
      // a retry may cure it, in the COPY's result.
      m_ended = true;
      read_result();
      return false;  // the server reported success: the data itself is short
    } else {
      m_connection.fail("reading COPY data");
    }
  }
  return true;
}

void CopyReader::read_result() {
  m_finished = true;
  m_connection.finish_results("COPY");
}

const std::pair<std::size_t, std::int32_t>& CopyReader::field(std::size_t index) const {
  if (index >= m_fields.size())
    throw core::Error(core::ErrorKind::Warehouse,
                      fmt::format("COPY row has {} fields, field {} was asked for", m_fields.size(), index));
  return m_fields[index];
}

std::uint64_t CopyReader::unsigned_value(std::size_t field, std::size_t size) const {
  const auto& [offset, length] = this->field(field);
  if (length != static_cast<std::int32_t>(size))
    throw core::Error(core::ErrorKind::Warehouse,
                      fmt::format("COPY field {} has {} bytes, expected {}", field, length, size));
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < size; ++i)
    value = (value << 8) | static_cast<unsigned char>(m_data[offset + i]);
  return value;
}

bool CopyReader::next() {
  if (m_finished) return false;
  if (m_at > (std::size_t{1} << 16) && m_at * 2 > m_data.size()) {  // drop what was parsed
    m_data.erase(0, m_at);
    m_at = 0;
  }
  auto malformed = [](std::string_view what) {
    return core::Error(core::ErrorKind::Warehouse, fmt::format("malformed binary COPY data: {}", what));
  };
  if (!m_header_read) {
    constexpr std::string_view kSignature("PGCOPY\n\377\r\n\0", 11);
    if (!fill(19) || std::string_view(m_data).substr(m_at, 11) != kSignature) throw malformed("no header");
    m_at += 15;  // signature, flags
    m_fields.assign(1, {m_at, 4});
    const auto extension = static_cast<std::size_t>(unsigned_value(0, 4));
    m_at += 4;
    if (!fill(extension)) throw malformed("truncated header");
    m_at += extension;
    m_header_read = true;
  }
  if (!fill(2)) throw malformed("no trailer");
  m_fields.assign(1, {m_at, 2});
  const auto count = static_cast<std::int16_t>(unsigned_value(0, 2));
  m_at += 2;
  m_fields.clear();
  if (count == -1) {
    finish();
    return false;
  }
  for (std::int16_t i = 0; i < count; ++i) {
    if (!fill(4)) throw malformed("truncated row");
    m_fields.emplace_back(m_at, 4);
    const auto length = static_cast<std::int32_t>(unsigned_value(m_fields.size() - 1, 4));
    m_at += 4;
    m_fields.back() = {m_at, length};
    if (length > 0) {
      if (!fill(static_cast<std::size_t>(length))) throw malformed("truncated field");
      m_at += static_cast<std::size_t>(length);
    }
  }
  return true;
}

void CopyReader::finish() {
  // After the trailer: the end of the data, then the COPY's result.
  while (!m_ended) {
    char* buffer = nullptr;
    const int length = PQgetCopyData(m_connection.handle(), &buffer, 0);
    if (length > 0) {
      PQfreemem(buffer);
    } else if (length == -1) {
      m_ended = true;
    } else {
      m_connection.fail("reading COPY data");
    }
  }
  if (!m_finished) read_result();
}

std::string_view CopyReader::bytes(std::size_t field) const {
  const auto& [offset, length] = this->field(field);
  return length <= 0 ? std::string_view()
                     : std::string_view(m_data).substr(offset, static_cast<std::size_t>(length));
}

std::int64_t CopyReader::int64(std::size_t field) const {
  return static_cast<std::int64_t>(unsigned_value(field, 8));
}

std::int32_t CopyReader::int32(std::size_t field) const {
  return static_cast<std::int32_t>(static_cast<std::uint32_t>(unsigned_value(field, 4)));
}

std::int16_t CopyReader::int16(std::size_t field) const {
  return static_cast<std::int16_t>(static_cast<std::uint16_t>(unsigned_value(field, 2)));
}

double CopyReader::float64(std::size_t field) const {
  return std::bit_cast<double>(unsigned_value(field, 8));
}

std::int64_t CopyReader::timestamp_us(std::size_t field) const { return int64(field) + kPgEpochUnixMicros; }

}  // namespace d2d::warehouse::pg
