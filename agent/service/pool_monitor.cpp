#include "service/pool_monitor.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/range.hpp"

namespace warren::service {

namespace {

AlertLevel to_alert_level(core::PoolLevel l) {
    switch (l) {
        case core::PoolLevel::ok:
            return AlertLevel::ok;
        case core::PoolLevel::warn:
            return AlertLevel::warn;
        case core::PoolLevel::crit:
            return AlertLevel::crit;
        case core::PoolLevel::exhausted:
            return AlertLevel::exhausted;
    }
    return AlertLevel::ok;
}

std::string duration_text(double seconds) {
    if (seconds < 120) return fmt::format("{:.0f} s", seconds);
    if (seconds < 7200) return fmt::format("{:.0f} min", seconds / 60);
    if (seconds < 172800) return fmt::format("{:.1f} h", seconds / 3600);
    return fmt::format("{:.1f} days", seconds / 86400);
}

}  // namespace

void set_counts(const core::Pool& p, std::vector<core::SetCounts>& out) {
    out.clear();
    for (size_t s = 0; s < p.sets.size(); ++s)
        out.push_back({core::usable(p.sets[s]), s < p.used_count.size() ? p.used_count[s] : 0,
                       s < p.quarantined_count.size() ? p.quarantined_count[s] : 0});
}

std::string describe_crossing(const core::PoolAlerts::Crossing& c, const core::AlertSettings& s) {
    const auto& n = c.now;
    const bool rising = static_cast<int>(c.to) > static_cast<int>(c.from);
    std::string what;
    if (c.to == core::PoolLevel::exhausted)
        what =
            "is exhausted: a range set has no free address; ADDs fail and CNI STATUS fails with "
            "code 50 "
            "until addresses are released (and cooled down) or the pool grows";
    else if (rising)
        what = fmt::format("reached the {} threshold {:.0f}%",
                           c.to == core::PoolLevel::crit ? "critical" : "warning",
                           (c.to == core::PoolLevel::crit ? s.crit : s.warn) * 100);
    else if (c.from == core::PoolLevel::exhausted)
        what = "has a free address in every range set again";
    else
        what = fmt::format("is below the {} threshold {:.0f}% again",
                           c.from == core::PoolLevel::crit ? "critical" : "warning",
                           (c.from == core::PoolLevel::crit ? s.crit : s.warn) * 100);
    std::string line = fmt::format("pool '{}' {}: now {} (was {}), utilization {:.1f}%", c.pool,
                                   what, core::pool_level_name(c.to), core::pool_level_name(c.from),
                                   n.utilization * 100);
    if (n.exhaustion_seconds && *n.exhaustion_seconds > 0)
        line += fmt::format(", {:+.1f} addresses/hour net, exhausted in about {} at that rate",
                            n.net_per_hour, duration_text(*n.exhaustion_seconds));
    return line;
}

PoolMonitor::PoolMonitor(boost::asio::io_context& io, const core::IpamState& state,
                         core::AlertSettings settings, std::chrono::milliseconds interval)
    : state_(state), alerts_(settings), interval_(interval), timer_(io) {}

void PoolMonitor::start() {
    sample();
    arm();
}

void PoolMonitor::stop() {
    stopped_ = true;
    timer_.cancel();
}

void PoolMonitor::arm() {
    if (stopped_) return;
    timer_.expires_after(interval_);
    timer_.async_wait([this](boost::system::error_code ec) {
        if (ec || stopped_) return;
        sample();
        arm();
    });
}

void PoolMonitor::sample() {
    const int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                            std::chrono::steady_clock::now().time_since_epoch())
                            .count();
    crossings_.clear();
    names_.clear();
    for (auto& [name, p] : state_.pools()) {
        set_counts(p, sets_);
        alerts_.sample(name, sets_, now, crossings_);
        names_.push_back(name);
    }
    alerts_.retain(names_);
    for (auto& c : crossings_) {
        const bool rising = static_cast<int>(c.to) > static_cast<int>(c.from);
        spdlog::log(rising ? spdlog::level::warn : spdlog::level::info, "{}",
                    describe_crossing(c, alerts_.settings()));
    }
}

PoolHealth PoolMonitor::health(const std::string& pool) const {
    const auto f = alerts_.forecast(pool);
    return {to_alert_level(f.level), f.utilization, f.net_per_hour, f.exhaustion_seconds};
}

}  // namespace warren::service
