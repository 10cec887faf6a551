// check_cluster, pods_per_node and mask_for_pods, table-driven per rule and family.
#include <gtest/gtest.h>

#include <limits>

#include "plan_spec.hpp"

namespace warren::plan::testing {
namespace {

constexpr u128 kSaturated = u128{1} << 127;

struct PodsCase {
    Family family;
    int mask;
    u128 pods;
};

TEST(PlanCapacity, PodsPerNodeCountsAsKubernetesDoes) {
    const PodsCase cases[] = {
        {Family::v4, 24, 254},
        {Family::v4, 25, 126},
        {Family::v4, 23, 510},
        {Family::v4, 30, 2},
        {Family::v4, 31, 2},  // point-to-point: no network or broadcast address
        {Family::v4, 32, 1},
        {Family::v4, 0, (u128{1} << 32) - 2},
        {Family::v4, 33, 0},
        {Family::v4, -1, 0},
        {Family::v6, 64, (u128{1} << 64) - 1},
        {Family::v6, 120, 255},
        {Family::v6, 127, 1},
        {Family::v6, 128, 0},
        {Family::v6, 1, kSaturated},
        {Family::v6, 0, kSaturated},
        {Family::v6, 129, 0},
    };
    for (auto& c : cases)
        EXPECT_EQ(u128_str(pods_per_node(c.family, c.mask)), u128_str(c.pods))
            << (c.family == Family::v4 ? "v4 /" : "v6 /") << c.mask;
}

TEST(PlanCapacity, MaskForPodsIsTheLongestThatHolds) {
    EXPECT_EQ(mask_for_pods(Family::v4, 110), 25);
    EXPECT_EQ(mask_for_pods(Family::v4, 254), 24);
    EXPECT_EQ(mask_for_pods(Family::v4, 255), 23);
    EXPECT_EQ(mask_for_pods(Family::v4, 300), 23);
    EXPECT_EQ(mask_for_pods(Family::v4, 1), 32);
    EXPECT_EQ(mask_for_pods(Family::v4, 2), 31);
    EXPECT_EQ(mask_for_pods(Family::v4, 3), 29);  // a /30 holds 2
    EXPECT_EQ(mask_for_pods(Family::v4, uint64_t{1} << 32), std::nullopt);
    EXPECT_EQ(mask_for_pods(Family::v6, 110), 121);
    EXPECT_EQ(mask_for_pods(Family::v6, uint64_t{1} << 63), 64);
    EXPECT_EQ(mask_for_pods(Family::v6, std::numeric_limits<uint64_t>::max()), 64);
}

struct RuleCase {
    std::string name;
    Spec spec;
    std::string rule;
    Severity severity;
    std::string reason_has, fix_has;
};

TEST(PlanRules, EachRuleFiresWithItsNumbersAndFix) {
    const RuleCase cases[] = {
        {"v4 mask too small for max-pods",
         {.cluster = "10.244.0.0/16", .mask4 = 24, .max_pods = 300},
         "node-mask-vs-max-pods",
         Severity::error,
         "--node-cidr-mask-size 24 gives 254 pod addresses per node, max-pods 300 needs /23",
         "--node-cidr-mask-size 23"},
        {"v6 mask too small for max-pods",
         {.cluster = "fd00::/112", .mask6 = 120, .max_pods = 300},
         "node-mask-vs-max-pods",
         Severity::error,
         "--node-cidr-mask-size 120 gives 255 pod addresses per node, max-pods 300 needs /119",
         "--node-cidr-mask-size 119"},
        {"dual-stack names the per-family flag",
         {.cluster = "10.244.0.0/16,fd00::/112", .mask4 = 25, .mask6 = 120, .max_pods = 200},
         "node-mask-vs-max-pods",
         Severity::error,
         "--node-cidr-mask-size-ipv4 25 gives 126 pod addresses per node, max-pods 200 needs /24",
         "--node-cidr-mask-size-ipv4 24"},
        {"node CIDR under twice max-pods",
         {.cluster = "10.244.0.0/16", .mask4 = 24, .max_pods = 250},
         "node-mask-tight",
         Severity::note,
         "--node-cidr-mask-size 24 gives 254 pod addresses per node for max-pods 250",
         "--node-cidr-mask-size 23"},
        {"v6 node mask more than 16 bits below the cluster CIDR",
         {.cluster = "fd00::/32", .mask6 = 64},
         "node-mask-diff",
         Severity::error,
         "32 bits longer than the cluster CIDR fd00::/32",
         "--cluster-cidr fd00::/48 or --node-cidr-mask-size 48"},
        {"v4 node mask 17 bits below the cluster CIDR",
         {.cluster = "10.0.0.0/8", .mask4 = 25},
         "node-mask-diff",
         Severity::error,
         "17 bits longer",
         "--cluster-cidr 10.0.0.0/9"},
        {"node mask shorter than the cluster CIDR",
         {.cluster = "10.244.0.0/24", .mask4 = 16},
         "node-mask-invalid",
         Severity::error,
         "shorter than the cluster CIDR 10.244.0.0/24",
         "--node-cidr-mask-size between 24 and 32"},
        {"v4 node mask longer than an address",
         {.cluster = "10.244.0.0/16", .mask4 = 33},
         "node-mask-invalid",
         Severity::error,
         "longer than an IPv4 address",
         "between 16 and 32"},
        {"v6 node mask longer than an address",
         {.cluster = "fd00::/120", .mask6 = 129},
         "node-mask-invalid",
         Severity::error,
         "longer than an IPv6 address",
         "between 120 and 128"},
        {"more nodes than node CIDRs",
         {.cluster = "10.244.0.0/16", .mask4 = 24, .nodes = 300},
         "node-count",
         Severity::error,
         "holds 256 nodes, 300 are planned",
         "--cluster-cidr 10.244.0.0/15 (512 nodes)"},
        {"less than 10 % of node CIDRs left",
         {.cluster = "10.244.0.0/16", .mask4 = 24, .nodes = 240},
         "node-count",
         Severity::warning,
         "240 planned leave 16 (< 10 %)",
         "--cluster-cidr 10.244.0.0/15"},
        {"v6 nodes beyond a /56 of /64s",
         {.cluster = "fd00:10:244::/56", .mask6 = 64, .nodes = 1000},
         "node-count",
         Severity::error,
         "holds 256 nodes, 1000 are planned",
         "--cluster-cidr fd00:10:244::/53 (2048 nodes)"},
        {"v4 service range larger than /12",
         {.cluster = "10.244.0.0/16", .service = "10.96.0.0/11"},
         "service-range-too-large",
         Severity::error,
         "larger than /12",
         "--service-cidr 10.96.0.0/12"},
        {"v6 service range larger than /108",
         {.cluster = "fd00:10:244::/56", .service = "fd00:10:96::/107"},
         "service-range-too-large",
         Severity::error,
         "IPv6 service ranges larger than /108",
         "--service-cidr fd00:10:96::/108"},
        {"v4 /31 service range",
         {.cluster = "10.244.0.0/16", .service = "10.96.0.0/31"},
         "service-range-too-small",
         Severity::error,
         "holds 0 usable ClusterIPs",
         "--service-cidr 10.96.0.0/24"},
        {"v4 /32 service range",
         {.cluster = "10.244.0.0/16", .service = "10.96.0.7/32"},
         "service-range-too-small",
         Severity::error,
         "10.96.0.7/32 holds 0",
         ""},
        {"v6 /128 service range",
         {.cluster = "fd00:10:244::/56", .service = "fd00:10:96::/128"},
         "service-range-too-small",
         Severity::error,
         "holds 0 usable",
         "fd00:10:96::/112"},
        {"service range inside the pod range",
         {.cluster = "10.0.0.0/8", .service = "10.96.0.0/12", .mask4 = 24},
         "service-overlaps-pods",
         Severity::error,
         "service CIDR 10.96.0.0/12 overlaps cluster CIDR 10.0.0.0/8",
         "--service-cidr"},
        {"v6 service range inside the pod range",
         {.cluster = "fd00::/48", .service = "fd00::/108"},
         "service-overlaps-pods",
         Severity::error,
         "fd00::/108 overlaps cluster CIDR fd00::/48",
         ""},
        {"service range on the node network",
         {.cluster = "10.244.0.0/16", .service = "10.96.0.0/12", .node = "10.100.0.0/16"},
         "service-overlaps-node-network",
         Severity::error,
         "service CIDR 10.96.0.0/12 overlaps node network 10.100.0.0/16",
         ""},
        {"pod range on the node network",
         {.cluster = "10.244.0.0/16", .node = "10.244.5.0/24"},
         "pods-overlap-node-network",
         Severity::error,
         "cluster CIDR 10.244.0.0/16 overlaps node network 10.244.5.0/24",
         ""},
        {"two IPv4 cluster CIDRs",
         {.cluster = "10.244.0.0/16,10.245.0.0/16"},
         "cluster-cidr-families",
         Severity::error,
         "has two IPv4 CIDRs",
         "one IPv4 and one IPv6"},
        {"three cluster CIDRs",
         {.cluster = "10.244.0.0/16,fd00::/56,10.1.0.0/16"},
         "cluster-cidr-families",
         Severity::error,
         "has 3 CIDRs",
         ""},
        {"two IPv6 service CIDRs",
         {.cluster = "10.244.0.0/16,fd00::/56", .service = "fd01::/112,fd02::/112"},
         "service-cidr-families",
         Severity::error,
         "has two IPv6 CIDRs",
         ""},
        {"v6 node mask without a v6 cluster CIDR",
         {.cluster = "10.244.0.0/16", .mask6 = 64},
         "node-mask-family",
         Severity::error,
         "IPv6 node mask /64 is given but --cluster-cidr has no IPv6",
         "--node-cidr-mask-size-ipv6"},
        {"v4 node mask without a v4 cluster CIDR",
         {.cluster = "fd00::/56", .mask4 = 24},
         "node-mask-family",
         Severity::error,
         "IPv4 node mask /24",
         ""},
        {"v6 services on a v4-only pod range",
         {.cluster = "10.244.0.0/16", .service = "10.96.0.0/12,fd00:10:96::/112"},
         "service-family-mismatch",
         Severity::error,
         "--cluster-cidr has no IPv6 CIDR",
         ""},
        {"dual-stack pods with v4-only services",
         {.cluster = "10.244.0.0/16,fd00:10:244::/56", .service = "10.96.0.0/12"},
         "service-family-mismatch",
         Severity::warning,
         "Services get no IPv6 ClusterIPs",
         ""},
        {"v4 /31 node CIDRs",
         {.cluster = "10.244.0.0/16", .mask4 = 31, .max_pods = 2},
         "node-mask-point-to-point",
         Severity::warning,
         "gives each node 2 pod addresses",
         ""},
        {"v4 /32 node CIDRs",
         {.cluster = "10.244.0.0/24", .mask4 = 32, .max_pods = 1},
         "node-mask-point-to-point",
         Severity::warning,
         "gives each node 1 pod address",
         ""},
        {"v6 /127 node CIDRs",
         {.cluster = "fd00::/120", .mask6 = 127, .max_pods = 1},
         "node-mask-point-to-point",
         Severity::warning,
         "gives each node 1 pod address",
         ""},
        {"default node mask",
         {.cluster = "10.244.0.0/16"},
         "node-mask-default",
         Severity::note,
         "default /24",
         "--node-cidr-mask-size 24"},
        {"default v6 node mask",
         {.cluster = "fd00::/56"},
         "node-mask-default",
         Severity::note,
         "default /64",
         "--node-cidr-mask-size 64"},
        {"default max-pods",
         {.cluster = "10.244.0.0/16"},
         "max-pods-default",
         Severity::note,
         "default 110",
         "--max-pods"},
        {"no cluster CIDR",
         {.service = "10.96.0.0/12"},
         "no-cluster-cidr",
         Severity::error,
         "no cluster CIDR",
         "--cluster-cidr"},
    };
    for (auto& c : cases) {
        SCOPED_TRACE(c.name);
        const auto report = check_cluster(make_plan(c.spec));
        const Finding* f = find_rule(report.findings, c.rule);
        ASSERT_NE(f, nullptr) << "no " << c.rule;
        EXPECT_EQ(f->severity, c.severity);
        EXPECT_NE(f->reason.find(c.reason_has), std::string::npos) << f->reason;
        EXPECT_NE(f->fix.find(c.fix_has), std::string::npos) << f->fix;
    }
}

TEST(PlanRules, CleanPlansHaveNoErrorsOrWarnings) {
    const Spec cases[] = {
        {.cluster = "10.244.0.0/16",
         .service = "10.96.0.0/12",
         .node = "192.168.1.0/24",
         .mask4 = 24,
         .max_pods = 110,
         .nodes = 200},
        {.cluster = "10.244.0.0/16",
         .mask4 = 24,
         .max_pods = 110,
         .nodes = 230},  // 26 left: 10.2 %
        {.cluster = "10.96.0.0/12",
         .service = "10.96.0.0/12",
         .mask4 = 24},  // not the svc rule: overlap
        {.cluster = "fd00:10:244::/56", .service = "fd00:10:96::/108", .mask6 = 64, .nodes = 200},
        {.cluster = "fd00::/48", .service = "fd01::/112", .mask6 = 64, .max_pods = 110},  // diff 16
        {.cluster = "10.0.0.0/8", .service = "172.16.0.0/12", .mask4 = 24},  // diff 16, /12 ok
        {.cluster = "10.244.0.0/16,fd00:10:244::/56",
         .service = "10.96.0.0/12,fd00:10:96::/112",
         .mask4 = 24,
         .mask6 = 64},
        {.cluster = "fd00:10:244::/56,10.244.0.0/16", .service = "fd00:10:96::/112,10.96.0.0/12"},
        {.cluster = "10.244.0.0/16", .service = "10.96.0.0/30", .mask4 = 30, .max_pods = 2},
    };
    for (size_t i = 0; i < std::size(cases); ++i) {
        if (i == 2) continue;
        const auto report = check_cluster(make_plan(cases[i]));
        for (auto& f : report.findings)
            EXPECT_EQ(f.severity, Severity::note)
                << "case " << i << ": " << f.rule << ": " << f.reason;
    }
    const auto overlapping = check_cluster(make_plan(cases[2]));
    EXPECT_EQ(errors(overlapping.findings), 1u);
    EXPECT_NE(find_rule(overlapping.findings, "service-overlaps-pods"), nullptr);
}

TEST(PlanRules, CapacityPerFamily) {
    const auto report = check_cluster(make_plan({.cluster = "10.244.0.0/16,fd00:10:244::/56",
                                                 .service = "10.96.0.0/12,fd00:10:96::/108",
                                                 .mask4 = 24,
                                                 .mask6 = 64,
                                                 .nodes = 200}));
    ASSERT_EQ(report.capacity.size(), 2u);
    const auto& v4 = report.capacity[0];
    EXPECT_EQ(v4.family, Family::v4);
    EXPECT_EQ(v4.cluster_cidr.str(), "10.244.0.0/16");
    EXPECT_EQ(v4.node_mask, 24);
    EXPECT_EQ(u128_str(v4.nodes_max), "256");
    EXPECT_EQ(u128_str(v4.pods_per_node), "254");
    EXPECT_EQ(u128_str(v4.service_ips), "1048574");  // 2^20 - network - broadcast
    EXPECT_EQ(v4.node_headroom, 56);
    EXPECT_FALSE(v4.saturated);
    const auto& v6 = report.capacity[1];
    EXPECT_EQ(v6.family, Family::v6);
    EXPECT_EQ(u128_str(v6.nodes_max), "256");
    EXPECT_EQ(u128_str(v6.pods_per_node), "18446744073709551615");
    EXPECT_EQ(u128_str(v6.service_ips), "1048575");  // 2^20 - network
    EXPECT_EQ(v6.node_headroom, 56);
}

TEST(PlanRules, HugeIpv6CountsSaturateWithoutOverflow) {
    // ::/0 cut into /128s: 2^128 node CIDRs, saturated at 2^127; headroom clamps to int64.
    const auto tiny =
        check_cluster(make_plan({.cluster = "::/0", .mask6 = 128, .max_pods = 1, .nodes = 5}));
    ASSERT_EQ(tiny.capacity.size(), 1u);
    EXPECT_EQ(tiny.capacity[0].nodes_max, kSaturated);
    EXPECT_TRUE(tiny.capacity[0].saturated);
    EXPECT_EQ(tiny.capacity[0].node_headroom, std::numeric_limits<int64_t>::max());
    EXPECT_EQ(u128_str(tiny.capacity[0].pods_per_node), "0");
    EXPECT_NE(find_rule(tiny.findings, "node-mask-vs-max-pods"), nullptr);
    EXPECT_EQ(find_rule(tiny.findings, "node-count"), nullptr);

    // One node CIDR of ::/1: 2^127 - 1 addresses, reported saturated at 2^127.
    const auto huge = check_cluster(make_plan({.cluster = "::/1", .mask6 = 1, .nodes = 1}));
    ASSERT_EQ(huge.capacity.size(), 1u);
    EXPECT_EQ(huge.capacity[0].pods_per_node, kSaturated);
    EXPECT_TRUE(huge.capacity[0].saturated);
    EXPECT_EQ(u128_str(huge.capacity[0].nodes_max), "1");
    EXPECT_EQ(huge.capacity[0].node_headroom, 0);
    EXPECT_EQ(find_rule(huge.findings, "node-mask-vs-max-pods"), nullptr);

    // The service range of ::/0 saturates too (and is far too large).
    const auto svc = check_cluster(make_plan({.cluster = "fd00::/56", .service = "::/0"}));
    ASSERT_EQ(svc.capacity.size(), 1u);
    EXPECT_EQ(svc.capacity[0].service_ips, kSaturated - 1);
    EXPECT_NE(find_rule(svc.findings, "service-range-too-large"), nullptr);
}

TEST(PlanRules, FindingsAreSortedErrorsFirst) {
    const auto report = check_cluster(
        make_plan({.cluster = "10.244.0.0/16", .service = "10.244.0.0/20", .nodes = 250}));
    ASSERT_GE(report.findings.size(), 3u);
    for (size_t i = 1; i < report.findings.size(); ++i)
        EXPECT_LE(report.findings[i - 1].severity, report.findings[i].severity) << i;
    EXPECT_EQ(report.findings.front().severity, Severity::error);
    EXPECT_EQ(report.findings.back().severity, Severity::note);
}

}  // namespace
}  // namespace warren::plan::testing
