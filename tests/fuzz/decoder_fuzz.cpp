// libFuzzer target: any bytes, as the content of one source object, through the line splitter
// and the decoder. Properties: never crashes, never reads out of bounds, every line is either an
// event or a reject with a non-empty reason, and the streaming splitter (what transform uses),
// with a small block size, cuts and numbers exactly the lines the whole-buffer splitter does.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/byte_reader.h"
#include "events/decoder.h"
#include "events/line_splitter.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static d2d::events::LineDecoder decoder;  // reused, as in production
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  d2d::events::LineSplitter lines(bytes);
  d2d::core::StringByteReader reader{std::string(bytes)};
  d2d::events::StreamingLineSplitter streamed(reader, 1 + size % 13);
  std::string_view line, streamed_line;
  std::uint64_t number = 0, streamed_number = 0;
  while (lines.next(line, number)) {
    if (!streamed.next(streamed_line, streamed_number)) std::abort();
    if (streamed_line != line || streamed_number != number) std::abort();
    auto result = decoder.decode(line);
    if (!result.has_value() && result.error().reason().empty()) std::abort();
    if (result.has_value() && result->id.empty()) std::abort();
  }
  if (streamed.next(streamed_line, streamed_number)) std::abort();
  return 0;
}
