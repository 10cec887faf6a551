#include "core/pool_alerts.hpp"

#include <gtest/gtest.h>

namespace warren::core {
namespace {

constexpr int64_t kSec = 1'000'000'000;

std::vector<SetCounts> one_set(u128 usable, u128 in_use, u128 quarantined = 0) {
    return {{usable, in_use, quarantined}};
}

TEST(PoolAlerts, UtilizationIsTheFullestSetsAndCountsQuarantine) {
    auto f = pool_fill({{100, 10, 0}, {10, 5, 3}});
    EXPECT_DOUBLE_EQ(f.utilization, 0.8);
    EXPECT_FALSE(f.exhausted);
    EXPECT_DOUBLE_EQ(f.in_use, 5);
    EXPECT_DOUBLE_EQ(f.free, 2);
    auto full = pool_fill({{100, 10, 0}, {10, 7, 3}});
    EXPECT_TRUE(full.exhausted);
    EXPECT_DOUBLE_EQ(full.free, 0);
    EXPECT_TRUE(pool_fill({{0, 0, 0}}).exhausted) << "a set with no usable address serves no ADD";
}

TEST(PoolAlerts, LevelsFollowTheThresholds) {
    AlertSettings s{0.8, 0.95};
    EXPECT_EQ(level_for(pool_fill(one_set(100, 79)), s), PoolLevel::ok);
    EXPECT_EQ(level_for(pool_fill(one_set(100, 80)), s), PoolLevel::warn);
    EXPECT_EQ(level_for(pool_fill(one_set(100, 94)), s), PoolLevel::warn);
    EXPECT_EQ(level_for(pool_fill(one_set(100, 95)), s), PoolLevel::crit);
    EXPECT_EQ(level_for(pool_fill(one_set(100, 99)), s), PoolLevel::crit);
    EXPECT_EQ(level_for(pool_fill(one_set(100, 90, 10)), s), PoolLevel::exhausted);
    // crit = 1: only exhaustion reaches it, and exhaustion wins.
    EXPECT_EQ(level_for(pool_fill(one_set(10, 10)), AlertSettings{0.5, 1.0}), PoolLevel::exhausted);
}

// Crossing up and down, one Crossing per change of level, none for samples that stay.
TEST(PoolAlerts, CrossingsAreReportedOnceEachWay) {
    PoolAlerts a(AlertSettings{0.8, 0.95});
    std::vector<PoolAlerts::Crossing> out;
    int64_t t = 0;
    auto feed = [&](u128 used, int times = 3) {
        for (int i = 0; i < times; ++i) a.sample("p", one_set(20, used), t += kSec, out);
    };
    feed(10);
    EXPECT_TRUE(out.empty());
    feed(16);  // 0.80
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].pool, "p");
    EXPECT_EQ(out[0].from, PoolLevel::ok);
    EXPECT_EQ(out[0].to, PoolLevel::warn);
    EXPECT_DOUBLE_EQ(out[0].now.utilization, 0.8);
    feed(19);  // 0.95
    feed(20);  // full
    feed(19);
    feed(10);
    ASSERT_EQ(out.size(), 5u);
    const std::vector<std::pair<PoolLevel, PoolLevel>> want{{PoolLevel::ok, PoolLevel::warn},
                                                            {PoolLevel::warn, PoolLevel::crit},
                                                            {PoolLevel::crit, PoolLevel::exhausted},
                                                            {PoolLevel::exhausted, PoolLevel::crit},
                                                            {PoolLevel::crit, PoolLevel::ok}};
    for (size_t i = 0; i < want.size(); ++i) {
        EXPECT_EQ(out[i].from, want[i].first) << i;
        EXPECT_EQ(out[i].to, want[i].second) << i;
    }
    EXPECT_EQ(a.forecast("p").level, PoolLevel::ok);
}

