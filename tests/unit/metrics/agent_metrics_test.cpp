#include "metrics/agent_metrics.hpp"

#include <gtest/gtest.h>

#include <map>

#include "core/range.hpp"

namespace warren::metrics {
namespace {

constexpr int64_t kSec = 1'000'000'000;

struct FakeHealth : service::PoolHealthSource {
    std::map<std::string, service::PoolHealth> by_pool;
    service::PoolHealth health(const std::string& pool) const override {
        auto it = by_pool.find(pool);
        return it == by_pool.end() ? service::PoolHealth{} : it->second;
    }
};

core::IpamState dual_stack_state() {
    core::IpamState state(30 * kSec);
    auto sets = core::parse_range_sets(
        nlohmann::json::parse(R"([[{"subnet":"10.9.0.0/29"}],[{"subnet":"fd00:9::/125"}]])"));
    EXPECT_TRUE(sets);
    EXPECT_TRUE(state.define_pool("default", *sets, core::PoolSource::config));
    return state;
}

std::string line_of(const std::string& text, const std::string& prefix) {
    auto at = text.find("\n" + prefix);
    if (at == std::string::npos) return {};
    return text.substr(at + 1, text.find('\n', at + 1) - at - 1);
}

TEST(AgentMetrics, PoolGaugesFollowTheStatePerFamily) {
    auto state = dual_stack_state();
    core::Change c;
    for (auto id : {"a", "b"}) {
        core::AddRequest r;
        r.key = {"net", id, "eth0"};
        ASSERT_TRUE(state.add(r, 0, c));
    }
    state.release({"net", "b", "eth0"}, core::ReleaseReason::del, kSec, c);
    FakeHealth health;
    health.by_pool["default"] = {service::AlertLevel::warn, 0.4, 12.5, 600};
    std::string out;
    render_state({state, health, true, 3}, out);
    // /29: 5 usable v4 (network, gateway, broadcast excluded); /125: 6 usable v6.
    EXPECT_EQ(line_of(out, "warren_pool_size_addresses{pool=\"default\",family=\"ipv4\"}"),
              "warren_pool_size_addresses{pool=\"default\",family=\"ipv4\"} 5");
    EXPECT_EQ(line_of(out, "warren_pool_size_addresses{pool=\"default\",family=\"ipv6\"}"),
              "warren_pool_size_addresses{pool=\"default\",family=\"ipv6\"} 6");
    EXPECT_EQ(line_of(out, "warren_pool_in_use_addresses{pool=\"default\",family=\"ipv4\"}"),
              "warren_pool_in_use_addresses{pool=\"default\",family=\"ipv4\"} 1");
    EXPECT_EQ(line_of(out, "warren_pool_quarantined_addresses{pool=\"default\",family=\"ipv6\"}"),
              "warren_pool_quarantined_addresses{pool=\"default\",family=\"ipv6\"} 1");
    EXPECT_EQ(line_of(out, "warren_pool_free_addresses{pool=\"default\",family=\"ipv4\"}"),
              "warren_pool_free_addresses{pool=\"default\",family=\"ipv4\"} 3");
    EXPECT_EQ(line_of(out, "warren_pool_alert_level{"),
              "warren_pool_alert_level{pool=\"default\"} 1");
    EXPECT_EQ(line_of(out, "warren_pool_alert_state{pool=\"default\",level=\"warn\"}"),
              "warren_pool_alert_state{pool=\"default\",level=\"warn\"} 1");
    EXPECT_EQ(line_of(out, "warren_pool_alert_state{pool=\"default\",level=\"ok\"}"),
              "warren_pool_alert_state{pool=\"default\",level=\"ok\"} 0");
    EXPECT_EQ(line_of(out, "warren_pool_utilization_ratio{"),
              "warren_pool_utilization_ratio{pool=\"default\"} 0.4");
    EXPECT_EQ(line_of(out, "warren_pool_net_allocation_rate_per_hour{"),
              "warren_pool_net_allocation_rate_per_hour{pool=\"default\"} 12.5");
    EXPECT_EQ(line_of(out, "warren_pool_exhaustion_seconds{"),
              "warren_pool_exhaustion_seconds{pool=\"default\"} 600");
    EXPECT_EQ(line_of(out, "warren_ebpf_enabled "), "warren_ebpf_enabled 1");
    EXPECT_EQ(line_of(out, "warren_ebpf_attached_links "), "warren_ebpf_attached_links 3");
}

TEST(AgentMetrics, ExhaustionForecastIsAbsentWhenNotFilling) {
    auto state = dual_stack_state();
    FakeHealth health;  // default: ok, no forecast
    std::string out;
    render_state({state, health, false, 0}, out);
    EXPECT_NE(out.find("# TYPE warren_pool_exhaustion_seconds gauge\n"), std::string::npos);
    EXPECT_EQ(out.find("warren_pool_exhaustion_seconds{"), std::string::npos) << out;
    EXPECT_EQ(line_of(out, "warren_ebpf_enabled "), "warren_ebpf_enabled 0");
}

TEST(AgentMetrics, CountsRequestsDecisionsAndConflicts) {
    AgentMetrics m("1.2.3", 1700000000.5);
    m.on_answered(proto::Op::add, 2'000'000);   // 2 ms
    m.on_answered(proto::Op::add, 30'000'000);  // 30 ms
    m.on_answered(proto::Op::del, 100'000);
    m.on_answered(proto::Op::ping, 100'000);  // not kept
    m.on_journal_sync(1'500'000);
    std::vector<core::Decision> d{
        {core::CandidateMarked{{"n", "c", "eth0"}, 0, core::GcReason::netns_gone}, "why"},
        {core::Released{{"n", "c", "eth0"}, 0, core::ReleaseReason::stale}, "why"},
        {core::Released{{"n", "d", "eth0"}, 0, core::ReleaseReason::stale}, "why"},
        {core::QuarantineEnded{"default", {}}, "why"}};
    std::vector<core::Conflict> c{
        {*IpAddress::parse("10.0.0.1"), core::ConflictKind::two_links, "x"}};
    m.on_gc(d, c);
    const std::string out = m.registry().render();
    EXPECT_EQ(line_of(out, "warren_cni_request_duration_seconds_count{op=\"add\"}"),
              "warren_cni_request_duration_seconds_count{op=\"add\"} 2");
    EXPECT_EQ(line_of(out, "warren_cni_request_duration_seconds_bucket{op=\"add\",le=\"0.0025\"}"),
              "warren_cni_request_duration_seconds_bucket{op=\"add\",le=\"0.0025\"} 1");
    EXPECT_EQ(line_of(out, "warren_cni_request_duration_seconds_count{op=\"del\"}"),
              "warren_cni_request_duration_seconds_count{op=\"del\"} 1");
    EXPECT_EQ(out.find("op=\"ping\""), std::string::npos);
    EXPECT_EQ(line_of(out, "warren_journal_sync_duration_seconds_count"),
              "warren_journal_sync_duration_seconds_count 1");
    EXPECT_EQ(line_of(out, "warren_gc_decisions_total{kind=\"released\""),
              "warren_gc_decisions_total{kind=\"released\",reason=\"stale\"} 2");
    EXPECT_EQ(line_of(out, "warren_gc_decisions_total{kind=\"candidate\""),
              "warren_gc_decisions_total{kind=\"candidate\",reason=\"netns-gone\"} 1");
    EXPECT_EQ(line_of(out, "warren_gc_decisions_total{kind=\"quarantine_ended\""),
              "warren_gc_decisions_total{kind=\"quarantine_ended\",reason=\"cooldown\"} 1");
    EXPECT_EQ(line_of(out, "warren_gc_conflicts_total{kind=\"two-links\"}"),
              "warren_gc_conflicts_total{kind=\"two-links\"} 1");
    EXPECT_EQ(line_of(out, "warren_gc_conflicts_total{kind=\"quarantine-traffic\"}"),
              "warren_gc_conflicts_total{kind=\"quarantine-traffic\"} 0");
    EXPECT_EQ(line_of(out, "warren_build_info"), "warren_build_info{version=\"1.2.3\"} 1");
    EXPECT_EQ(line_of(out, "warren_process_start_time_seconds"),
              "warren_process_start_time_seconds 1700000000.5");
}

TEST(AgentMetrics, KubernetesGaugesOnlyWithKubernetes) {
    auto state = dual_stack_state();
    FakeHealth health;
    std::string off;
    render_state({state, health, false, 0}, off);
    EXPECT_EQ(off.find("warren_kube_"), std::string::npos) << off;
    std::string on;
    render_state({state, health, false, 0, KubeView{false, true, 7, 1'700'000'000 * kSec}}, on);
    EXPECT_EQ(line_of(on, "warren_kube_pool_waiting "), "warren_kube_pool_waiting 0");
    EXPECT_EQ(line_of(on, "warren_kube_pods_synced "), "warren_kube_pods_synced 1");
    EXPECT_EQ(line_of(on, "warren_kube_pods "), "warren_kube_pods 7");
    EXPECT_EQ(line_of(on, "warren_kube_last_ok_timestamp_seconds "),
              "warren_kube_last_ok_timestamp_seconds 1700000000");
    std::string waiting;
    render_state({state, health, false, 0, KubeView{}}, waiting);
    EXPECT_EQ(line_of(waiting, "warren_kube_pool_waiting "), "warren_kube_pool_waiting 1");
    EXPECT_EQ(waiting.find("warren_kube_last_ok_timestamp_seconds"), std::string::npos) << waiting;
}

}  // namespace
}  // namespace warren::metrics
