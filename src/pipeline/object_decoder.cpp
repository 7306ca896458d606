#include "pipeline/object_decoder.h"

#include <algorithm>
#include <cstring>

#include "events/line_splitter.h"
#include "events/reject.h"
#include "pipeline/rejected_zone.h"

namespace d2d::pipeline {

namespace {
constexpr std::size_t kBlockBytes = std::size_t{64} * 1024;
}  // namespace

std::string_view DecodedObject::keep(std::string_view text) {
  if (text.empty()) return {};
  if (m_block_used + text.size() > m_block_size) {
    m_block_size = std::max(kBlockBytes, text.size());
    m_blocks.push_back(std::make_unique<char[]>(m_block_size));
    m_block_used = 0;
  }
  char* at = m_blocks.back().get() + m_block_used;
  std::memcpy(at, text.data(), text.size());
  m_block_used += text.size();
  return {at, text.size()};
}

ObjectDecoder::ObjectDecoder(const lake::RawZone& raw_zone, const std::vector<lake::ManifestEntry>& manifest,
                             std::string lake_date, unsigned threads, std::size_t ahead,
                             std::uint64_t bytes_ahead)
    : m_raw_zone(raw_zone),
      m_manifest(manifest),
      m_lake_date(std::move(lake_date)),
      m_ahead(std::max<std::size_t>(ahead, 1)),
      m_bytes_ahead(bytes_ahead) {
  m_bytes_before.reserve(manifest.size() + 1);
  m_bytes_before.push_back(0);
  for (const auto& entry : manifest) m_bytes_before.push_back(m_bytes_before.back() + entry.size);
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
  events::LineDecoder decoder;  // one parser per thread, reused for every line
  for (;;) {
    std::size_t index = 0;
    {
      std::unique_lock lock(m_mutex);
      m_changed.wait(
          lock, [&] { return m_stopping || m_next_to_decode >= m_manifest.size() || may_decode_next(); });
      if (m_stopping || m_next_to_decode >= m_manifest.size()) return;
      index = m_next_to_decode++;
    }
    Slot slot;
    try {
      slot.object = decode(index, decoder);
    } catch (...) {
      slot.failure = std::current_exception();
    }
    {
      std::lock_guard lock(m_mutex);
      m_done.emplace(index, std::move(slot));
    }
    m_changed.notify_all();
  }
}

bool ObjectDecoder::may_decode_next() const {
  if (m_next_to_decode == m_next_to_consume) return true;  // the one the consumer waits for
  return m_next_to_decode < m_next_to_consume + m_ahead &&
         m_bytes_before[m_next_to_decode + 1] - m_bytes_before[m_next_to_consume] <= m_bytes_ahead;
}

bool ObjectDecoder::next(DecodedObject& out) {
  Slot slot;
  {
    std::unique_lock lock(m_mutex);
    if (m_next_to_consume >= m_manifest.size()) return false;
    m_changed.wait(lock, [&] { return m_done.contains(m_next_to_consume); });
    auto found = m_done.find(m_next_to_consume);
    slot = std::move(found->second);
    m_done.erase(found);
    ++m_next_to_consume;
  }
  m_changed.notify_all();  // a worker may decode one more
  if (slot.failure) std::rethrow_exception(slot.failure);
  out = std::move(slot.object);
  return true;
}

DecodedObject ObjectDecoder::decode(std::size_t index, events::LineDecoder& decoder) const {
  const lake::ManifestEntry& entry = m_manifest[index];
  DecodedObject object;
  object.entry = &entry;
  const std::string bytes = m_raw_zone.read_events(entry);
  events::LineSplitter lines(bytes);
  std::string_view line;
  std::uint64_t line_number = 0;
  while (lines.next(line, line_number)) {
    ++object.lines;
    auto decoded = decoder.decode(line);
    if (!decoded) {
      const events::Reject& reject = decoded.error();
      RejectedLine rejected{line_number, std::string(events::reject_code_name(reject.code)), reject.reason(),
                            std::string(cap_raw(line)), line.size()};
      append_rejected_json(object.rejected_jsonl, m_lake_date, entry.key, line_number, rejected.reason_code,
                           rejected.reason, rejected.raw, rejected.raw_length);
      object.rejected.push_back(std::move(rejected));
      continue;
    }
    events::Event event = *decoded;
    // The decoder's strings live until its next line: keep copies with the object. Fixes come
    // in runs of one vehicle, so a repeated id is kept once.
    if (!object.events.empty() && object.events.back().id == event.id) {
      event.id = object.events.back().id;
    } else {
      event.id = object.keep(event.id);
    }
    if (event.has_organization) {
      event.organization_id = !object.events.empty() && object.events.back().has_organization &&
                                      object.events.back().organization_id == event.organization_id
                                  ? object.events.back().organization_id
                                  : object.keep(event.organization_id);
    }
    object.events.push_back(event);
  }
  return object;
}

}  // namespace d2d::pipeline
