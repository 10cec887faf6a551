// warrend --kube-node end to end (issue 9 items 1 and 2): the real agent as a child process
// against an in-process HTTPS fake of the Kubernetes API (tests/support/fake_kube_api.hpp: a real
// TLS handshake, the CA from the kubeconfig, a bearer token), the real plugin exec'd per call.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <thread>

#include "kube_fixture.hpp"

using namespace warren::it;
using namespace std::chrono_literals;
using warren::testing::FakeKubeApi;

namespace {

constexpr const char* kNode = "node-a";

class KubeModeTest : public KubeApiTest {
  protected:

    AgentSpec spec() const {
        AgentSpec s;
        s.extra_args = {"--kube-node", kNode, "--kubeconfig", api_->kubeconfig_path()};
        s.gc_interval = 1;
        s.gc_grace = 2;
        s.cooldown = 2;
        return s;
    }
    json conf() { return plugin_conf("kubenet", warren_ipam(agent().socket())); }
    CniResult cni(const std::string& cmd, const std::string& cid, const std::string& netns = "",
                  const std::string& args = "") {
        auto c = call(cmd, cid, netns);
        c.args = args;
        return warren_plugin(conf(), c);
    }
    bool log_has(const std::string& text, std::chrono::milliseconds timeout = 15s, size_t from = 0) {
        return eventually([&] { return agent().log().find(text, from) != std::string::npos; }, timeout);
    }

