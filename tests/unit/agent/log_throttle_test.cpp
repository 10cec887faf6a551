#include "server/log_throttle.hpp"

#include <gtest/gtest.h>

using warren::server::LogThrottle;
using namespace std::chrono_literals;

TEST(LogThrottle, FirstEventAtOnceThenOneSummaryPerInterval) {
    LogThrottle t(10s);
    const LogThrottle::Clock::time_point t0{};
    auto first = t.note(t0 + 1s, "a");
    ASSERT_TRUE(first);
    EXPECT_EQ(first->count, 1u);
    EXPECT_EQ(first->last, "a");
    EXPECT_EQ(first->span, LogThrottle::Clock::duration{});

    for (int i = 0; i < 1234; ++i) EXPECT_FALSE(t.note(t0 + 2s, std::to_string(i)));
    EXPECT_FALSE(t.flush(t0 + 10s)) << "before the interval has passed";
    auto summary = t.flush(t0 + 11s);
    ASSERT_TRUE(summary);
    EXPECT_EQ(summary->count, 1234u);
    EXPECT_EQ(summary->last, "1233");
    EXPECT_EQ(summary->span, 10s);
    EXPECT_FALSE(t.flush(t0 + 30s)) << "nothing left to report";
}

TEST(LogThrottle, EventsKeepComingOneLinePerInterval) {
    LogThrottle t(10s);
    const LogThrottle::Clock::time_point t0{};
    int lines = 0;
    uint64_t counted = 0;
    for (int ms = 0; ms < 60'000; ms += 50) {
        if (auto b = t.note(t0 + std::chrono::milliseconds(ms), "x")) {
            ++lines;
            counted += b->count;
        }
    }
    EXPECT_EQ(lines, 6);  // at 0, 10, 20, 30, 40 and 50 s
    if (auto rest = t.flush(t0 + 70s)) counted += rest->count;
    EXPECT_EQ(counted, 1200u) << "every event is counted once";
}

TEST(LogThrottle, AfterAQuietIntervalTheNextEventIsReportedAtOnce) {
    LogThrottle t(10s);
    const LogThrottle::Clock::time_point t0{};
    ASSERT_TRUE(t.note(t0, "a"));
    auto later = t.note(t0 + 25s, "b");
    ASSERT_TRUE(later);
    EXPECT_EQ(later->count, 1u);
    EXPECT_EQ(later->last, "b");
}
