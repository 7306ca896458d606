// The parse limit of bench/run.sh (issue 5): bare simdjson ondemand `iterate_many` over each
// whole file of a lake date, single thread, touching the fields events::LineDecoder reads (event,
// on, at, organization_id, data.id, data.location.{lat,lng,at}, data.start, data.finish) and
// nothing else: no type checks, no timestamps, no duplicate keys, no reject reasons.
// Built twice (bench/CMakeLists.txt): with -march=native, simdjson's best kernel on this machine
// (the limit), and with the project's own flags, the kernel d2d's decoder actually gets.
// Usage: d2d_parse_limit[_portable] [--benchmark_* flags] DIR
#include <simdjson.h>

#include <algorithm>
#include <cstdint>
#include <string_view>

#include "bench_files.h"

namespace d2d::bench {
namespace {

namespace od = simdjson::ondemand;

// Batches of 64 KB stay in the L2 cache and bound what a restart after a bad line scans again
// (measured on the 1M input: 1 MB batches cost 40-50% more CPU, 32-128 KB are alike).
constexpr std::size_t kBatchBytes = 64 * 1024;

bool is_ok(simdjson::error_code error) { return error == simdjson::SUCCESS; }

void touch_string(od::value value, Tally& tally) {
  std::string_view text;
  if (is_ok(value.get_string().get(text))) tally.checksum += text.size();
}

simdjson::error_code touch_location(od::value value, Tally& tally) {
  od::object location;
  if (!is_ok(value.get_object().get(location))) return simdjson::SUCCESS;  // null: nothing to read
  for (auto field : location) {
    std::string_view key;
    if (auto error = field.unescaped_key().get(key)) return error;
    if (key == "lat" || key == "lng") {
      double number = 0;
      if (is_ok(field.value().get_double().get(number))) tally.coordinates += number;
    } else if (key == "at") {
      touch_string(field.value(), tally);
    }
  }
  return simdjson::SUCCESS;
}

simdjson::error_code touch_data(od::value value, Tally& tally) {
  od::object data;
  if (auto error = value.get_object().get(data)) return error;
  for (auto field : data) {
    std::string_view key;
    if (auto error = field.unescaped_key().get(key)) return error;
    if (key == "location") {
      if (auto error = touch_location(field.value(), tally)) return error;
    } else if (key == "id" || key == "start" || key == "finish") {
      touch_string(field.value(), tally);
    }
  }
  return simdjson::SUCCESS;
}

template <typename Document>
simdjson::error_code touch_event(Document& document, Tally& tally) {
  od::object object;
  if (auto error = document.get_object().get(object)) return error;
  for (auto field : object) {
    std::string_view key;
    if (auto error = field.unescaped_key().get(key)) return error;
    if (key == "event" || key == "on" || key == "at" || key == "organization_id") {
      touch_string(field.value(), tally);
    } else if (key == "data") {
      if (auto error = touch_data(field.value(), tally)) return error;
    }
  }
  return simdjson::SUCCESS;
}

std::size_t next_line(std::string_view bytes, std::size_t at) {
  const std::size_t newline = bytes.find('\n', at);
  return newline == std::string_view::npos ? bytes.size() : newline + 1;
}

// iterate_many cannot step over a broken line: invalid UTF-8 or an unterminated string fails the
// whole batch, a syntax error ends the stream. So where a failure is reported, that line is tried
// alone: a bad line is skipped, otherwise the failing stretch is halved until the bad line is
// found. That is the least a bare iterate_many user must do to get through these files (1% bad
// lines), and it costs extra passes only around the few lines that are not JSON.
class ParseLimit {
 public:
  void parse_file(const PaddedFile& file, Tally& tally) {
    m_file = &file;
    parse_range(file.view().starts_with("\xEF\xBB\xBF") ? 3 : 0, file.size(), tally);
  }

 private:
  void parse_range(std::size_t begin, std::size_t end, Tally& tally) {
    const std::string_view bytes = m_file->view();
    while (begin < end) {
      const std::size_t failed_at = stream(begin, end, tally);
      if (failed_at >= end) return;
      const std::size_t line_end = std::min(end, next_line(bytes, failed_at));
      if (line_end >= end || !line_parses(failed_at, line_end)) {
        begin = line_end;  // the bad line itself
        continue;
      }
      // A good line where the failure was reported: the batch that starts there holds a bad line.
      const std::size_t stretch_end = std::min(end, next_line(bytes, failed_at + kBatchBytes));
      const std::size_t middle =
          std::min(stretch_end, next_line(bytes, failed_at + (stretch_end - failed_at) / 2));
      if (middle >= stretch_end) {
        parse_range(line_end, stretch_end, tally);
      } else {
        parse_range(failed_at, middle, tally);
        parse_range(middle, stretch_end, tally);
      }
      begin = stretch_end;
    }
  }

  // Streams [begin, end): returns end when every document was touched, else where the failure is.
  std::size_t stream(std::size_t begin, std::size_t end, Tally& tally) {
    const auto* start = reinterpret_cast<const std::uint8_t*>(m_file->data() + begin);
    od::document_stream documents;
    if (!is_ok(m_parser.iterate_many(start, end - begin, kBatchBytes).get(documents))) return begin;
    for (auto it = documents.begin(); it != documents.end(); ++it) {
      auto document = *it;
      if (document.error() != simdjson::SUCCESS) return begin + it.current_index();
      if (touch_event(document.value_unsafe(), tally) != simdjson::SUCCESS) return begin + it.current_index();
      ++tally.documents;
    }
    return end;
  }

  bool line_parses(std::size_t begin, std::size_t end) {
    const std::string_view line = m_file->view().substr(begin, end - begin);
    if (!simdjson::validate_utf8(line.data(), line.size())) return false;
    const simdjson::padded_string_view padded(line.data(), line.size(), m_file->capacity() - begin);
    od::document document;
    if (!is_ok(m_line_parser.iterate(padded).get(document))) return false;
    Tally ignored;
    return is_ok(touch_event(document, ignored));
  }

  const PaddedFile* m_file = nullptr;
  od::parser m_parser{kBatchBytes};
  od::parser m_line_parser;
};

}  // namespace
}  // namespace d2d::bench

int main(int argc, char** argv) {
  using namespace d2d::bench;
  return run_benchmark_main(argc, argv, "parse_limit", [](benchmark::State& state, const Input& input) {
    ParseLimit limit;
    run_passes(state, input, [&](const PaddedFile& file, Tally& tally) { limit.parse_file(file, tally); });
  });
}
