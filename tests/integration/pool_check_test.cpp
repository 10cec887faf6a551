// The agent checks its pools against the node at start (issue 10 item 4): a real warrend in its
// own network namespace (the "node": the test's links and addresses are all it sees), its
// warnings in the log and in `warrenctl --json status`. The namespace, and every link in it, goes
// with the test.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <thread>

#include "cni.hpp"
#include "ctl_support.hpp"
#include "netns.hpp"
#include "kube_fixture.hpp"
#include "support/privileged.hpp"

using namespace warren::it;
using namespace std::chrono_literals;
using warren::testing::FakeKubeApi;

namespace {

class PoolCheckTest : public ::testing::Test {
  protected:
    void SetUp() override {
        WARREN_REQUIRE_ROOT();
        ASSERT_TRUE(node_.ok()) << node_.error();
    }

    AgentSpec spec(std::vector<std::string> extra = {}) const {
        AgentSpec s;
        s.pod_cidrs = {cidr_};
        s.wrapper = {"nsenter", "--net=" + node_.path()};
        s.extra_args = std::move(extra);
        return with_admin(agent_, s);
    }
    RunResult in_node(std::vector<std::string> argv) const {
        argv.insert(argv.begin(), {"nsenter", "--net=" + node_.path()});
        return run_cmd(argv, 20s);
    }
    ::testing::AssertionResult in_node_ok(std::vector<std::string> argv) const {
        auto r = in_node(argv);
        if (r.ok()) return ::testing::AssertionSuccess();
        return ::testing::AssertionFailure() << r.describe();
    }
    json warnings() const {
        json s = warrenctl_json(agent_, {"status"});
        EXPECT_TRUE(s.contains("poolWarnings")) << s.dump();
        return s.value("poolWarnings", json());
    }

    TempDir dir_;
    Netns node_;
    Agent agent_{dir_ / "agent"};
    std::string cidr_ = "10.233.0.0/24";
};

}  // namespace

TEST_F(PoolCheckTest, AnAddressInsideThePoolOnAHostLinkIsWarnedInTheLogAndStatus) {
    // A veth (this machine's kernel has no dummy links) holding an address inside the pool.
    const std::string dummy = unique_name("wpc");
    ASSERT_TRUE(
        in_node_ok({"ip", "link", "add", dummy, "type", "veth", "peer", "name", dummy + "p"}));
    ASSERT_TRUE(in_node_ok({"ip", "addr", "add", "10.233.0.77/24", "dev", dummy}));
    ASSERT_TRUE(in_node_ok({"ip", "link", "set", dummy, "up"}));
    ASSERT_TRUE(agent_.start(spec()));

    const std::string line = "pool 'default' range 10.233.0.0/24: address 10.233.0.77/24 on " +
                             dummy + " lies inside it";
    EXPECT_NE(agent_.log().find("warning pool check: " + line), std::string::npos) << agent_.log();
    const json w = warnings();
    ASSERT_EQ(w.size(), 1u) << w.dump();
    EXPECT_EQ(w[0]["kind"], "hostAddress");
    EXPECT_EQ(w[0]["pool"], "default");
    EXPECT_EQ(w[0]["range"], "10.233.0.0/24");
    EXPECT_EQ(w[0]["message"].get<std::string>().rfind(line, 0), 0u) << w[0].dump();

    const RunResult table = warrenctl(agent_, {"status"});
    ASSERT_EQ(table.exit_code, 0) << table.describe();
    EXPECT_NE(table.out.find("\npool warnings\n  " + line), std::string::npos) << table.out;
}

TEST_F(PoolCheckTest, TheBridgePluginsGatewaySetupIsThePoolsOwn) {
    ASSERT_TRUE(agent_.start(spec()));
    // The bridge plugin, run in the node, puts the gateway on the bridge and the kernel routes the
    // pool's subnet there: what every bridge node has once a pod runs.
    const std::string script = dir_ / "bridge-in-node";
    std::ofstream(script) << "#!/bin/sh\nexec nsenter --net=" << node_.path() << " "
                          << kBridgePlugin << "\n";
    ::chmod(script.c_str(), 0755);
    const std::string bridge = unique_name("wpb");
    json conf = bridge_conf("poolcheck", bridge, warren_ipam(agent_.socket()));
    conf["isGateway"] = true;
    Netns pod;
    ASSERT_TRUE(pod.ok()) << pod.error();
    CniCall add;
    add.command = "ADD";
    add.container_id = "pool-check-pod";
    add.netns = pod.path();
    auto r = cni_exec(script, conf, add);
    ASSERT_TRUE(r.ok()) << r.describe();
    const RunResult gw = in_node({"ip", "-o", "addr", "show", "dev", bridge});
    ASSERT_NE(gw.out.find("10.233.0.1/24"), std::string::npos) << gw.describe();
    const RunResult route = in_node({"ip", "route", "show", "10.233.0.0/24"});
    ASSERT_NE(route.out.find("dev " + bridge), std::string::npos) << route.describe();

    ASSERT_TRUE(agent_.stop());
    ASSERT_TRUE(agent_.restart());  // the check runs at start: now against the bridge's setup
    EXPECT_EQ(warnings(), json::array());
    EXPECT_EQ(agent_.log().find("warning pool check"), std::string::npos) << agent_.log();
    EXPECT_NE(
        agent_.log().find(
            "pool check: 1 range(s) of 1 pool(s) conflict with no address or route of this node"),
        std::string::npos)
        << agent_.log();

    CniCall del = add;
    del.command = "DEL";
    auto d = cni_exec(script, conf, del);
    EXPECT_TRUE(d.ok()) << d.describe();
}

