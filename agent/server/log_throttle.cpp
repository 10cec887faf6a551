#include "server/log_throttle.hpp"

namespace warren::server {

std::optional<LogThrottle::Burst> LogThrottle::note(Clock::time_point now, std::string detail) {
    ++pending_;
    last_ = std::move(detail);
    return flush(now);
}

std::optional<LogThrottle::Burst> LogThrottle::flush(Clock::time_point now) {
    if (pending_ == 0 || (reported_ && now - *reported_ < interval_)) return std::nullopt;
    Burst b{pending_, reported_ ? now - *reported_ : Clock::duration{}, std::move(last_)};
    pending_ = 0;
    last_.clear();
    reported_ = now;
    return b;
}

}  // namespace warren::server
