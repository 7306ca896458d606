#include <gtest/gtest.h>
#include <zlib.h>

#include <fstream>

#include "core/error.h"
#include "lake/gzip.h"
#include "lake/key_layout.h"
#include "lake/local_source.h"
#include "lake/raw_zone.h"

namespace d2d::lake {
namespace {
namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    char name[] = "/tmp/d2d-lake-test-XXXXXX";
    m_path = mkdtemp(name);
  }
  ~TempDir() { fs::remove_all(m_path); }
  const fs::path& path() const { return m_path; }

 private:
  fs::path m_path;
};

void write(const fs::path& path, std::string_view bytes) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << bytes;
}

std::string gzip(std::string_view plain) {
  z_stream stream{};
  deflateInit2(&stream, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::string out(plain.size() + 128, '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(plain.data()));
  stream.avail_in = static_cast<uInt>(plain.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  deflate(&stream, Z_FINISH);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  return out;
}

TEST(KeyLayout, LakeDateComesFromTheFileName) {
  EXPECT_EQ(lake_date_of_key("2019/06/01/15/17/2019-06-01-15-17-4-events.txt"), "2019-06-01");
  EXPECT_EQ(lake_date_of_key("data/2019-06-01-15-17-4-events.json"), "2019-06-01");
  EXPECT_EQ(lake_date_of_key("2019/05/31/23/59/2019-06-01-00-00-1-events.txt.gz"), "2019-06-01");
  EXPECT_FALSE(lake_date_of_key("data/README.md"));
  EXPECT_FALSE(lake_date_of_key("data/2019-13-01-15-17-4-events.json"));
  EXPECT_FALSE(lake_date_of_key("2019-06-01"));
}

TEST(LocalSource, ListsBothLayoutsForOneDateOnly) {
  TempDir dir;
  write(dir.path() / "2019/06/01/15/17/2019-06-01-15-17-4-events.txt", "a");
  write(dir.path() / "2019/06/02/00/00/2019-06-02-00-00-1-events.txt", "b");
  write(dir.path() / "data/2019-06-01-15-17-4-events.json.gz", "c");
  write(dir.path() / "data/2019-06-02-15-17-4-events.json", "d");
  write(dir.path() / "data/.2019-06-01-hidden", "e");
  LocalSource source(dir.path());
  const auto objects = source.list_lake_date("2019-06-01");
  ASSERT_EQ(objects.size(), 2U);
  EXPECT_EQ(objects[0].key, "2019/06/01/15/17/2019-06-01-15-17-4-events.txt");
  EXPECT_EQ(objects[1].key, "data/2019-06-01-15-17-4-events.json.gz");
}

TEST(LocalSource, MissingFolderIsAClearError) {
  LocalSource source("/nonexistent/d2d");
  try {
    source.list_lake_date("2019-06-01");
    FAIL();
  } catch (const core::Error& error) {
    EXPECT_NE(std::string(error.what()).find("/nonexistent/d2d"), std::string::npos);
  }
}

TEST(Gzip, RoundTripsAndRejectsCorruption) {
  const std::string plain = "{\"a\":1}\n{\"b\":2}\n";
  const std::string packed = gzip(plain);
  EXPECT_EQ(gunzip(packed, "x"), plain);
  EXPECT_EQ(gunzip(packed + packed, "x"), plain + plain);  // concatenated members
  EXPECT_THROW(gunzip(packed.substr(0, packed.size() / 2), "x"), core::Error);
  std::string flipped = packed;
  flipped[packed.size() / 2] ^= 0x55;
  EXPECT_THROW(gunzip(flipped, "x"), core::Error);
  EXPECT_THROW(gunzip("not gzip at all", "x"), core::Error);
}

TEST(RawZone, CopiesOnceThenSkipsUnchangedAndRecopiesChanged) {
  TempDir source_dir, lake_dir;
  write(source_dir.path() / "data/2019-06-01-10-00-0-events.json", "one\n");
  write(source_dir.path() / "data/2019-06-01-11-00-0-events.json.gz", gzip("two\n"));
  LocalSource source(source_dir.path());
  RawZone zone(lake_dir.path(), "2019-06-01");
  auto first = zone.extract(source);
  EXPECT_EQ(first.copied, 2U);
  auto second = zone.extract(source);
  EXPECT_EQ(second.copied, 0U);
  EXPECT_EQ(second.skipped, 2U);
  write(source_dir.path() / "data/2019-06-01-10-00-0-events.json", "uno\n");
  auto third = zone.extract(source);
  EXPECT_EQ(third.copied, 1U);
  const auto manifest = zone.manifest();
  ASSERT_EQ(manifest.size(), 2U);
  EXPECT_EQ(zone.read_events(manifest[0]), "uno\n");
  EXPECT_EQ(zone.read_events(manifest[1]), "two\n");
  EXPECT_TRUE(fs::exists(lake_dir.path() / "raw/lake_date=2019-06-01/data/2019-06-01-10-00-0-events.json"));
}

}  // namespace
}  // namespace d2d::lake
