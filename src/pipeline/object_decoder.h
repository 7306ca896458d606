// Decoding the raw zone's objects on several threads while the load consumes them in manifest
// order. Each worker owns one LineDecoder (one simdjson parser, reused) and turns a whole object
// (read, gunzipped, split, decoded, validated) into a DecodedObject that owns its strings; the
// consumer thread feeds the warehouse and the reducer. At most `ahead` objects, and at most
// `bytes_ahead` raw bytes of them (one object always), are decoded ahead of the consumer, so
// memory grows neither with the size of the day nor with the size of its objects.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "events/decoder.h"
#include "events/event.h"
#include "lake/raw_zone.h"

namespace d2d::pipeline {

// One rejected line, owned.
struct RejectedLine {
  std::uint64_t line_number = 0;
  std::string reason_code;
  std::string reason;
  std::string raw;  // cut at kRawCapBytes
  std::uint64_t raw_length = 0;
};

struct DecodedObject {
  const lake::ManifestEntry* entry = nullptr;
  std::vector<events::Event> events;  // valid events in line order; strings point into `strings`
  std::vector<RejectedLine> rejected;
  std::string rejected_jsonl;  // the rejected zone's lines for this object
  std::uint64_t lines = 0;     // events read (valid + rejected)

  // Keeps a copy of `text` for the life of this object and returns a view of it.
  std::string_view keep(std::string_view text);

 private:
  std::vector<std::unique_ptr<char[]>> m_blocks;  // never moved: views stay valid
  std::size_t m_block_used = 0, m_block_size = 0;
};

class ObjectDecoder {
 public:
  ObjectDecoder(const lake::RawZone& raw_zone, const std::vector<lake::ManifestEntry>& manifest,
                std::string lake_date, unsigned threads, std::size_t ahead = 4,
                std::uint64_t bytes_ahead = std::uint64_t{32} << 20);
  ~ObjectDecoder();  // stops and joins the workers, also when the consumer gave up early
  ObjectDecoder(const ObjectDecoder&) = delete;
  ObjectDecoder& operator=(const ObjectDecoder&) = delete;

  // The next object in manifest order; false when all are done. Rethrows a worker's failure
  // (a missing or corrupt raw object) on the consumer's thread.
  bool next(DecodedObject& out);

 private:
  void work();
  bool may_decode_next() const;  // with m_mutex held
  DecodedObject decode(std::size_t index, events::LineDecoder& decoder) const;

  const lake::RawZone& m_raw_zone;
  const std::vector<lake::ManifestEntry>& m_manifest;
  std::string m_lake_date;
  std::size_t m_ahead;
  std::uint64_t m_bytes_ahead;
  std::vector<std::uint64_t> m_bytes_before;  // [i]: raw bytes of the manifest's objects before i

  std::mutex m_mutex;
  std::condition_variable m_changed;
  std::size_t m_next_to_decode = 0;   // guarded by m_mutex
  std::size_t m_next_to_consume = 0;  // guarded by m_mutex
  struct Slot {
    DecodedObject object;
    std::exception_ptr failure;
  };
  std::map<std::size_t, Slot> m_done;  // decoded, not yet consumed
  bool m_stopping = false;
  std::vector<std::jthread> m_workers;  // last: started after everything above exists
};

}  // namespace d2d::pipeline
