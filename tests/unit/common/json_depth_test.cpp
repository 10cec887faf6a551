#include "warren/json_depth.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

using namespace warren;

namespace {
std::string arrays(size_t depth) {
    return std::string(depth, '[') + std::string(depth, ']');
}
std::string message(std::string_view text, size_t max = kMaxJsonDepth) {
    auto s = check_json_depth(text, max);
    return s ? std::string("ok") : s.error().message;
}
}  // namespace

TEST(JsonDepth, AtTheLimitPassesOneMoreFailsNamingTheByte) {
    EXPECT_EQ(message(arrays(64)), "ok");
    EXPECT_EQ(message(arrays(65)), "JSON nested deeper than 64 levels at byte 64");
    EXPECT_EQ(check_json_depth(arrays(65)).error().code, Code::decode);
    // Objects and arrays count alike.
    std::string mixed;
    for (int i = 0; i < 32; ++i) mixed += "{\"a\":[";
    EXPECT_EQ(message(mixed), "ok");
    EXPECT_EQ(message(mixed + "{"),
              "JSON nested deeper than 64 levels at byte " + std::to_string(mixed.size()));
    EXPECT_EQ(message("[[[", 2), "JSON nested deeper than 2 levels at byte 2");
}

TEST(JsonDepth, ClosingBracketsGiveLevelsBack) {
    std::string wide;
    for (int i = 0; i < 10'000; ++i) wide += arrays(64);
    EXPECT_EQ(message("[" + wide + "]"), "JSON nested deeper than 64 levels at byte 64");
    EXPECT_EQ(message(wide), "ok");
    EXPECT_EQ(message("{\"a\":" + arrays(63) + ",\"b\":" + arrays(63) + "}"), "ok");
}

TEST(JsonDepth, BracketsInsideStringsDoNotCount) {
    const std::string brackets(1000, '[');
    EXPECT_EQ(message("[\"" + brackets + "\"]"), "ok");
    EXPECT_EQ(message("{\"" + brackets + "\":\"" + std::string(1000, '{') + "\"}"), "ok");
    // An escaped quote does not end the string; an escaped backslash before a quote does.
    EXPECT_EQ(message("[\"\\\"" + brackets + "\"]"), "ok");
    EXPECT_EQ(message("[\"\\\\\"" + arrays(64) + "]"),
              "JSON nested deeper than 64 levels at byte 68");
    // \u escapes are just string bytes.
    EXPECT_EQ(message("[\"\\u005b\\u007b" + brackets + "\"]"), "ok");
    // Closing brackets in strings do not give levels back either.
    EXPECT_EQ(message(std::string(64, '[') + "\"]]]]\"" + "["),
              "JSON nested deeper than 64 levels at byte 70");
}

// Whatever the scanner passes parses without recursion trouble; what it refuses is deep.
TEST(JsonDepth, AgreesWithTheParserOnDepth) {
    for (size_t depth : {1, 2, 63, 64}) {
        const std::string inner = depth == 1 ? "0" : arrays(depth - 1);
        const std::string text = "{\"k\":\"[[{\",\"v\":" + inner + "}";
        ASSERT_TRUE(check_json_depth(text)) << depth;
        auto j = nlohmann::json::parse(text, nullptr, false);
        ASSERT_FALSE(j.is_discarded()) << depth;
        size_t seen = 0;
        for (const nlohmann::json* v = &j; v->is_structured();
             v = v->is_object() ? &v->at("v") : &v->at(0)) {
            ++seen;
            if (v->empty()) break;
        }
        EXPECT_EQ(seen, depth);
    }
    EXPECT_FALSE(check_json_depth("{\"v\":" + arrays(64) + "}"));
}

TEST(JsonDepth, EmptyAndFlatTextPass) {
    EXPECT_EQ(message(""), "ok");
    EXPECT_EQ(message("42"), "ok");
    EXPECT_EQ(message("\"unterminated [[[["), "ok");
    EXPECT_EQ(message("]]]]]" + arrays(64)), "ok");  // stray closers never go below zero
}
