// ObjectDecoder streams every object of the raw zone in chunks: whatever the chunk size, the
// look-ahead limits and the number of threads, the consumer sees exactly the lines a whole-object
// decode sees, in manifest and line order; a broken object fails after the chunks before it; and
// a consumer that stops early does not leave a worker waiting forever.
#include "pipeline/object_decoder.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "core/error.h"
#include "events/line_splitter.h"
#include "lake/local_source.h"
#include "support/temp_lake.h"

namespace d2d::pipeline {
namespace {

DecodeLimits limits(std::size_t chunk_lines, std::size_t chunks_ahead, std::size_t objects_ahead) {
  DecodeLimits limits;
  limits.chunk_lines = chunk_lines;
  limits.chunks_ahead = chunks_ahead;
  limits.objects_ahead = objects_ahead;
  return limits;
}
namespace fs = std::filesystem;

using test::gzip;
using test::TempDir;

std::string fix_line(int object, int i) {
  return "{\"event\":\"update\",\"on\":\"vehicle\",\"at\":\"2019-06-01T10:00:" + std::to_string(10 + i % 50) +
         ".000Z\",\"data\":{\"id\":\"v" + std::to_string(object) + "-" + std::to_string(i / 3) +
         "\",\"location\":{\"lat\":52.5,\"lng\":13.4,\"at\":\"2019-06-01T10:00:00.000Z\"}},"
         "\"organization_id\":\"org-" +
         std::to_string(i % 2) + "\"}";
}

// What the consumer saw: events ("key:id:organization") and rejected lines ("key:line:code"),
// each in order, and how many objects ended.
struct Seen {
  std::vector<std::string> events, rejected;
  std::uint64_t lines = 0, objects_ended = 0;
  bool operator==(const Seen&) const = default;
};

void PrintTo(const Seen& seen, std::ostream* out) {
  *out << seen.events.size() << " events, " << seen.rejected.size() << " rejected, " << seen.lines
       << " lines, " << seen.objects_ended << " objects";
}

void record_event(Seen& seen, const std::string& key, const events::Event& event) {
  seen.events.push_back(key + ":" + std::string(event.id) + ":" + std::string(event.organization_id));
}

// A raw zone of seven objects: empty, one line, many lines with bad and blank ones, one gzipped.
class ObjectDecoderTest : public testing::Test {
 protected:
  void SetUp() override {
    for (int object = 0; object < 7; ++object) {
      std::string bytes;
      const int count = object == 0 ? 0 : object == 1 ? 1 : 10 * object;
      for (int i = 0; i < count; ++i) {
        bytes += i % 7 == 3 ? std::string("not json") : i % 11 == 5 ? std::string("  ") : fix_line(object, i);
        bytes += "\n";
      }
      const std::string name = "data/2019-06-01-1" + std::to_string(object) + "-00-0-events.json";
      test::write_file(m_source.path() / (object == 4 ? name + ".gz" : name),
                       object == 4 ? gzip(bytes) : bytes);
    }
    lake::LocalSource source(m_source.path());
    m_zone.extract(source);
    m_manifest = m_zone.manifest();
    ASSERT_EQ(m_manifest.size(), 7U);
  }

  // The reference: the first `objects` objects read whole, split and decoded directly.
  Seen expected(std::size_t objects) const {
    Seen seen;
    events::LineDecoder decoder;
    for (std::size_t i = 0; i < objects; ++i) {
      const std::string bytes = core::read_all(*m_zone.open_events(m_manifest[i]));
      events::LineSplitter splitter(bytes);
      std::string_view line;
      std::uint64_t number = 0;
      while (splitter.next(line, number)) {
        ++seen.lines;
        auto decoded = decoder.decode(line);
        if (decoded) {
          record_event(seen, m_manifest[i].key, *decoded);
        } else {
          seen.rejected.push_back(m_manifest[i].key + ":" + std::to_string(number) + ":" +
                                  events::reject_code_name(decoded.error().code));
        }
      }
      ++seen.objects_ended;
    }
    return seen;
  }

  static void record(const DecodedChunk& chunk, Seen& seen, std::size_t chunk_lines) {
    EXPECT_LE(chunk.lines, chunk_lines);
    EXPECT_EQ(chunk.events.size() + chunk.rejected.size(), chunk.lines);
    seen.lines += chunk.lines;
    for (const events::Event& event : chunk.events) record_event(seen, chunk.entry->key, event);
    for (const RejectedLine& line : chunk.rejected) {
      seen.rejected.push_back(chunk.entry->key + ":" + std::to_string(line.line_number) + ":" +
                              line.reason_code);
    }
    if (chunk.last_of_object) ++seen.objects_ended;
  }

  TempDir m_source, m_lake;
  lake::RawZone m_zone{m_lake.path(), "2019-06-01"};
  std::vector<lake::ManifestEntry> m_manifest;
};

TEST_F(ObjectDecoderTest, ChunksGiveExactlyTheWholeObjectsInOrderForAnyLimits) {
  const Seen reference = expected(m_manifest.size());
  ASSERT_EQ(reference.objects_ended, 7U);
  ASSERT_GT(reference.rejected.size(), 5U);
  ASSERT_GT(reference.events.size(), 100U);
  for (std::size_t chunk_lines : {1, 2, 7, 8192}) {
    for (std::size_t chunks_ahead : {1, 3}) {
      for (std::size_t objects_ahead : {1, 4}) {
        for (unsigned threads : {1U, 2U, 3U}) {
          Seen seen;
          {
            ObjectDecoder decoder(m_zone, m_manifest, "2019-06-01", threads,
                                  limits(chunk_lines, chunks_ahead, objects_ahead));
            for (DecodedChunk chunk; decoder.next(chunk);) record(chunk, seen, chunk_lines);
          }
          EXPECT_EQ(seen, reference) << "chunk_lines " << chunk_lines << ", chunks_ahead " << chunks_ahead
                                     << ", objects_ahead " << objects_ahead << ", threads " << threads;
        }
      }
    }
  }
}

TEST_F(ObjectDecoderTest, BrokenObjectFailsAfterTheChunksBeforeIt) {
  fs::remove(m_lake.path() / "raw/lake_date=2019-06-01" / m_manifest[5].key);
  for (unsigned threads : {1U, 2U}) {
    Seen seen;
    ObjectDecoder decoder(m_zone, m_manifest, "2019-06-01", threads, limits(3, 2, 4));
    try {
      for (DecodedChunk chunk; decoder.next(chunk);) record(chunk, seen, 3);
      FAIL() << "a missing raw object must fail the decode";
    } catch (const core::Error& error) {
      EXPECT_NE(std::string(error.what()).find(m_manifest[5].key), std::string::npos) << error.what();
    }
    EXPECT_EQ(seen, expected(5)) << "threads " << threads;
  }
}

// With room for one chunk, workers wait on the consumer; dropping the decoder must wake and join
// them (the test would hang otherwise).
TEST_F(ObjectDecoderTest, ConsumerStoppingEarlyReleasesWaitingWorkers) {
  for (unsigned threads : {1U, 3U}) {
    ObjectDecoder decoder(m_zone, m_manifest, "2019-06-01", threads, limits(1, 1, 4));
    DecodedChunk chunk;
    ASSERT_TRUE(decoder.next(chunk));
    ASSERT_TRUE(decoder.next(chunk));
  }
}

}  // namespace
}  // namespace d2d::pipeline
