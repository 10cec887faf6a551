// The map key and value conversions (no privileges needed).
#include "liveness/abi.hpp"

#include <gtest/gtest.h>

#include <cstring>

namespace warren::liveness {
namespace {

IpAddress ip(const char* text) {
    return *IpAddress::parse(text);
}

TEST(LivenessAbi, Ipv4KeyIsV4MappedInNetworkOrder) {
    warren_addr k = to_key(ip("10.244.1.2"));
    const uint8_t want[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 244, 1, 2};
    EXPECT_EQ(std::memcmp(k.bytes, want, 16), 0);
    EXPECT_EQ(from_key(k), ip("10.244.1.2"));
}

TEST(LivenessAbi, Ipv6KeyIsTheAddressInNetworkOrder) {
    warren_addr k = to_key(ip("fd00:10:244::1:2"));
    const uint8_t want[16] = {0xfd, 0, 0, 0x10, 0x02, 0x44, 0, 0, 0, 0, 0, 0, 0, 0x01, 0, 0x02};
    EXPECT_EQ(std::memcmp(k.bytes, want, 16), 0);
    EXPECT_EQ(from_key(k), ip("fd00:10:244::1:2"));
}

TEST(LivenessAbi, RoundTripsAtTheEdges) {
    for (const char* a :
         {"0.0.0.0", "255.255.255.255", "::", "::1", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
          "::fffe:1.2.3.4", "0:0:0:0:1:ffff:1.2.3.4"}) {
        EXPECT_EQ(from_key(to_key(ip(a))), ip(a)) << a;
    }
}

TEST(LivenessAbi, ValueBecomesAnObservation) {
    warren_observation v{};
    v.last_seen_ns = 5;
    v.packets = 6;
    v.bytes = 7;
    v.ifindex = 8;
    v.first_ifindex = 9;
    v.flags = WARREN_OBS_MULTI_LINK;
    EXPECT_EQ(from_value(v), (Observation{5, 6, 7, 8, 9, true}));
    v.flags = 0;
    EXPECT_FALSE(from_value(v).multi_link);
    EXPECT_FALSE(Observation{}.seen());
}

}  // namespace
}  // namespace warren::liveness
