// Anti-spoofing in the scrape: links per mode and spoofed packets per link, source and action.
#include <gtest/gtest.h>

#include "metrics/agent_metrics.hpp"

namespace warren::metrics {
namespace {

struct NoHealth : service::PoolHealthSource {
    service::PoolHealth health(const std::string&) const override { return {}; }
};

liveness::Offender offender(std::string link, const char* source, liveness::SpoofMode mode,
                            uint64_t packets, uint64_t dropped) {
    liveness::Offender o;
    o.link = std::move(link);
    o.owner = "net1/c1/eth0";
    o.mode = mode;
    o.spoof = {.ifindex = 5,
               .source = *IpAddress::parse(source),
               .first_seen_ns = 1,
               .last_seen_ns = 2,
               .packets = packets,
               .bytes = packets * 100,
               .dropped = dropped};
    return o;
}

std::vector<std::string> lines_with(const std::string& text, const std::string& needle) {
    std::vector<std::string> out;
    size_t at = 0;
    while (at < text.size()) {
        size_t nl = text.find('\n', at);
        std::string line = text.substr(at, nl - at);
        if (line.find(needle) != std::string::npos && !line.starts_with("#")) out.push_back(line);
        if (nl == std::string::npos) break;
        at = nl + 1;
    }
    return out;
}

TEST(AntiSpoofMetrics, LinksPerModeAndSpoofedPacketsPerOffender) {
    core::IpamState state(0);
    NoHealth health;
    liveness::GuardCounts counts;
    counts.links = 3;
    counts.by_mode[0] = 1;
    counts.by_mode[1] = 2;
    counts.by_mode[2] = 1;
    const std::vector<liveness::Offender> offenders = {
        offender("veth-a", "10.2.0.9", liveness::SpoofMode::log, 7, 0),
        offender("veth-b", "fd00::9", liveness::SpoofMode::drop, 5, 5),
        // The mode changed from log to drop while the pod went on: both series count.
        offender("veth-c", "10.2.0.8", liveness::SpoofMode::drop, 9, 4),
    };
    std::string out;
    StateView v{state, health, true, 3};
    v.antispoof = counts;
    v.offenders = offenders;
    render_state(v, out);
    EXPECT_NE(out.find("# TYPE warren_antispoof_links gauge\n"), std::string::npos) << out;
    EXPECT_EQ(lines_with(out, "warren_antispoof_links{"),
              (std::vector<std::string>{"warren_antispoof_links{mode=\"drop\"} 1",
                                        "warren_antispoof_links{mode=\"log\"} 2",
                                        "warren_antispoof_links{mode=\"off\"} 1"}));
    EXPECT_NE(out.find("# TYPE warren_spoofed_packets_total counter\n"), std::string::npos) << out;
    EXPECT_EQ(
        lines_with(out, "warren_spoofed_packets_total{"),
        (std::vector<std::string>{
            "warren_spoofed_packets_total{link=\"veth-a\",source=\"10.2.0.9\",action=\"passed\"} 7",
            "warren_spoofed_packets_total{link=\"veth-b\",source=\"fd00::9\",action=\"dropped\"} 5",
            "warren_spoofed_packets_total{link=\"veth-c\",source=\"10.2.0.8\",action=\"dropped\"} "
            "4",
            "warren_spoofed_packets_total{link=\"veth-c\",source=\"10.2.0.8\",action=\"passed\"} "
            "5"}));
}

TEST(AntiSpoofMetrics, OnWithoutOffendersHasTheFamiliesButNoSeries) {
    core::IpamState state(0);
    NoHealth health;
    std::string out;
    StateView v{state, health, true, 0};
    v.antispoof = liveness::GuardCounts{};
    render_state(v, out);
    EXPECT_NE(out.find("# TYPE warren_spoofed_packets_total counter\n"), std::string::npos) << out;
    EXPECT_TRUE(lines_with(out, "warren_spoofed_packets_total{").empty()) << out;
    EXPECT_EQ(lines_with(out, "warren_antispoof_links{mode=\"drop\"}"),
              (std::vector<std::string>{"warren_antispoof_links{mode=\"drop\"} 0"}));
}

TEST(AntiSpoofMetrics, OffMeansNoAntiSpoofingSeries) {
    core::IpamState state(0);
    NoHealth health;
    std::string out;
    render_state({state, health, false, 0}, out);
    EXPECT_EQ(out.find("warren_antispoof"), std::string::npos) << out;
    EXPECT_EQ(out.find("warren_spoofed"), std::string::npos) << out;
}

}  // namespace
}  // namespace warren::metrics
