// podman 4.3 (CNI backend) running busybox containers on bridge networks whose IPAM is warren.
// One warrend (cooldown 1 h, so a released address stays released for the whole suite) and one
// podman setup serve every test; each test has its own networks, subnets and bridge.
#include "runtime_podman.hpp"

#include <atomic>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <thread>

#include "agent_process.hpp"
#include "fixture.hpp"
#include "runtime_support.hpp"
#include "support/privileged.hpp"

namespace warren::it {
namespace {

struct PodmanEnv {
    RuntimeDir tmp;  // destroyed last
    ForwardingGuard forwarding;
    std::string rootfs = tmp / "rootfs", bin = tmp / "cni-bin", net_dir = tmp / "net.d";
    Agent agent{tmp / "agent"};
    std::unique_ptr<Podman> podman;  // destroyed first: its containers' DELs reach the agent
    std::string error;

    PodmanEnv() {
        if (auto e = make_busybox_rootfs(rootfs); !e.empty()) error = e;
        if (auto e = make_cni_bin_dir(bin); !e.empty()) error = e;
        if (auto s = agent.start({.cooldown = 3600}); !s) error = s.message();
        podman = std::make_unique<Podman>(tmp / "podman", bin, net_dir, rootfs);
        if (!podman->error().empty()) error = podman->error();
    }
};

class PodmanTest : public RuntimeSuite<PodmanEnv> {
  protected:
    void TearDown() override {
        if (env_) env_->podman->remove_all();
        for (auto& n : networks_) remove_cni_cache(n);
    }

    Podman& podman() { return *env_->podman; }
    Agent& agent() { return env_->agent; }

    // The bridge of `network` as written by write_network().
    std::string bridge_of(const std::string& network) {
        auto j = json::parse(read_file(podman().net_dir() + "/" + network + ".conflist"), nullptr,
                             false);
        return j.is_object() ? j["plugins"][0].value("bridge", "") : "";
    }
    // A bridge for this test (deleted after it).
    std::string new_bridge() {
        bridges_.push_back(std::make_unique<LinkGuard>(unique_name("wrb")));
        return bridges_.back()->name();
    }
    // Writes <net.d>/<network>.conflist, where podman looks for networks.
    void write_network(const std::string& network, const std::string& bridge, const json& ranges,
                       const std::string& socket = {}) {
        if (std::find(networks_.begin(), networks_.end(), network) == networks_.end())
            networks_.push_back(network);
        write_file(
            podman().net_dir() + "/" + network + ".conflist",
            warren_conflist(network, bridge, socket.empty() ? agent().socket() : socket, ranges)
                .dump(2));
    }
    std::string new_network(const json& ranges) {
        std::string n = unique_name("wpn");
        write_network(n, new_bridge(), ranges);
        return n;
    }

    // The container's address on `network` as podman reports it, checked against its eth0.
    std::string address_of(const std::string& name, const std::string& network, bool v6 = false) {
        json s = podman().network_settings(name, network);
        EXPECT_TRUE(s.is_object()) << "podman has no settings for " << name << " on " << network;
        if (!s.is_object()) return {};
        std::string ip = s.value(v6 ? "GlobalIPv6Address" : "IPAddress", "");
        auto on_eth0 = addresses_in(podman().netns(name), "eth0", v6 ? "inet6" : "inet");
        EXPECT_EQ(on_eth0.size(), 1u) << name << "'s eth0 should carry exactly " << ip;
        EXPECT_EQ(on_eth0.empty() ? std::string("(none)") : on_eth0[0].local, ip) << name;
        return ip;
    }

    std::string del_line(const std::string& network, const std::string& name) {
        return "del " + network + "/" + podman().id(name) + "/eth0";
    }

