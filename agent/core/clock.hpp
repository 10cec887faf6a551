#pragma once
// Wall-clock seam: release times are journaled and compared across restarts, so this is
// CLOCK_REALTIME, not a monotonic clock.
#include <time.h>

#include <cstdint>

namespace warren::core {

class Clock {
public:
    virtual ~Clock() = default;
    virtual int64_t now_ns() const = 0;
};

class SystemClock final : public Clock {
public:
    int64_t now_ns() const override {
        timespec ts{};
        ::clock_gettime(CLOCK_REALTIME, &ts);
        return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
    }
};

}  // namespace warren::core
