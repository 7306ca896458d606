#include "lake/gzip.h"

#include <fmt/format.h>
#include <zlib.h>

#include "core/error.h"

namespace d2d::lake {

std::string gunzip(std::string_view compressed, std::string_view what) {
  auto corrupt = [&](std::string_view why) {
    return core::Error(core::ErrorKind::Input, fmt::format("corrupt gzip object {}: {}", what, why));
  };
  std::string out;
  out.reserve(compressed.size() * 6);
  z_stream stream{};
  if (inflateInit2(&stream, 15 + 16) != Z_OK) throw corrupt("cannot initialise zlib");
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  stream.avail_in = static_cast<uInt>(compressed.size());
  char buffer[1 << 16];
  int status = Z_OK;
  for (;;) {
    stream.next_out = reinterpret_cast<Bytef*>(buffer);
    stream.avail_out = sizeof buffer;
    status = inflate(&stream, Z_NO_FLUSH);
    out.append(buffer, sizeof buffer - stream.avail_out);
    if (status == Z_STREAM_END) {
      if (stream.avail_in == 0) break;
      inflateReset(&stream);  // another gzip member follows (concatenated .gz files are valid)
      continue;
    }
    if (status != Z_OK) {
      const std::string message = stream.msg != nullptr ? stream.msg : "truncated data";
      inflateEnd(&stream);
      throw corrupt(status == Z_BUF_ERROR ? "truncated data" : message);
    }
    if (stream.avail_in == 0 && stream.avail_out != 0) {
      inflateEnd(&stream);
      throw corrupt("truncated data");
    }
  }
  inflateEnd(&stream);
  return out;
}

}  // namespace d2d::lake
