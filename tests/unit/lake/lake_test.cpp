#include <gtest/gtest.h>
#include <zlib.h>

#include <fstream>

#include "core/error.h"
#include "lake/gzip.h"
#include "lake/key_layout.h"
#include "lake/local_source.h"
#include "lake/raw_zone.h"
#include "lake/rooted_folder.h"
#include "support/temp_lake.h"

namespace d2d::lake {
namespace {
namespace fs = std::filesystem;

using test::gzip;
using test::TempDir;

// The two objects most tests start from: one plain, one gzipped.
void write_two_objects(const fs::path& source) {
  test::write_file(source / "data/2019-06-01-10-00-0-events.json", "one\n");
  test::write_file(source / "data/2019-06-01-11-00-0-events.json.gz", gzip("two\n"));
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
  test::write_file(dir.path() / "2019/06/01/15/17/2019-06-01-15-17-4-events.txt", "a");
  test::write_file(dir.path() / "2019/06/02/00/00/2019-06-02-00-00-1-events.txt", "b");
  test::write_file(dir.path() / "data/2019-06-01-15-17-4-events.json.gz", "c");
  test::write_file(dir.path() / "data/2019-06-02-15-17-4-events.json", "d");
  test::write_file(dir.path() / "data/.2019-06-01-hidden", "e");
  LocalSource source(dir.path());
  const auto objects = source.list_lake_date("2019-06-01").objects;
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

// SPEC §7: a key becomes a lake path only when no segment can climb, hide or be ambiguous.
TEST(KeyLayout, UnsafeKeysAreNamedWithTheirReason) {
  for (const char* safe : {"2019/06/01/15/17/2019-06-01-15-17-4-events.txt", "data/2019-06-01-x.json",
                           "a/..b/c..", "a/.hidden/b", "\xff\xfe/2019-06-01-x"}) {
    EXPECT_FALSE(unsafe_key_reason(safe)) << safe;
  }
  for (const char* unsafe : {"", "/etc/2019-06-01-x", "2019/06/01/../../x", "..", "a/.", "./a", "a//b", "a/",
                             "a\\b", "a\tb", "a\nb", "a\x7f", "a\x01b"}) {
    EXPECT_TRUE(unsafe_key_reason(unsafe)) << testing::PrintToString(std::string(unsafe));
  }
  EXPECT_TRUE(unsafe_key_reason(std::string_view("a\0b", 3)));
  EXPECT_EQ(*unsafe_key_reason("x/../y"), "the key has a '..' segment");
  EXPECT_EQ(*unsafe_key_reason("data/2019-06-01-x.json.tmp-d2d-host-1-0"),
            "the key carries the lake's temporary-file mark");
}

// The local lake resolves keys beneath its root one folder at a time without following links:
// neither a key nor a link planted in the lake leads a write or a read outside it.
TEST(RootedFolder, NoKeyAndNoLinkLeadsOutsideTheRoot) {
  TempDir outside, lake;
  RootedFolder folder(lake.path() / "root");
  core::StringByteReader bytes("data");
  EXPECT_THROW(folder.write_atomically("raw/../../escaped.txt", bytes), core::Error);
  EXPECT_THROW(folder.write_atomically("/tmp/escaped.txt", bytes), core::Error);
  EXPECT_FALSE(fs::exists(lake.path() / "escaped.txt"));
  // A link inside the lake to a folder outside it: writes through it are refused.
  fs::create_symlink(outside.path(), lake.path() / "root/raw");
  core::StringByteReader more("data");
  EXPECT_THROW(folder.write_atomically("raw/x.txt", more), core::Error);
  EXPECT_THROW(folder.open("raw/x.txt"), core::Error);
  EXPECT_TRUE(fs::is_empty(outside.path()));
  // A link as the file itself: not followed on read.
  test::write_file(outside.path() / "secret", "secret");
  fs::create_symlink(outside.path() / "secret", lake.path() / "root/file");
  EXPECT_THROW(folder.open("file"), core::Error);
  // Ordinary keys work, folders are created, the old file is replaced whole.
  core::StringByteReader first("one"), second("two");
  folder.write_atomically("zone/a/b.txt", first);
  folder.write_atomically("zone/a/b.txt", second);
  auto reader = folder.open("zone/a/b.txt");
  ASSERT_TRUE(reader);
  EXPECT_EQ(core::read_all(*reader), "two");
  EXPECT_FALSE(folder.open("zone/a/missing.txt"));
  EXPECT_FALSE(folder.open("missing/b.txt"));
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

// Read a byte at a time from its source and handed out in small blocks, a gzip stream gives back
// exactly what gunzip does, and fails the same way on truncation and garbage.
TEST(Gzip, StreamsInSmallBlocksFromTrickledInput) {
  class OneByteAtATime final : public core::ByteReader {
   public:
    explicit OneByteAtATime(std::string bytes) : m_bytes(std::move(bytes)) {}
    std::size_t read(char* into, std::size_t capacity) override {
      if (m_at == m_bytes.size() || capacity == 0) return 0;
      *into = m_bytes[m_at++];
      return 1;
    }

   private:
    std::string m_bytes;
    std::size_t m_at = 0;
  };
  auto gunzip_streaming = [](const std::string& packed, std::size_t block) {
    GunzipReader reader(std::make_unique<OneByteAtATime>(packed), "x");
    std::string out(block, '\0'), all;
    while (const std::size_t got = reader.read(out.data(), out.size())) all.append(out, 0, got);
    return all;
  };
  std::string plain;
  for (int i = 0; i < 5000; ++i) plain += "{\"vehicle\":" + std::to_string(i * 7919 % 1000) + "}\n";
  const std::string packed = gzip(plain);
  for (std::size_t block : {1, 7, 4096}) {
    EXPECT_EQ(gunzip_streaming(packed, block), plain);
    EXPECT_EQ(gunzip_streaming(packed + gzip("tail\n"), block), plain + "tail\n");
    EXPECT_THROW(gunzip_streaming(packed.substr(0, packed.size() - 3), block), core::Error);
    EXPECT_THROW(gunzip_streaming(packed + "garbage", block), core::Error);
  }
  EXPECT_THROW(gunzip_streaming("", 16), core::Error);
}

// A source of the two objects, extracted once into a lake.
struct ExtractedTwoObjects {
  ExtractedTwoObjects() {
    write_two_objects(source_dir.path());
    zone.extract(source);
  }
  TempDir source_dir, lake_dir;
  LocalSource source{source_dir.path()};
  RawZone zone{lake_dir.path(), "2019-06-01"};
};

// The lake is read back as untrusted: a manifest with a size that is not a number was
// std::stoull's invalid_argument (an "internal error"); it is a clear input error now.
TEST(RawZone, ADamagedManifestIsAnInputError) {
  TempDir lake;
  for (const char* size : {"abc", "", "12x", "-1", "99999999999999999999999"}) {
    test::write_file(lake.path() / "raw/lake_date=2019-06-01/_manifest.tsv",
                     std::string("key\tsize\tmd5\ndata/2019-06-01-a.json\t") + size + "\t00\n");
    RawZone zone(lake.path(), "2019-06-01");
    EXPECT_THROW(zone.manifest(), core::Error) << size;
  }
}

// The rejected zone's folder is read back as untrusted (SPEC §7): only files named exactly as d2d
// names a run's file, of runs not kept, are removed (the legacy file only when asked); whatever
// else a person or a broken writer put there stays, and a malformed name is no error.
TEST(RawZone, RemovesOnlyTheRejectedFilesOfRunsNotKept) {
  TempDir lake;
  const fs::path folder = lake.path() / "rejected/lake_date=2019-06-01";
  const std::vector<std::string> kept = {"rejected-run-7.jsonl",
                                         "rejected-run-abc.jsonl",
                                         "rejected-run-99999999999999999999.jsonl",
                                         "rejected-run-8.jsonl.tmp-d2d-host-1-0",
                                         "rejected-run-8.jsonlx",
                                         "rejected-run-.jsonl",
                                         "notes.txt",
                                         "sub/rejected-run-8.jsonl"};
  for (const std::string& name : kept) test::write_file(folder / name, "x\n");
  test::write_file(folder / "rejected-run-8.jsonl", "x\n");
  test::write_file(folder / "rejected.jsonl", "x\n");
  RawZone zone(lake.path(), "2019-06-01");

  EXPECT_EQ(zone.remove_rejected_files_except({7}, /*legacy=*/false), 1U);
  EXPECT_FALSE(fs::exists(folder / "rejected-run-8.jsonl"));
  EXPECT_TRUE(fs::exists(folder / "rejected.jsonl"));
  EXPECT_EQ(zone.remove_rejected_files_except({7}, /*legacy=*/true), 1U);
  EXPECT_FALSE(fs::exists(folder / "rejected.jsonl"));
  for (const std::string& name : kept) EXPECT_TRUE(fs::exists(folder / name)) << name;
}

TEST(RawZone, OpensObjectsAsStreamsAndChecksTheirSize) {
  ExtractedTwoObjects two;
  auto& [source_dir, lake_dir, source, zone] = two;
  const auto manifest = zone.manifest();
  ASSERT_EQ(manifest.size(), 2U);
  EXPECT_EQ(core::read_all(*zone.open_events(manifest[1])), "two\n");  // gunzipped
  LocalLakeStorage lake(lake_dir.path());
  EXPECT_FALSE(lake.open("raw/lake_date=2019-06-01/data/absent.json").has_value());
  const auto opened = lake.open("raw/lake_date=2019-06-01/" + manifest[0].key);
  ASSERT_TRUE(opened.has_value());
  EXPECT_EQ(opened->size, 4U);

  test::write_file(lake_dir.path() / "raw/lake_date=2019-06-01" / manifest[0].key,
                   "one, longer\n");  // changed behind us
  try {
    zone.open_events(manifest[0]);
    FAIL() << "a raw object whose size is not the manifest's must not be read";
  } catch (const core::Error& error) {
    EXPECT_NE(std::string(error.what()).find("the manifest says 4"), std::string::npos) << error.what();
  }
  fs::remove(lake_dir.path() / "raw/lake_date=2019-06-01" / manifest[0].key);
  EXPECT_THROW(zone.open_events(manifest[0]), core::Error);
}

// Extract streams each object from the source into the lake. A source file that does not have its
// listed size when read (it changed after the listing) fails the copy, and the lake keeps what it
// had: no half-written object, no temporary file left behind.
TEST(RawZone, ObjectChangedAfterListingFailsItsCopyAndLeavesTheLakeAsItWas) {
  ExtractedTwoObjects two;
  auto& [source_dir, lake_dir, source, zone] = two;
  const auto before = zone.manifest();

  const std::string key = "data/2019-06-01-10-00-0-events.json";
  auto objects = source.list_lake_date("2019-06-01").objects;
  ASSERT_EQ(objects[0].key, key);
  test::write_file(source_dir.path() / key, "uno, dos\n");  // grows after its listing
  try {
    core::read_all(*source.open(objects[0]));
    FAIL() << "bytes beyond the listed size must fail the read";
  } catch (const core::Error& error) {
    EXPECT_NE(std::string(error.what()).find("changed while it was read"), std::string::npos) << error.what();
  }
  objects[0].size = 100;  // listed bigger than it is: ends early
  EXPECT_THROW(core::read_all(*source.open(objects[0])), core::Error);

  // Through extract: the lake's copy of a changed object is replaced whole or not at all.
  class FailingHalfway final : public core::ByteReader {
   public:
    std::size_t read(char* into, std::size_t capacity) override {
      if (m_sent) throw core::Error(core::ErrorKind::Input, "connection reset");
      m_sent = true;
      const std::string half = "half of it";
      const std::size_t count = std::min(capacity, half.size());
      half.copy(into, count);
      return count;
    }

   private:
    bool m_sent = false;
  } failing;
  LocalLakeStorage lake(lake_dir.path());
  const std::string lake_key = "raw/lake_date=2019-06-01/" + key;
  EXPECT_THROW(lake.write_from(lake_key, failing), core::Error);
  EXPECT_EQ(core::read_all(*zone.open_events(before[0])), "one\n");
  for (const auto& entry : fs::recursive_directory_iterator(lake_dir.path())) {
    EXPECT_EQ(entry.path().filename().string().find(".tmp-d2d-"), std::string::npos) << entry.path();
  }
}

// Extract's quick check: a held object whose size and modification time are the manifest's is
// not read again; --force (verify_all) reads everything; a file modified in the last seconds is
// always read (its time may not show a rewrite within one clock tick).
TEST(RawZone, UnchangedFilesAreNotReadAgainUnlessTheirTimeOrForceSaysSo) {
  TempDir source_dir, lake_dir;
  write_two_objects(source_dir.path());
  const fs::path one = source_dir.path() / "data/2019-06-01-10-00-0-events.json";
  const fs::path two = source_dir.path() / "data/2019-06-01-11-00-0-events.json.gz";
  ASSERT_TRUE(fs::exists(one) && fs::exists(two));
  const auto an_hour_ago = fs::file_time_type::clock::now() - std::chrono::hours(1);
  fs::last_write_time(one, an_hour_ago);
  fs::last_write_time(two, an_hour_ago);
  LocalSource source(source_dir.path());
  RawZone zone(lake_dir.path(), "2019-06-01");
  EXPECT_EQ(zone.extract(source).copied, 2U);
  const auto quiet = zone.extract(source);
  EXPECT_EQ(quiet.skipped, 2U);
  EXPECT_EQ(quiet.reread, 0U) << "unchanged files were read again";

  fs::last_write_time(two, an_hour_ago + std::chrono::seconds(1));  // touched, same bytes
  const auto touched = zone.extract(source);
  EXPECT_EQ(touched.reread, 1U);
  EXPECT_EQ(touched.copied, 0U);
  EXPECT_EQ(zone.extract(source).reread, 0U) << "the manifest keeps the new time";

  // Same size, other bytes, the old modification time given back (as cp -p or rsync -t do): the
  // inode-change time, which no tool sets back, still shows the rewrite.
  test::write_file(one, "uno\n");
  fs::last_write_time(one, an_hour_ago);
  const auto restored = zone.extract(source);
  EXPECT_EQ(restored.copied, 1U);
  EXPECT_EQ(core::read_all(*zone.open_events(zone.manifest()[0])), "uno\n");
  const auto forced = zone.extract(source, /*verify_all=*/true);  // --force reads every object
  EXPECT_EQ(forced.reread, 2U);
  EXPECT_EQ(forced.copied, 0U);

  test::write_file(two, gzip("dos\n"));  // just now: racy, read whatever its time says
  const auto racy = zone.extract(source);
  EXPECT_EQ(racy.copied, 1U);
  EXPECT_EQ(zone.extract(source).reread, 1U) << "a file modified seconds ago is read again";
}

TEST(RawZone, ManifestsWithoutVersionsAreReadAndRewritten) {
  TempDir source_dir, lake_dir;
  write_two_objects(source_dir.path());
  LocalSource source(source_dir.path());
  RawZone zone(lake_dir.path(), "2019-06-01");
  const auto first = zone.extract(source);
  const fs::path manifest = lake_dir.path() / "raw/lake_date=2019-06-01/_manifest.tsv";
  // The manifest as an older d2d wrote it: three columns.
  std::string old_text = "key\tsize\tmd5\n";
  for (const auto& entry : zone.manifest()) {
    old_text += entry.key + "\t" + std::to_string(entry.size) + "\t" + entry.md5 + "\n";
  }
  test::write_file(manifest, old_text);
  const auto entries = zone.manifest();
  ASSERT_EQ(entries.size(), 2U);
  EXPECT_EQ(entries[0].version, "");
  const auto again = zone.extract(source);
  EXPECT_EQ(again.copied, 0U);
  EXPECT_EQ(again.manifest_md5, first.manifest_md5) << "the zone's identity is its content, not the versions";
}

TEST(RawZone, CopiesOnceThenSkipsUnchangedAndRecopiesChanged) {
  TempDir source_dir, lake_dir;
  write_two_objects(source_dir.path());
  LocalSource source(source_dir.path());
  RawZone zone(lake_dir.path(), "2019-06-01");
  auto first = zone.extract(source);
  EXPECT_EQ(first.copied, 2U);
  auto second = zone.extract(source);
  EXPECT_EQ(second.copied, 0U);
  EXPECT_EQ(second.skipped, 2U);
  test::write_file(source_dir.path() / "data/2019-06-01-10-00-0-events.json", "uno\n");
  auto third = zone.extract(source);
  EXPECT_EQ(third.copied, 1U);
  const auto manifest = zone.manifest();
  ASSERT_EQ(manifest.size(), 2U);
  EXPECT_EQ(core::read_all(*zone.open_events(manifest[0])), "uno\n");
  EXPECT_EQ(core::read_all(*zone.open_events(manifest[1])), "two\n");
  EXPECT_TRUE(fs::exists(lake_dir.path() / "raw/lake_date=2019-06-01/data/2019-06-01-10-00-0-events.json"));
}

}  // namespace
}  // namespace d2d::lake
