#pragma once
// A pool's exhaustion alert and forecast (DESIGN §8), as the admin status, the metrics and the
// log see it. PoolMonitor (service/pool_monitor.hpp) computes it; readers take the interface.
// Thread-safety: the agent's I/O thread.
#include <optional>
#include <string>
#include <string_view>

namespace warren::service {

enum class AlertLevel { ok, warn, crit, exhausted };
inline std::string_view to_string(AlertLevel l) {
    switch (l) {
        case AlertLevel::ok: return "ok";
        case AlertLevel::warn: return "warn";
        case AlertLevel::crit: return "crit";
        case AlertLevel::exhausted: return "exhausted";
    }
    return "ok";
}

struct PoolHealth {
    AlertLevel level = AlertLevel::ok;
    double utilization = 0;     // in use + quarantined over usable, of the pool's fullest set
    double net_per_hour = 0;    // allocations per hour net of releases, over the recent window
    std::optional<double> exhaustion_seconds;  // at that rate; none when not filling
};

class PoolHealthSource {
  public:
    virtual ~PoolHealthSource() = default;
    // An unknown pool reads as the default PoolHealth.
    virtual PoolHealth health(const std::string& pool) const = 0;
};

}  // namespace warren::service
