// Between clusters: check_overlaps names every overlap; suggest finds the next free blocks.
#include <gtest/gtest.h>

#include "plan_spec.hpp"

namespace warren::plan::testing {
namespace {

ClusterPlan named(std::string name, const Spec& s) {
    ClusterPlan p = make_plan(s);
    p.name = std::move(name);
    return p;
}

TEST(PlanOverlaps, EveryPairAndKindIsNamed) {
    const std::vector<ClusterPlan> clusters = {
        named("a", {.cluster = "10.0.0.0/16", .service = "10.1.0.0/20", .node = "192.168.0.0/24"}),
        named("b", {.cluster = "10.1.0.0/16", .service = "10.2.0.0/20", .node = "192.168.0.0/24"}),
        named("c", {.cluster = "10.0.128.0/17,fd00::/56", .service = "fd00::/112"}),
    };
    const auto found = check_overlaps(clusters);
    std::vector<std::string> reasons;
    for (auto& f : found) {
        EXPECT_EQ(f.rule, "clusters-overlap");
        reasons.push_back(plan::severity_name(f.severity).data() + std::string(" ") + f.reason);
    }
    // c's own pod/service overlap is check_cluster's finding; here only pairs of clusters.
    const std::vector<std::string> expected = {
        "error cluster a's service CIDR 10.1.0.0/20 overlaps cluster b's pod CIDR 10.1.0.0/16",
        "error cluster a's pod CIDR 10.0.0.0/16 overlaps cluster c's pod CIDR 10.0.128.0/17",
        "warning cluster a's node network 192.168.0.0/24 overlaps cluster b's node network "
        "192.168.0.0/24",
    };
    EXPECT_EQ(reasons, expected);
}

TEST(PlanOverlaps, DisjointClustersAreClean) {
    const std::vector<ClusterPlan> clusters = {
        named("a", {.cluster = "10.0.0.0/16", .service = "10.1.0.0/20"}),
        named("b", {.cluster = "10.2.0.0/16", .service = "10.3.0.0/20"}),
        ClusterPlan{},
    };
    EXPECT_TRUE(check_overlaps(clusters).empty());
}

TEST(PlanOverlaps, UnnamedClustersAreNumbered) {
    const auto found = check_overlaps(
        {make_plan({.cluster = "10.0.0.0/16"}), make_plan({.cluster = "10.0.5.0/24"})});
    ASSERT_EQ(found.size(), 1u);
    EXPECT_EQ(found[0].reason,
              "cluster #1's pod CIDR 10.0.0.0/16 overlaps cluster #2's pod CIDR 10.0.5.0/24");
}

IpPrefix cidr(const std::string& text) {
    return cidrs(text).at(0);
}

TEST(PlanSuggest, NextFreeBlocksSkipEveryListedRange) {
    const std::vector<ClusterPlan> clusters = {
        named("a", {.cluster = "10.0.0.0/16", .service = "10.1.0.0/20", .node = "10.3.7.0/24"}),
        named("b", {.cluster = "10.2.0.0/15", .service = "10.1.16.0/20"}),
    };
    const auto s = suggest(clusters, 16, cidr("10.0.0.0/8"), 20);
    ASSERT_TRUE(s.pod_cidr.has_value()) << s.why_none;
    EXPECT_EQ(s.pod_cidr->str(), "10.4.0.0/16");
    ASSERT_TRUE(s.service_cidr.has_value()) << s.why_none;
    EXPECT_EQ(s.service_cidr->str(), "10.1.32.0/20");
    EXPECT_EQ(s.why_none, "");
}

TEST(PlanSuggest, Ipv6) {
    const std::vector<ClusterPlan> clusters = {
        named("a", {.cluster = "fd00::/48,10.0.0.0/16", .service = "fd00:0:2::/112"}),
    };
    const auto s = suggest(clusters, 48, cidr("fd00::/32"), 112);
    ASSERT_TRUE(s.pod_cidr && s.service_cidr) << s.why_none;
    EXPECT_EQ(s.pod_cidr->str(), "fd00:0:1::/48");
    EXPECT_EQ(s.service_cidr->str(), "fd00:0:2::1:0/112");
}

TEST(PlanSuggest, SaysWhyNoneFits) {
    const std::vector<ClusterPlan> full = {named("a", {.cluster = "10.0.0.0/9"}),
                                           named("b", {.cluster = "10.128.0.0/9"})};
    const auto none = suggest(full, 16, cidr("10.0.0.0/8"), 20);
    EXPECT_FALSE(none.pod_cidr.has_value());
    EXPECT_FALSE(none.service_cidr.has_value());
    EXPECT_EQ(none.why_none, "no free /16 left in 10.0.0.0/8 for pods");

    const std::vector<ClusterPlan> one_left = {
        named("a", {.cluster = "10.0.0.0/9"}),    named("b", {.cluster = "10.128.0.0/10"}),
        named("c", {.cluster = "10.192.0.0/11"}), named("d", {.cluster = "10.224.0.0/12"}),
        named("e", {.cluster = "10.240.0.0/13"}), named("f", {.cluster = "10.248.0.0/14"}),
        named("g", {.cluster = "10.252.0.0/15"}), named("h", {.cluster = "10.254.0.0/16"})};
    const auto last = suggest(one_left, 16, cidr("10.0.0.0/8"), 20);
    ASSERT_TRUE(last.pod_cidr.has_value());
    EXPECT_EQ(last.pod_cidr->str(), "10.255.0.0/16");
    EXPECT_FALSE(last.service_cidr.has_value());
    EXPECT_EQ(last.why_none, "no free /20 left in 10.0.0.0/8 for services after 10.255.0.0/16");

    const auto too_big = suggest({}, 8, cidr("10.0.0.0/16"), 20);
    EXPECT_FALSE(too_big.pod_cidr.has_value());
    EXPECT_EQ(too_big.why_none, "a /8 block does not fit in 10.0.0.0/16 (lengths 16 to 32)");

    // The top of the IPv6 space: no wrap-around past ffff...
    const auto top = suggest({named("a", {.cluster = "ffff::/16"})}, 16, cidr("ffff::/16"), 112);
    EXPECT_FALSE(top.pod_cidr.has_value());
    EXPECT_EQ(top.why_none, "no free /16 left in ffff::/16 for pods");
}

}  // namespace
}  // namespace warren::plan::testing
