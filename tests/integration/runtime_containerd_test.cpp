// containerd 1.6: `ctr run --cni` of busybox containers on a bridge network whose IPAM is warren.
// One private containerd and one warrend (cooldown 1 h) serve every test; each test writes its
// own conflist (ctr uses the first one in /etc/cni/net.d) with its own subnet and bridge.
#include "runtime_containerd.hpp"

#include <filesystem>
#include <memory>
#include <set>
#include <thread>

#include "agent_process.hpp"
#include "fixture.hpp"
#include "runtime_support.hpp"
#include "support/privileged.hpp"

namespace warren::it {
namespace {

struct ContainerdEnv {
    RuntimeDir tmp;  // destroyed last
    ForwardingGuard forwarding;
    std::string rootfs = tmp / "rootfs";
    Agent agent{tmp / "agent"};
    std::unique_ptr<Containerd>
        containerd;  // destroyed first: its containers' DELs reach the agent
    std::string error;

    ContainerdEnv() {
        if (auto e = make_busybox_rootfs(rootfs); !e.empty()) error = e;
        if (auto s = agent.start({.cooldown = 3600}); !s) error = s.message();
        containerd = std::make_unique<Containerd>(tmp / "containerd", rootfs);
        if (auto e = make_cni_bin_dir(containerd->plugin_dir()); !e.empty()) error = e;
        if (auto s = containerd->start(); !s) error = s.message();
    }
};

class ContainerdTest : public RuntimeSuite<ContainerdEnv> {
  protected:
    void TearDown() override {
        if (!env_) return;
        env_->containerd->stop_all();
        remove_cni_cache(network_);
    }

    Containerd& containerd() { return *env_->containerd; }
    Agent& agent() { return env_->agent; }

    // Makes this test's network the one ctr uses: <net.d>/10-warren.conflist. The bridge plugin
    // refuses a bridge that carries another subnet's gateway, so a new subnet gets a new bridge
    // (and the old one goes, as an operator would remove it).
    void write_network(const json& ranges, bool new_bridge = false) {
        if (network_.empty()) network_ = unique_name("wcn");
        if (!bridge_ || new_bridge) {
            bridge_.reset();
            bridge_ = std::make_unique<LinkGuard>(unique_name("wrb"));
        }
        write_file(containerd().net_dir() + "/10-warren.conflist",
                   warren_conflist(network_, bridge_->name(), agent().socket(), ranges).dump(2));
    }

    // Runs `id`; returns the netns of its task ("" and a test failure when it did not start).
    std::string run(const std::string& id) {
        std::string why;
        auto pid = containerd().run(id, why);
        EXPECT_TRUE(pid.has_value()) << why << "\nagent log:\n" << agent().log();
        return pid ? Containerd::netns_of(*pid) : "";
    }

    // The one IPv4 (or IPv6) address on the container's eth0, checked against warren's log.
    std::string address_of(const std::string& id, const std::string& netns, bool v6 = false) {
        auto eth0 = addresses_in(netns, "eth0", v6 ? "inet6" : "inet");
        EXPECT_EQ(eth0.size(), 1u) << id << "'s eth0 should carry exactly one address";
        if (eth0.empty()) return {};
        const std::string add = "add " + network_ + "/" + containerd().cni_id(id) + "/eth0 -> ";
        EXPECT_NE(agent().log().find(add), std::string::npos) << agent().log();
        return eth0[0].local;
    }

    std::string del_line(const std::string& id) {
        return "del " + network_ + "/" + containerd().cni_id(id) + "/eth0";
    }

