// warren as the IPAM of Debian's `bridge` plugin: pods in their own netns, addresses on eth0,
// traffic between pods across the test's bridge.
#include <atomic>
#include <set>
#include <thread>

#include "fixture.hpp"

namespace warren::it {
namespace {

constexpr const char* kV4 = "10.199.0.0/24";
constexpr const char* kV6 = "fd00:199::/64";

class BridgeTest : public IntegrationTest {
protected:
    json conf(const json& ipam_extra = json::object()) {
        return bridge_conf("wrn-net", bridge_name(), warren_ipam(agent().socket(), ipam_extra));
    }

    // Pings `to` from inside `from` once, waiting at most 2 s for the answer.
    static RunResult ping(const Netns& from, const std::string& to, bool v6 = false) {
        std::vector<std::string> argv{"ping"};
        if (v6) argv.push_back("-6");
        argv.insert(argv.end(), {"-c1", "-W2", to});
        return from.exec(argv, 10s);
    }

    // Waits until no address on eth0 is tentative (IPv6 DAD), at most ~3 s.
    static bool settle(const Netns& ns) {
        for (int i = 0; i < 300; ++i) {
            bool tentative = false;
            for (auto& a : ns.addresses("eth0", "inet6")) tentative = tentative || a.tentative;
            if (!tentative) return true;
            std::this_thread::sleep_for(10ms);
        }
        return false;
    }
};

// 1. Three pods: distinct addresses inside the range (never network, gateway or broadcast), each
// configured on the pod's eth0, and the pods reach each other.
TEST_F(BridgeTest, ThreePodsGetDistinctAddressesOnEth0AndPingEachOther) {
    WARREN_REQUIRE_ROOT();
    ASSERT_TRUE(agent().start({.pod_cidrs = {kV4}}));
    auto c = conf();
    std::vector<Netns*> pods;
    std::vector<std::string> ips;
    for (int i = 0; i < 3; ++i) {
        Netns& ns = new_netns();
        ASSERT_TRUE(ns.ok());
        auto r = bridge(c, call("ADD", "pod-" + std::to_string(i), ns.path()));
        ASSERT_TRUE(r.ok()) << r.describe() << "\nagent log:\n" << agent().log();
        auto addrs = r.addresses();
        ASSERT_EQ(addrs.size(), 1u) << r.out;
        const std::string ip = strip_prefix(addrs[0]);
        EXPECT_TRUE(in_prefix(ip, kV4)) << addrs[0];
        EXPECT_TRUE(addrs[0].ends_with("/24")) << addrs[0];
        for (auto reserved : {"10.199.0.0", "10.199.0.1", "10.199.0.255"}) EXPECT_NE(ip, reserved);
        EXPECT_EQ(r.j["ips"][0].value("gateway", ""), "10.199.0.1") << r.out;

        auto on_eth0 = ns.addresses("eth0", "inet");
        ASSERT_EQ(on_eth0.size(), 1u) << "eth0 in " << ns.name() << " should carry exactly " << addrs[0];
        EXPECT_EQ(on_eth0[0].local, ip);
        EXPECT_EQ(on_eth0[0].prefixlen, 24);
        pods.push_back(&ns);
        ips.push_back(ip);
    }
    EXPECT_EQ(std::set<std::string>(ips.begin(), ips.end()).size(), 3u) << "duplicate address handed out";

    for (int i = 0; i < 3; ++i) {
        auto r = ping(*pods[i], ips[(i + 1) % 3]);
        EXPECT_TRUE(r.ok()) << pods[i]->name() << " -> " << ips[(i + 1) % 3] << ": " << r.describe();
    }
}

// 2. A runtime's retried ADD (same container ID and ifname) gets the same address back; another
// ifname of the same container is another attachment.
TEST_F(BridgeTest, RepeatedAddForSameAttachmentReturnsSameAddress) {
    WARREN_REQUIRE_ROOT();
    ASSERT_TRUE(agent().start({.pod_cidrs = {kV4}}));
    auto c = conf();
    Netns& ns = new_netns();
    ASSERT_TRUE(ns.ok());
    auto first = bridge(c, call("ADD", "retry-pod", ns.path()));
    ASSERT_TRUE(first.ok()) << first.describe();
    ASSERT_EQ(first.addresses().size(), 1u);

    // bridge refuses to recreate eth0, so the retry is what bridge passes to its IPAM: the same
    // stdin and environment, to warren directly.
    for (int i = 0; i < 3; ++i) {
        auto again = warren_plugin(c, call("ADD", "retry-pod", ns.path()));
        ASSERT_TRUE(again.ok()) << again.describe();
        EXPECT_EQ(again.addresses(), first.addresses());
        EXPECT_EQ(again.j.value("cniVersion", ""), "1.0.0");
    }
    auto other_if = warren_plugin(c, call("ADD", "retry-pod", ns.path(), "eth1"));
    ASSERT_TRUE(other_if.ok()) << other_if.describe();
    ASSERT_EQ(other_if.addresses().size(), 1u);
    EXPECT_NE(other_if.addresses(), first.addresses());

    // Still the one address on eth0, and the reservation still matches after the retries.
    auto on_eth0 = ns.addresses("eth0", "inet");
    ASSERT_EQ(on_eth0.size(), 1u);
    EXPECT_EQ(on_eth0[0].local, strip_prefix(first.addresses()[0]));
}

// 3a. With --cooldown 0 a DEL makes the address allocatable again at once; DEL is idempotent.
TEST_F(BridgeTest, DelFreesTheAddressForReuseWithoutCooldown) {
    WARREN_REQUIRE_ROOT();
    // /29: .0 network, .1 gateway, .7 broadcast -> 5 usable.
    ASSERT_TRUE(agent().start({.pod_cidrs = {"10.199.0.0/29"}, .cooldown = 0}));
    auto c = conf();
    Netns& ns = new_netns();
    ASSERT_TRUE(ns.ok());
    auto pod = bridge(c, call("ADD", "del-pod", ns.path()));
    ASSERT_TRUE(pod.ok()) << pod.describe();
    ASSERT_EQ(pod.addresses().size(), 1u);
    const std::string freed = pod.addresses()[0];

    std::set<std::string> held{strip_prefix(freed)};
    for (int i = 0; i < 4; ++i) {
        auto r = warren_plugin(c, call("ADD", "filler-" + std::to_string(i), ns.path()));
        ASSERT_TRUE(r.ok()) << r.describe();
        held.insert(strip_prefix(r.addresses().at(0)));
    }
    EXPECT_EQ(held.size(), 5u);
    auto full = warren_plugin(c, call("ADD", "late", ns.path()));
    EXPECT_EQ(full.exit_code, 1) << full.describe();
    EXPECT_EQ(full.code(), 100) << full.describe();

    auto del = bridge(c, call("DEL", "del-pod", ns.path()));
    ASSERT_TRUE(del.ok()) << del.describe();
    EXPECT_TRUE(ns.addresses("eth0", "inet").empty()) << "bridge DEL should remove eth0";

    auto reuse = warren_plugin(c, call("ADD", "late", ns.path()));
    ASSERT_TRUE(reuse.ok()) << reuse.describe() << "\nagent log:\n" << agent().log();
    EXPECT_EQ(reuse.addresses(), std::vector<std::string>{freed});

    // DEL again, and DEL of a container warren never saw, both succeed.
    EXPECT_TRUE(warren_plugin(c, call("DEL", "del-pod", ns.path())).ok());
    auto unknown = warren_plugin(c, call("DEL", "never-added", ""));
    EXPECT_TRUE(unknown.ok()) << unknown.describe();
}

// 3b. With the default cooldown a released address is not reused at once, the exhaustion error
// names the pool and its counts, and the cooldown survives an agent restart.
TEST_F(BridgeTest, DefaultCooldownKeepsReleasedAddressAndExhaustionIsExplained) {
    WARREN_REQUIRE_ROOT();
    ASSERT_TRUE(agent().start({.pod_cidrs = {"10.199.0.0/29"}}));
    auto c = conf();
    Netns& ns = new_netns();
    ASSERT_TRUE(ns.ok());
    std::vector<std::string> got;
    for (int i = 0; i < 5; ++i) {
        auto r = warren_plugin(c, call("ADD", "cool-" + std::to_string(i), ns.path()));
        ASSERT_TRUE(r.ok()) << r.describe();
        got.push_back(r.addresses().at(0));
    }
    ASSERT_TRUE(warren_plugin(c, call("DEL", "cool-0", ns.path())).ok());

    auto check_exhausted = [&](const std::string& when) {
        auto r = warren_plugin(c, call("ADD", "cool-new", ns.path()));
        EXPECT_EQ(r.exit_code, 1) << when << ": " << r.describe();
        EXPECT_EQ(r.code(), 100) << when << ": " << r.describe();
        const std::string m = r.msg();
        EXPECT_NE(m.find("'default'"), std::string::npos) << when << ": " << m;
        EXPECT_NE(m.find("5 usable"), std::string::npos) << when << ": " << m;
        EXPECT_NE(m.find("4 in use"), std::string::npos) << when << ": " << m;
        EXPECT_NE(m.find("1 cooling down"), std::string::npos) << when << ": " << m;
    };
    check_exhausted("right after the DEL");
    ASSERT_TRUE(agent().stop());
    ASSERT_TRUE(agent().restart());
    check_exhausted("after a restart");
}

// 4. CHECK through bridge (with the ADD result as prevResult) succeeds for a live pod; CHECK of an
// address the container does not hold fails.
TEST_F(BridgeTest, CheckPassesForLivePodAndFailsForAddressNotHeld) {
    WARREN_REQUIRE_ROOT();
    ASSERT_TRUE(agent().start({.pod_cidrs = {kV4}}));
    auto c = conf();
    Netns& ns = new_netns();
    ASSERT_TRUE(ns.ok());
    auto add = bridge(c, call("ADD", "check-pod", ns.path()));
    ASSERT_TRUE(add.ok()) << add.describe();

    json with_prev = c;
    with_prev["prevResult"] = add.j;
    auto ok = bridge(with_prev, call("CHECK", "check-pod", ns.path()));
    EXPECT_TRUE(ok.ok()) << ok.describe() << "\nagent log:\n" << agent().log();

    // Directly: the true reservation passes, a foreign address fails.
    auto direct_ok = warren_plugin(with_prev, call("CHECK", "check-pod", ns.path()));
    EXPECT_TRUE(direct_ok.ok()) << direct_ok.describe();

    json wrong = c;
    wrong["prevResult"] = json{{"cniVersion", "1.0.0"}, {"ips", {{{"address", "10.199.0.200/24"}}}}};
    auto bad = warren_plugin(wrong, call("CHECK", "check-pod", ns.path()));
    EXPECT_NE(bad.exit_code, 0) << bad.describe();
    EXPECT_NE(bad.code(), 0) << bad.describe();
    EXPECT_NE(bad.msg().find("10.199.0.200"), std::string::npos) << bad.msg();

    // After DEL the reservation is gone, so the formerly good prevResult fails CHECK too.
    ASSERT_TRUE(bridge(c, call("DEL", "check-pod", ns.path())).ok());
    auto gone = warren_plugin(with_prev, call("CHECK", "check-pod", ns.path()));
    EXPECT_NE(gone.exit_code, 0) << gone.describe();
    EXPECT_EQ(gone.code(), 3) << gone.describe();
}

// 7. Dual stack: one IPv4 and one IPv6 address per pod, and IPv6 traffic between two pods.
TEST_F(BridgeTest, DualStackPodsGetOneAddressPerFamilyAndPingOverIPv6) {
    WARREN_REQUIRE_ROOT();
    ASSERT_TRUE(agent().start({.pod_cidrs = {kV4, kV6}}));
    auto c = conf();
    std::vector<Netns*> pods;
    std::vector<std::string> v6;
    for (int i = 0; i < 2; ++i) {
        Netns& ns = new_netns();
        ASSERT_TRUE(ns.ok());
        auto dad = ns.disable_dad();
        ASSERT_TRUE(dad.ok()) << dad.describe();
        auto r = bridge(c, call("ADD", "ds-" + std::to_string(i), ns.path()));
        ASSERT_TRUE(r.ok()) << r.describe() << "\nagent log:\n" << agent().log();
        auto addrs = r.addresses();
        ASSERT_EQ(addrs.size(), 2u) << r.out;
        int n4 = 0, n6 = 0;
        for (auto& a : addrs) {
            if (in_prefix(a, kV4)) {
                ++n4;
                EXPECT_TRUE(a.ends_with("/24")) << a;
            }
            if (in_prefix(a, kV6)) {
                ++n6;
                v6.push_back(strip_prefix(a));
                EXPECT_TRUE(a.ends_with("/64")) << a;
            }
        }
        EXPECT_EQ(n4, 1) << r.out;
        ASSERT_EQ(n6, 1) << r.out;
        auto on6 = ns.addresses("eth0", "inet6");
        ASSERT_EQ(on6.size(), 1u) << "eth0 in " << ns.name();
        EXPECT_EQ(on6[0].local, v6.back());
        EXPECT_EQ(ns.addresses("eth0", "inet").size(), 1u);
        EXPECT_TRUE(settle(ns)) << "IPv6 address still tentative in " << ns.name();
        pods.push_back(&ns);
    }
    EXPECT_NE(v6[0], v6[1]);
    auto r = ping(*pods[0], v6[1], true);
    EXPECT_TRUE(r.ok()) << r.describe();
    r = ping(*pods[1], v6[0], true);
    EXPECT_TRUE(r.ok()) << r.describe();
}

// 8. 32 pods added at once through bridge: all succeed with 32 distinct addresses.
TEST_F(BridgeTest, ThirtyTwoConcurrentAddsGetDistinctAddresses) {
    WARREN_REQUIRE_ROOT();
    ASSERT_TRUE(agent().start({.pod_cidrs = {kV4}}));
    auto c = conf();
    constexpr int kPods = 32;
    std::vector<Netns*> ns;
    for (int i = 0; i < kPods; ++i) {
        ns.push_back(&new_netns());
        ASSERT_TRUE(ns.back()->ok());
    }
    std::vector<CniResult> results(kPods);
    std::vector<std::thread> threads;
    std::atomic<bool> go{false};
    for (int i = 0; i < kPods; ++i)
        threads.emplace_back([&, i] {
            while (!go) std::this_thread::yield();
            results[i] = bridge(c, call("ADD", "burst-" + std::to_string(i), ns[i]->path()));
        });
    go = true;
    for (auto& t : threads) t.join();

    std::set<std::string> distinct;
    for (int i = 0; i < kPods; ++i) {
        ASSERT_TRUE(results[i].ok()) << "pod " << i << ": " << results[i].describe();
        ASSERT_EQ(results[i].addresses().size(), 1u);
        const std::string ip = strip_prefix(results[i].addresses()[0]);
        EXPECT_TRUE(in_prefix(ip, kV4)) << ip;
        distinct.insert(ip);
        auto on = ns[i]->addresses("eth0", "inet");
        ASSERT_EQ(on.size(), 1u) << ns[i]->name();
        EXPECT_EQ(on[0].local, ip);
    }
    EXPECT_EQ(distinct.size(), static_cast<size_t>(kPods));
}

}  // namespace
}  // namespace warren::it
