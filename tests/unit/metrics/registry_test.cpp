#include "metrics/registry.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <thread>
#include <vector>

namespace warren::metrics {
namespace {

TEST(Registry, RendersASmallRegistryExactly) {
    Registry r;
    auto& requests = r.counter("demo_requests_total", "Requests served", {"op", "code"});
    requests.with({"add", "0"}).inc();
    requests.with({"add", "0"}).inc(2);
    requests.with({"del", "11"}).inc();
    r.gauge("demo_temperature", "Current temperature").with({}).set(-1.5);
    auto& h = r.histogram("demo_latency_seconds", "Latency", {"op"}, {0.1, 1, 2.5}).with({"add"});
    h.observe(0.05);
    h.observe(0.1);  // le is inclusive
    h.observe(2);
    h.observe(7);
    r.counter("demo_unused_total", "Never used", {"kind"});

    EXPECT_EQ(r.render(),
              "# HELP demo_requests_total Requests served\n"
              "# TYPE demo_requests_total counter\n"
              "demo_requests_total{op=\"add\",code=\"0\"} 3\n"
              "demo_requests_total{op=\"del\",code=\"11\"} 1\n"
              "# HELP demo_temperature Current temperature\n"
              "# TYPE demo_temperature gauge\n"
              "demo_temperature -1.5\n"
              "# HELP demo_latency_seconds Latency\n"
              "# TYPE demo_latency_seconds histogram\n"
              "demo_latency_seconds_bucket{op=\"add\",le=\"0.1\"} 2\n"
              "demo_latency_seconds_bucket{op=\"add\",le=\"1\"} 2\n"
              "demo_latency_seconds_bucket{op=\"add\",le=\"2.5\"} 3\n"
              "demo_latency_seconds_bucket{op=\"add\",le=\"+Inf\"} 4\n"
              "demo_latency_seconds_sum{op=\"add\"} 9.15\n"
              "demo_latency_seconds_count{op=\"add\"} 4\n"
              "# HELP demo_unused_total Never used\n"
              "# TYPE demo_unused_total counter\n");
}

TEST(Registry, EscapesLabelValuesAndHelp) {
    EXPECT_EQ(escape_label_value("a\\b\"c\nd"), "a\\\\b\\\"c\\nd");
    EXPECT_EQ(escape_help("line1\nback\\slash \"quoted\""), "line1\\nback\\\\slash \"quoted\"");
    Registry r;
    r.gauge("demo_pool", "Pool \\ with\nnewline", {"pool"}).with({"we\"ird\\\npool"}).set(1);
    EXPECT_EQ(r.render(),
              "# HELP demo_pool Pool \\\\ with\\nnewline\n"
              "# TYPE demo_pool gauge\n"
              "demo_pool{pool=\"we\\\"ird\\\\\\npool\"} 1\n");
}

TEST(Registry, FormatsSpecialValues) {
    EXPECT_EQ(format_value(std::numeric_limits<double>::quiet_NaN()), "NaN");
    EXPECT_EQ(format_value(std::numeric_limits<double>::infinity()), "+Inf");
    EXPECT_EQ(format_value(-std::numeric_limits<double>::infinity()), "-Inf");
    EXPECT_EQ(format_value(0), "0");
    EXPECT_EQ(format_value(42), "42");
    EXPECT_EQ(format_value(0.00025), "0.00025");
    EXPECT_EQ(format_value(1796071826.637), "1796071826.637");
}

TEST(Registry, HistogramBucketsAreCumulativeAndCountEqualsInf) {
    Histogram h(std::vector<double>{1, 2, 3});
    for (double v :
         {0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 100.0, std::numeric_limits<double>::quiet_NaN()})
        h.observe(v);
    const auto s = h.snapshot();
    EXPECT_EQ(s.cumulative, (std::vector<uint64_t>{2, 4, 6, 9}));
    EXPECT_EQ(s.count(), 9u);
}

TEST(Registry, RejectsBadNamesAndBounds) {
    Registry r;
    EXPECT_THROW(r.counter("9lives", "x"), std::invalid_argument);
    EXPECT_THROW(r.counter("has-dash", "x"), std::invalid_argument);
    EXPECT_THROW(r.gauge("ok_name", "x", {"bad-label"}), std::invalid_argument);
    EXPECT_THROW(r.gauge("ok_reserved", "x", {"__name"}), std::invalid_argument);
    EXPECT_THROW(r.histogram("demo_h", "x", {"le"}, {1}), std::invalid_argument);
    EXPECT_THROW(r.histogram("demo_h2", "x", {}, {2, 1}), std::invalid_argument);
    EXPECT_THROW(r.histogram("demo_h3", "x", {}, {1, std::numeric_limits<double>::infinity()}),
                 std::invalid_argument);
    r.gauge("demo_once", "x");
    EXPECT_THROW(r.gauge("demo_once", "again"), std::invalid_argument);
    auto& f = r.gauge("demo_two", "x", {"a", "b"});
    EXPECT_THROW(f.with({"only-one"}), std::invalid_argument);
    EXPECT_TRUE(valid_metric_name("warren:rule_total"));
    EXPECT_FALSE(valid_label_name("a:b"));
}

// Updates from other threads (the journal committer) while the I/O thread renders: nothing is
// lost, and every rendered histogram has _count equal to its +Inf bucket.
TEST(Registry, ConcurrentUpdatesAreCountedAndRenderStaysConsistent) {
    Registry r;
    auto& h = r.histogram("demo_sync_seconds", "x", {}, {0.001, 0.01}).with({});
    auto& c = r.counter("demo_total", "x").with({});
    constexpr int kThreads = 4, kEach = 20000;
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
        threads.emplace_back([&] {
            for (int i = 0; i < kEach; ++i) {
                h.observe(0.005);
                c.inc();
            }
        });
    size_t renders = 0;
    for (; renders < 50; ++renders) {
        const std::string text = r.render();
        const auto inf = text.find("le=\"+Inf\"} ");
        const auto count = text.find("demo_sync_seconds_count ");
        ASSERT_NE(inf, std::string::npos);
        ASSERT_NE(count, std::string::npos);
        const auto inf_value = text.substr(inf + 11, text.find('\n', inf) - inf - 11);
        const auto count_value = text.substr(count + 24, text.find('\n', count) - count - 24);
        EXPECT_EQ(inf_value, count_value);
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(h.snapshot().count(), uint64_t(kThreads) * kEach);
    EXPECT_EQ(c.value(), double(kThreads) * kEach);
    EXPECT_NEAR(h.snapshot().sum, 0.005 * kThreads * kEach, 1e-6);
}

}  // namespace
}  // namespace warren::metrics