TEST(PoolAlerts, APoolFullFromTheStartCrossesOnceAndUnknownPoolsReadOk) {
    PoolAlerts a(AlertSettings{});
    std::vector<PoolAlerts::Crossing> out;
    for (int i = 1; i <= 5; ++i) a.sample("full", one_set(4, 4), i * kSec, out);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].to, PoolLevel::exhausted);
    EXPECT_EQ(a.forecast("full").exhaustion_seconds, 0.0);
    EXPECT_EQ(a.forecast("nope").level, PoolLevel::ok);
    EXPECT_FALSE(a.forecast("nope").exhaustion_seconds);
    a.retain({});
    EXPECT_EQ(a.forecast("full").level, PoolLevel::ok);
}

TEST(PoolAlerts, RegressionSlopeOfALineIsItsRate) {
    std::deque<std::pair<int64_t, double>> pts;
    for (int i = 0; i <= 10; ++i) pts.emplace_back(1000 * kSec + i * 10 * kSec, 5 + 0.5 * i * 10);
    EXPECT_NEAR(regression_slope_per_second(pts), 0.5, 1e-12);
    EXPECT_EQ(regression_slope_per_second({}), 0);
    EXPECT_EQ(regression_slope_per_second({{kSec, 3}, {kSec, 9}}), 0) << "no time span, no slope";
}

// Forecast with a fake clock: 1 address a minute into a pool of 1000 with 400 free.
TEST(PoolAlerts, ForecastIsFreeOverTheNetRateWhileFilling) {
    PoolAlerts a(AlertSettings{0.8, 0.95, 15 * 60 * kSec, 60 * kSec});
    std::vector<PoolAlerts::Crossing> out;
    int64_t t = 50 * kSec;
    double used = 500;
    a.sample("p", one_set(1000, 500), t, out);
    EXPECT_FALSE(a.forecast("p").exhaustion_seconds) << "one sample is no rate";
    for (int s = 1; s <= 59; ++s)
        a.sample("p", one_set(1000, u128(500 + s / 60.0)), t + s * kSec, out);
    EXPECT_FALSE(a.forecast("p").exhaustion_seconds) << "less than min_span of samples";
    for (int s = 60; s <= 600; ++s) {
        used = 500 + s / 60.0;
        a.sample("p", one_set(1000, u128(used)), t + s * kSec, out);
    }
    const auto f = a.forecast("p");
    EXPECT_NEAR(f.net_per_hour, 60, 1.5);
    ASSERT_TRUE(f.exhaustion_seconds);
    // 490 free (1000 - 510) at ~1 per minute.
    EXPECT_NEAR(*f.exhaustion_seconds, 490 * 60, 490 * 60 * 0.03);
}

TEST(PoolAlerts, NoForecastWhenSteadyOrDraining) {
    PoolAlerts a(AlertSettings{0.8, 0.95, 15 * 60 * kSec, 60 * kSec});
    std::vector<PoolAlerts::Crossing> out;
    for (int s = 0; s <= 300; ++s) a.sample("steady", one_set(100, 50), s * kSec, out);
    EXPECT_EQ(a.forecast("steady").net_per_hour, 0);
    EXPECT_FALSE(a.forecast("steady").exhaustion_seconds);
    for (int s = 0; s <= 300; ++s)
        a.sample("draining", one_set(1000, u128(900 - s)), s * kSec, out);
    EXPECT_NEAR(a.forecast("draining").net_per_hour, -3600, 1e-6);
    EXPECT_FALSE(a.forecast("draining").exhaustion_seconds);
}

// Only the last window counts: a burst long ago no longer makes the pool look like filling.
TEST(PoolAlerts, OldSamplesLeaveTheWindow) {
    PoolAlerts a(AlertSettings{0.8, 0.95, 120 * kSec, 60 * kSec});
    std::vector<PoolAlerts::Crossing> out;
    for (int s = 0; s <= 60; ++s) a.sample("p", one_set(1000, u128(100 + 5 * s)), s * kSec, out);
    EXPECT_GT(a.forecast("p").net_per_hour, 0);
    for (int s = 61; s <= 400; ++s) a.sample("p", one_set(1000, 400), s * kSec, out);
    EXPECT_EQ(a.forecast("p").net_per_hour, 0);
    EXPECT_FALSE(a.forecast("p").exhaustion_seconds);
}

}  // namespace
}  // namespace warren::core
