#include "core/json_text.h"

#include <gtest/gtest.h>

namespace d2d::core {
namespace {

std::string quoted(std::string_view text) {
  std::string out;
  append_json_string(out, text);
  return out;
}
std::string quoted_lossy(std::string_view text) {
  std::string out;
  append_json_string_lossy(out, text);
  return out;
}

TEST(JsonText, EscapesQuotesBackslashesAndControlCharacters) {
  EXPECT_EQ(quoted("say \"hi\"\\ now"), R"("say \"hi\"\\ now")");
  EXPECT_EQ(quoted("a\nb\r\tc"), R"("a\nb\r\tc")");
  EXPECT_EQ(quoted(std::string_view("\x01\x1f\0", 3)), R"("\u0001\u001f\u0000")");
  EXPECT_EQ(quoted("caf\xc3\xa9 \xe2\x82\xac"), "\"caf\xc3\xa9 \xe2\x82\xac\"");  // UTF-8 kept as is
}

TEST(JsonText, LossyKeepsValidUtf8AndReplacesEverythingElse) {
  EXPECT_EQ(quoted_lossy("caf\xc3\xa9 \xf0\x9f\x9a\x90 \"q\"\n"),
            "\"caf\xc3\xa9 \xf0\x9f\x9a\x90 \\\"q\\\"\\n\"");
  EXPECT_EQ(quoted_lossy("a\xff"
                         "b"),
            R"("a\ufffdb")");
  EXPECT_EQ(quoted_lossy("\xc0\xaf"), R"("\ufffd\ufffd")");                      // overlong '/'
  EXPECT_EQ(quoted_lossy("\xed\xa0\x80"), R"("\ufffd\ufffd\ufffd")");            // a surrogate
  EXPECT_EQ(quoted_lossy("\xf4\x90\x80\x80"), R"("\ufffd\ufffd\ufffd\ufffd")");  // above U+10FFFF
  EXPECT_EQ(quoted_lossy("end \xe2\x82"), R"("end \ufffd\ufffd")");              // cut sequence
}

}  // namespace
}  // namespace d2d::core
