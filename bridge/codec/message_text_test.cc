#include "bridge/codec/message_text.h"

#include <string>

#include "gtest/gtest.h"

namespace neobridge::codec {
namespace {

TEST(OneLineTest, CollapsesWhiteSpaceAndControls) {
  EXPECT_EQ(OneLine("  hello \r\n\t world \x01!  ", 100), "hello world !");
  EXPECT_EQ(OneLine("", 100), "");
  EXPECT_EQ(OneLine(" \n\t ", 100), "");
  EXPECT_EQ(OneLine("a\xC2\xA0"
                    "b",
                    100),
            "a b");  // no-break space
}

TEST(OneLineTest, ReplacesInvalidUtf8) {
  EXPECT_EQ(OneLine("a\xff"
                    "b",
                    100),
            "a\xEF\xBF\xBD"
            "b");
  // Overlong encoding of '/', a lone surrogate, a truncated sequence.
  EXPECT_EQ(OneLine("\xC0\xAF", 100), "\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(OneLine("\xED\xA0\x80", 100),
            "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(OneLine("ok\xE2\x82", 100), "ok\xEF\xBF\xBD\xEF\xBF\xBD");
  // Valid multi-byte text is kept.
  EXPECT_EQ(OneLine("Zürich → 東京 🚀", 100), "Zürich → 東京 🚀");
}

TEST(OneLineTest, TruncatesAtACharacterBoundaryWithEllipsis) {
  EXPECT_EQ(OneLine("abcdef", 6), "abcdef");
  EXPECT_EQ(OneLine("abcdefg", 6), "abc…");
  // "é" is two bytes: the cut must not split it.
  EXPECT_EQ(OneLine("ééééé", 8), "éé…");
  EXPECT_LE(OneLine(std::string(10000, 'x'), 1024).size(), 1024u);
  EXPECT_EQ(OneLine("ab cdefgh", 6), "ab…");
}

}  // namespace
}  // namespace neobridge::codec
