// CIDR lists, the node-mask flags and the cluster file (YAML and JSON).
#include "plan/input.hpp"

#include <gtest/gtest.h>

namespace warren::plan::testing {
namespace {

std::string strs(const std::vector<IpPrefix>& list) {
    std::string out;
    for (auto& p : list) {
        if (!out.empty()) out += ',';
        out += p.str();
    }
    return out;
}

TEST(PlanInput, CidrListTakesADualStackPair) {
    auto list = parse_cidr_list("10.244.0.0/16, fd00:10:244::/56", "--cluster-cidr");
    ASSERT_TRUE(list.has_value()) << list.error();
    EXPECT_EQ(strs(*list), "10.244.0.0/16,fd00:10:244::/56");
}

TEST(PlanInput, CidrListNamesTheBadItem) {
    auto list = parse_cidr_list("10.244.0.0/16,10.300.0.0/16", "--cluster-cidr");
    ASSERT_FALSE(list.has_value());
    EXPECT_EQ(
        list.error(),
        "--cluster-cidr: '10.300.0.0/16' is not a CIDR (e.g. 10.244.0.0/16, or a v4,v6 pair)");
    EXPECT_FALSE(parse_cidr_list("", "--service-cidr").has_value());
    EXPECT_FALSE(parse_cidr_list("10.0.0.0/8,", "--service-cidr").has_value());
}

TEST(PlanInput, NodeMaskGoesToTheSingleStackFamily) {
    ClusterPlan v6;
    v6.cluster_cidrs = *parse_cidr_list("fd00::/56", "x");
    ASSERT_TRUE(set_node_masks(v6, 64, std::nullopt, std::nullopt).has_value());
    EXPECT_EQ(v6.node_mask_v6, 64);
    EXPECT_EQ(v6.node_mask_v4, std::nullopt);

    ClusterPlan v4;
    v4.cluster_cidrs = *parse_cidr_list("10.0.0.0/16", "x");
    ASSERT_TRUE(set_node_masks(v4, 24, std::nullopt, std::nullopt).has_value());
    EXPECT_EQ(v4.node_mask_v4, 24);
    EXPECT_EQ(v4.node_mask_v6, std::nullopt);
}

TEST(PlanInput, GenericNodeMaskIsRefusedForDualStack) {
    ClusterPlan dual;
    dual.cluster_cidrs = *parse_cidr_list("10.0.0.0/16,fd00::/56", "x");
    auto r = set_node_masks(dual, 24, std::nullopt, std::nullopt);
    ASSERT_FALSE(r.has_value());
    EXPECT_NE(r.error().find("not allowed with a dual-stack cluster CIDR"), std::string::npos);
    EXPECT_NE(r.error().find("--node-cidr-mask-size-ipv4"), std::string::npos);

    ClusterPlan both;
    both.cluster_cidrs = *parse_cidr_list("10.0.0.0/16", "x");
    EXPECT_FALSE(set_node_masks(both, 24, 24, std::nullopt).has_value());
}

TEST(PlanClusterFile, YamlWithSingularAndPluralKeys) {
    auto clusters = parse_cluster_file(R"(
clusters:
  - name: prod
    podCIDR: 10.244.0.0/16
    serviceCIDR: 10.96.0.0/12
    nodeNetwork: 192.168.1.0/24
    nodeCIDRMaskSize: 24
    maxPods: 110
    nodes: 200
  - name: edge
    podCIDRs: [10.32.0.0/16, "fd00:32::/56"]
    serviceCIDRs:
      - 10.33.0.0/20
      - fd00:33::/112
    nodeNetworks: [192.168.2.0/24]
    nodeCIDRMaskSizeIPv4: 25
    nodeCIDRMaskSizeIPv6: 64
  - name: lab
    podCIDR: 10.40.0.0/16,fd00:40::/56
)");
    ASSERT_TRUE(clusters.has_value()) << clusters.error();
    ASSERT_EQ(clusters->size(), 3u);
    const auto& prod = (*clusters)[0];
    EXPECT_EQ(prod.name, "prod");
    EXPECT_EQ(strs(prod.cluster_cidrs), "10.244.0.0/16");
    EXPECT_EQ(strs(prod.service_cidrs), "10.96.0.0/12");
    EXPECT_EQ(strs(prod.node_networks), "192.168.1.0/24");
    EXPECT_EQ(prod.node_mask_v4, 24);
    EXPECT_EQ(prod.node_mask_v6, std::nullopt);
    EXPECT_EQ(prod.max_pods, 110u);
    EXPECT_EQ(prod.nodes, 200u);
    const auto& edge = (*clusters)[1];
    EXPECT_EQ(strs(edge.cluster_cidrs), "10.32.0.0/16,fd00:32::/56");
    EXPECT_EQ(strs(edge.service_cidrs), "10.33.0.0/20,fd00:33::/112");
    EXPECT_EQ(strs(edge.node_networks), "192.168.2.0/24");
    EXPECT_EQ(edge.node_mask_v4, 25);
    EXPECT_EQ(edge.node_mask_v6, 64);
    EXPECT_EQ(edge.max_pods, std::nullopt);
    EXPECT_EQ(edge.nodes, std::nullopt);
    EXPECT_EQ(strs((*clusters)[2].cluster_cidrs), "10.40.0.0/16,fd00:40::/56");
}

TEST(PlanClusterFile, Json) {
    auto clusters = parse_cluster_file(R"({"clusters": [
        {"name": "a", "podCIDRs": ["10.1.0.0/16"], "serviceCIDR": "10.2.0.0/20",
         "nodeCIDRMaskSize": 26, "maxPods": 50, "nodes": 10},
        {"name": "b", "podCIDR": "fd00:1::/48", "nodeCIDRMaskSize": 64}]})");
    ASSERT_TRUE(clusters.has_value()) << clusters.error();
    ASSERT_EQ(clusters->size(), 2u);
    EXPECT_EQ(strs((*clusters)[0].cluster_cidrs), "10.1.0.0/16");
    EXPECT_EQ(strs((*clusters)[0].service_cidrs), "10.2.0.0/20");
    EXPECT_EQ((*clusters)[0].node_mask_v4, 26);
    EXPECT_EQ((*clusters)[0].max_pods, 50u);
    EXPECT_EQ((*clusters)[0].nodes, 10u);
    EXPECT_EQ((*clusters)[1].node_mask_v6, 64);
    EXPECT_EQ((*clusters)[1].node_mask_v4, std::nullopt);
}

