// The live side of the exhaustion alerts: samples the state's pools, logs each crossing once at
// the right level, and answers PoolHealth.
#include "service/pool_monitor.hpp"

#include <gtest/gtest.h>

#include "core/range.hpp"
#include "support/captured_log.hpp"

using namespace warren;
using namespace warren::service;

namespace {

constexpr int64_t kSec = 1'000'000'000;

struct PoolMonitorTest : ::testing::Test {
    PoolMonitorTest() {
        auto sets = core::range_sets_from_cidrs({"10.3.0.0/29"});  // 5 usable
        EXPECT_TRUE(sets && state.define_pool("small", *sets, core::PoolSource::config));
    }
    void add(const std::string& cid) {
        core::AddRequest r;
        r.key = {"net", cid, "eth0"};
        r.pool = "small";
        core::Change c;
        auto a = state.add(r, 0, c);
        ASSERT_TRUE(a) << a.error().message;
    }
    void del(const std::string& cid) {
        core::Change c;
        state.release({"net", cid, "eth0"}, core::ReleaseReason::del, 0, c);
        state.sweep_quarantine(kSec, c);  // cooldown 0: free again
    }
    boost::asio::io_context io;
    core::IpamState state{0};
    PoolMonitor monitor{io, state, core::AlertSettings{0.6, 0.8}};
};

TEST_F(PoolMonitorTest, LogsEachCrossingOnceWarnUpInfoDown) {
    warren::testing::CapturedLog log;
    monitor.sample();
    EXPECT_EQ(monitor.health("small").level, AlertLevel::ok);
    for (auto id : {"a", "b", "c"}) add(id);
    monitor.sample();
    monitor.sample();
    EXPECT_EQ(monitor.health("small").level, AlertLevel::warn);
    EXPECT_DOUBLE_EQ(monitor.health("small").utilization, 0.6);
    for (auto id : {"d", "e"}) add(id);
    monitor.sample();
    monitor.sample();
    EXPECT_EQ(monitor.health("small").level, AlertLevel::exhausted);
    EXPECT_EQ(monitor.health("small").exhaustion_seconds, 0.0);
    for (auto id : {"a", "b", "c", "d", "e"}) del(id);
    monitor.sample();
    monitor.sample();
    EXPECT_EQ(monitor.health("small").level, AlertLevel::ok);
    EXPECT_EQ(monitor.health("unknown").level, AlertLevel::ok);

    EXPECT_EQ(
        log.count("warning|pool 'small' reached the warning threshold 60%: now warn (was ok)"), 1u)
        << log.text();
    EXPECT_EQ(log.count("warning|pool 'small' is exhausted"), 1u) << log.text();
    EXPECT_EQ(log.count("info|pool 'small' has a free address in every range set again: now ok "
                        "(was exhausted)"),
              1u)
        << log.text();
    EXPECT_EQ(log.count("pool 'small'"), 3u) << log.text();
}

}  // namespace