    std::string requests() const {
        std::string out = "\nAPI requests:\n";
        for (auto& r : api_->requests()) out += "  " + r.method + " " + r.target + "\n";
        return out;
    }
};

TEST_F(KubeModeTest, WaitsForThePodCidrsThenServesThemAndKeepsAllocationsAcrossAChange) {
    api_->set_node(FakeKubeApi::make_node(kNode, {}));
    ASSERT_TRUE(agent().start(spec()));

    // No CIDRs yet: STATUS and ADD are refused, saying what the agent waits for.
    ASSERT_TRUE(log_has(std::string("waiting for Node ") + kNode)) << agent().log();
    auto st = cni("STATUS", "");
    EXPECT_FALSE(st.ok()) << st.describe();
    EXPECT_NE(st.out.find("spec.podCIDRs"), std::string::npos) << st.describe();
    auto early = cni("ADD", "pod-early", "/proc/self/ns/net");
    EXPECT_FALSE(early.ok()) << early.describe();
    EXPECT_NE(early.out.find("waiting for Node"), std::string::npos) << early.describe();

    // The controller manager assigns a dual-stack pair: one range set per family.
    api_->set_node(FakeKubeApi::make_node(kNode, {"10.77.1.0/24", "fd00:77:1::/64"}));
    ASSERT_TRUE(eventually([&] { return cni("STATUS", "").ok(); })) << agent().log();
    auto first = cni("ADD", "pod-1", "/proc/self/ns/net");
    ASSERT_TRUE(first.ok()) << first.describe();
    auto addrs = first.addresses();
    ASSERT_EQ(addrs.size(), 2u) << first.describe();
    EXPECT_TRUE(in_prefix(addrs[0], "10.77.1.0/24")) << addrs[0];
    EXPECT_TRUE(in_prefix(addrs[1], "fd00:77:1::/64")) << addrs[1];

    // A CIDR change: logged, new pods get the new range, the old allocation is kept.
    const size_t before_change = agent().log().size();
    api_->set_node(FakeKubeApi::make_node(kNode, {"10.77.2.0/24", "fd00:77:2::/64"}));
    ASSERT_TRUE(log_has("10.77.2.0/24", 15s, before_change)) << agent().log();
    std::optional<CniResult> second;
    ASSERT_TRUE(eventually([&] {
        second = cni("ADD", "pod-2", "/proc/self/ns/net");
        return second->ok();
    })) << second->describe();
    ASSERT_EQ(second->addresses().size(), 2u) << second->describe();
    EXPECT_TRUE(in_prefix(second->addresses()[0], "10.77.2.0/24")) << second->describe();
    // The allocation from the old CIDR is kept: a repeated ADD of pod-1 returns its address.
    auto again = cni("ADD", "pod-1", "/proc/self/ns/net");
    ASSERT_TRUE(again.ok()) << again.describe();
    ASSERT_FALSE(again.addresses().empty()) << again.describe();
    EXPECT_EQ(strip_prefix(again.addresses()[0]), strip_prefix(addrs[0]))
        << "the allocation from the old CIDR was dropped: " << again.describe();

    // A restart while the API hangs: the journal's pool is served at once.
    api_->hang(true);
    agent().kill9();
    ASSERT_TRUE(agent().restart());
    auto third = cni("ADD", "pod-3", "/proc/self/ns/net");
    ASSERT_TRUE(third.ok()) << third.describe() << agent().log();
    EXPECT_TRUE(in_prefix(third.addresses()[0], "10.77.2.0/24")) << third.describe();
    api_->hang(false);
}

TEST_F(KubeModeTest, APodTheApiSaysRunsHereIsKeptAndReleasedOnceTheApiDeletesIt) {
    api_->set_node(FakeKubeApi::make_node(kNode, {"10.78.0.0/24"}));
    api_->add_pod(FakeKubeApi::make_pod("web-0", "uid-web-0", kNode));
    ASSERT_TRUE(agent().start(spec()));
    ASSERT_TRUE(eventually([&] { return cni("STATUS", "").ok(); })) << agent().log();

    std::optional<Netns> pod(std::in_place);
    ASSERT_TRUE(pod->ok()) << pod->error();
    auto add = cni("ADD", "web-0", pod->path(),
                   "K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-0;K8S_POD_UID=uid-web-0");
    ASSERT_TRUE(add.ok()) << add.describe();
    const auto ip = strip_prefix(add.addresses().at(0));
    pod.reset();  // the netns is gone without a DEL, but the API still lists the pod

    const std::string key = "kubenet/web-0/eth0 (" + ip + "; pod default/web-0)";
    ASSERT_TRUE(log_has(key + " is kept (k8s-running)")) << agent().log();
    EXPECT_EQ(agent().log().find(key + " released"), std::string::npos) << agent().log();

    // The API deletes the pod: every signal now says dead, so it is released.
    const size_t from = agent().log().size();
    api_->delete_pod("uid-web-0");
    ASSERT_TRUE(log_has(key + " released (stale)", 15s, from)) << agent().log() << requests();
}

TEST_F(KubeModeTest, WhileTheApiRefusesTheAgentEveryPodCountsAsRunning) {
    api_->set_node(FakeKubeApi::make_node(kNode, {"10.79.0.0/24"}));
    api_->add_pod(FakeKubeApi::make_pod("db-0", "uid-db-0", kNode));
    ASSERT_TRUE(agent().start(spec()));
    ASSERT_TRUE(eventually([&] { return cni("STATUS", "").ok(); })) << agent().log();
    std::optional<Netns> pod(std::in_place);
    ASSERT_TRUE(pod->ok()) << pod->error();
    auto add = cni("ADD", "db-0", pod->path(),
                   "K8S_POD_NAMESPACE=default;K8S_POD_NAME=db-0;K8S_POD_UID=uid-db-0");
    ASSERT_TRUE(add.ok()) << add.describe();
    const auto ip = strip_prefix(add.addresses().at(0));

    // The agent restarts with a token the API no longer accepts, and the pod is gone from the
    // API: an API that cannot be read is no evidence, so the pod counts as running.
    agent().kill9();
    api_->set_valid_token("rotated-token-the-agent-does-not-have");
    api_->delete_pod("uid-db-0");
    pod.reset();
    ASSERT_TRUE(agent().restart());
    const std::string key = "kubenet/db-0/eth0 (" + ip + "; pod default/db-0)";
    ASSERT_TRUE(log_has(key + " is kept (k8s-running)")) << agent().log();
    ASSERT_TRUE(log_has("401")) << agent().log();
    EXPECT_EQ(agent().log().find(key + " released"), std::string::npos) << agent().log();

    // The token file is rotated to the accepted one: the API is read again and the pod released.
    const size_t from = agent().log().size();
    {
        std::ofstream(api_->token_path(), std::ios::trunc) << api_->valid_token();
    }
    ASSERT_TRUE(log_has(key + " released (stale)", 20s, from)) << agent().log() << requests();
}

}  // namespace
