#include "generate_test_support.h"

#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sstream>
#include <stdexcept>

#include "core/time.h"

namespace d2d::generate::test_support {
namespace fs = std::filesystem;

TempDir::TempDir() {
  std::string name = (fs::temp_directory_path() / "d2d-generate-test-XXXXXX").string();
  if (mkdtemp(name.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  m_path = name;
}

TempDir::~TempDir() {
  std::error_code ignored;
  fs::remove_all(m_path, ignored);
}

const Json* Json::get(std::string_view key) const {
  if (type != Type::Object) return nullptr;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    if (keys[i] == key) return &values[i];
  }
  return nullptr;
}

namespace {

class Parser {
 public:
  explicit Parser(std::string_view text) : m_text(text) {}

  std::optional<Json> parse_document() {
    Json value;
    skip_space();
    if (!parse_value(value, 0)) return std::nullopt;
    skip_space();
    if (m_pos != m_text.size()) return std::nullopt;  // trailing garbage
    return value;
  }

 private:
  void skip_space() {
    while (m_pos < m_text.size() && (m_text[m_pos] == ' ' || m_text[m_pos] == '\t' || m_text[m_pos] == '\n' ||
                                     m_text[m_pos] == '\r')) {
      ++m_pos;
    }
  }
  bool literal(std::string_view word) {
    if (m_text.substr(m_pos, word.size()) != word) return false;
    m_pos += word.size();
    return true;
  }
  bool parse_value(Json& out, int depth) {
    if (depth > 64 || m_pos >= m_text.size()) return false;
    const char c = m_text[m_pos];
    if (c == '{') return parse_object(out, depth);
    if (c == '[') return parse_array(out, depth);
    if (c == '"') {
      out.type = Json::Type::String;
      return parse_string(out.string);
    }
    if (c == 't' || c == 'f') {
      out.type = Json::Type::Bool;
      out.boolean = c == 't';
      return literal(c == 't' ? "true" : "false");
    }
    if (c == 'n') {
      out.type = Json::Type::Null;
      return literal("null");
    }
    return parse_number(out);
  }
  bool parse_object(Json& out, int depth) {
    out.type = Json::Type::Object;
    ++m_pos;
    skip_space();
    if (m_pos < m_text.size() && m_text[m_pos] == '}') {
      ++m_pos;
      return true;
    }
    for (;;) {
      skip_space();
      std::string key;
      if (m_pos >= m_text.size() || m_text[m_pos] != '"' || !parse_string(key)) return false;
      skip_space();
      if (m_pos >= m_text.size() || m_text[m_pos] != ':') return false;
      ++m_pos;
      skip_space();
      Json value;
      if (!parse_value(value, depth + 1)) return false;
      out.keys.push_back(std::move(key));
      out.values.push_back(std::move(value));
      skip_space();
      if (m_pos >= m_text.size()) return false;
      if (m_text[m_pos] == ',') {
        ++m_pos;
        continue;
      }
      if (m_text[m_pos] != '}') return false;
      ++m_pos;
      return true;
    }
  }
  bool parse_array(Json& out, int depth) {
    out.type = Json::Type::Array;
    ++m_pos;
    skip_space();
    if (m_pos < m_text.size() && m_text[m_pos] == ']') {
      ++m_pos;
      return true;
    }
    for (;;) {
      skip_space();
      Json value;
      if (!parse_value(value, depth + 1)) return false;
      out.array.push_back(std::move(value));
      skip_space();
      if (m_pos >= m_text.size()) return false;
      if (m_text[m_pos] == ',') {
        ++m_pos;
        continue;
      }
      if (m_text[m_pos] != ']') return false;
      ++m_pos;
      return true;
    }
  }
  bool parse_string(std::string& out) {
    ++m_pos;  // opening quote
    while (m_pos < m_text.size()) {
      const auto c = static_cast<unsigned char>(m_text[m_pos]);
      if (c == '"') {
        ++m_pos;
        return true;
      }
      if (c < 0x20) return false;
      if (c == '\\') {
        if (m_pos + 1 >= m_text.size()) return false;
        const char escape = m_text[m_pos + 1];
        if (escape == 'u') {
          if (m_pos + 6 > m_text.size()) return false;
          for (std::size_t i = 2; i < 6; ++i) {
            if (!std::isxdigit(static_cast<unsigned char>(m_text[m_pos + i]))) return false;
          }
          out += '?';  // the tests never look at escaped characters
          m_pos += 6;
          continue;
        }
        if (std::string_view("\"\\/bfnrt").find(escape) == std::string_view::npos) return false;
        out += escape;
        m_pos += 2;
        continue;
      }
      // UTF-8: a lead byte and its continuation bytes; no overlong 2-byte forms.
      std::size_t extra = 0;
      if (c < 0x80) {
        extra = 0;
      } else if (c >= 0xC2 && c <= 0xDF) {
        extra = 1;
      } else if (c >= 0xE0 && c <= 0xEF) {
        extra = 2;
      } else if (c >= 0xF0 && c <= 0xF4) {
        extra = 3;
      } else {
        return false;
      }
      if (m_pos + extra >= m_text.size()) return false;
      for (std::size_t i = 1; i <= extra; ++i) {
        if ((static_cast<unsigned char>(m_text[m_pos + i]) & 0xC0) != 0x80) return false;
      }
      out.append(m_text.substr(m_pos, extra + 1));
      m_pos += extra + 1;
    }
    return false;  // unterminated
  }
  bool parse_number(Json& out) {
    const std::size_t begin = m_pos;
    auto digits = [&] {
      const std::size_t start = m_pos;
      while (m_pos < m_text.size() && m_text[m_pos] >= '0' && m_text[m_pos] <= '9') ++m_pos;
      return m_pos > start;
    };
    if (m_pos < m_text.size() && m_text[m_pos] == '-') ++m_pos;
    if (m_pos < m_text.size() && m_text[m_pos] == '0') {
      ++m_pos;
    } else if (!digits()) {
      return false;
    }
    if (m_pos < m_text.size() && m_text[m_pos] == '.') {
      ++m_pos;
      if (!digits()) return false;
    }
    if (m_pos < m_text.size() && (m_text[m_pos] == 'e' || m_text[m_pos] == 'E')) {
      ++m_pos;
      if (m_pos < m_text.size() && (m_text[m_pos] == '+' || m_text[m_pos] == '-')) ++m_pos;
      if (!digits()) return false;
    }
    out.type = Json::Type::Number;
    out.number = std::strtod(std::string(m_text.substr(begin, m_pos - begin)).c_str(), nullptr);
    return true;
  }

  std::string_view m_text;
  std::size_t m_pos = 0;
};

std::optional<std::int64_t> timestamp(const Json* value, std::string& why, std::string_view field) {
  if (value == nullptr) {
    why = "missing " + std::string(field);
    return std::nullopt;
  }
  if (value->type != Json::Type::String) {
    why = std::string(field) + " is not a string";
    return std::nullopt;
  }
  core::TimeError error{};
  const auto parsed = core::parse_rfc3339(value->string, &error);
  if (!parsed) why = std::string(field) + ": " + core::describe(error);
  return parsed;
}

std::string gunzip(const std::string& compressed) {
  z_stream z{};
  if (inflateInit2(&z, 15 + 32) != Z_OK) throw std::runtime_error("inflateInit2");
  std::string out;
  char buffer[1 << 16];
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  z.avail_in = static_cast<uInt>(compressed.size());
  int status = Z_OK;
  while (status != Z_STREAM_END) {
    z.next_out = reinterpret_cast<Bytef*>(buffer);
    z.avail_out = sizeof buffer;
    status = inflate(&z, Z_NO_FLUSH);
    if (status != Z_OK && status != Z_STREAM_END) {
      inflateEnd(&z);
      throw std::runtime_error("corrupt gzip");
    }
    out.append(buffer, sizeof buffer - z.avail_out);
  }
  const bool trailing = z.avail_in != 0;
  inflateEnd(&z);
  if (trailing) throw std::runtime_error("data after the gzip stream");
  return out;
}

}  // namespace

std::optional<Json> parse_json(std::string_view text) { return Parser(text).parse_document(); }

std::string check_event(std::string_view line, Event* out) {
  const auto document = parse_json(line);
  if (!document) return "invalid JSON";
  if (document->type != Json::Type::Object) return "not an object";
  Event event;
  const Json* on = document->get("on");
  const Json* name = document->get("event");
  const Json* data = document->get("data");
  if (name == nullptr) return "missing event";
  if (on == nullptr) return "missing on";
  if (data == nullptr) return "missing data";
  if (name->type != Json::Type::String) return "event is not a string";
  if (on->type != Json::Type::String) return "on is not a string";
  if (data->type != Json::Type::Object) return "data is not an object";
  std::string why;
  const auto at_us = timestamp(document->get("at"), why, "at");
  if (!at_us) return why;
  const Json* id = data->get("id");
  if (id == nullptr) return "missing data.id";
  if (id->type != Json::Type::String) return "id is not a string";
  if (id->string.empty()) return "empty id";
  if (const Json* org = document->get("organization_id")) {
    if (org->type == Json::Type::String) {
      event.organization_id = org->string;
    } else if (org->type != Json::Type::Null) {
      return "organization_id is not a string";
    }
  }
  event.on = on->string;
  event.event = name->string;
  event.at_us = *at_us;
  event.id = id->string;
  const std::string pair = event.on + "/" + event.event;
  if (pair == "vehicle/update") {
    const Json* location = data->get("location");
    if (location == nullptr || location->type != Json::Type::Object) return "update without location";
    const Json* lat = location->get("lat");
    const Json* lng = location->get("lng");
    if (lat == nullptr || lat->type != Json::Type::Number) return "lat is not a number";
    if (lng == nullptr || lng->type != Json::Type::Number) return "lng is not a number";
    if (lat->number < -90 || lat->number > 90) return "lat out of range";
    if (lng->number < -180 || lng->number > 180) return "lng out of range";
    const auto fix_us = timestamp(location->get("at"), why, "location.at");
    if (!fix_us) return why;
    event.lat_deg = lat->number;
    event.lng_deg = lng->number;
    event.fix_us = *fix_us;
  } else if (pair == "vehicle/register") {
    if (const Json* location = data->get("location")) {
      if (location->type != Json::Type::Object) return "register location is not an object";
    }
  } else if (pair == "operating_period/create") {
    const auto start_us = timestamp(data->get("start"), why, "start");
    if (!start_us) return why;
    const auto finish_us = timestamp(data->get("finish"), why, "finish");
    if (!finish_us) return why;
    if (*start_us > *finish_us) return "start after finish";
    event.start_us = *start_us;
    event.finish_us = *finish_us;
  } else if (pair != "vehicle/deregister" && pair != "vehicle/break_start" && pair != "vehicle/break_end" &&
             pair != "operating_period/delete") {
    return "unknown on/event pair";
  }
  if (out != nullptr) *out = std::move(event);
  return {};
}

Lake read_lake(const fs::path& root) {
  Lake lake;
  std::vector<fs::path> paths;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (entry.is_regular_file()) paths.push_back(entry.path());
  }
  std::sort(paths.begin(), paths.end());
  for (const auto& path : paths) {
    LakeFile file;
    file.key = fs::relative(path, root).generic_string();
    file.size_on_disk = fs::file_size(path);
    lake.bytes += file.size_on_disk;
    std::ifstream stream(path, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(stream)), std::istreambuf_iterator<char>());
    file.content = path.extension() == ".gz" ? gunzip(bytes) : bytes;
    file.lake_date = core::parse_date(path.filename().string().substr(0, 10)).value_or(-1);
    std::string_view rest = file.content;
    if (rest.starts_with("\xEF\xBB\xBF")) {
      file.bom = true;
      rest.remove_prefix(3);
    }
    file.final_newline = rest.ends_with('\n');
    while (!rest.empty()) {
      const std::size_t end = rest.find('\n');
      std::string_view line = rest.substr(0, end);
      rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
      if (line.ends_with('\r')) {
        file.crlf = true;
        line.remove_suffix(1);
      }
      if (line.empty()) {
        ++file.blank_lines;
        continue;
      }
      file.lines.emplace_back(line);
    }
    lake.blank_lines += file.blank_lines;
    lake.files.push_back(std::move(file));
  }
  for (std::size_t i = 0; i < lake.files.size(); ++i) {
    for (const auto& line : lake.files[i].lines) {
      Event event;
      const std::string why = check_event(line, &event);
      if (why.empty()) {
        lake.valid.push_back({std::move(event), line, lake.files[i].lake_date, i});
      } else {
        lake.bad.push_back(line);
        ++lake.bad_reasons[why];
      }
    }
  }
  return lake;
}

GenerateOptions small_options(const fs::path& out_dir) {
  GenerateOptions options;
  options.out_dir = out_dir;
  options.first_day = *core::parse_date("2019-06-01");
  options.vehicles = 6;
  options.interval_s = 20;
  options.seed = 7;
  // Half-hour files: creating and removing directories and files is most of a test's time
  // on slow disks, and ctest runs every test in its own process.
  options.file_seconds = 1800;
  return options;
}

}  // namespace d2d::generate::test_support
