#include "kube/objects.hpp"

#include <gtest/gtest.h>

#include <map>

#include "support/fake_kube_api.hpp"

namespace warren::kube {
namespace {

using nlohmann::json;
using warren::testing::FakeKubeApi;

TEST(KubeObjects, NodeWithDualStackPodCidrs) {
    json node = FakeKubeApi::make_node("n1", {"10.244.1.0/24", "fd00:10:244:1::/64"});
    node["metadata"]["resourceVersion"] = "42";
    auto n = parse_node(node);
    ASSERT_TRUE(n) << n.error().message;
    EXPECT_EQ(n->name, "n1");
    EXPECT_EQ(n->resource_version, "42");
    EXPECT_EQ(n->pod_cidrs, (std::vector<std::string>{"10.244.1.0/24", "fd00:10:244:1::/64"}));
}

TEST(KubeObjects, NodeFromAnOldApiWithPodCidrOnly) {
    json node = FakeKubeApi::make_node("n1", {});
    node["spec"]["podCIDR"] = "10.244.3.0/24";
    auto n = parse_node(node);
    ASSERT_TRUE(n);
    EXPECT_EQ(n->pod_cidrs, (std::vector<std::string>{"10.244.3.0/24"}));
}

TEST(KubeObjects, NodeWithoutCidrsYet) {
    auto n = parse_node(FakeKubeApi::make_node("n1", {}));
    ASSERT_TRUE(n);
    EXPECT_TRUE(n->pod_cidrs.empty());
}

TEST(KubeObjects, BadNodesAreDecodeErrors) {
    EXPECT_EQ(parse_node(json::array()).error().code, Code::decode);
    EXPECT_EQ(parse_node(json{{"kind", "Pod"}}).error().code, Code::decode);
    EXPECT_NE(parse_node(json{{"kind", "Node"}}).error().message.find("metadata.name"),
              std::string::npos);
    json node = FakeKubeApi::make_node("n1", {});
    node["spec"]["podCIDRs"] = "10.0.0.0/24";
    EXPECT_NE(parse_node(node).error().message.find("spec.podCIDRs is not a list"),
              std::string::npos);
}

TEST(KubeObjects, PodPhaseAndDeletion) {
    json pod = FakeKubeApi::make_pod("p", "uid-1", "n1", "Succeeded");
    auto p = parse_pod(pod);
    ASSERT_TRUE(p);
    EXPECT_EQ(p->uid, "uid-1");
    EXPECT_EQ(p->phase, "Succeeded");
    EXPECT_TRUE(p->finished());
    EXPECT_FALSE(p->deleting);
    pod["status"]["phase"] = "Running";
    pod["metadata"]["deletionTimestamp"] = "2026-11-30T09:00:00Z";
    auto q = parse_pod(pod);
    ASSERT_TRUE(q);
    EXPECT_FALSE(q->finished());
    EXPECT_TRUE(q->deleting);
    pod["metadata"].erase("uid");
    EXPECT_NE(parse_pod(pod).error().message.find("metadata.uid"), std::string::npos);
}

TEST(KubeObjects, AMirrorPodNamesItsStaticPod) {
    json pod = FakeKubeApi::make_pod("etcd-n1", "mirror-uid", "n1");
    EXPECT_EQ(parse_pod(pod)->mirror_of, "");
    pod["metadata"]["annotations"]["kubernetes.io/config.mirror"] = "0f3c9a";
    auto p = parse_pod(pod);
    ASSERT_TRUE(p);
    EXPECT_EQ(p->uid, "mirror-uid");
    EXPECT_EQ(p->mirror_of, "0f3c9a");
}

TEST(KubeObjects, PodListWithContinue) {
    json list = {{"apiVersion", "v1"},
                 {"kind", "PodList"},
                 {"metadata", {{"resourceVersion", "77"}, {"continue", "tok"}}},
                 {"items", json::array({FakeKubeApi::make_pod("a", "u1", "n1"),
                                        FakeKubeApi::make_pod("b", "u2", "n1", "Pending")})}};
    auto l = parse_pod_list(list);
    ASSERT_TRUE(l) << l.error().message;
    EXPECT_EQ(l->resource_version, "77");
    EXPECT_EQ(l->continue_token, "tok");
    ASSERT_EQ(l->items.size(), 2u);
    EXPECT_EQ(l->items[1].uid, "u2");
    EXPECT_EQ(l->items[1].phase, "Pending");
    list["items"] = nullptr;
    auto empty = parse_pod_list(list);
    ASSERT_TRUE(empty);
    EXPECT_TRUE(empty->items.empty());
    EXPECT_FALSE(parse_pod_list(json{{"kind", "NodeList"}}));
}

TEST(KubeObjects, NamespaceLabels) {
    auto ns = parse_namespace(FakeKubeApi::make_namespace("payments", {{"zone", "pci"}}));
    ASSERT_TRUE(ns) << ns.error().message;
    EXPECT_EQ(ns->name, "payments");
    EXPECT_EQ(ns->labels, (std::map<std::string, std::string>{
                              {"kubernetes.io/metadata.name", "payments"}, {"zone", "pci"}}));
    json bare = {{"kind", "Namespace"}, {"metadata", {{"name", "old"}}}};
    auto unlabelled = parse_namespace(bare);
    ASSERT_TRUE(unlabelled) << unlabelled.error().message;
    EXPECT_TRUE(unlabelled->labels.empty());

    json bad = FakeKubeApi::make_namespace("payments");
    bad["metadata"]["labels"]["zone"] = 7;
    EXPECT_EQ(parse_namespace(bad).error().message,
              "Namespace payments: label zone is not a string");
    bad["metadata"]["labels"] = json::array();
    EXPECT_EQ(parse_namespace(bad).error().message,
              "Namespace payments: metadata.labels is not a map");
    EXPECT_EQ(parse_namespace(json{{"metadata", json::object()}}).error().message,
              "Namespace without metadata.name");
}

TEST(KubeObjects, NamespaceListWithContinue) {
    json list = {{"apiVersion", "v1"},
                 {"kind", "NamespaceList"},
                 {"metadata", {{"resourceVersion", "78"}, {"continue", "tok"}}},
                 {"items", json::array({FakeKubeApi::make_namespace("a"),
                                        FakeKubeApi::make_namespace("b", {{"zone", "z"}})})}};
    auto l = parse_namespace_list(list);
    ASSERT_TRUE(l) << l.error().message;
    EXPECT_EQ(l->resource_version, "78");
    EXPECT_EQ(l->continue_token, "tok");
    ASSERT_EQ(l->items.size(), 2u);
    EXPECT_EQ(l->items[1].name, "b");
    EXPECT_EQ(l->items[1].labels.at("zone"), "z");
    EXPECT_EQ(parse_namespace_list(json{{"kind", "PodList"}}).error().message,
              "not a NamespaceList");
}

TEST(KubeObjects, WatchLines) {
    struct Case {
        const char* type;
        EventType expect;
    };
    for (const auto& c : {Case{"ADDED", EventType::added}, Case{"MODIFIED", EventType::modified},
                          Case{"DELETED", EventType::deleted},
                          Case{"BOOKMARK", EventType::bookmark}, Case{"ERROR", EventType::error}}) {
        const std::string line =
            json{{"type", c.type}, {"object", {{"metadata", {{"resourceVersion", "5"}}}}}}.dump();
        auto e = parse_watch_line(line);
        ASSERT_TRUE(e) << c.type << ": " << e.error().message;
        EXPECT_EQ(e->type, c.expect) << c.type;
        EXPECT_EQ(resource_version_of(e->object), "5");
    }
    EXPECT_NE(parse_watch_line("{\"type\":\"ADDED\"").error().message.find("not valid JSON"),
              std::string::npos);
    EXPECT_NE(parse_watch_line("{\"type\":\"FOO\",\"object\":{}}")
                  .error()
                  .message.find("unknown type \"FOO\""),
              std::string::npos);
    EXPECT_NE(parse_watch_line("{\"type\":\"ADDED\"}").error().message.find("without an object"),
              std::string::npos);
    EXPECT_NE(parse_watch_line("{\"object\":{}}").error().message.find("without a type"),
              std::string::npos);
    EXPECT_NE(parse_watch_line(std::string(100, '[')).error().message.find("nested deeper"),
              std::string::npos);
}

TEST(KubeObjects, StatusOfAnErrorEvent) {
    auto st = parse_status(
        json{{"kind", "Status"}, {"code", 410}, {"message", "too old resource version"}});
    EXPECT_EQ(st.code, 410);
    EXPECT_EQ(st.message, "too old resource version");
    EXPECT_EQ(parse_status(json::array()).code, 0);
}

}  // namespace
}  // namespace warren::kube
