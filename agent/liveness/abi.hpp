#pragma once
// The C++ view of include/warren/liveness_abi.h: layout checks and conversions between
// warren::IpAddress and the map key, and the map value and Observation.
#include <cstddef>

#include "warren/ip.hpp"
#include "warren/liveness_abi.h"

static_assert(sizeof(warren_addr) == 16);
static_assert(sizeof(warren_observation) == 40);
static_assert(offsetof(warren_observation, last_seen_ns) == 0);
static_assert(offsetof(warren_observation, packets) == 8);
static_assert(offsetof(warren_observation, bytes) == 16);
static_assert(offsetof(warren_observation, ifindex) == 24);
static_assert(offsetof(warren_observation, first_ifindex) == 28);
static_assert(offsetof(warren_observation, flags) == 32);
static_assert(WARREN_STAT_COUNT == 5);

namespace warren::liveness {

// What the wire showed of one source address since it was put in a map.
struct Observation {
    uint64_t last_seen_ns = 0;  // CLOCK_MONOTONIC (bpf_ktime_get_ns); 0 when never seen
    uint64_t packets = 0;
    uint64_t bytes = 0;            // frames including the Ethernet header
    uint32_t ifindex = 0;          // host link of the latest sighting
    uint32_t first_ifindex = 0;    // host link of the first sighting
    bool multi_link = false;       // seen on a link other than first_ifindex: a conflict

    bool seen() const { return packets != 0; }
    auto operator<=>(const Observation&) const = default;
};

// An address with what was observed of it.
struct Entry {
    IpAddress address;
    Observation observation;
    auto operator<=>(const Entry&) const = default;
};

// IPv4 becomes ::ffff:a.b.c.d; IPv6 its 16 bytes, network order.
warren_addr to_key(const IpAddress& a);
// A v4-mapped key becomes IPv4 (the classifier never records a v4-mapped IPv6 source).
IpAddress from_key(const warren_addr& k);
Observation from_value(const warren_observation& v);

}  // namespace warren::liveness