    std::string network_;
    std::unique_ptr<LinkGuard> bridge_;
};

int last_octet(const std::string& ip) {
    return std::stoi(ip.substr(ip.rfind('.') + 1));
}

// Two containers get distinct addresses from warren on eth0 and reach the gateway and each
// other; killing a task makes ctr run the CNI DEL, which releases the address.
TEST_F(ContainerdTest, RunGetsAnAddressFromWarrenAndStopReleasesIt) {
    write_network(subnet_ranges({"10.211.1.0/24"}));
    const std::string ns_a = run("a"), ns_b = run("b");
    ASSERT_FALSE(ns_a.empty());
    ASSERT_FALSE(ns_b.empty());
    const std::string a = address_of("a", ns_a), b = address_of("b", ns_b);
    EXPECT_TRUE(in_prefix(a, "10.211.1.0/24")) << a;
    EXPECT_TRUE(in_prefix(b, "10.211.1.0/24")) << b;
    EXPECT_NE(a, b);
    EXPECT_NE(
        agent().log().find("add " + network_ + "/" + containerd().cni_id("a") + "/eth0 -> " + a),
        std::string::npos);
    for (auto to : {std::string("10.211.1.1"), b}) {
        auto r = ping_from(ns_a, to);
        EXPECT_TRUE(r.ok()) << "a -> " << to << ": " << r.describe();
    }

    ASSERT_TRUE(containerd().stop("a"));
    EXPECT_EQ(count_lines(agent().log(), del_line("a")), 1u) << agent().log();
    auto usage = total(pool_usage_after_restart(agent(), network_));
    EXPECT_EQ(usage.in_use, 1);
    EXPECT_EQ(usage.cooling, 1);

    ASSERT_TRUE(containerd().stop("b"));
    EXPECT_EQ(count_lines(agent().log(), del_line("b")), 1u) << agent().log();
    usage = total(pool_usage_after_restart(agent(), network_));
    EXPECT_EQ(usage.in_use, 0);
    EXPECT_EQ(usage.cooling, 2);
}

TEST_F(ContainerdTest, DualStackGivesOneAddressPerFamily) {
    write_network(subnet_ranges({"10.211.2.0/24", "fd00:211:2::/64"}));
    const std::string ns_a = run("a"), ns_b = run("b");
    ASSERT_FALSE(ns_a.empty());
    ASSERT_FALSE(ns_b.empty());
    const std::string a6 = address_of("a", ns_a, true), b4 = address_of("b", ns_b),
                      b6 = address_of("b", ns_b, true);
    EXPECT_TRUE(in_prefix(address_of("a", ns_a), "10.211.2.0/24"));
    EXPECT_TRUE(in_prefix(a6, "fd00:211:2::/64")) << a6;
    EXPECT_TRUE(in_prefix(b6, "fd00:211:2::/64")) << b6;
    EXPECT_NE(a6, b6);
    ASSERT_TRUE(settle_dad(ns_a));
    ASSERT_TRUE(settle_dad(ns_b));
    ASSERT_TRUE(settle_dad("/proc/self/ns/net", bridge_->name()));
    for (auto [to, v6] : {std::pair{b4, false}, {b6, true}, {std::string("fd00:211:2::1"), true}}) {
        auto r = ping_from(ns_a, to, v6);
        EXPECT_TRUE(r.ok()) << "a -> " << to << ": " << r.describe();
    }
}

// Issue 6 item 9 under ctr, which reads the conflist at every run: edited rangeStart/rangeEnd,
// then the same network name with another subnet, each serve the next container.
TEST_F(ContainerdTest, EditedOrReplacedConflistIsTheTruth) {
    auto ranges = [](const char* start, const char* end) {
        return json::array({json::array(
            {json{{"subnet", "10.211.3.0/24"}, {"rangeStart", start}, {"rangeEnd", end}}})});
    };
    write_network(ranges("10.211.3.10", "10.211.3.20"));
    const std::string ns_a = run("a");
    ASSERT_FALSE(ns_a.empty());
    const std::string a = address_of("a", ns_a);
    EXPECT_GE(last_octet(a), 10);
    EXPECT_LE(last_octet(a), 20);
    ASSERT_TRUE(containerd().stop("a"));

    write_network(ranges("10.211.3.100", "10.211.3.110"));
    const std::string ns_b = run("b");
    ASSERT_FALSE(ns_b.empty());
    const std::string b = address_of("b", ns_b);
    EXPECT_GE(last_octet(b), 100);
    EXPECT_LE(last_octet(b), 110);
    ASSERT_TRUE(containerd().stop("b"));

    write_network(subnet_ranges({"10.211.4.0/24"}), true);
    const std::string ns_c = run("c");
    ASSERT_FALSE(ns_c.empty());
    EXPECT_TRUE(in_prefix(address_of("c", ns_c), "10.211.4.0/24"));
}

// 20 ctr runs at once while warrend is killed with SIGKILL and restarted: the runs that met the
// dead agent fail (ctr removes them) and succeed when run again; in the end 20 containers hold
// 20 distinct addresses, warren holds exactly those, and stopping them releases all.
TEST_F(ContainerdTest, TwentyParallelRunsSurviveAgentKill9) {
    write_network(subnet_ranges({"10.211.5.0/24"}));
    constexpr int kRuns = 20;
    auto id = [](int i) { return "p" + std::to_string(i); };
    for (int i = 0; i < kRuns; ++i) {
        std::string why;
        ASSERT_TRUE(containerd().spawn(id(i), why)) << why;
    }
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (count_lines(agent().log(), "add " + network_ + "/") < 5 &&
           std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(5ms);
    agent().kill9();
    std::this_thread::sleep_for(200ms);
    ASSERT_TRUE(agent().restart());

    std::vector<std::string> netns(kRuns);
    int retried = 0;
    for (int i = 0; i < kRuns; ++i) {
        std::string why;
        if (auto pid = containerd().wait_running(id(i), why)) {
            netns[i] = Containerd::netns_of(*pid);
            continue;
        }
        ++retried;
        containerd().remove(
            id(i));  // ctr run --rm leaves the container behind when the CNI ADD failed
        netns[i] = run(id(i));
        ASSERT_FALSE(netns[i].empty()) << "first attempt: " << why;
    }
    std::set<std::string> ips;
    for (int i = 0; i < kRuns; ++i) {
        std::string ip = address_of(id(i), netns[i]);
        EXPECT_TRUE(in_prefix(ip, "10.211.5.0/24")) << id(i) << ": " << ip;
        ips.insert(ip);
    }
    EXPECT_EQ(ips.size(), static_cast<size_t>(kRuns)) << "an address is held twice";
    EXPECT_EQ(total(pool_usage_after_restart(agent(), network_)).in_use, kRuns);
    std::cout << "[ runtime  ] containerd: " << retried << " of " << kRuns
              << " runs met the killed agent and were run again\n";

    for (int i = 0; i < kRuns; ++i) EXPECT_TRUE(containerd().stop(id(i)));
    EXPECT_EQ(total(pool_usage_after_restart(agent(), network_)).in_use, 0);
}

}  // namespace
}  // namespace warren::it
