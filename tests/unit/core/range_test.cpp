#include <gtest/gtest.h>

#include "core/range.hpp"

using namespace warren;
using namespace warren::core;
using nlohmann::json;

TEST(Range, AppliesHostLocalDefaults) {
    auto r = parse_range(json{{"subnet", "10.1.0.0/24"}});
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->start.str(), "10.1.0.1");
    EXPECT_EQ(r->end.str(), "10.1.0.254");
    EXPECT_EQ(r->gateway.str(), "10.1.0.1");
    EXPECT_EQ(r->usable(), 253);  // .1 is the gateway
    auto v6 = parse_range(json{{"subnet", "fd00::/120"}});
    ASSERT_TRUE(v6);
    EXPECT_EQ(v6->end.str(), "fd00::ff");
    EXPECT_EQ(v6->usable(), 254);  // ::0 and ::1 (gateway) excluded
}

TEST(Range, HonoursExplicitBoundsAndRejectsBadOnes) {
    auto r = parse_range(json{{"subnet", "10.1.0.0/24"}, {"rangeStart", "10.1.0.10"},
                              {"rangeEnd", "10.1.0.20"}, {"gateway", "10.1.0.254"}});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->usable(), 11);
    EXPECT_FALSE(parse_range(json{{"subnet", "10.1.0.0/24"}, {"rangeStart", "10.2.0.1"}}));
    EXPECT_FALSE(parse_range(json{{"subnet", "10.1.0.0/24"}, {"rangeStart", "10.1.0.9"}, {"rangeEnd", "10.1.0.5"}}));
    EXPECT_FALSE(parse_range(json{{"subnet", "10.1.0.0/31"}}));
    EXPECT_FALSE(parse_range(json{{"subnet", "banana"}}));
    EXPECT_FALSE(parse_range(json{{"rangeStart", "10.1.0.1"}}));
}

TEST(RangeSets, RejectsOverlapAndMixedFamilies) {
    auto ok = parse_range_sets(json::parse(R"([[{"subnet":"10.1.0.0/24"}],[{"subnet":"fd00::/64"}]])"));
    ASSERT_TRUE(ok) << ok.error().message;
    EXPECT_EQ(ok->size(), 2u);
    auto overlap = parse_range_sets(json::parse(R"([[{"subnet":"10.1.0.0/24"}],[{"subnet":"10.1.0.0/25"}]])"));
    ASSERT_FALSE(overlap);
    EXPECT_NE(overlap.error().message.find("overlapping"), std::string::npos);
    EXPECT_FALSE(parse_range_sets(json::parse(R"([[{"subnet":"10.1.0.0/24"},{"subnet":"fd00::/64"}]])")));
    EXPECT_FALSE(parse_range_sets(json::parse(R"([])")));
    EXPECT_FALSE(parse_range_sets(json::parse(R"([[]])")));
    auto split = parse_range_sets(json::parse(
        R"([[{"subnet":"10.1.0.0/24","rangeEnd":"10.1.0.100"},{"subnet":"10.1.0.0/24","rangeStart":"10.1.0.101"}]])"));
    EXPECT_TRUE(split) << split.error().message;
}

TEST(RangeSets, FromCidrs) {
    auto sets = range_sets_from_cidrs({"10.244.1.0/24", "fd00:10:244:1::/64"});
    ASSERT_TRUE(sets);
    EXPECT_EQ(describe((*sets)[0]), "10.244.1.0/24");
    EXPECT_EQ(usable((*sets)[1]), (u128{1} << 64) - 2);
    EXPECT_FALSE(range_sets_from_cidrs({"10.244.1.0/33"}));
}
