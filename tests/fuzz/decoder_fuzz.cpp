// libFuzzer target: any bytes, as the content of one source object, through the line splitter
// and the decoder. Property: never crashes, never reads out of bounds, and every line is
// either an event or a reject with a non-empty reason.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "events/decoder.h"
#include "events/line_splitter.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static d2d::events::LineDecoder decoder;  // reused, as in production
  d2d::events::LineSplitter lines(std::string_view(reinterpret_cast<const char*>(data), size));
  std::string_view line;
  std::uint64_t number = 0;
  while (lines.next(line, number)) {
    auto result = decoder.decode(line);
    if (!result.has_value() && result.error().reason().empty()) std::abort();
    if (result.has_value() && result->id.empty()) std::abort();
  }
  return 0;
}
