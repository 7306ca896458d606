// d2d's decode + validate phase alone, for bench/run.sh (issue 5): events::LineSplitter and
// events::LineDecoder over every file of a lake date, single thread, exactly as the pipeline's
// transform step calls them (including the reject reason of a bad line, which the pipeline
// stores). Encoding rows for the warehouse is left out: the COPY encoder needs a live connection.
// Usage: d2d_decode_bench [--benchmark_* flags] DIR
#include <cstdint>
#include <string_view>

#include "bench_files.h"
#include "events/decoder.h"
#include "events/line_splitter.h"

namespace d2d::bench {
namespace {

void decode_file(const PaddedFile& file, events::LineDecoder& decoder, Tally& tally) {
  events::LineSplitter lines(file.view());
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
  }
}

}  // namespace
}  // namespace d2d::bench

int main(int argc, char** argv) {
  using namespace d2d::bench;
  return run_benchmark_main(argc, argv, "decode", [](benchmark::State& state, const Input& input) {
    d2d::events::LineDecoder decoder;
    run_passes(state, input,
               [&](const PaddedFile& file, Tally& tally) { decode_file(file, decoder, tally); });
  });
}
