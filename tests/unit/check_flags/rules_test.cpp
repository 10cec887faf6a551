// Every check-flags rule, passing and failing, both families, from command lines (no files).
#include <gtest/gtest.h>

#include "check_flags/check.hpp"
#include "support/temp_dir.hpp"

namespace warren::check_flags {
namespace {

using warren::testing::TempDir;

struct Lines {
    std::string apiserver =
        "kube-apiserver --service-cluster-ip-range=10.96.0.0/12 --advertise-address=192.168.1.10";
    std::string controller_manager =
        "kube-controller-manager --cluster-cidr=10.244.0.0/16 "
        "--service-cluster-ip-range=10.96.0.0/12 --node-cidr-mask-size=24";
    std::string kubelet =
        "kubelet --pod-cidr=10.244.1.0/24 --cluster-dns=10.96.0.10 --max-pods=110 "
        "--node-ip=192.168.1.10";
    std::string kube_proxy = "kube-proxy --cluster-cidr=10.244.0.0/16";
};

Lines dual_stack() {
    Lines l;
    l.apiserver =
        "kube-apiserver --service-cluster-ip-range=10.96.0.0/12,fd00:10:96::/112 "
        "--advertise-address=192.168.1.10";
    l.controller_manager =
        "kube-controller-manager --cluster-cidr=10.244.0.0/16,fd00:10:244::/56 "
        "--service-cluster-ip-range=10.96.0.0/12,fd00:10:96::/112 "
        "--node-cidr-mask-size-ipv4=24 --node-cidr-mask-size-ipv6=64";
    l.kubelet = "kubelet --cluster-dns=10.96.0.10 --node-ip=192.168.1.10,fd00:1::10";
    l.kube_proxy = "kube-proxy --cluster-cidr=10.244.0.0/16,fd00:10:244::/56";
    return l;
}

// The errors and warnings (notes left out), as they come.
std::vector<plan::Finding> problems(const Lines& l) {
    TempDir empty_root;
    Sources s{empty_root.path(), "", {}};
    for (const std::string* line : {&l.apiserver, &l.controller_manager, &l.kubelet, &l.kube_proxy})
        if (!line->empty()) s.from_args.push_back(*line);
    auto observed = gather(s);
    EXPECT_TRUE(observed) << observed.error().message;
    if (!observed) return {};
    std::vector<plan::Finding> out;
    for (auto& f : check(*observed))
        if (f.severity != plan::Severity::note) out.push_back(f);
    return out;
}

std::vector<std::string> rules(const std::vector<plan::Finding>& findings) {
    std::vector<std::string> out;
    for (auto& f : findings) out.push_back(f.rule);
    return out;
}

struct Case {
    const char* name;
    Lines lines;
    std::vector<std::string> expected;  // rule ids, errors then warnings; empty: clean
};

Lines with(Lines l, std::string Lines::*field, std::string value) {
    l.*field = std::move(value);
    return l;
}

const std::vector<Case>& cases() {
    using V = std::vector<std::string>;
    static const std::vector<Case> table = {
        {"kubeadm_defaults_clean", Lines{}, V{}},
        {"dual_stack_clean", dual_stack(), V{}},
        {"service_range_mismatch",
         with(Lines{}, &Lines::controller_manager,
              "kube-controller-manager --cluster-cidr=10.244.0.0/16 "
              "--service-cluster-ip-range=10.96.0.0/16"),
         V{"service-range-mismatch"}},
        {"cluster_cidr_mismatch",
         with(Lines{}, &Lines::kube_proxy, "kube-proxy --cluster-cidr=10.245.0.0/16"),
         V{"cluster-cidr-mismatch"}},
        {"cluster_cidr_mismatch_v6",
         with(dual_stack(), &Lines::kube_proxy,
              "kube-proxy --cluster-cidr=10.244.0.0/16,fd00:10:245::/56"),
         V{"cluster-cidr-mismatch"}},
        {"dual_stack_order",
         with(dual_stack(), &Lines::kube_proxy,
              "kube-proxy --cluster-cidr=fd00:10:244::/56,10.244.0.0/16"),
         V{"dual-stack-order"}},
        {"dual_stack_service_order",
         with(dual_stack(), &Lines::controller_manager,
              "kube-controller-manager --cluster-cidr=10.244.0.0/16,fd00:10:244::/56 "
              "--service-cluster-ip-range=fd00:10:96::/112,10.96.0.0/12"),
         V{"dual-stack-order"}},
        {"dual_stack_pods_single_stack_services",
         with(with(dual_stack(), &Lines::apiserver,
                   "kube-apiserver --service-cluster-ip-range=10.96.0.0/12"),
              &Lines::controller_manager,
              "kube-controller-manager --cluster-cidr=10.244.0.0/16,fd00:10:244::/56 "
              "--service-cluster-ip-range=10.96.0.0/12"),
         V{"dual-stack-families"}},
        {"dual_stack_single_node_ip",
         with(dual_stack(), &Lines::kubelet, "kubelet --node-ip=192.168.1.10"),
         V{"dual-stack-families"}},
        {"two_cidrs_of_one_family",
         with(Lines{}, &Lines::kube_proxy, "kube-proxy --cluster-cidr=10.244.0.0/16,10.245.0.0/16"),
         V{"invalid-value"}},
        {"host_bits_set",
         with(Lines{}, &Lines::kube_proxy, "kube-proxy --cluster-cidr=10.244.1.0/16"),
         V{"invalid-value"}},
        {"pod_cidr_outside", with(Lines{}, &Lines::kubelet, "kubelet --pod-cidr=10.245.1.0/24"),
         V{"pod-cidr-outside-cluster-cidr"}},
        {"pod_cidr_wider_than_cluster",
         with(Lines{}, &Lines::kubelet, "kubelet --pod-cidr=10.0.0.0/8"),
         V{"pod-cidr-outside-cluster-cidr"}},
        {"pod_cidr_family_without_cluster_cidr",
         with(Lines{}, &Lines::kubelet, "kubelet --pod-cidr=fd00:10:244:1::/64"),
         V{"pod-cidr-outside-cluster-cidr"}},
        {"pod_cidr_mask", with(Lines{}, &Lines::kubelet, "kubelet --pod-cidr=10.244.1.0/25"),
         V{"pod-cidr-mask"}},
        {"pod_cidr_v6_default_mask_64",
         with(with(dual_stack(), &Lines::controller_manager,
                   "kube-controller-manager --cluster-cidr=10.244.0.0/16,fd00:10:244::/56 "
                   "--service-cluster-ip-range=10.96.0.0/12,fd00:10:96::/112"),
              &Lines::kubelet, "kubelet --pod-cidr=fd00:10:244:1::/64"),
         V{}},
        {"pod_cidr_v6_wrong_mask",
         with(dual_stack(), &Lines::kubelet, "kubelet --pod-cidr=fd00:10:244:1::/80"),
         V{"pod-cidr-mask"}},
        {"cluster_dns_outside", with(Lines{}, &Lines::kubelet, "kubelet --cluster-dns=10.0.0.10"),
         V{"cluster-dns-outside-service-range"}},
        {"cluster_dns_v6_inside",
         with(dual_stack(), &Lines::kubelet, "kubelet --cluster-dns=fd00:10:96::a"), V{}},
        {"cluster_dns_v6_outside",
         with(dual_stack(), &Lines::kubelet, "kubelet --cluster-dns=fd00:10:97::a"),
         V{"cluster-dns-outside-service-range"}},
        {"cluster_dns_network_address",
         with(Lines{}, &Lines::kubelet, "kubelet --cluster-dns=10.96.0.0"),
         V{"cluster-dns-is-network-address"}},
        {"cluster_dns_not_an_address",
         with(Lines{}, &Lines::kubelet, "kubelet --cluster-dns=dns.local"), V{"invalid-value"}},
        {"node_ip_in_pod_range", with(Lines{}, &Lines::kubelet, "kubelet --node-ip=10.244.7.1"),
         V{"node-ip-in-pod-range"}},
        {"node_ip_in_service_range", with(Lines{}, &Lines::kubelet, "kubelet --node-ip=10.100.0.1"),
         V{"node-ip-in-service-range"}},
        {"node_ip_v6_in_pod_range",
         with(dual_stack(), &Lines::kubelet, "kubelet --node-ip=192.168.1.10,fd00:10:244:9::1"),
         V{"node-ip-in-pod-range"}},
        {"advertise_address_when_no_node_ip",
         with(with(Lines{}, &Lines::kubelet, "kubelet --max-pods=110"), &Lines::apiserver,
              "kube-apiserver --service-cluster-ip-range=10.96.0.0/12 "
              "--advertise-address=10.244.0.9"),
         V{"node-ip-in-pod-range"}},
        {"node_ip_wins_over_advertise_address",
         with(Lines{}, &Lines::apiserver,
              "kube-apiserver --service-cluster-ip-range=10.96.0.0/12 "
              "--advertise-address=10.244.0.9"),
         V{}},
        {"max_pods_over_mask", with(Lines{}, &Lines::kubelet, "kubelet --max-pods=300"),
         V{"node-mask-vs-max-pods"}},
        {"max_pods_254_fits_24", with(Lines{}, &Lines::kubelet, "kubelet --max-pods=254"), V{}},
        {"max_pods_default_over_mask_25",
         with(with(Lines{}, &Lines::kubelet, "kubelet"), &Lines::controller_manager,
              "kube-controller-manager --cluster-cidr=10.244.0.0/16 --node-cidr-mask-size=26"),
         V{"node-mask-vs-max-pods"}},
        {"mask_31_holds_2",
         with(with(Lines{}, &Lines::kubelet, "kubelet --max-pods=2"), &Lines::controller_manager,
              "kube-controller-manager --cluster-cidr=10.244.0.0/16 --node-cidr-mask-size=31"),
         V{}},
        {"mask_32_holds_1_not_2",
         with(with(Lines{}, &Lines::kubelet, "kubelet --max-pods=2"), &Lines::controller_manager,
              "kube-controller-manager --cluster-cidr=10.244.0.0/16 --node-cidr-mask-size=32"),
         V{"node-mask-vs-max-pods"}},
        {"v6_mask_120_under_max_pods",
         with(with(dual_stack(), &Lines::kubelet, "kubelet --max-pods=300"),
              &Lines::controller_manager,
              "kube-controller-manager --cluster-cidr=10.244.0.0/16,fd00:10:244::/56 "
              "--node-cidr-mask-size-ipv4=23 --node-cidr-mask-size-ipv6=120"),
         V{"node-mask-vs-max-pods"}},
        {"huge_max_pods_fails_v4_24_fits_v6_64",
         with(dual_stack(), &Lines::kubelet, "kubelet --max-pods=4000000000"),
         V{"node-mask-vs-max-pods"}},
        {"node_mask_shorter_than_cluster",
         with(Lines{}, &Lines::controller_manager,
              "kube-controller-manager --cluster-cidr=10.244.0.0/16 --node-cidr-mask-size=12"),
         V{"node-mask-vs-cluster-cidr"}},
        {"node_mask_beyond_family",
         with(Lines{}, &Lines::controller_manager,
              "kube-controller-manager --cluster-cidr=10.244.0.0/16 --node-cidr-mask-size=33"),
         V{"node-mask-vs-cluster-cidr"}},
    };
    return table;
}

class Rules : public ::testing::TestWithParam<size_t> {};

TEST_P(Rules, FindsExactlyTheExpected) {
    const Case& c = cases()[GetParam()];
    const auto found = problems(c.lines);
    EXPECT_EQ(rules(found), c.expected);
    for (auto& f : found) {
        EXPECT_FALSE(f.reason.empty()) << f.rule;
        EXPECT_FALSE(f.fix.empty()) << f.rule;
    }
}

INSTANTIATE_TEST_SUITE_P(Table, Rules, ::testing::Range<size_t>(0, cases().size()),
                         [](const auto& info) { return std::string(cases()[info.param].name); });

TEST(RulesText, MaskVsMaxPodsNamesTheNumbersAndTheFix) {
    auto found = problems(with(Lines{}, &Lines::kubelet, "kubelet --max-pods=300"));
    ASSERT_EQ(found.size(), 1u);
    EXPECT_EQ(found[0].reason,
              "--node-cidr-mask-size 24 gives 254 pod addresses per node, maxPods 300 needs /23 "
              "(from --from-args, --from-args)");
    EXPECT_EQ(found[0].fix,
              "set kube-controller-manager --node-cidr-mask-size=23 (a /23 must fit in "
              "10.244.0.0/16), or lower the kubelet's maxPods to 254");
}

TEST(RulesText, V6MaskNamesItsFlag) {
    auto found = problems(with(with(dual_stack(), &Lines::kubelet, "kubelet --max-pods=300"),
                               &Lines::controller_manager,
                               "kube-controller-manager --cluster-cidr=10.244.0.0/16,"
                               "fd00:10:244::/56 --node-cidr-mask-size-ipv4=23 "
                               "--node-cidr-mask-size-ipv6=120"));
    ASSERT_EQ(found.size(), 1u);
    EXPECT_EQ(found[0].reason,
              "--node-cidr-mask-size-ipv6 120 gives 255 pod addresses per node, maxPods 300 "
              "needs /119 (from --from-args, --from-args)");
}

TEST(RulesText, DefaultMaskAndMaxPodsSaySo) {
    auto found =
        problems(with(with(Lines{}, &Lines::kubelet, "kubelet"), &Lines::controller_manager,
                      "kube-controller-manager --cluster-cidr=10.244.0.0/16"));
    EXPECT_TRUE(found.empty());
    auto small = problems(
        with(with(Lines{}, &Lines::kubelet, "kubelet"), &Lines::controller_manager,
             "kube-controller-manager --cluster-cidr=10.244.0.0/16 --node-cidr-mask-size=26"));
    ASSERT_EQ(small.size(), 1u);
    EXPECT_EQ(small[0].reason,
              "--node-cidr-mask-size 26 gives 62 pod addresses per node, maxPods 110 (the "
              "kubelet's default) needs /25 (from --from-args)");
}

TEST(RulesText, ClusterDnsFixProposesTheTenthAddress) {
    auto found = problems(with(Lines{}, &Lines::kubelet, "kubelet --cluster-dns=10.0.0.10"));
    ASSERT_EQ(found.size(), 1u);
    EXPECT_EQ(found[0].reason,
              "kubelet --cluster-dns=10.0.0.10 (--from-args): 10.0.0.10 is outside the service "
              "range kube-apiserver --service-cluster-ip-range=10.96.0.0/12 (--from-args); pods "
              "would get a DNS server no Service answers on");
    EXPECT_EQ(found[0].fix,
              "set clusterDNS to the DNS Service's address inside 10.96.0.0/12, by kubeadm's "
              "convention 10.96.0.10");
}

TEST(RulesGather, BadFromArgsIsAUsageError) {
    TempDir root;
    auto unknown = gather({root.path(), "", {"kube-scheduler --v=2"}});
    ASSERT_FALSE(unknown);
    EXPECT_NE(unknown.error().message.find("not 'kube-scheduler'"), std::string::npos)
        << unknown.error().message;
    auto twice = gather({root.path(), "", {"kubelet --max-pods=1", "/usr/bin/kubelet"}});
    ASSERT_FALSE(twice);
    EXPECT_EQ(twice.error().message,
              "--from-args names kubelet twice; give each component's flags once");
    auto empty = gather({root.path(), "", {"  "}});
    ASSERT_FALSE(empty);
    EXPECT_NE(empty.error().message.find("--from-args is empty"), std::string::npos);
}

TEST(RulesGather, MissingComponentsAreNotesAndSkipTheirRules) {
    TempDir root;
    auto observed = gather({root.path(), "", {"kubelet --max-pods=300 --cluster-dns=1.2.3.4"}});
    ASSERT_TRUE(observed) << observed.error().message;
    EXPECT_EQ(observed->components, std::vector<std::string>{"kubelet"});
    ASSERT_EQ(observed->findings.size(), 3u);
    for (auto& f : observed->findings) {
        EXPECT_EQ(f.severity, plan::Severity::note);
        EXPECT_EQ(f.rule, "component-missing");
    }
    EXPECT_TRUE(check(*observed).empty());
}

}  // namespace
}  // namespace warren::check_flags
