#include "events/line_splitter.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace d2d::events {
namespace {

using Lines = std::vector<std::pair<std::uint64_t, std::string>>;

template <typename Splitter>
Lines all_lines(Splitter& splitter) {
  Lines lines;
  std::string_view line;
  std::uint64_t number = 0;
  while (splitter.next(line, number)) lines.emplace_back(number, std::string(line));
  return lines;
}

Lines split(std::string_view bytes) {
  LineSplitter splitter(bytes);
  return all_lines(splitter);
}

// Hands out at most `step` bytes a read, as a socket or a gunzip stream may.
class TrickleReader final : public core::ByteReader {
 public:
  TrickleReader(std::string bytes, std::size_t step) : m_bytes(std::move(bytes)), m_step(step) {}
  std::size_t read(char* into, std::size_t capacity) override {
    const std::size_t count = std::min({capacity, m_step, m_bytes.size() - m_at});
    m_bytes.copy(into, count, m_at);
    m_at += count;
    return count;
  }

 private:
  std::string m_bytes;
  std::size_t m_step, m_at = 0;
};

Lines split_streaming(const std::string& bytes, std::size_t block, std::size_t step) {
  TrickleReader reader(bytes, step);
  StreamingLineSplitter splitter(reader, block);
  return all_lines(splitter);
}

TEST(LineSplitter, HandlesCrlfBomBlankLinesAndNoFinalNewline) {
  const auto lines = split("\xEF\xBB\xBF{\"a\":1}\r\n\n  \r\n{\"b\":2}\n{\"c\":3}");
  ASSERT_EQ(lines.size(), 3U);
  EXPECT_EQ(lines[0], (std::pair<std::uint64_t, std::string>{1, "{\"a\":1}"}));
  EXPECT_EQ(lines[1], (std::pair<std::uint64_t, std::string>{4, "{\"b\":2}"}));
  EXPECT_EQ(lines[2], (std::pair<std::uint64_t, std::string>{5, "{\"c\":3}"}));
}

TEST(LineSplitter, EmptyInputHasNoLines) {
  EXPECT_TRUE(split("").empty());
  EXPECT_TRUE(split("\n\n").empty());
}

// The streaming splitter must cut and number exactly like the whole-buffer one, whatever the block
// size (smaller than a line included) and however the reader splits its reads.
TEST(StreamingLineSplitter, EqualsLineSplitterForAnyBlockAndReadSize) {
  const std::vector<std::string> fixed = {
      "\xEF\xBB\xBF{\"a\":1}\r\n\n  \r\n{\"b\":2}\n{\"c\":3}",
      "",
      "\n\n",
      "no newline at all",
      "\xEF\xBB\xBF",
      "a\r\n\r\nb\r\n",
      "x\n\xEF\xBB\xBFnot-at-object-start\n",  // a mark inside the object is part of its line
  };
  std::mt19937 random(7);
  std::vector<std::string> inputs = fixed;
  for (int i = 0; i < 40; ++i) {  // random mixes of the awkward pieces, long lines included
    const char* pieces[] = {"{\"k\":1}", "\n", "\r\n", " ", "\t", "\xEF\xBB\xBF", "0123456789abcdef"};
    std::string bytes;
    const int count = static_cast<int>(random() % 60);
    for (int p = 0; p < count; ++p) bytes += pieces[random() % std::size(pieces)];
    inputs.push_back(bytes);
  }
  for (const std::string& bytes : inputs) {
    const Lines expected = split(bytes);
    for (std::size_t block : {1, 2, 3, 5, 16, 1 << 20}) {
      for (std::size_t step : {1, 4, 1 << 20}) {
        EXPECT_EQ(split_streaming(bytes, block, step), expected)
            << "block " << block << ", step " << step << ", input " << testing::PrintToString(bytes);
      }
    }
  }
}

// SPEC §3: a line over the maximum is handed out as its start, flagged, with its whole length,
// and never held whole (the buffer stays at the maximum however long the line is); every other
// line and every number is exactly what the whole-buffer splitter gives.
TEST(StreamingLineSplitter, LinesOverTheMaximumAreCutAndFlagged) {
  std::mt19937 random(11);
  std::vector<std::string> inputs = {"abcdef\nab\r\nabcd\r\n\xEF\xBB\xBFx",
                                     "\xEF\xBB\xBF"
                                     "0123456789\n1",
                                     "      \t     \nxyzxyzxyz", "0123456789\r"};
  for (int i = 0; i < 60; ++i) {
    const char* pieces[] = {"{\"k\":1}", "\n", "\r\n", " ", "\t", "\xEF\xBB\xBF", "0123456789abcdef", "\r"};
    std::string bytes;
    const int count = static_cast<int>(random() % 80);
    for (int p = 0; p < count; ++p) bytes += pieces[random() % std::size(pieces)];
    inputs.push_back(bytes);
  }
  for (const std::string& bytes : inputs) {
    for (std::uint64_t max : {1, 3, 7, 16, 40}) {
      struct Expected {
        std::uint64_t number;
        std::string text;
        bool too_long;
        std::uint64_t length;
        bool operator==(const Expected&) const = default;
      };
      std::vector<Expected> expected;
      LineSplitter whole(bytes);
      std::string_view line;
      std::uint64_t number = 0;
      while (whole.next(line, number)) {
        expected.push_back(
            {number,
             std::string(line.substr(
                 0, line.size() > max ? std::min<std::uint64_t>(max, kKeptLongLineBytes) : line.size())),
             line.size() > max, line.size()});
      }
      for (std::size_t block : {1, 2, 3, 5, 16, 1 << 20}) {
        for (std::size_t step : {1, 4, 1 << 20}) {
          TrickleReader reader(bytes, step);
          StreamingLineSplitter lines(reader, block, max);
          std::vector<Expected> got;
          while (lines.next(line, number))
            got.push_back({number, std::string(line), lines.too_long(), lines.length()});
          ASSERT_EQ(got.size(), expected.size()) << "max " << max << ", block " << block << ", step " << step
                                                 << ", input " << testing::PrintToString(bytes);
          for (std::size_t k = 0; k < got.size(); ++k) {
            EXPECT_TRUE(got[k] == expected[k])
                << "line " << k << " max " << max << ", block " << block << ", step " << step << ", input "
                << testing::PrintToString(bytes) << ": got " << got[k].number << " " << got[k].text << " "
                << got[k].too_long << " " << got[k].length;
          }
        }
      }
    }
  }
}

// A reader that makes a line of any length without memory: the splitter must not hold it.
class EndlessLine final : public core::ByteReader {
 public:
  explicit EndlessLine(std::uint64_t bytes) : m_left(bytes) {}
  std::size_t read(char* into, std::size_t capacity) override {
    if (m_left == 0 && !m_tail_done) {
      m_tail_done = true;
      const std::string_view tail = "\n{\"after\":1}\n";
      std::memcpy(into, tail.data(), std::min(capacity, tail.size()));
      return std::min(capacity, tail.size());
    }
    const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(capacity, m_left));
    std::memset(into, 'x', n);
    m_left -= n;
    return n;
  }

 private:
  std::uint64_t m_left;
  bool m_tail_done = false;
};

TEST(StreamingLineSplitter, AHugeLineIsSkippedInBoundedMemory) {
  EndlessLine reader(std::uint64_t{256} << 20);  // 256 MiB in one line
  StreamingLineSplitter lines(reader, 1 << 16, 1 << 20);
  std::string_view line;
  std::uint64_t number = 0;
  ASSERT_TRUE(lines.next(line, number));
  EXPECT_TRUE(lines.too_long());
  EXPECT_EQ(lines.length(), std::uint64_t{256} << 20);
  EXPECT_EQ(line.size(), kKeptLongLineBytes);
  EXPECT_EQ(number, 1U);
  ASSERT_TRUE(lines.next(line, number));
  EXPECT_FALSE(lines.too_long());
  EXPECT_EQ(line, "{\"after\":1}");
  EXPECT_EQ(number, 2U);
  EXPECT_FALSE(lines.next(line, number));
}

}  // namespace
}  // namespace d2d::events
