#include "core/pool_alerts.hpp"

namespace warren::core {

std::string_view pool_level_name(PoolLevel l) {
    switch (l) {
        case PoolLevel::ok:
            return "ok";
        case PoolLevel::warn:
            return "warn";
        case PoolLevel::crit:
            return "crit";
        case PoolLevel::exhausted:
            return "exhausted";
    }
    return "ok";
}

PoolFill pool_fill(const std::vector<SetCounts>& sets) {
    PoolFill f;
    bool first = true;
    for (auto& s : sets) {
        const u128 taken = s.in_use + s.quarantined;
        const bool full = taken >= s.usable;
        const double u = s.usable ? double(taken) / double(s.usable) : 1.0;
        f.exhausted = f.exhausted || full;
        if (first || u > f.utilization) {
            f.utilization = u;
            f.in_use = double(s.in_use);
            f.free = full ? 0.0 : double(s.usable - taken);
            first = false;
        }
    }
    return f;
}

PoolLevel level_for(const PoolFill& f, const AlertSettings& s) {
    if (f.exhausted) return PoolLevel::exhausted;
    if (f.utilization >= s.crit) return PoolLevel::crit;
    if (f.utilization >= s.warn) return PoolLevel::warn;
    return PoolLevel::ok;
}

double regression_slope_per_second(const std::deque<std::pair<int64_t, double>>& points) {
    if (points.size() < 2) return 0;
    // Times relative to the first point, in seconds, keep the sums well inside a double.
    const int64_t t0 = points.front().first;
    double st = 0, sy = 0;
    for (auto& [t, y] : points) {
        st += double(t - t0) / 1e9;
        sy += y;
    }
    const double n = double(points.size());
    const double mt = st / n, my = sy / n;
    double sxx = 0, sxy = 0;
    for (auto& [t, y] : points) {
        const double dt = double(t - t0) / 1e9 - mt;
        sxx += dt * dt;
        sxy += dt * (y - my);
    }
    return sxx > 0 ? sxy / sxx : 0;
}

void PoolAlerts::sample(const std::string& pool, const std::vector<SetCounts>& sets, int64_t now_ns,
                        std::vector<Crossing>& crossings) {
    auto& t = pools_[pool];
    const PoolFill f = pool_fill(sets);
    t.in_use.emplace_back(now_ns, f.in_use);
    while (!t.in_use.empty() && t.in_use.front().first < now_ns - settings_.window_ns)
        t.in_use.pop_front();

    PoolForecast now;
    now.level = level_for(f, settings_);
    now.utilization = f.utilization;
    const bool enough = t.in_use.size() >= 2 &&
                        t.in_use.back().first - t.in_use.front().first >= settings_.min_span_ns;
    const double rate = enough ? regression_slope_per_second(t.in_use) : 0;
    now.net_per_hour = rate * 3600;
    if (f.exhausted)
        now.exhaustion_seconds = 0;
    else if (rate > 0)
        now.exhaustion_seconds = f.free / rate;

    if (now.level != t.last.level) crossings.push_back({pool, t.last.level, now.level, now});
    t.last = now;
}

void PoolAlerts::retain(const std::vector<std::string>& names) {
    std::erase_if(pools_, [&](auto& kv) {
        for (auto& n : names)
            if (n == kv.first) return false;
        return true;
    });
}

PoolForecast PoolAlerts::forecast(const std::string& pool) const {
    auto it = pools_.find(pool);
    return it == pools_.end() ? PoolForecast{} : it->second.last;
}

}  // namespace warren::core
