// kube-system/kubeadm-config as `kubectl -n kube-system get configmap kubeadm-config -o json`
// prints it, and what the parser makes of broken ones.
#include "kube/kubeadm_config.hpp"

#include <gtest/gtest.h>

#include "kube/objects.hpp"

namespace warren::kube {
namespace {

using nlohmann::json;

// A kubeadm v1.28 cluster's ConfigMap, with `networking` replaced by the test's text.
json configmap(const std::string& networking) {
    const std::string text = R"({
  "apiVersion": "v1",
  "data": {
    "ClusterConfiguration": "apiServer:\n  extraArgs:\n    authorization-mode: Node,RBAC\n  timeoutForControlPlane: 4m0s\napiVersion: kubeadm.k8s.io/v1beta3\ncertificatesDir: /etc/kubernetes/pki\nclusterName: kubernetes\ncontrollerManager: {}\ndns: {}\netcd:\n  local:\n    dataDir: /var/lib/etcd\nimageRepository: registry.k8s.io\nkind: ClusterConfiguration\nkubernetesVersion: v1.28.4\n)" +
                             networking + R"(scheduler: {}\n"
  },
  "kind": "ConfigMap",
  "metadata": {
    "creationTimestamp": "2026-11-30T07:58:12Z",
    "name": "kubeadm-config",
    "namespace": "kube-system",
    "resourceVersion": "208",
    "uid": "5f0c3d1e-7a7b-4c51-9d2a-0c9e6f1b2a34"
  }
})";
    auto j = parse_api_json(text, "test ConfigMap");
    EXPECT_TRUE(j) << j.error().message;
    return j ? *j : json();
}

IpPrefix P(const char* text) {
    return *IpPrefix::parse(text);
}

TEST(KubeadmConfig, KubeadmDefaultsGiveThePodAndServiceSubnets) {
    auto n = parse_kubeadm_config(
        configmap("networking:\\n  dnsDomain: cluster.local\\n  podSubnet: 10.244.0.0/16\\n  "
                  "serviceSubnet: 10.96.0.0/12\\n"));
    ASSERT_TRUE(n) << n.error().message;
    EXPECT_EQ(n->pod_subnets, std::vector<IpPrefix>{P("10.244.0.0/16")});
    EXPECT_EQ(n->service_subnets, std::vector<IpPrefix>{P("10.96.0.0/12")});
}

TEST(KubeadmConfig, DualStackListsKeepTheirOrderAndTolerateSpaces) {
    auto n = parse_kubeadm_config(
        configmap("networking:\\n  podSubnet: 10.244.0.0/16, fd00:10:244::/56\\n  serviceSubnet: "
                  "\\\"fd00:10:96::/112,10.96.0.0/12\\\"\\n"));
    ASSERT_TRUE(n) << n.error().message;
    EXPECT_EQ(n->pod_subnets, (std::vector<IpPrefix>{P("10.244.0.0/16"), P("fd00:10:244::/56")}));
    EXPECT_EQ(n->service_subnets,
              (std::vector<IpPrefix>{P("fd00:10:96::/112"), P("10.96.0.0/12")}));
}

TEST(KubeadmConfig, MissingKeysGiveEmptyLists) {
    auto no_pods = parse_kubeadm_config(
        configmap("networking:\\n  dnsDomain: cluster.local\\n  serviceSubnet: 10.96.0.0/12\\n"));
    ASSERT_TRUE(no_pods) << no_pods.error().message;
    EXPECT_TRUE(no_pods->pod_subnets.empty());
    EXPECT_EQ(no_pods->service_subnets, std::vector<IpPrefix>{P("10.96.0.0/12")});

    auto no_networking = parse_kubeadm_config(configmap(""));
    ASSERT_TRUE(no_networking) << no_networking.error().message;
    EXPECT_EQ(*no_networking, ClusterNetworks{});
}

struct Bad {
    const char* name;
    json object;
    const char* says;
};

class KubeadmConfigBad : public ::testing::TestWithParam<Bad> {};

TEST_P(KubeadmConfigBad, IsADecodeErrorThatNamesTheProblem) {
    auto n = parse_kubeadm_config(GetParam().object);
    ASSERT_FALSE(n);
    EXPECT_EQ(n.error().code, Code::decode);
    EXPECT_NE(n.error().message.find(GetParam().says), std::string::npos) << n.error().message;
}

json with_cluster_configuration(json value) {
    json cm = {{"kind", "ConfigMap"}, {"data", {{"ClusterConfiguration", std::move(value)}}}};
    return cm;
}

INSTANTIATE_TEST_SUITE_P(
    Garbage, KubeadmConfigBad,
    ::testing::Values(
        Bad{"NotAnObject", json::array({1, 2}), "not a ConfigMap"},
        Bad{"AnotherKind", json{{"kind", "Secret"}, {"data", json::object()}}, "not a ConfigMap"},
        Bad{"NoData", json{{"kind", "ConfigMap"}}, "has no data"},
        Bad{"NoClusterConfiguration",
            json{{"kind", "ConfigMap"}, {"data", {{"ClusterStatus", "x"}}}},
            "no data.ClusterConfiguration"},
        Bad{"ClusterConfigurationNotAString", with_cluster_configuration(42),
            "no data.ClusterConfiguration"},
        Bad{"NotYaml", with_cluster_configuration("networking: [unclosed\n"), "is not YAML"},
        Bad{"YamlNotAMapping", with_cluster_configuration("- a\n- b\n"), "not a mapping"},
        Bad{"NetworkingNotAMapping", with_cluster_configuration("networking: 10.0.0.0/8\n"),
            "networking is not a mapping"},
        Bad{"PodSubnetNotACidr",
            with_cluster_configuration("networking:\n  podSubnet: 10.244.0.0/16,banana\n"),
            "networking.podSubnet holds \"banana\", not a CIDR"},
        Bad{"ServiceSubnetAList",
            with_cluster_configuration("networking:\n  serviceSubnet: [10.96.0.0/12]\n"),
            "networking.serviceSubnet is not a string"}),
    [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace warren::kube
