// Decoding the raw zone's objects on several threads while the load consumes them in manifest
// order. Each worker owns one LineDecoder (one simdjson parser, reused) and streams one object at
// a time (read a block at a time, gunzipped, split, decoded, validated) into DecodedChunks of at
// most `chunk_lines` lines that own their strings; the consumer thread feeds the warehouse and the
// reducer with them. At most `chunks_ahead` chunks wait for the consumer (plus as many of the
// object it is on), and workers start at most `objects_ahead` objects past it, so memory grows
// neither with the size of the day nor with the size of its objects (issue 5).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "events/decoder.h"
#include "events/event.h"
#include "events/line_splitter.h"
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

// Consecutive lines of one object, decoded.
struct DecodedChunk {
  const lake::ManifestEntry* entry = nullptr;
  std::string_view source;            // the entry's key as valid UTF-8 (non-UTF-8 bytes become U+FFFD)
  std::vector<events::Event> events;  // valid events in line order; their strings are kept by keep()
  std::vector<RejectedLine> rejected;
  std::string rejected_jsonl;   // the rejected zone's lines for these lines
  std::uint64_t lines = 0;      // events read (valid + rejected)
  bool last_of_object = false;  // every object ends with one such chunk, maybe empty

  // Keeps a copy of `text` for the life of this chunk and returns a view of it.
  std::string_view keep(std::string_view text);

 private:
  std::vector<std::unique_ptr<char[]>> m_blocks;  // never moved: views stay valid
  std::size_t m_block_used = 0, m_block_size = 0;
};

// Chunks in flight are the decoder's memory: at most 2 × chunks_ahead waiting, one being filled
// per worker and one being consumed. Larger chunks, or more ahead, made a 16M-event day (big
// objects) hold more than a 1M one (docs/decisions.md): memory must not grow with the day.
struct DecodeLimits {
  std::size_t chunk_lines = 4096;  // ~0.35 MiB of events a chunk
  std::size_t chunks_ahead = 4;
  std::size_t objects_ahead = 4;
  std::uint64_t max_line_bytes = events::kDefaultMaxLineBytes;  // longer lines: line_too_long
  events::DecoderOptions decoder;                               // what a valid event may be
};

class ObjectDecoder {
 public:
  ObjectDecoder(const lake::RawZone& raw_zone, const std::vector<lake::ManifestEntry>& manifest,
                std::string lake_date, unsigned threads, DecodeLimits limits = {});
  ~ObjectDecoder();  // stops and joins the workers, also when the consumer gave up early
  ObjectDecoder(const ObjectDecoder&) = delete;
  ObjectDecoder& operator=(const ObjectDecoder&) = delete;

  // The next chunk in manifest and line order; false when all are done. Rethrows a worker's
  // failure (a missing or corrupt raw object) on the consumer's thread, after the chunks of that
  // object decoded before it. The failure's message names the object and the last line read.
  bool next(DecodedChunk& out);

 private:
  struct Stopped {};  // thrown inside a worker to abandon its object when the consumer is gone
  struct ObjectProgress {
    std::deque<DecodedChunk> chunks;  // decoded, not yet consumed
    bool finished = false;
    std::exception_ptr failure;
  };

  void work();
  void decode(std::size_t index, events::LineDecoder& decoder);  // names the object in its failures
  void decode_lines(std::size_t index, events::LineDecoder& decoder, std::uint64_t& line_number);
  static std::string where(const lake::ManifestEntry& entry, std::uint64_t line_number);
  void hand_over(std::size_t index, DecodedChunk&& chunk);  // waits for room
  bool may_hand_over(std::size_t index) const;              // with m_mutex held

  const lake::RawZone& m_raw_zone;
  const std::vector<lake::ManifestEntry>& m_manifest;
  std::string m_lake_date;
  DecodeLimits m_limits;
  std::vector<std::string> m_source_names;  // each object's key as text any sink can store

  std::mutex m_mutex;
  std::condition_variable m_changed;
  std::size_t m_next_to_decode = 0;                 // guarded by m_mutex
  std::size_t m_next_to_consume = 0;                // guarded by m_mutex
  std::map<std::size_t, ObjectProgress> m_objects;  // started and not yet consumed, by index
  std::size_t m_chunks_waiting = 0;                 // over all of m_objects
  bool m_stopping = false;
  std::vector<std::jthread> m_workers;  // last: started after everything above exists
};

}  // namespace d2d::pipeline
