#include <gtest/gtest.h>

#include "core/events.hpp"

using namespace warren;
using namespace warren::core;

TEST(Events, RoundTripEveryType) {
    Allocated al{{"net", "c1", "eth0"}, "default",
                 {*IpAddress::parse("10.1.0.5"), *IpAddress::parse("fd00::5")},
                 "/var/run/netns/x", 4026532000ull, {"ns", "pod", "uid-1"}, 1234567890123};
    std::vector<Event> all{PoolDefined{"default", R"([[{"subnet":"10.1.0.0/24"}]])", PoolSource::cni}, al,
                           Released{{"net", "c1", "eth0"}, 99, ReleaseReason::gc},
                           QuarantineEnded{"default", {*IpAddress::parse("10.1.0.5")}},
                           CursorAt{"default", 1, *IpAddress::parse("fd00::5")},
                           Quarantined{"default", *IpAddress::parse("10.1.0.7"), 42}};
    for (auto& e : all) {
        auto bytes = encode_event(e);
        auto back = decode_event(bytes);
        ASSERT_TRUE(back) << back.error().message;
        EXPECT_EQ(back->index(), e.index());
        EXPECT_EQ(encode_event(*back), bytes);
    }
    auto back = decode_event(encode_event(al));
    auto& a2 = std::get<Allocated>(*back);
    EXPECT_EQ(a2.key, al.key);
    EXPECT_EQ(a2.addresses, al.addresses);
    EXPECT_EQ(a2.pod, al.pod);
    EXPECT_EQ(a2.netns_inode, al.netns_inode);
}

TEST(Events, RejectsTruncatedAndUnknownPayloads) {
    auto bytes = encode_event(Released{{"net", "c1", "eth0"}, 99, ReleaseReason::del});
    for (size_t n = 0; n < bytes.size(); ++n) EXPECT_FALSE(decode_event(bytes.substr(0, n))) << n;
    EXPECT_FALSE(decode_event(bytes + "x"));
    EXPECT_FALSE(decode_event(std::string("\x7f", 1)));
}
