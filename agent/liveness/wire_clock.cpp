#include "liveness/wire_clock.hpp"

#include <time.h>

#include <algorithm>

namespace warren::liveness {
namespace {

int64_t ns(clockid_t clock) {
    timespec ts{};
    ::clock_gettime(clock, &ts);
    return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

}  // namespace

int64_t WireClock::to_wall_ns(uint64_t coarse_ns) const {
    if (coarse_ns == 0) return 0;
    int64_t wall = static_cast<int64_t>(coarse_ns) + offset_ns + static_cast<int64_t>(tick_ns);
    return std::min(wall, realtime_ns);
}

WireClock read_wire_clock() {
    WireClock c;
    timespec res{};
    ::clock_getres(CLOCK_MONOTONIC_COARSE, &res);
    c.tick_ns = static_cast<uint64_t>(res.tv_sec) * 1'000'000'000 + res.tv_nsec;
    // Both coarse clocks move at a tick; a tick between the two reads shows as a changed
    // monotonic reading, and then we read again.
    for (int tries = 0; tries < 8; ++tries) {
        int64_t mono = ns(CLOCK_MONOTONIC_COARSE);
        int64_t real = ns(CLOCK_REALTIME_COARSE);
        int64_t again = ns(CLOCK_MONOTONIC_COARSE);
        c.monotonic_coarse_ns = static_cast<uint64_t>(again);
        c.offset_ns = real - mono;
        if (mono == again) break;
    }
    c.realtime_ns = ns(CLOCK_REALTIME);
    return c;
}

}  // namespace warren::liveness
