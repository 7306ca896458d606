// d2d's decode + validate + encode work alone, for bench/run.sh (issue 5):
// events::StreamingLineSplitter and events::LineDecoder over every file of a lake date, single
// thread, exactly as the pipeline's transform step calls them (1 MiB blocks copied out of the file's
// bytes in memory, as read(2) copies them out of the page cache) (including the reject reason of a bad line,
// which the pipeline stores), and each fix encoded as the binary COPY row of location_update that the
// PostgreSQL load sends (into a buffer, emptied every MiB, instead of a connection).
// Usage: d2d_decode_bench [--benchmark_* flags] DIR
#include <cstdint>
#include <string_view>

#include "bench_files.h"
#include "core/time.h"
#include "events/decoder.h"
#include "events/line_splitter.h"
#include "warehouse/postgres/load_fixes.h"
#include "warehouse/postgres/pg_conn.h"

namespace d2d::bench {
namespace {

// The file's bytes, already in memory, handed over a block at a time.
class FileBytes final : public core::ByteReader {
 public:
  explicit FileBytes(std::string_view bytes) : m_rest(bytes) {}
  std::size_t read(char* into, std::size_t capacity) override {
    const std::size_t count = m_rest.copy(into, capacity);
    m_rest.remove_prefix(count);
    return count;
  }

 private:
  std::string_view m_rest;
};

void decode_file(const PaddedFile& file, events::LineDecoder& decoder, warehouse::pg::CopyEncoder& copy,
                 Tally& tally) {
  static const std::int64_t kLakeDay = *core::parse_date("2024-04-01");  // the bench's lake date
  FileBytes bytes(file.view());
  events::StreamingLineSplitter lines(bytes);
  std::string_view line;
  std::uint64_t line_number = 0;
  while (lines.next(line, line_number)) {
    auto decoded = decoder.decode(line);
    if (!decoded) {
      ++tally.rejected;
      tally.checksum += decoded.error().reason().size();
      continue;
    }
    ++tally.documents;
    tally.checksum += decoded->id.size() + static_cast<std::uint64_t>(decoded->at_us);
    tally.coordinates += decoded->lat_deg + decoded->lng_deg;
    if (decoded->kind == events::EventKind::VehicleUpdate) {
      // As the load copies a fix into location_fix: the vehicle's and organization's keys are looked up
      // once per vehicle there, so constants stand for them here.
      warehouse::pg::encode_location_fix(
          copy,
          {decoded->id, decoded->fix_at_us, decoded->at_us, decoded->lat_deg, decoded->lng_deg,
           decoded->has_organization ? std::optional<std::string_view>(decoded->organization_id)
                                     : std::nullopt},
          kLakeDay, 1, decoded->has_organization ? std::optional<std::int16_t>(1) : std::nullopt);
      if (copy.buffer().size() >= (1U << 20)) {
        tally.checksum += copy.buffer().size();
        copy.buffer().clear();
      }
    }
  }
}

}  // namespace
}  // namespace d2d::bench

int main(int argc, char** argv) {
  using namespace d2d::bench;
  return run_benchmark_main(argc, argv, "decode", [](benchmark::State& state, const Input& input) {
    d2d::events::LineDecoder decoder;
    d2d::warehouse::pg::CopyEncoder copy;
    run_passes(state, input,
               [&](const PaddedFile& file, Tally& tally) { decode_file(file, decoder, copy, tally); });
  });
}