struct BadFile {
    std::string text;
    std::string error;  // the whole message
};

TEST(PlanClusterFile, ErrorsNameTheClusterAndKey) {
    const BadFile cases[] = {
        {"clusters:\n  - name: a\n    podCIDR: 10.1.0.0/16\n  - name: b\n    podCIDR: "
         "10.1.0.0/33\n",
         "cluster 'b' (#2): podCIDR: '10.1.0.0/33' is not a CIDR (e.g. 10.244.0.0/16, or a v4,v6 "
         "pair)"},
        {"clusters:\n  - name: a\n    podCidr: 10.1.0.0/16\n",
         "cluster 'a' (#1): unknown key 'podCidr' (known: maxPods, name, nodeCIDRMaskSize, "
         "nodeCIDRMaskSizeIPv4, nodeCIDRMaskSizeIPv6, nodeNetwork, nodeNetworks, nodes, podCIDR, "
         "podCIDRs, serviceCIDR, serviceCIDRs)"},
        {"clusters:\n  - name: a\n    podCIDR: 10.1.0.0/16\n    podCIDRs: [10.2.0.0/16]\n",
         "cluster 'a' (#1): both podCIDR and podCIDRs are given; use one"},
        {"clusters:\n  - name: a\n",
         "cluster 'a' (#1): podCIDR is missing (the controller "
         "manager's --cluster-cidr)"},
        {"clusters:\n  - podCIDR: 10.1.0.0/16\n",
         "cluster #1: name is missing: give every cluster a name"},
        {"clusters:\n  - name: a\n    podCIDR: 10.1.0.0/16\n    maxPods: many\n",
         "cluster 'a' (#1): maxPods must be a whole number, not 'many'"},
        {"clusters:\n  - name: a\n    podCIDR: 10.1.0.0/16\n    nodeCIDRMaskSize: 200\n",
         "cluster 'a' (#1): nodeCIDRMaskSize 200 is not a prefix length (0-128)"},
        {"clusters:\n  - name: a\n    podCIDRs: 10.1.0.0/16\n",
         "cluster 'a' (#1): podCIDRs must be a list of CIDRs"},
        {"clusters:\n  - name: a\n    podCIDR: 10.1.0.0/16\n  - name: a\n    podCIDR: "
         "10.2.0.0/16\n",
         "cluster 'a' (#2): name 'a' is used twice; names must be unique"},
        {"clusters: []\n", "'clusters:' is empty: list at least one cluster"},
        {"cluster:\n  - name: a\n", "the file needs a top-level 'clusters:' list"},
    };
    for (auto& c : cases) {
        auto r = parse_cluster_file(c.text);
        ASSERT_FALSE(r.has_value()) << c.text;
        EXPECT_EQ(r.error(), c.error);
    }
    auto dual = parse_cluster_file(
        "clusters:\n  - name: d\n    podCIDRs: [10.1.0.0/16, 'fd00::/56']\n    nodeCIDRMaskSize: "
        "24\n");
    ASSERT_FALSE(dual.has_value());
    EXPECT_EQ(dual.error(),
              "cluster 'd' (#1): nodeCIDRMaskSize is not allowed with dual-stack podCIDRs "
              "(kube-controller-manager refuses it); use nodeCIDRMaskSizeIPv4 and "
              "nodeCIDRMaskSizeIPv6");
    auto broken = parse_cluster_file("clusters: [\n");
    ASSERT_FALSE(broken.has_value());
    EXPECT_TRUE(broken.error().starts_with("not YAML or JSON: ")) << broken.error();
}

}  // namespace
}  // namespace warren::plan::testing
