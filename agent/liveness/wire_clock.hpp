#pragma once
// The classifier stamps sightings with CLOCK_MONOTONIC_COARSE (bpf_ktime_get_coarse_ns); the GC
// policy reasons in wall-clock time. WireClock is one reading of both clocks that converts one
// to the other.
#include <cstdint>

namespace warren::liveness {

struct WireClock {
    int64_t realtime_ns = 0;           // CLOCK_REALTIME now (the pass's "now")
    uint64_t monotonic_coarse_ns = 0;  // CLOCK_MONOTONIC_COARSE now
    // CLOCK_REALTIME_COARSE - CLOCK_MONOTONIC_COARSE, read within one tick: both advance
    // together at each tick, so this is exact for a coarse stamp.
    int64_t offset_ns = 0;
    uint64_t tick_ns = 0;  // the coarse clocks' resolution (clock_getres)

    // A coarse monotonic stamp as wall-clock ns since the epoch. The stamp is the tick at or
    // before the packet, so one tick is added: the result is never earlier than the packet
    // (later traffic only ever keeps an address alive longer), and it is capped at realtime_ns.
    // 0 (never seen) stays 0.
    int64_t to_wall_ns(uint64_t coarse_ns) const;
};

// Reads the kernel's clocks.
WireClock read_wire_clock();

}  // namespace warren::liveness