    std::vector<std::unique_ptr<LinkGuard>> bridges_;
    std::vector<std::string> networks_;
};

int last_octet(const std::string& ip) {
    return std::stoi(ip.substr(ip.rfind('.') + 1));
}

// Two containers get distinct addresses from warren, carry them on eth0, reach the bridge's
// gateway and each other; `rm -f` and `stop` each release the container's address.
TEST_F(PodmanTest, RunGetsAnAddressFromWarrenAndRmOrStopReleasesIt) {
    const std::string net = new_network(subnet_ranges({"10.210.1.0/24"}));
    for (auto name : {"a", "b"}) {
        auto r = podman().run(name, net);
        ASSERT_TRUE(r.ok()) << r.describe() << "\nagent log:\n" << agent().log();
    }
    const std::string a = address_of("a", net), b = address_of("b", net);
    EXPECT_TRUE(in_prefix(a, "10.210.1.0/24")) << a;
    EXPECT_TRUE(in_prefix(b, "10.210.1.0/24")) << b;
    EXPECT_NE(a, b);
    EXPECT_EQ(podman().network_settings("a", net).value("Gateway", ""), "10.210.1.1");
    EXPECT_TRUE(agent().log().find("add " + net + "/" + podman().id("a") + "/eth0 -> " + a) !=
                std::string::npos)
        << agent().log();

    auto gw = ping_from(podman().netns("a"), "10.210.1.1");
    EXPECT_TRUE(gw.ok()) << gw.describe();
    auto peer = ping_from(podman().netns("a"), b);
    EXPECT_TRUE(peer.ok()) << peer.describe();

    const std::string del_a = del_line(net, "a");
    auto rm = podman()({"rm", "-f", "a"});
    ASSERT_TRUE(rm.ok()) << rm.describe();
    EXPECT_EQ(count_lines(agent().log(), del_a), 1u) << agent().log();
    auto usage = total(pool_usage_after_restart(agent(), net));
    EXPECT_EQ(usage.in_use, 1);
    EXPECT_EQ(usage.cooling, 1);

    auto stop = podman()({"stop", "b"});
    ASSERT_TRUE(stop.ok()) << stop.describe();
    EXPECT_EQ(count_lines(agent().log(), del_line(net, "b")), 1u) << agent().log();
    usage = total(pool_usage_after_restart(agent(), net));
    EXPECT_EQ(usage.in_use, 0);
    EXPECT_EQ(usage.cooling, 2);
}

// One IPv4 and one IPv6 address per container, both on eth0 and both reachable.
TEST_F(PodmanTest, DualStackGivesOneAddressPerFamily) {
    const std::string net = new_network(subnet_ranges({"10.210.2.0/24", "fd00:210:2::/64"}));
    for (auto name : {"a", "b"}) {
        auto r = podman().run(name, net);
        ASSERT_TRUE(r.ok()) << r.describe() << "\nagent log:\n" << agent().log();
    }
    const std::string a4 = address_of("a", net), a6 = address_of("a", net, true);
    const std::string b4 = address_of("b", net), b6 = address_of("b", net, true);
    EXPECT_TRUE(in_prefix(a4, "10.210.2.0/24")) << a4;
    EXPECT_TRUE(in_prefix(a6, "fd00:210:2::/64")) << a6;
    EXPECT_NE(a4, b4);
    EXPECT_NE(a6, b6);
    ASSERT_TRUE(settle_dad(podman().netns("a")));
    ASSERT_TRUE(settle_dad(podman().netns("b")));
    ASSERT_TRUE(settle_dad("/proc/self/ns/net", bridge_of(net)));
    for (auto [to, v6] : {std::pair{b4, false}, {b6, true}, {std::string("fd00:210:2::1"), true}}) {
        auto r = ping_from(podman().netns("a"), to, v6);
        EXPECT_TRUE(r.ok()) << "a -> " << to << ": " << r.describe();
    }
}

// Issue 6 item 8: the attachment that released an address may take it back during its cooldown
// (`podman restart`, `stop` + `start` of a container started with --ip); anyone else may not.
TEST_F(PodmanTest, RestartOfContainerWithStaticIpKeepsItsAddress) {
    const std::string net = new_network(subnet_ranges({"10.210.3.0/24"}));
    const std::string x = "10.210.3.50";
    auto r = podman().run("a", net, {"--ip", x});
    ASSERT_TRUE(r.ok()) << r.describe();
    EXPECT_EQ(address_of("a", net), x);

    auto other = podman().run("b", net, {"--ip", x});
    EXPECT_FALSE(other.ok()) << "a second container got " << x << " while a holds it";
    EXPECT_NE(other.err.find("is held by " + net + "/" + podman().id("a") + "/eth0"),
              std::string::npos)
        << other.describe();

    auto restart = podman()({"restart", "a"});
    ASSERT_TRUE(restart.ok()) << restart.describe() << "\nagent log:\n" << agent().log();
    EXPECT_EQ(podman().state("a"), "running");
    EXPECT_EQ(address_of("a", net), x);

    auto stop = podman()({"stop", "a"});
    ASSERT_TRUE(stop.ok()) << stop.describe();
    auto third = podman().run("c", net, {"--ip", x});
    EXPECT_FALSE(third.ok()) << "another container got " << x << " during its cooldown";
    EXPECT_NE(third.err.find("cooling down"), std::string::npos) << third.describe();

    auto start = podman()({"start", "a"});
    ASSERT_TRUE(start.ok()) << start.describe() << "\nagent log:\n" << agent().log();
    EXPECT_EQ(podman().state("a"), "running");
    EXPECT_EQ(address_of("a", net), x);
    auto usage = total(pool_usage_after_restart(agent(), net));
    EXPECT_EQ(usage.in_use, 1);
    EXPECT_EQ(usage.cooling, 0);
}

// Issue 6 item 8: `podman network reload` is a DEL, then an ADD of the same container asking for
// the addresses it had (runtimeConfig.ips; podman lists an address given with --ip twice there).
// Both containers keep eth0 and their addresses, and warren holds each address once.
TEST_F(PodmanTest, NetworkReloadKeepsEth0AndTheSameAddresses) {
    const std::string net = new_network(subnet_ranges({"10.210.4.0/24", "fd00:210:4::/64"}));
    auto r = podman().run("a", net);
    ASSERT_TRUE(r.ok()) << r.describe();
    auto s = podman().run("s", net, {"--ip", "10.210.4.40"});
    ASSERT_TRUE(s.ok()) << s.describe();
    std::map<std::string, std::pair<std::string, std::string>> before;
    for (auto name : {"a", "s"})
        before[name] = {address_of(name, net), address_of(name, net, true)};
    EXPECT_EQ(before["s"].first, "10.210.4.40");

    for (auto name : {"a", "s"}) {
        auto reload = podman()({"network", "reload", name});
        ASSERT_TRUE(reload.ok()) << reload.describe() << "\nagent log:\n" << agent().log();
        EXPECT_EQ(reload.err.find("Error"), std::string::npos)
            << reload.describe() << "\nagent log:\n"
            << agent().log();
        EXPECT_EQ(podman().state(name), "running");
        auto eth0 = addresses_in(podman().netns(name), "eth0", "inet");
        ASSERT_EQ(eth0.size(), 1u) << name << "'s eth0 is gone after the reload\nagent log:\n"
                                   << agent().log();
        EXPECT_EQ(eth0[0].local, before[name].first) << name;
        EXPECT_EQ(address_of(name, net, true), before[name].second) << name;
        auto gw = ping_from(podman().netns(name), "10.210.4.1");
        EXPECT_TRUE(gw.ok()) << name << ": " << gw.describe();
    }
    auto usage = total(pool_usage_after_restart(agent(), net));
    EXPECT_EQ(usage.in_use, 4);
    EXPECT_EQ(usage.cooling, 0);
}

// Issue 6 item 9: a network removed and created again under the same name with another subnet
// works, also after an agent restart.
TEST_F(PodmanTest, NetworkRecreatedWithAnotherSubnetWorks) {
    const std::string net = unique_name("wpn"), bridge = new_bridge();
    write_network(net, bridge, subnet_ranges({"10.210.5.0/24"}));
    ASSERT_TRUE(podman().run("a", net).ok());
    EXPECT_TRUE(in_prefix(address_of("a", net), "10.210.5.0/24"));
    ASSERT_TRUE(podman()({"rm", "-f", "a"}).ok());
    auto rm = podman()({"network", "rm", net});
    ASSERT_TRUE(rm.ok()) << rm.describe();
    ASSERT_FALSE(std::filesystem::exists(podman().net_dir() + "/" + net + ".conflist"));

    write_network(net, bridge, subnet_ranges({"10.210.6.0/24"}));
    auto r = podman().run("b", net);
    ASSERT_TRUE(r.ok()) << r.describe() << "\nagent log:\n" << agent().log();
    EXPECT_TRUE(in_prefix(address_of("b", net), "10.210.6.0/24"));

    ASSERT_TRUE(agent().stop());
    ASSERT_TRUE(agent().restart());
    auto c = podman().run("c", net);
    ASSERT_TRUE(c.ok()) << c.describe() << "\nagent log:\n" << agent().log();
    EXPECT_TRUE(in_prefix(address_of("c", net), "10.210.6.0/24"));
}

// Issue 6 item 9: a conflist whose rangeStart/rangeEnd were edited serves from the new range; a
// container holding an address outside it keeps that address until it is removed.
TEST_F(PodmanTest, EditedRangeStartAndEndAreTheTruth) {
    const std::string net = unique_name("wpn"), bridge = new_bridge();
    auto ranges = [](const char* start, const char* end) {
        return json::array({json::array(
            {json{{"subnet", "10.210.7.0/24"}, {"rangeStart", start}, {"rangeEnd", end}}})});
    };
    write_network(net, bridge, ranges("10.210.7.10", "10.210.7.20"));
    ASSERT_TRUE(podman().run("a", net).ok());
    const std::string a = address_of("a", net);
    EXPECT_GE(last_octet(a), 10);
    EXPECT_LE(last_octet(a), 20);

    write_network(net, bridge, ranges("10.210.7.100", "10.210.7.110"));
    auto r = podman().run("b", net);
    ASSERT_TRUE(r.ok()) << r.describe() << "\nagent log:\n" << agent().log();
    const std::string b = address_of("b", net);
    EXPECT_GE(last_octet(b), 100);
    EXPECT_LE(last_octet(b), 110);
    EXPECT_EQ(address_of("a", net), a) << "a keeps its address outside the new range";

    const std::string del_a = del_line(net, "a");
    ASSERT_TRUE(podman()({"rm", "-f", "a"}).ok());
    EXPECT_EQ(count_lines(agent().log(), del_a), 1u) << agent().log();
}

// Issue 6 item 9: a subnet that network A defined is refused to network B while A holds an
// address in it, and serves B once A holds nothing (cooldown 0: a release leaves nothing behind).
TEST_F(PodmanTest, OldSubnetWorksUnderAnotherNameOnceTheOldNetworkHoldsNothing) {
    Agent quick(env_->tmp / unique_name("quick"));
    ASSERT_TRUE(quick.start({.cooldown = 0}));
    const std::string bridge = new_bridge(), old_net = unique_name("wpn"),
                      new_net = unique_name("wpn");
    write_network(old_net, bridge, subnet_ranges({"10.210.8.0/24"}), quick.socket());
    write_network(new_net, bridge, subnet_ranges({"10.210.8.0/24"}), quick.socket());

    ASSERT_TRUE(podman().run("a", old_net).ok());
    auto refused = podman().run("b", new_net);
    EXPECT_FALSE(refused.ok()) << "two networks share 10.210.8.0/24 while " << old_net
                               << " holds an address";
    EXPECT_NE(refused.err.find("overlap"), std::string::npos) << refused.describe();
    ASSERT_TRUE(podman()({"rm", "-f", "a", "b"}).ok());

    auto r = podman().run("c", new_net);
    ASSERT_TRUE(r.ok()) << r.describe() << "\nagent log:\n" << quick.log();
    EXPECT_TRUE(in_prefix(address_of("c", new_net), "10.210.8.0/24"));
    podman().remove_all();  // before `quick` goes away, so the DEL reaches it
}

// 20 containers started at once while warrend is killed with SIGKILL and restarted: the runs
// that met the dead agent fail and start on retry, and in the end the 20 running containers hold
// 20 distinct addresses, warren holds exactly those, and removing them releases all.
TEST_F(PodmanTest, TwentyParallelRunsSurviveAgentKill9) {
    const std::string net = new_network(subnet_ranges({"10.210.9.0/24"}));
    constexpr int kRuns = 20;
    std::vector<std::thread> threads;
    std::vector<int> ok(kRuns, 0);
    std::atomic<int> done{0};
    for (int i = 0; i < kRuns; ++i)
        threads.emplace_back([&, i] {
            ok[i] = podman().run("p" + std::to_string(i), net).ok();
            ++done;
        });
    while (count_lines(agent().log(), "add " + net + "/") < 5 && done < kRuns)
        std::this_thread::sleep_for(5ms);
    agent().kill9();
    std::this_thread::sleep_for(200ms);
    ASSERT_TRUE(agent().restart());
    for (auto& t : threads) t.join();

    int retried = 0;
    for (int i = 0; i < kRuns; ++i) {
        const std::string name = "p" + std::to_string(i);
        if (ok[i] && podman().state(name) == "running") continue;
        ++retried;
        auto r = podman()({"start", name});
        ASSERT_TRUE(r.ok()) << name << ": " << r.describe() << "\nagent log:\n" << agent().log();
    }
    std::set<std::string> ips;
    for (int i = 0; i < kRuns; ++i) {
        const std::string name = "p" + std::to_string(i);
        EXPECT_EQ(podman().state(name), "running") << name;
        std::string ip = address_of(name, net);
        EXPECT_TRUE(in_prefix(ip, "10.210.9.0/24")) << name << ": " << ip;
        ips.insert(ip);
    }
    EXPECT_EQ(ips.size(), static_cast<size_t>(kRuns)) << "an address is held twice";
    EXPECT_EQ(total(pool_usage_after_restart(agent(), net)).in_use, kRuns);
    std::cout << "[ runtime  ] podman: " << retried << " of " << kRuns
              << " runs met the killed agent and were retried\n";

    auto rm = podman()({"rm", "-af", "-t", "0"}, 120s);
    ASSERT_TRUE(rm.ok()) << rm.describe();
    EXPECT_EQ(total(pool_usage_after_restart(agent(), net)).in_use, 0);
}

}  // namespace
}  // namespace warren::it
