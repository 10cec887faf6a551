#include <gtest/gtest.h>

#include "server/systemd.hpp"

namespace warren::server {
namespace {

using std::chrono::microseconds;

TEST(WatchdogInterval, UnsetMeansNoWatchdog) {
    auto r = watchdog_interval(nullptr, nullptr, 42);
    ASSERT_TRUE(r.has_value());
    EXPECT_FALSE(r->has_value());
}

TEST(WatchdogInterval, UsecWithoutPidIsOurs) {
    auto r = watchdog_interval("30000000", nullptr, 42);
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(*r, microseconds(30'000'000));
}

TEST(WatchdogInterval, MatchingPidIsOurs) {
    auto r = watchdog_interval("20000000", "42", 42);
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(*r, microseconds(20'000'000));
}

TEST(WatchdogInterval, AnotherProcessesPidIsNotOurs) {
    auto r = watchdog_interval("20000000", "41", 42);
    ASSERT_TRUE(r.has_value());
    EXPECT_FALSE(r->has_value());
}

TEST(WatchdogInterval, ZeroMeansNoWatchdog) {
    auto r = watchdog_interval("0", "42", 42);
    ASSERT_TRUE(r.has_value());
    EXPECT_FALSE(r->has_value());
}

TEST(WatchdogInterval, GarbageUsecIsAnErrorThatNamesTheVariable) {
    for (const char* bad : {"", "abc", "-5", "10s", "1 "}) {
        auto r = watchdog_interval(bad, nullptr, 42);
        ASSERT_FALSE(r.has_value()) << "'" << bad << "'";
        EXPECT_EQ(r.error().code, Code::invalid_env);
        EXPECT_NE(r.error().message.find("WATCHDOG_USEC"), std::string::npos) << r.error().message;
        EXPECT_NE(r.error().details.find("WatchdogSec="), std::string::npos);
    }
}

TEST(WatchdogInterval, GarbagePidIsAnError) {
    auto r = watchdog_interval("1000", "x42", 42);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, Code::invalid_env);
    EXPECT_NE(r.error().message.find("WATCHDOG_PID='x42'"), std::string::npos) << r.error().message;
}

}  // namespace
}  // namespace warren::server