TEST_F(PoolCheckTest, AServiceCidrOverlapAndAPoolOutsideTheClusterCidrAreWarned) {
    ASSERT_TRUE(
        agent_.start(spec({"--service-cidr", "10.233.0.0/16", "--cluster-cidr", "10.244.0.0/16"})));
    const json w = warnings();
    ASSERT_EQ(w.size(), 2u) << w.dump();
    EXPECT_EQ(w[0]["kind"], "outsideCluster");
    EXPECT_NE(w[0]["message"].get<std::string>().find("outside the cluster CIDR 10.244.0.0/16"),
              std::string::npos)
        << w[0].dump();
    EXPECT_EQ(w[1]["kind"], "serviceOverlap");
    EXPECT_NE(w[1]["message"].get<std::string>().find("overlaps the service CIDR 10.233.0.0/16"),
              std::string::npos)
        << w[1].dump();
    EXPECT_NE(
        agent_.log().find(
            "warning pool check: pool 'default' range 10.233.0.0/24: it overlaps the service CIDR"),
        std::string::npos)
        << agent_.log();
    EXPECT_NE(agent_.log().find("warning pool check: pool 'default' range 10.233.0.0/24: it lies "
                                "outside the cluster CIDR"),
              std::string::npos)
        << agent_.log();
}

namespace {

// Kubernetes mode: the pool is defined when the Node's spec.podCIDRs arrive (later than start),
// and again when they change; each definition is checked. The agent runs in this machine's
// namespace (it reaches the in-process API on localhost), so only the plan's warnings are
// asserted: the host's own addresses are not the test's.
class KubePoolCheckTest : public KubeApiTest {
  protected:
    // The "outsideCluster" warnings in `warrenctl --json status`.
    std::vector<std::string> outside_cluster() {
        std::vector<std::string> out;
        const json s = warrenctl_json(agent(), {"status"});
        for (auto& w : s.value("poolWarnings", json::array()))
            if (w.value("kind", "") == "outsideCluster") out.push_back(w.value("range", ""));
        return out;
    }
};

}  // namespace

TEST_F(KubePoolCheckTest, ThePoolFromTheNodeIsCheckedWhenItArrivesAndWhenItChanges) {
    const std::string node = "node-pc";
    api_->set_node(FakeKubeApi::make_node(node, {}));
    AgentSpec s;
    s.extra_args = {"--kube-node",    node,          "--kubeconfig", api_->kubeconfig_path(),
                    "--cluster-cidr", "10.77.0.0/16"};
    ASSERT_TRUE(agent().start(with_admin(agent(), s)));
    EXPECT_TRUE(outside_cluster().empty()) << "no pool yet";

    api_->set_node(FakeKubeApi::make_node(node, {"10.78.1.0/24"}));
    ASSERT_TRUE(eventually([&] {
        return outside_cluster() == std::vector<std::string>{"10.78.1.0/24"};
    })) << agent().log();
    EXPECT_NE(agent().log().find("warning pool check: pool 'default' range 10.78.1.0/24: it lies "
                                 "outside the cluster CIDR 10.77.0.0/16"),
              std::string::npos)
        << agent().log();

    api_->set_node(FakeKubeApi::make_node(node, {"10.77.1.0/24"}));
    ASSERT_TRUE(eventually([&] { return outside_cluster().empty(); })) << agent().log();
}

TEST_F(KubePoolCheckTest, WithoutClusterCidrKubeadmConfigsPodSubnetDrivesTheCheck) {
    const std::string node = "node-kc";
    api_->set_kubeadm_config(FakeKubeApi::make_kubeadm_config("10.77.0.0/16", "10.96.0.0/12"));
    api_->set_node(FakeKubeApi::make_node(node, {"10.78.1.0/24"}));
    AgentSpec s;
    s.extra_args = {"--kube-node", node, "--kubeconfig", api_->kubeconfig_path()};
    ASSERT_TRUE(agent().start(with_admin(agent(), s)));

    ASSERT_TRUE(eventually([&] {
        return outside_cluster() == std::vector<std::string>{"10.78.1.0/24"};
    })) << agent().log();
    EXPECT_NE(agent().log().find("warning pool check: pool 'default' range 10.78.1.0/24: it lies "
                                 "outside the cluster CIDR 10.77.0.0/16 (kubeadm-config's "
                                 "podSubnet)"),
              std::string::npos)
        << agent().log();
    EXPECT_NE(agent().log().find("pool check: cluster CIDR 10.77.0.0/16 from kubeadm-config's "
                                 "podSubnet (no --cluster-cidr given)"),
              std::string::npos)
        << agent().log();

    api_->set_node(FakeKubeApi::make_node(node, {"10.77.1.0/24"}));
    ASSERT_TRUE(eventually([&] { return outside_cluster().empty(); })) << agent().log();
}

TEST_F(KubePoolCheckTest, ClusterCidrFlagWinsOverKubeadmConfig) {
    const std::string node = "node-kf";
    api_->set_kubeadm_config(FakeKubeApi::make_kubeadm_config("10.78.0.0/16", ""));
    api_->set_node(FakeKubeApi::make_node(node, {"10.78.1.0/24"}));
    AgentSpec s;
    s.extra_args = {"--kube-node",    node,          "--kubeconfig", api_->kubeconfig_path(),
                    "--cluster-cidr", "10.77.0.0/16"};
    ASSERT_TRUE(agent().start(with_admin(agent(), s)));
    const std::string chosen =
        "pool check: cluster CIDR 10.77.0.0/16 from --cluster-cidr, not 10.78.0.0/16 from "
        "kubeadm-config's podSubnet";
    ASSERT_TRUE(eventually([&] { return agent().log().find(chosen) != std::string::npos; }))
        << agent().log();
    ASSERT_TRUE(eventually([&] {
        return outside_cluster() == std::vector<std::string>{"10.78.1.0/24"};
    })) << agent().log();
}
