// GET /metrics of a real warrend, parsed by Debian's Prometheus client (python3-prometheus-client):
// pool gauges follow ADDs and DELs made through the bridge plugin, latency histograms count them,
// other paths get 404, stalled clients hold nothing back, and the exhaustion alerts cross up and
// down once each (log, metric, CNI STATUS).
#include <sys/socket.h>

#include <cstring>
#include <filesystem>
#include <thread>

#include "fixture.hpp"
#include "support/http_client.hpp"

namespace warren::it {
namespace {

using warren::testing::connect_tcp;
using warren::testing::http_request;
using warren::testing::send_all;

constexpr const char* kPython = "/usr/bin/python3";

// Prints {"<name>{k=\"v\",...}": value} for every sample (labels sorted), and the family types.
constexpr const char* kParse = R"(
import json, sys
from prometheus_client.parser import text_string_to_metric_families
samples, types = {}, {}
for fam in text_string_to_metric_families(sys.stdin.read()):
    types[fam.name] = fam.type
    for s in fam.samples:
        labels = ",".join('%s="%s"' % (k, v) for k, v in sorted(s.labels.items()))
        samples[s.name + "{" + labels + "}"] = s.value
print(json.dumps({"samples": samples, "types": types}))
)";

struct Scrape {
    json samples, types;
    bool ok = false;
    std::string error;
    // The value of `key` ("name{labels}"), or -1 when absent.
    double at(const std::string& key) const {
        return samples.contains(key) ? samples[key].get<double>() : -1;
    }
};

class MetricsTest : public IntegrationTest {
  protected:
    void SetUp() override {
        if (::geteuid() != 0) return;
        auto r = run_cmd({kPython, "-c", "import prometheus_client"});
        if (!r.ok()) {
            if (warren::testing::in_ci())
                FAIL() << "python3-prometheus-client is missing (CI=true); scripts/install-deps.sh "
                          "installs it: "
                       << r.describe();
            GTEST_SKIP() << "python3-prometheus-client is not installed (apt-get install "
                            "python3-prometheus-client)";
        }
    }

    ::testing::AssertionResult start(AgentSpec spec) {
        spec.metrics_address = "127.0.0.1:0";
        auto s = agent().start(spec);
        if (!s) return s;
        // The CNI socket accepts a moment before the metrics line is logged.
        eventually([&] { return (port_ = agent().metrics_port()) != 0; });
        if (!port_)
            return ::testing::AssertionFailure() << "no metrics address in the log:\n"
                                                 << agent().log();
        return ::testing::AssertionSuccess();
    }

    Scrape scrape() {
        Scrape s;
        auto a = http_request(port_, "GET", "/metrics");
        if (!a.ok || a.status != 200) {
            s.error = "GET /metrics: status " + std::to_string(a.status) + "\n" + a.headers;
            return s;
        }
        RunSpec rs;
        rs.argv = {kPython, "-c", kParse};
        rs.input = a.body;
        auto r = run(rs);
        if (!r.ok()) {
            s.error = "the Prometheus parser refused the scrape: " + r.describe() + "\n" + a.body;
            return s;
        }
        auto j = json::parse(r.out, nullptr, false);
        s.samples = j["samples"];
        s.types = j["types"];
        s.ok = true;
        return s;
    }

    // Polls `pred` every 50 ms for up to 10 s (the pool monitor samples once a second).
    template <class Pred>
    static bool eventually(Pred pred) {
        for (int i = 0; i < 200; ++i) {
            if (pred()) return true;
            std::this_thread::sleep_for(50ms);
        }
        return pred();
    }

