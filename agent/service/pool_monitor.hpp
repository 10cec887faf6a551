#pragma once
// The pools' exhaustion alerts and forecast, live (DESIGN §8): every second it samples each
// pool's counts from the state into core::PoolAlerts, logs each level crossing once (warn when
// the level rises, info when it falls), and answers PoolHealthSource for the admin status and
// the metrics. Cost per sample: one pass over the pools' per-set counters (no allocation walk).
//
// Thread-safety: all members on the io_context's thread, like the state it reads.
// Lifetime: borrows `state`; stop() before destroying it while the io_context still runs.
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <string>
#include <vector>

#include "core/ipam_state.hpp"
#include "core/pool_alerts.hpp"
#include "service/pool_health.hpp"

namespace warren::service {

class PoolMonitor final : public PoolHealthSource {
  public:
    PoolMonitor(boost::asio::io_context& io, const core::IpamState& state,
                core::AlertSettings settings,
                std::chrono::milliseconds interval = std::chrono::seconds(1));

    // Samples now, then every interval.
    void start();
    void stop();
    // One sample now (steady clock), with its crossings logged.
    void sample();

    PoolHealth health(const std::string& pool) const override;

  private:
    void arm();

    const core::IpamState& state_;
    core::PoolAlerts alerts_;
    std::chrono::milliseconds interval_;
    boost::asio::steady_timer timer_;
    std::vector<core::SetCounts> sets_;  // reused between samples
    std::vector<core::PoolAlerts::Crossing> crossings_;
    std::vector<std::string> names_;
    bool stopped_ = false;
};

// A pool's per-set counts as the alerts read them.
void set_counts(const core::Pool& p, std::vector<core::SetCounts>& out);
// The log line of a crossing (without the level), e.g. "pool 'default' is at 85.0% ...".
std::string describe_crossing(const core::PoolAlerts::Crossing& c, const core::AlertSettings& s);

}  // namespace warren::service
