// libFuzzer target: any bytes, as the content of one source object, through the line splitter
// and the decoder. Properties: never crashes, never reads out of bounds; every line is either an
// event or a reject whose reason is non-empty, valid UTF-8 and free of NUL; an accepted event's
// kept strings (data.id, organization_id) are valid UTF-8 without NUL, whatever escapes the line
// used; and the streaming splitter (what transform uses), with a small block size and a small
// line cap, cuts and numbers exactly the lines the whole-buffer splitter does, handing out a
// line over the cap as its start with its whole length.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/byte_reader.h"
#include "core/utf8.h"
#include "events/decoder.h"
#include "events/json_syntax.h"
#include "events/line_splitter.h"

namespace {

void check_text(std::string_view text) {
  if (!d2d::core::is_valid_utf8(text) || text.find('\0') != std::string_view::npos) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static d2d::events::LineDecoder decoder;  // reused, as in production
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  // The cap: usually above every line (the decoder sees whole lines), sometimes tiny.
  const std::uint64_t max_line_bytes = size % 3 == 0 ? 1 + size % 61 : d2d::events::kDefaultMaxLineBytes;
  d2d::events::LineSplitter lines(bytes);
  d2d::core::StringByteReader reader{std::string(bytes)};
  d2d::events::StreamingLineSplitter streamed(reader, 1 + size % 13, max_line_bytes);
  std::string_view line, streamed_line;
  std::uint64_t number = 0, streamed_number = 0;
  while (lines.next(line, number)) {
    if (!streamed.next(streamed_line, streamed_number)) std::abort();
    if (streamed_number != number || streamed.length() != line.size()) std::abort();
    const bool too_long = line.size() > max_line_bytes;
    if (streamed.too_long() != too_long) std::abort();
    const std::size_t kept = too_long ? static_cast<std::size_t>(std::min<std::uint64_t>(
                                            max_line_bytes, d2d::events::kKeptLongLineBytes))
                                      : line.size();
    if (streamed_line != line.substr(0, kept)) std::abort();
    auto result = decoder.decode(line);
    if (!result.has_value()) {
      const std::string reason = result.error().reason();
      if (reason.empty()) std::abort();
      check_text(reason);
      continue;
    }
    if (result->id.empty()) std::abort();
    check_text(result->id);
    if (result->has_organization) check_text(result->organization_id);
    // What the decoder accepted is JSON by the grammar the unknown fields are checked with.
    if (!d2d::events::is_json_value(line)) std::abort();
  }
  if (streamed.next(streamed_line, streamed_number)) std::abort();
  return 0;
}
