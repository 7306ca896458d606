#include "events/line_splitter.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace d2d::events {
namespace {

std::vector<std::pair<std::uint64_t, std::string>> split(std::string_view bytes) {
  LineSplitter splitter(bytes);
  std::vector<std::pair<std::uint64_t, std::string>> lines;
  std::string_view line;
  std::uint64_t number = 0;
  while (splitter.next(line, number)) lines.emplace_back(number, std::string(line));
  return lines;
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

}  // namespace
}  // namespace d2d::events
