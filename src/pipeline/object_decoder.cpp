#include "pipeline/object_decoder.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "core/error.h"
#include "core/utf8.h"
#include "events/line_splitter.h"
#include "events/reject.h"
#include "pipeline/rejected_zone.h"

namespace d2d::pipeline {

namespace {
constexpr std::size_t kBlockBytes = std::size_t{64} * 1024;
}  // namespace

std::string_view DecodedChunk::keep(std::string_view text) {
  if (text.empty()) return {};
  if (m_block_used + text.size() > m_block_size) {
    m_block_size = std::max(kBlockBytes, text.size());
    m_blocks.push_back(std::make_unique_for_overwrite<char[]>(m_block_size));
    m_block_used = 0;
  }
  char* at = m_blocks.back().get() + m_block_used;
  std::memcpy(at, text.data(), text.size());
  m_block_used += text.size();
  return {at, text.size()};
}

ObjectDecoder::ObjectDecoder(const lake::RawZone& raw_zone, const std::vector<lake::ManifestEntry>& manifest,
                             std::string lake_date, unsigned threads, DecodeLimits limits)
    : m_raw_zone(raw_zone), m_manifest(manifest), m_lake_date(std::move(lake_date)), m_limits(limits) {
  m_limits.chunk_lines = std::max<std::size_t>(m_limits.chunk_lines, 1);
  m_limits.chunks_ahead = std::max<std::size_t>(m_limits.chunks_ahead, 1);
  m_limits.objects_ahead = std::max<std::size_t>(m_limits.objects_ahead, 1);
  m_source_names.reserve(manifest.size());
  for (const lake::ManifestEntry& entry : manifest) m_source_names.push_back(core::utf8_lossy(entry.key));
  const unsigned count =
      std::clamp<unsigned>(threads, 1, static_cast<unsigned>(std::max<std::size_t>(manifest.size(), 1)));
  for (unsigned i = 0; i < count; ++i) m_workers.emplace_back([this] { work(); });
}

ObjectDecoder::~ObjectDecoder() {
  {
    std::lock_guard lock(m_mutex);
    m_stopping = true;
  }
  m_changed.notify_all();
  m_workers.clear();  // joins
}

void ObjectDecoder::work() {
  events::LineDecoder decoder(m_limits.decoder);  // one parser per thread, reused for every line
  for (;;) {
    std::size_t index = 0;
    {
      std::unique_lock lock(m_mutex);
      m_changed.wait(lock, [&] {
        return m_stopping || m_next_to_decode >= m_manifest.size() ||
               m_next_to_decode < m_next_to_consume + m_limits.objects_ahead;
      });
      if (m_stopping || m_next_to_decode >= m_manifest.size()) return;
      index = m_next_to_decode++;
      m_objects[index];  // started: the consumer waits for its chunks from now on
    }
    std::exception_ptr failure;
    try {
      decode(index, decoder);
    } catch (const Stopped&) {
      return;
    } catch (...) {
      failure = std::current_exception();
    }
    {
      std::lock_guard lock(m_mutex);
      ObjectProgress& progress = m_objects[index];
      progress.finished = true;
      progress.failure = failure;
    }
    m_changed.notify_all();
  }
}

// The consumer's current object may always fill its own `chunks_ahead` (so it can never wait
// behind later objects' chunks: no deadlock); later objects share `chunks_ahead` between them.
bool ObjectDecoder::may_hand_over(std::size_t index) const {
  if (index == m_next_to_consume) return m_objects.at(index).chunks.size() < m_limits.chunks_ahead;
  return m_chunks_waiting < m_limits.chunks_ahead;
}

void ObjectDecoder::hand_over(std::size_t index, DecodedChunk&& chunk) {
  {
    std::unique_lock lock(m_mutex);
    m_changed.wait(lock, [&] { return m_stopping || may_hand_over(index); });
    if (m_stopping) throw Stopped{};
    m_objects[index].chunks.push_back(std::move(chunk));
    ++m_chunks_waiting;
  }
  m_changed.notify_all();
}

bool ObjectDecoder::next(DecodedChunk& out) {
  std::exception_ptr failure;
  {
    std::unique_lock lock(m_mutex);
    for (;;) {
      if (m_next_to_consume >= m_manifest.size()) return false;
      m_changed.wait(lock, [&] {
        auto found = m_objects.find(m_next_to_consume);
        return found != m_objects.end() && (!found->second.chunks.empty() || found->second.finished);
      });
      ObjectProgress& progress = m_objects.at(m_next_to_consume);
      if (!progress.chunks.empty()) {
        out = std::move(progress.chunks.front());
        progress.chunks.pop_front();
        --m_chunks_waiting;
        break;
      }
      failure = progress.failure;
      m_objects.erase(m_next_to_consume++);
      if (failure) break;
      m_changed.notify_all();  // a worker may start one more object while this thread waits
    }
  }
  m_changed.notify_all();  // a worker may hand over or start one more
  if (failure) std::rethrow_exception(failure);
  return true;
}

void ObjectDecoder::decode(std::size_t index, events::LineDecoder& decoder) {
  const lake::ManifestEntry& entry = m_manifest[index];
  std::uint64_t line_number = 0;
  try {
    decode_lines(index, decoder, line_number);
  } catch (const Stopped&) {
    throw;
  } catch (const core::Error& error) {
    // Which object, and where in it: a corrupt gzip stream or a lost disk is found at a line.
    throw core::Error(error.kind(), where(entry, line_number) + error.what(), error.transient());
  } catch (const std::exception& error) {
    throw core::Error(core::ErrorKind::Internal, where(entry, line_number) + error.what());
  }
}

std::string ObjectDecoder::where(const lake::ManifestEntry& entry, std::uint64_t line_number) {
  const std::string key = core::utf8_lossy(entry.key);
  return line_number == 0 ? fmt::format("raw object {}: ", key)
                          : fmt::format("raw object {}, after line {}: ", key, line_number);
}

void ObjectDecoder::decode_lines(std::size_t index, events::LineDecoder& decoder,
                                 std::uint64_t& line_number) {
  const lake::ManifestEntry& entry = m_manifest[index];
  auto fresh_chunk = [&] {
    DecodedChunk chunk;
    chunk.entry = &entry;
    chunk.source = m_source_names[index];
    chunk.events.reserve(m_limits.chunk_lines);
    return chunk;
  };
  DecodedChunk chunk = fresh_chunk();
  const auto bytes = m_raw_zone.open_events(entry);
  events::StreamingLineSplitter lines(*bytes, std::size_t{1} << 20, m_limits.max_line_bytes);
  std::string_view line;
  while (lines.next(line, line_number)) {
    if (chunk.lines == m_limits.chunk_lines) {
      hand_over(index, std::move(chunk));
      chunk = fresh_chunk();
    }
    ++chunk.lines;
    auto decoded = lines.too_long()
                       ? core::Expected<events::Event, events::Reject>(core::Unexpected<events::Reject>(
                             events::Reject{events::RejectCode::LineTooLong,
                                            fmt::format("the line has {} bytes, more than the maximum of {}",
                                                        lines.length(), m_limits.max_line_bytes)}))
                       : decoder.decode(line);
    if (!decoded) {
      const events::Reject& reject = decoded.error();
      RejectedLine rejected{line_number, std::string(events::reject_code_name(reject.code)), reject.reason(),
                            std::string(cap_raw(line)), lines.length()};
      append_rejected_json(chunk.rejected_jsonl, m_lake_date, m_source_names[index], line_number,
                           rejected.reason_code, rejected.reason, rejected.raw, rejected.raw_length);
      chunk.rejected.push_back(std::move(rejected));
      continue;
    }
    events::Event event = *decoded;
    // The decoder's strings live until its next line: keep copies with the chunk. Fixes come
    // in runs of one vehicle, so a repeated id is kept once.
    const events::Event* previous = chunk.events.empty() ? nullptr : &chunk.events.back();
    event.id = previous != nullptr && previous->id == event.id ? previous->id : chunk.keep(event.id);
    if (event.has_organization) {
      event.organization_id = previous != nullptr && previous->has_organization &&
                                      previous->organization_id == event.organization_id
                                  ? previous->organization_id
                                  : chunk.keep(event.organization_id);
    }
    chunk.events.push_back(event);
  }
  chunk.last_of_object = true;
  hand_over(index, std::move(chunk));
}

}  // namespace d2d::pipeline
