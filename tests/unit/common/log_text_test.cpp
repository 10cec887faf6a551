#include "warren/log_text.hpp"

#include <gtest/gtest.h>

using namespace warren;

TEST(LogText, PrintableAsciiPassesUnchanged) {
    EXPECT_EQ(log_text("wrn-net/c0ffee_1.x/eth0 /var/run/netns/cni-1234 'quoted' \"too\""),
              "wrn-net/c0ffee_1.x/eth0 /var/run/netns/cni-1234 'quoted' \"too\"");
    EXPECT_EQ(log_text(""), "");
}

TEST(LogText, ControlCharactersAndOtherBytesAreEscaped) {
    EXPECT_EQ(log_text("a\nb\rc\td"), "a\\nb\\rc\\td");
    EXPECT_EQ(log_text("evil\n2026-01-01T00:00:00.000 info forged"),
              "evil\\n2026-01-01T00:00:00.000 info forged");
    EXPECT_EQ(log_text("\x1b[31mred\x1b[0m"), "\\x1b[31mred\\x1b[0m");
    EXPECT_EQ(log_text(std::string("nul\0end", 7)), "nul\\x00end");
    EXPECT_EQ(log_text("\x7f\x01\x1f"), "\\x7f\\x01\\x1f");
    EXPECT_EQ(log_text("caf\xc3\xa9 \xff"), "caf\\xc3\\xa9 \\xff");
    // A backslash is escaped too, so "\n" in the log always means an escaped newline.
    EXPECT_EQ(log_text("a\\nb"), "a\\\\nb");
}

TEST(LogText, LongTextIsCutWithACount) {
    EXPECT_EQ(log_text(std::string(10, 'x'), 4), "xxxx...(6 more bytes)");
    EXPECT_EQ(log_text(std::string(4, 'x'), 4), "xxxx");
    EXPECT_EQ(log_text(std::string(70'000, 'y')).size(),
              kLogTextMax + std::string("...(68976 more bytes)").size());
    EXPECT_EQ(log_text("\n\n\n", 2), "\\n\\n...(1 more bytes)");
}
