// Test helpers for the fleet simulator: read back what it wrote (gunzip, BOM, CRLF, blank
// lines) and check each line against SPEC §3 with a small independent JSON reader, so these
// tests do not depend on the events component they are meant to feed.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "generate/fleet_simulator.h"

namespace d2d::generate::test_support {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return m_path; }

 private:
  std::filesystem::path m_path;
};

// A minimal JSON value: enough to check the shape of an event.
struct Json {
  enum class Type { Null, Bool, Number, String, Array, Object };
  Type type = Type::Null;
  bool boolean = false;
  double number = 0;
  std::string string;
  std::vector<Json> array;
  // Members in order; two vectors because std::pair<std::string, Json> needs a complete Json.
  std::vector<std::string> keys;
  std::vector<Json> values;

  const Json* get(std::string_view key) const;
};

// The whole text must be exactly one JSON value (RFC 8259, strings valid UTF-8).
std::optional<Json> parse_json(std::string_view text);

// A valid event, as SPEC §3 defines it.
struct Event {
  std::string on;
  std::string event;
  std::int64_t at_us = 0;
  std::string id;
  std::optional<std::string> organization_id;
  // update
  double lat_deg = 0;
  double lng_deg = 0;
  std::int64_t fix_us = 0;
  // create
  std::int64_t start_us = 0;
  std::int64_t finish_us = 0;
};

// Empty when the line is a valid event (then `out` is filled), otherwise why it is not.
std::string check_event(std::string_view line, Event* out = nullptr);

struct LakeFile {
  std::string key;             // relative to the output directory, '/' separated
  std::int64_t lake_date = 0;  // days since 1970-01-01, from the file name
  std::uint64_t size_on_disk = 0;
  std::string content;  // decompressed
  bool bom = false;
  bool crlf = false;
  bool final_newline = true;
  std::uint64_t blank_lines = 0;
  std::vector<std::string> lines;  // non-blank lines, endings removed
};

struct ValidLine {
  Event event;
  std::string raw;
  std::int64_t lake_date = 0;
  std::size_t file_index = 0;
};

struct Lake {
  std::vector<LakeFile> files;  // sorted by key
  std::vector<ValidLine> valid;
  std::vector<std::string> bad;
  std::map<std::string, std::uint64_t> bad_reasons;
  std::uint64_t blank_lines = 0;
  std::uint64_t bytes = 0;
};

// Reads every file under `root` (gunzipping .gz files).
Lake read_lake(const std::filesystem::path& root);

GenerateOptions small_options(const std::filesystem::path& out_dir);

}  // namespace d2d::generate::test_support
