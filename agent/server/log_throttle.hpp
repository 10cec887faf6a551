#pragma once
// A rate limit for a log line about an event a client can repeat at will (a malformed frame, a
// connection over the cap): the first event after a quiet interval is reported at once; later
// ones are counted and reported together, one line per interval, with the last one's detail.
//
// Thread-safety: none; one owner (the I/O thread).
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace warren::server {

class LogThrottle {
  public:
    using Clock = std::chrono::steady_clock;

    struct Burst {
        uint64_t count = 0;
        Clock::duration span{};  // since the previous report; zero for the first
        std::string last;        // the detail of the last event counted
    };

    explicit LogThrottle(Clock::duration interval = std::chrono::seconds(10))
        : interval_(interval) {}

    // Counts one event. Returns what to log now: the events not yet reported, this one
    // included, when the interval since the previous report has passed.
    std::optional<Burst> note(Clock::time_point now, std::string detail);
    // The events counted but not reported, once the interval has passed; for a periodic timer.
    std::optional<Burst> flush(Clock::time_point now);

  private:
    Clock::duration interval_;
    std::optional<Clock::time_point> reported_;
    uint64_t pending_ = 0;
    std::string last_;
};

}  // namespace warren::server