    uint16_t port_ = 0;
};

constexpr const char* kPool4 = "pool=\"default\",family=\"ipv4\"";

TEST_F(MetricsTest, ScrapeParsesAndPoolGaugesFollowAddsThroughTheBridge) {
    WARREN_REQUIRE_ROOT();
    ASSERT_TRUE(start({.pod_cidrs = {"10.196.0.0/28"}}));  // 13 usable
    auto before = scrape();
    ASSERT_TRUE(before.ok) << before.error;
    EXPECT_EQ(before.types["warren_cni_request_duration_seconds"], "histogram");
    EXPECT_EQ(before.types["warren_gc_decisions"], "counter");
    EXPECT_EQ(before.at("warren_pool_size_addresses{family=\"ipv4\",pool=\"default\"}"), 13);
    EXPECT_EQ(before.at("warren_pool_in_use_addresses{family=\"ipv4\",pool=\"default\"}"), 0);
    EXPECT_EQ(before.at("warren_cni_request_duration_seconds_count{op=\"add\"}"), 0);
    EXPECT_EQ(before.at("warren_build_info{version=\"" WARREN_VERSION "\"}"), 1);
    EXPECT_GT(before.at("warren_process_start_time_seconds{}"), 1.6e9);
    EXPECT_EQ(before.at("warren_ebpf_enabled{}"), 0);

    auto c = bridge_conf("wrn-net", bridge_name(), warren_ipam(agent().socket()));
    for (int i = 0; i < 3; ++i) {
        Netns& ns = new_netns();
        ASSERT_TRUE(ns.ok());
        auto r = bridge(c, call("ADD", "pod-" + std::to_string(i), ns.path()));
        ASSERT_TRUE(r.ok()) << r.describe() << "\n" << agent().log();
    }
    auto added = scrape();
    ASSERT_TRUE(added.ok) << added.error;
    EXPECT_EQ(added.at("warren_pool_in_use_addresses{family=\"ipv4\",pool=\"default\"}"), 3);
    EXPECT_EQ(added.at("warren_pool_free_addresses{family=\"ipv4\",pool=\"default\"}"), 10);
    EXPECT_EQ(added.at("warren_cni_request_duration_seconds_count{op=\"add\"}"), 3);
    EXPECT_EQ(added.at("warren_cni_request_duration_seconds_bucket{le=\"+Inf\",op=\"add\"}"), 3);
    EXPECT_GT(added.at("warren_cni_request_duration_seconds_sum{op=\"add\"}"), 0);
    EXPECT_GE(added.at("warren_journal_sync_duration_seconds_count{}"), 1);

    auto del = bridge(c, call("DEL", "pod-1", netns_.at(1)->path()));
    ASSERT_TRUE(del.ok()) << del.describe();
    auto after = scrape();
    ASSERT_TRUE(after.ok) << after.error;
    EXPECT_EQ(after.at("warren_pool_in_use_addresses{family=\"ipv4\",pool=\"default\"}"), 2);
    EXPECT_EQ(after.at("warren_pool_quarantined_addresses{family=\"ipv4\",pool=\"default\"}"), 1)
        << "the default cooldown (30 s) holds the released address";
    EXPECT_EQ(after.at("warren_pool_free_addresses{family=\"ipv4\",pool=\"default\"}"), 10);
    EXPECT_EQ(after.at("warren_cni_request_duration_seconds_count{op=\"del\"}"), 1);
}

TEST_F(MetricsTest, EveryOtherPathAndMethodIs404) {
    WARREN_REQUIRE_ROOT();
    ASSERT_TRUE(start({.pod_cidrs = {"10.196.0.0/28"}}));
    for (auto [method, target] :
         std::vector<std::pair<std::string, std::string>>{{"GET", "/"},
                                                          {"GET", "/metric"},
                                                          {"GET", "/metrics/x"},
                                                          {"HEAD", "/metrics"},
                                                          {"POST", "/metrics"}}) {
        auto a = http_request(port_, method, target);
        EXPECT_TRUE(a.ok) << method << " " << target;
        EXPECT_EQ(a.status, 404) << method << " " << target;
    }
    EXPECT_EQ(http_request(port_, "GET", "/metrics").status, 200);
}

// A client that connects and sends nothing, and one that asks for answers and reads none: ADDs
// and another scrape are served while both are still connected (the silent one is still open
// afterwards, so nothing waited for its 10 s deadline).
TEST_F(MetricsTest, StalledScrapersDelayNeitherAddsNorOtherScrapes) {
    WARREN_REQUIRE_ROOT();
    ASSERT_TRUE(start({.pod_cidrs = {"10.196.0.0/24"}}));
    Fd silent = connect_tcp(port_);
    ASSERT_TRUE(silent);
    // A small receive window and many pipelined requests: the agent's writes to it block.
    Fd deaf(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    int small = 4096;
    ::setsockopt(deaf.get(), SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port_);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::connect(deaf.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
    std::string pipelined;
    for (int i = 0; i < 400; ++i) pipelined += "GET /metrics HTTP/1.1\r\nHost: t\r\n\r\n";
    ASSERT_TRUE(send_all(deaf, pipelined));

    auto c = plugin_conf("wrn-net", warren_ipam(agent().socket()));
    Netns& ns = new_netns();
    ASSERT_TRUE(ns.ok());
    for (int i = 0; i < 5; ++i) {
        auto r = warren_plugin(c, call("ADD", "stall-" + std::to_string(i), ns.path()));
        ASSERT_TRUE(r.ok()) << r.describe();
    }
    auto s = scrape();
    ASSERT_TRUE(s.ok) << s.error;
    EXPECT_EQ(s.at("warren_pool_in_use_addresses{family=\"ipv4\",pool=\"default\"}"), 5);

    char byte;
    const ssize_t n = ::recv(silent.get(), &byte, 1, MSG_DONTWAIT);
    EXPECT_EQ(n, -1) << "the silent client was closed (or answered) before the ADDs finished";
    EXPECT_TRUE(errno == EAGAIN || errno == EWOULDBLOCK) << std::strerror(errno);
}

TEST_F(MetricsTest, AlertsCrossUpAndDownOnceEachWithMetricAndStatus) {
    WARREN_REQUIRE_ROOT();
    // /29: 5 usable. warn at 60% (3), crit at 80% (4), exhausted at 5.
    ASSERT_TRUE(start({.pod_cidrs = {"10.195.0.0/29"},
                       .cooldown = 0,
                       .extra_args = {"--alert-warn", "0.6", "--alert-crit", "0.8"}}));
    auto c = plugin_conf("wrn-net", warren_ipam(agent().socket()));
    Netns& ns = new_netns();
    ASSERT_TRUE(ns.ok());
    const std::string level_key = "warren_pool_alert_level{pool=\"default\"}";
    auto level_is = [&](double want) {
        return eventually([&] { return scrape().at(level_key) == want; });
    };
    auto logged = [&](const std::string& line) {
        return eventually([&] { return agent().log().find(line) != std::string::npos; });
    };

    for (int i = 0; i < 2; ++i)
        ASSERT_TRUE(warren_plugin(c, call("ADD", "a" + std::to_string(i), ns.path())).ok());
    ASSERT_TRUE(level_is(0));
    ASSERT_TRUE(warren_plugin(c, call("ADD", "a2", ns.path())).ok());
    ASSERT_TRUE(level_is(1)) << agent().log();
    EXPECT_TRUE(
        logged("warning pool 'default' reached the warning threshold 60%: now warn (was ok)"))
        << agent().log();
    ASSERT_TRUE(warren_plugin(c, call("ADD", "a3", ns.path())).ok());
    ASSERT_TRUE(level_is(2)) << agent().log();
    EXPECT_TRUE(
        logged("warning pool 'default' reached the critical threshold 80%: now crit (was warn)"))
        << agent().log();
    EXPECT_TRUE(warren_plugin(c, call("STATUS")).ok()) << "one address is still free";
    ASSERT_TRUE(warren_plugin(c, call("ADD", "a4", ns.path())).ok());
    ASSERT_TRUE(level_is(3)) << agent().log();
    EXPECT_TRUE(logged("warning pool 'default' is exhausted")) << agent().log();
    auto s = scrape();
    EXPECT_EQ(s.at("warren_pool_alert_state{level=\"exhausted\",pool=\"default\"}"), 1);
    EXPECT_EQ(s.at("warren_pool_alert_state{level=\"ok\",pool=\"default\"}"), 0);
    EXPECT_EQ(s.at("warren_pool_utilization_ratio{pool=\"default\"}"), 1);
    EXPECT_EQ(s.at("warren_pool_exhaustion_seconds{pool=\"default\"}"), 0);
    auto st = warren_plugin(c, call("STATUS"));
    EXPECT_EQ(st.code(), 50) << st.describe();

    // Down: a DEL with cooldown 0 frees the address at the next quarantine sweep.
    ASSERT_TRUE(warren_plugin(c, call("DEL", "a4", ns.path())).ok());
    ASSERT_TRUE(level_is(2)) << agent().log();
    EXPECT_TRUE(
        logged("info pool 'default' has a free address in every range set again: now crit (was "
               "exhausted)"))
        << agent().log();
    st = warren_plugin(c, call("STATUS"));
    EXPECT_TRUE(st.ok()) << st.describe();
    ASSERT_TRUE(warren_plugin(c, call("DEL", "a3", ns.path())).ok());
    ASSERT_TRUE(level_is(1)) << agent().log();
    EXPECT_TRUE(logged(
        "info pool 'default' is below the critical threshold 80% again: now warn (was crit)"))
        << agent().log();
    ASSERT_TRUE(warren_plugin(c, call("DEL", "a2", ns.path())).ok());
    ASSERT_TRUE(level_is(0)) << agent().log();
    EXPECT_TRUE(
        logged("info pool 'default' is below the warning threshold 60% again: now ok (was warn)"))
        << agent().log();

    // Several more samples at ok: still one line per crossing.
    std::this_thread::sleep_for(2500ms);
    const std::string log = agent().log();
    auto count = [&](const std::string& needle) {
        size_t n = 0;
        for (auto at = log.find(needle); at != std::string::npos; at = log.find(needle, at + 1))
            ++n;
        return n;
    };
    EXPECT_EQ(count("reached the warning threshold"), 1u) << log;
    EXPECT_EQ(count("reached the critical threshold"), 1u) << log;
    EXPECT_EQ(count("is exhausted"), 1u) << log;
    EXPECT_EQ(count("has a free address in every range set again"), 1u) << log;
    EXPECT_EQ(count("is below the critical threshold"), 1u) << log;
    EXPECT_EQ(count("is below the warning threshold"), 1u) << log;
}

TEST_F(MetricsTest, AMetricsPortInUseIsAClearStartUpError) {
    WARREN_REQUIRE_ROOT();
    ASSERT_TRUE(start({.pod_cidrs = {"10.196.0.0/28"}}));
    const std::string address = "127.0.0.1:" + std::to_string(port_);
    Agent& second = agent_named("second");
    std::filesystem::create_directories(second.dir());
    auto r =
        run_cmd({warrend_path(), "--state-dir", second.state_dir(), "--socket", second.socket(),
                 "--pod-cidr", "10.194.0.0/28", "--ebpf", "off", "--metrics-address", address},
                10s);
    EXPECT_FALSE(r.timed_out);
    EXPECT_EQ(r.exit_code, 1) << r.describe();
    EXPECT_NE(r.err.find("cannot bind the metrics address " + address), std::string::npos)
        << r.describe();
    EXPECT_NE(r.err.find("Address already in use"), std::string::npos) << r.describe();
    EXPECT_TRUE(agent().running());
}

}  // namespace
}  // namespace warren::it
