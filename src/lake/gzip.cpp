#include "lake/gzip.h"

#include <fmt/format.h>
#include <zlib.h>

#include "core/error.h"

namespace d2d::lake {

struct GunzipReader::Inflater {
  z_stream stream{};
  char input[1 << 16];
  bool input_ended = false;
  bool between_members = false;  // true right after a whole member: a clean place to end
  bool done = false;
};

GunzipReader::GunzipReader(std::unique_ptr<core::ByteReader> compressed, std::string what)
    : m_compressed(std::move(compressed)), m_what(std::move(what)), m_inflater(std::make_unique<Inflater>()) {
  if (inflateInit2(&m_inflater->stream, 15 + 16) != Z_OK) {
    throw core::Error(core::ErrorKind::Input,
                      fmt::format("corrupt gzip object {}: cannot initialise zlib", m_what));
  }
}

GunzipReader::~GunzipReader() { inflateEnd(&m_inflater->stream); }

std::size_t GunzipReader::read(char* into, std::size_t capacity) {
  Inflater& state = *m_inflater;
  if (state.done || capacity == 0) return 0;
  auto corrupt = [&](std::string_view why) {
    return core::Error(core::ErrorKind::Input, fmt::format("corrupt gzip object {}: {}", m_what, why));
  };
  z_stream& stream = state.stream;
  stream.next_out = reinterpret_cast<Bytef*>(into);
  stream.avail_out = static_cast<uInt>(std::min<std::size_t>(capacity, uInt{1} << 30));
  const uInt wanted = stream.avail_out;
  while (stream.avail_out == wanted) {  // until some output, or the end
    if (stream.avail_in == 0 && !state.input_ended) {
      const std::size_t got = m_compressed->read(state.input, sizeof state.input);
      state.input_ended = got == 0;
      stream.next_in = reinterpret_cast<Bytef*>(state.input);
      stream.avail_in = static_cast<uInt>(got);
    }
    if (stream.avail_in == 0) {
      if (!state.between_members) throw corrupt("truncated data");
      state.done = true;
      break;
    }
    const int status = inflate(&stream, Z_NO_FLUSH);
    state.between_members = false;
    if (status == Z_STREAM_END) {
      inflateReset(&stream);  // another gzip member may follow (concatenated .gz files are valid)
      state.between_members = true;
      continue;
    }
    if (status != Z_OK) {
      throw corrupt(status == Z_BUF_ERROR || stream.msg == nullptr ? "truncated data" : stream.msg);
    }
  }
  return wanted - stream.avail_out;
}

std::string gunzip(std::string_view compressed, std::string_view what) {
  GunzipReader reader(std::make_unique<core::StringByteReader>(std::string(compressed)), std::string(what));
  return core::read_all(reader);
}

}  // namespace d2d::lake
