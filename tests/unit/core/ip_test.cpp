#include <gtest/gtest.h>

#include "warren/ip.hpp"

using namespace warren;

TEST(IpAddress, ParsesAndFormatsBothFamilies) {
    auto a = IpAddress::parse("10.1.2.3");
    ASSERT_TRUE(a);
    EXPECT_TRUE(a->is_v4());
    EXPECT_EQ(a->value(), (u128{10} << 24) | (1 << 16) | (2 << 8) | 3);
    EXPECT_EQ(a->str(), "10.1.2.3");
    auto b = IpAddress::parse("fd00::1:0:0:5");
    ASSERT_TRUE(b);
    EXPECT_FALSE(b->is_v4());
    EXPECT_EQ(b->str(), "fd00::1:0:0:5");
    EXPECT_FALSE(IpAddress::parse("10.1.2"));
    EXPECT_FALSE(IpAddress::parse(""));
    EXPECT_FALSE(IpAddress::parse("fd00:::1"));
}

TEST(IpAddress, ArithmeticWrapsWithinFamily) {
    auto a = *IpAddress::parse("255.255.255.255");
    EXPECT_EQ(a.next().str(), "0.0.0.0");
    EXPECT_EQ(IpAddress::parse("10.0.0.255")->next().str(), "10.0.1.0");
    EXPECT_EQ(IpAddress::parse("fd00::ffff")->next().str(), "fd00::1:0");
}

TEST(IpPrefix, ClearsHostBitsAndComputesBounds) {
    auto p = IpPrefix::parse("10.1.2.3/24");
    ASSERT_TRUE(p);
    EXPECT_EQ(p->str(), "10.1.2.0/24");
    EXPECT_EQ(p->last().str(), "10.1.2.255");
    EXPECT_TRUE(p->contains(*IpAddress::parse("10.1.2.200")));
    EXPECT_FALSE(p->contains(*IpAddress::parse("10.1.3.0")));
    EXPECT_FALSE(p->contains(*IpAddress::parse("::1")));
    EXPECT_EQ(p->size(), 256);
    auto v6 = IpPrefix::parse("fd00:1::/64");
    ASSERT_TRUE(v6);
    EXPECT_EQ(v6->last().str(), "fd00:1::ffff:ffff:ffff:ffff");
    EXPECT_EQ(v6->size(), u128{1} << 64);
    EXPECT_FALSE(IpPrefix::parse("10.0.0.0/33"));
    EXPECT_FALSE(IpPrefix::parse("10.0.0.0"));
    EXPECT_FALSE(IpPrefix::parse("10.0.0.0/2x"));
}
