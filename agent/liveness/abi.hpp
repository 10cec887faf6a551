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
static_assert(offsetof(warren_observation, last_seen_tick) == 36);
static_assert(sizeof(warren_link_sources) == 8 + 16 * WARREN_LINK_ADDRS);
static_assert(offsetof(warren_link_sources, mode) == 0);
static_assert(offsetof(warren_link_sources, count) == 4);
static_assert(offsetof(warren_link_sources, addrs) == 8);  // the classifier loads it as u64s
static_assert(sizeof(warren_spoof_key) == 24);
static_assert(offsetof(warren_spoof_key, ifindex) == 0);
static_assert(offsetof(warren_spoof_key, pad) == 4);
static_assert(offsetof(warren_spoof_key, addr) == 8);
static_assert(sizeof(warren_spoof) == 48);
static_assert(offsetof(warren_spoof, first_seen_ns) == 0);
static_assert(offsetof(warren_spoof, last_seen_ns) == 8);
static_assert(offsetof(warren_spoof, packets) == 16);
static_assert(offsetof(warren_spoof, bytes) == 24);
static_assert(offsetof(warren_spoof, dropped) == 32);
static_assert(offsetof(warren_spoof, last_seen_tick) == 40);
static_assert(WARREN_STAT_EXCLUSIVE == 4 && WARREN_STAT_COUNT == 6);
static_assert(WARREN_STAT_SPOOF_LOGGED == 4 && WARREN_STAT_SPOOF_DROPPED == 5);

namespace warren::liveness {

// What the wire showed of one source address since it was put in a map.
struct Observation {
    // CLOCK_MONOTONIC_COARSE (bpf_ktime_get_coarse_ns: one tick, 1-10 ms, behind
    // CLOCK_MONOTONIC); 0 when never seen. Compare with clock_gettime(CLOCK_MONOTONIC_COARSE).
    uint64_t last_seen_ns = 0;
    uint64_t packets = 0;
    uint64_t bytes = 0;          // frames including the Ethernet header
    uint32_t ifindex = 0;        // host link of the latest sighting
    uint32_t first_ifindex = 0;  // host link of the first sighting
    bool multi_link = false;     // seen on a link other than first_ifindex: a conflict

    bool seen() const { return packets != 0; }
    auto operator<=>(const Observation&) const = default;
};

// An address with what was observed of it.
struct Entry {
    IpAddress address;
    Observation observation;
    auto operator<=>(const Entry&) const = default;
};

// The classifier's per-CPU counters summed: each packet it ran on counts in exactly one of the
// first four; a packet whose source its link's anti-spoofing entry does not list counts in one
// of the last two as well.
struct Stats {
    uint64_t watched = 0;        // source in watch
    uint64_t strangers = 0;      // source recorded in strangers
    uint64_t ignored = 0;        // not IPv4/IPv6/ARP, or a source no IPAM hands out
    uint64_t truncated = 0;      // frame ended before the source address
    uint64_t spoof_logged = 0;   // mismatching source, passed (mode log)
    uint64_t spoof_dropped = 0;  // mismatching source, dropped (mode drop)
    uint64_t packets() const { return watched + strangers + ignored + truncated; }
};

// IPv4 becomes ::ffff:a.b.c.d; IPv6 its 16 bytes, network order.
warren_addr to_key(const IpAddress& a);
// A v4-mapped key becomes IPv4 (the classifier never records a v4-mapped IPv6 source).
IpAddress from_key(const warren_addr& k);
Observation from_value(const warren_observation& v);

}  // namespace warren::liveness
