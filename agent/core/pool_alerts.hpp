#pragma once
// Exhaustion alerts and forecast for the pools (DESIGN §8), pure: counts and times in, levels,
// crossings and forecasts out. The pool monitor (service/pool_monitor.hpp) feeds it one sample
// per pool per second from the state and logs the crossings.
//
// Utilization of a pool is its fullest range set's (in use + quarantined) / usable: an ADD needs
// one address from every set, so the fullest decides. Levels: exhausted when a set has no free
// address, else crit at >= crit, warn at >= warn, else ok.
//
// Forecast: the net allocation rate is the least-squares slope of the fullest set's in-use count
// over the samples of the last `window` (a regression uses every sample, so one burst at either
// end of the window moves it less than a first-to-last difference would; a window of minutes
// smooths pod churn). It needs samples spanning at least `min_span` first. Time to exhaustion
// = free / rate, only while filling (rate > 0); 0 once exhausted.
//
// Thread-safety: none; one owner.
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "warren/ip.hpp"

namespace warren::core {

enum class PoolLevel { ok, warn, crit, exhausted };
std::string_view pool_level_name(PoolLevel l);

struct AlertSettings {
    double warn = 0.80;  // 0 < warn < crit <= 1 (checked by the config)
    double crit = 0.95;
    int64_t window_ns = 15ll * 60 * 1'000'000'000;
    int64_t min_span_ns = 60ll * 1'000'000'000;
};

struct SetCounts {
    u128 usable = 0, in_use = 0, quarantined = 0;
};

// The pool's fullest set: the one with the highest (in use + quarantined) / usable.
struct PoolFill {
    double utilization = 0;
    bool exhausted = false;
    double in_use = 0;  // of the fullest set
    double free = 0;    // of the fullest set
};
PoolFill pool_fill(const std::vector<SetCounts>& sets);
PoolLevel level_for(const PoolFill& f, const AlertSettings& s);

// Least-squares slope (per second) of (t_ns, y) points; 0 with fewer than two distinct times.
double regression_slope_per_second(const std::deque<std::pair<int64_t, double>>& points);

struct PoolForecast {
    PoolLevel level = PoolLevel::ok;
    double utilization = 0;
    double net_per_hour = 0;
    std::optional<double> exhaustion_seconds;
};

class PoolAlerts {
  public:
    explicit PoolAlerts(AlertSettings s) : settings_(s) {}

    struct Crossing {
        std::string pool;
        PoolLevel from, to;
        PoolForecast now;
    };

    // One sample of `pool` at `now_ns` (a monotonic clock). Appends a Crossing when its level
    // changed since its previous sample (a new pool starts at ok, so a pool that is full from
    // the start crosses once).
    void sample(const std::string& pool, const std::vector<SetCounts>& sets, int64_t now_ns,
                std::vector<Crossing>& crossings);
    // Forgets pools not in `names` (removed pools).
    void retain(const std::vector<std::string>& names);

    // The last sample's view; the default PoolForecast for a pool never sampled.
    PoolForecast forecast(const std::string& pool) const;
    const AlertSettings& settings() const { return settings_; }

  private:
    struct Track {
        PoolForecast last;
        std::deque<std::pair<int64_t, double>> in_use;  // (time, in use) within the window
    };
    AlertSettings settings_;
    std::map<std::string, Track> pools_;
};

}  // namespace warren::core
