// Allocation semantics end to end (DESIGN §4, §6, §8): requested addresses, older CNI versions
// through bridge, DNS and routes in the result, round-robin and cooldown across restarts, pools
// that must not overlap, the delete queue's bad entries, and who may use the CNI socket.
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "fixture.hpp"

namespace warren::it {
namespace {

constexpr const char* kV4 = "10.199.0.0/24";

class SemanticsTest : public IntegrationTest {
protected:
    json conf(const std::string& network = "wrn-net", const json& ipam_extra = json::object(),
              const std::string& version = "1.0.0") {
        return plugin_conf(network, warren_ipam(agent().socket(), ipam_extra), version);
    }
    CniResult add(const json& c, const std::string& container, const std::string& args = {}) {
        auto k = call("ADD", container, netns_path_);
        k.args = args;
        return warren_plugin(c, k);
    }
    CniResult del(const json& c, const std::string& container) {
        return warren_plugin(c, call("DEL", container, netns_path_));
    }
    void use_netns() { netns_path_ = new_netns().path(); }
    std::string netns_path_;
};

// Requested addresses (CNI_ARGS IP=, runtimeConfig.ips, args.cni.ips) as host-local does them;
// a held or foreign address is refused, Kubernetes' CNI_ARGS are accepted.
TEST_F(SemanticsTest, RequestedAddressesAreHonouredOrRefused) {
    WARREN_REQUIRE_ROOT();
    ASSERT_TRUE(agent().start({.pod_cidrs = {kV4}}));
    use_netns();
    const std::string k8s = "IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-0;"
                            "K8S_POD_INFRA_CONTAINER_ID=req-1;K8S_POD_UID=0e1f";
    auto r = add(conf(), "req-1", k8s + ";IP=10.199.0.77");
    ASSERT_TRUE(r.ok()) << r.describe();
    EXPECT_EQ(r.addresses(), std::vector<std::string>{"10.199.0.77/24"});

    auto taken = add(conf(), "req-2", "IP=10.199.0.77");
    EXPECT_EQ(taken.exit_code, 1) << taken.describe();
    EXPECT_EQ(taken.code(), 101) << taken.describe();
    EXPECT_NE(taken.msg().find("req-1"), std::string::npos) << "should name the holder: " << taken.msg();

    json rc = conf();
    rc["runtimeConfig"] = {{"ips", {"10.199.0.78/24"}}};
    r = add(rc, "req-3");
    ASSERT_TRUE(r.ok()) << r.describe();
    EXPECT_EQ(r.addresses(), std::vector<std::string>{"10.199.0.78/24"});

    json ac = conf();
    ac["args"] = {{"cni", {{"ips", {"10.199.0.79"}}}}};
    r = add(ac, "req-4");
    ASSERT_TRUE(r.ok()) << r.describe();
    EXPECT_EQ(r.addresses(), std::vector<std::string>{"10.199.0.79/24"});

    int n = 0;
    for (std::string bad : {"10.200.0.5", "10.199.0.1", "10.199.0.255", "10.199.0.0"}) {
        auto out = add(conf(), "req-bad-" + std::to_string(n++), "IP=" + bad);
        EXPECT_EQ(out.exit_code, 1) << bad << ": " << out.describe();
        EXPECT_NE(out.code(), 0) << bad;
    }
    auto unknown_arg = add(conf(), "req-5", "FOO=bar");
    EXPECT_EQ(unknown_arg.code(), 4) << unknown_arg.describe();
    // None of the refusals consumed an address: round-robin goes on after .79.
    r = add(conf(), "req-6");
    ASSERT_TRUE(r.ok()) << r.describe();
    EXPECT_EQ(r.addresses(), std::vector<std::string>{"10.199.0.80/24"});
}

// Older config versions through bridge: the result carries ips[].version, bridge configures it.
TEST_F(SemanticsTest, OlderCniVersionsWorkThroughBridge) {
    WARREN_REQUIRE_ROOT();
    ASSERT_TRUE(agent().start({.pod_cidrs = {kV4}}));
    int n = 0;
    for (std::string version : {"0.3.0", "0.3.1", "0.4.0"}) {
        SCOPED_TRACE(version);
        Netns& ns = new_netns();
        ASSERT_TRUE(ns.ok());
        auto c = bridge_conf("wrn-net", bridge_name(), warren_ipam(agent().socket()), version);
        const std::string id = "old-" + std::to_string(n++);
        auto r = bridge(c, call("ADD", id, ns.path()));
        ASSERT_TRUE(r.ok()) << r.describe();
        EXPECT_EQ(r.j.value("cniVersion", ""), version);
        ASSERT_EQ(r.addresses().size(), 1u);
        EXPECT_EQ(r.j["ips"][0].value("version", ""), "4") << r.out;
        auto direct = warren_plugin(c, call("ADD", id, ns.path()));
        ASSERT_TRUE(direct.ok()) << direct.describe();
        EXPECT_EQ(direct.j["ips"][0].value("version", ""), "4") << direct.out;
        EXPECT_FALSE(direct.j["ips"][0].contains("interface")) << "an IPAM result has no interface: " << direct.out;
        auto on = ns.addresses("eth0", "inet");
        ASSERT_EQ(on.size(), 1u);
        EXPECT_EQ(on[0].local, strip_prefix(r.addresses()[0]));
        EXPECT_TRUE(bridge(c, call("DEL", id, ns.path())).ok());
    }
}

// ipam.resolvConf and ipam.routes come back in the result, and bridge installs the routes.
TEST_F(SemanticsTest, ResolvConfAndRoutesAreReturnedAndInstalled) {
    WARREN_REQUIRE_ROOT();
    ASSERT_TRUE(agent().start({.pod_cidrs = {kV4}}));
    write_file(tmp("resolv.conf"), "# test\nnameserver 10.199.0.53\nsearch svc.test example.test\n"
                                   "options ndots:5\n");
    json ipam = warren_ipam(agent().socket(), {{"resolvConf", tmp("resolv.conf")},
                                                {"routes", json::array({{{"dst", "10.198.0.0/16"}}})}});
    Netns& ns = new_netns();
    ASSERT_TRUE(ns.ok());
    auto r = bridge(bridge_conf("wrn-net", bridge_name(), ipam), call("ADD", "dns-1", ns.path()));
    ASSERT_TRUE(r.ok()) << r.describe();
    // bridge replaces the IPAM result's dns with its own config's, so look at warren's answer
    // to the same (idempotent) ADD.
    auto direct = warren_plugin(bridge_conf("wrn-net", bridge_name(), ipam), call("ADD", "dns-1", ns.path()));
    ASSERT_TRUE(direct.ok()) << direct.describe();
    EXPECT_EQ(direct.addresses(), r.addresses());
    EXPECT_EQ(direct.j["dns"]["nameservers"], json::array({"10.199.0.53"})) << direct.out;
    EXPECT_EQ(direct.j["dns"]["search"], json::array({"svc.test", "example.test"})) << direct.out;
    EXPECT_EQ(direct.j["dns"]["options"], json::array({"ndots:5"})) << direct.out;
    EXPECT_EQ(direct.j["routes"], json::array({{{"dst", "10.198.0.0/16"}}})) << direct.out;
    auto routes = run_cmd({"ip", "-n", ns.name(), "-j", "route", "show", "10.198.0.0/16"});
    ASSERT_TRUE(routes.ok()) << routes.describe();
    auto rj = json::parse(routes.out, nullptr, false);
    ASSERT_TRUE(rj.is_array() && rj.size() == 1) << routes.out;
    EXPECT_EQ(rj[0].value("gateway", ""), "10.199.0.1") << routes.out;

    // A resolvConf that cannot be read fails the ADD before anything is allocated.
    json broken = ipam;
    broken["resolvConf"] = tmp("missing-resolv.conf");
    use_netns();
    auto bad = warren_plugin(plugin_conf("wrn-net", broken, "1.0.0"), call("ADD", "dns-2", netns_path_));
    EXPECT_EQ(bad.exit_code, 1) << bad.describe();
    EXPECT_EQ(bad.code(), 5) << bad.describe();
    json prev = conf();
    prev["prevResult"] = {{"cniVersion", "1.0.0"}, {"ips", json::array()}};
    EXPECT_EQ(warren_plugin(prev, call("CHECK", "dns-2", netns_path_)).code(), 3);
}

// Round-robin continues after the last reserved address across a restart, instead of going
// back to a just-released one (host-local's rule, DESIGN §4).
TEST_F(SemanticsTest, RoundRobinContinuesAfterRestart) {
    WARREN_REQUIRE_ROOT();
    ASSERT_TRUE(agent().start({.pod_cidrs = {kV4}, .cooldown = 0}));
    use_netns();
    EXPECT_EQ(add(conf(), "rr-a").addresses(), std::vector<std::string>{"10.199.0.2/24"});
    EXPECT_EQ(add(conf(), "rr-b").addresses(), std::vector<std::string>{"10.199.0.3/24"});
    ASSERT_TRUE(del(conf(), "rr-a").ok());
    ASSERT_TRUE(del(conf(), "rr-b").ok());
    ASSERT_TRUE(agent().stop());
    ASSERT_TRUE(agent().restart());
    EXPECT_EQ(add(conf(), "rr-c").addresses(), std::vector<std::string>{"10.199.0.4/24"});
}

// The cooldown ends on time, both while the agent runs (periodic sweep) and while it is down.
TEST_F(SemanticsTest, CooldownEndsWhileRunningAndWhileDown) {
    WARREN_REQUIRE_ROOT();
    ASSERT_TRUE(agent().start({.pod_cidrs = {"10.199.0.0/30"}, .cooldown = 2}));
    use_netns();
    ASSERT_TRUE(add(conf(), "cd-1").ok());
    ASSERT_TRUE(del(conf(), "cd-1").ok());
    auto t_del = std::chrono::steady_clock::now();
    auto cooling = add(conf(), "cd-2");
    EXPECT_EQ(cooling.code(), 100) << cooling.describe();
    EXPECT_NE(cooling.msg().find("1 cooling down"), std::string::npos) << cooling.msg();

    // Down across the end of the cooldown.
    ASSERT_TRUE(agent().stop());
    std::this_thread::sleep_until(t_del + 2200ms);
    ASSERT_TRUE(agent().restart());
    // The release time was journaled: the cooldown does not start over at the restart. (The
    // agent frees ended cooldowns in a sweep every second, so allow for one sweep.)
    CniResult after_down;
    while (std::chrono::steady_clock::now() < t_del + 3500ms) {
        after_down = add(conf(), "cd-2");
        if (after_down.ok()) break;
        std::this_thread::sleep_for(50ms);
    }
    ASSERT_TRUE(after_down.ok()) << after_down.describe() << "\n" << agent().log();
    EXPECT_EQ(after_down.addresses(), std::vector<std::string>{"10.199.0.2/30"});

    // Running: the sweep returns it within cooldown + sweep period.
    ASSERT_TRUE(del(conf(), "cd-2").ok());
    t_del = std::chrono::steady_clock::now();
    CniResult r;
    while (std::chrono::steady_clock::now() < t_del + 5s) {
        r = add(conf(), "cd-3");
        if (r.ok()) break;
        EXPECT_EQ(r.code(), 100) << r.describe();
        std::this_thread::sleep_for(100ms);
    }
    ASSERT_TRUE(r.ok()) << "still cooling down 5 s after a 2 s cooldown: " << r.describe();
    EXPECT_GE(std::chrono::steady_clock::now() - t_del, 1900ms) << "returned before the cooldown ended";
}

// DESIGN §5: "no address is ever held by two attachments". A CNI config whose own ranges overlap
// a pool of the agent's config must not be handed the addresses that pool hands out.
TEST_F(SemanticsTest, DropInRangesOverlappingAConfiguredPoolNeverDuplicateAnAddress) {
    WARREN_REQUIRE_ROOT();
    ASSERT_TRUE(agent().start({.pod_cidrs = {kV4}}));
    use_netns();
    std::set<std::string> held;
    for (int i = 0; i < 3; ++i) {
        auto r = add(conf("wrn-pool"), "pool-" + std::to_string(i));
        ASSERT_TRUE(r.ok()) << r.describe();
        held.insert(strip_prefix(r.addresses().at(0)));
    }
    int n = 0;
    for (std::string subnet : {"10.199.0.0/24", "10.199.0.0/25", "10.199.0.0/16"}) {
        ++n;
        auto c = conf("wrn-dropin-" + std::to_string(n),
                      {{"ranges", json::array({json::array({{{"subnet", subnet}}})})}});
        auto r = add(c, "overlap-" + std::to_string(n));
        if (!r.ok()) {
            EXPECT_EQ(r.code(), 7) << "refusing the overlap is fine, as a config error: " << r.describe();
            continue;
        }
        const std::string ip = strip_prefix(r.addresses().at(0));
        EXPECT_FALSE(held.contains(ip)) << "ranges " << subnet << " of network " << c["name"] << " got " << ip
                                        << ", which pool 'default' already gave to another pod";
    }
}

// A queue entry the agent cannot decode is moved aside (bad-*), not retried forever or fatal.
TEST_F(SemanticsTest, UnreadableDeleteQueueEntryIsMovedAside) {
    WARREN_REQUIRE_ROOT();
    std::filesystem::create_directories(agent().queue_dir());
    const std::string name = "del-00000000000000000001-1.json";
    write_file(agent().queue_dir() + "/" + name, "{ this is not a request");
    ASSERT_TRUE(agent().start({.pod_cidrs = {kV4}}));
    bool moved = false;
    for (int i = 0; i < 60 && !moved; ++i) {
        moved = std::filesystem::exists(agent().queue_dir() + "/bad-" + name) &&
                !std::filesystem::exists(agent().queue_dir() + "/" + name);
        if (!moved) std::this_thread::sleep_for(50ms);
    }
    EXPECT_TRUE(moved) << agent().log();
    use_netns();
    auto r = add(conf(), "after-bad-queue");
    EXPECT_TRUE(r.ok()) << r.describe();
}

// A plugin that crashed while queueing a DEL leaves a .tmp- file; the agent removes old ones
// (delete_queue.hpp: remove_stale_temps) rather than letting them pile up forever.
TEST_F(SemanticsTest, StaleTempFilesInTheDeleteQueueAreRemoved) {
    WARREN_REQUIRE_ROOT();
    std::filesystem::create_directories(agent().queue_dir());
    const std::string stale = agent().queue_dir() + "/.tmp-4242-1000000000";
    write_file(stale, R"({"op":"del","network":"wrn-net","containerId":"crashed","ifname":"eth0"})");
    auto day_ago = std::filesystem::file_time_type::clock::now() - std::chrono::hours(24);
    std::filesystem::last_write_time(stale, day_ago);
    ASSERT_TRUE(agent().start({.pod_cidrs = {kV4}}));
    bool removed = false;
    for (int i = 0; i < 45 && !removed; ++i) {  // the start-up drain and two periodic scans
        removed = !std::filesystem::exists(stale);
        if (!removed) std::this_thread::sleep_for(100ms);
    }
    EXPECT_TRUE(removed) << "a day-old .tmp- file in " << agent().queue_dir() << " is still there";
}

// DESIGN §8: the CNI socket is 0660 (group from --socket-group) and warrend checks the peer:
// members of the group are served, others are not (even when the file mode would let them in).
TEST_F(SemanticsTest, SocketIsGroupRestrictedAndPeerCredentialsAreChecked) {
    WARREN_REQUIRE_ROOT();
    const std::string gid = "4242";
    ASSERT_EQ(::chmod(tmp().c_str(), 0711), 0);
    std::filesystem::create_directories(agent().dir());
    ASSERT_EQ(::chmod(agent().dir().c_str(), 0711), 0);
    ASSERT_TRUE(agent().start({.pod_cidrs = {kV4}, .extra_args = {"--socket-group", gid}}));
    struct stat st {};
    ASSERT_EQ(::stat(agent().socket().c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0660u);
    EXPECT_EQ(st.st_gid, 4242u);
    use_netns();

    auto as = [&](std::vector<std::string> who, const std::string& container) {
        RunSpec spec;
        spec.argv = {"setpriv", "--reuid=65534"};
        spec.argv.insert(spec.argv.end(), who.begin(), who.end());
        spec.argv.push_back(plugin_path());
        spec.env = Env{{"CNI_COMMAND", "ADD"}, {"CNI_CONTAINERID", container}, {"CNI_NETNS", netns_path_},
                       {"CNI_IFNAME", "eth0"},  {"CNI_PATH", cni_path()},        {"PATH", "/usr/bin:/bin"}};
        spec.input = conf().dump();
        CniResult r;
        static_cast<RunResult&>(r) = run(spec);
        r.j = json::parse(r.out, nullptr, false);
        return r;
    };
    auto primary = as({"--regid=" + gid, "--clear-groups"}, "grp-primary");
    EXPECT_TRUE(primary.ok()) << "primary group member refused: " << primary.describe();
    auto supplementary = as({"--regid=65534", "--groups=" + gid}, "grp-supplementary");
    EXPECT_TRUE(supplementary.ok()) << "supplementary group member refused: " << supplementary.describe();
    auto outsider = as({"--regid=65534", "--clear-groups"}, "grp-outsider");
    EXPECT_EQ(outsider.code(), 11) << outsider.describe();

    // With the file mode opened up, warrend's own peer check still turns the outsider away.
    ASSERT_EQ(::chmod(agent().socket().c_str(), 0666), 0);
    auto sneaky = as({"--regid=65534", "--clear-groups"}, "grp-sneaky");
    EXPECT_NE(sneaky.exit_code, 0) << sneaky.describe();
    json prev = conf();
    prev["prevResult"] = {{"cniVersion", "1.0.0"}, {"ips", json::array()}};
    auto held = warren_plugin(prev, call("CHECK", "grp-sneaky", netns_path_));
    EXPECT_EQ(held.code(), 3) << "an outsider got an allocation: " << held.describe();
    EXPECT_NE(agent().log().find("refusing a connection to the CNI socket"), std::string::npos)
        << agent().log();
}


// An IPv6-only /64 pool: addresses from the /64 with its gateway, requested addresses anywhere
// in it, round-robin after the last one (and no 2^64-sized bookkeeping on the way).
TEST_F(SemanticsTest, Ipv6OnlyPoolServesFromA64) {
    WARREN_REQUIRE_ROOT();
    ASSERT_TRUE(agent().start({.pod_cidrs = {"fd00:199::/64"}, .cooldown = 0}));
    use_netns();
    auto r = add(conf(), "v6-a");
    ASSERT_TRUE(r.ok()) << r.describe();
    EXPECT_EQ(r.addresses(), std::vector<std::string>{"fd00:199::2/64"});
    EXPECT_EQ(r.j["ips"][0].value("gateway", ""), "fd00:199::1");
    r = add(conf(), "v6-far", "IP=fd00:199::ffff:ffff:ffff:fff0");
    ASSERT_TRUE(r.ok()) << r.describe();
    EXPECT_EQ(r.addresses(), std::vector<std::string>{"fd00:199::ffff:ffff:ffff:fff0/64"});
    r = add(conf(), "v6-next");
    ASSERT_TRUE(r.ok()) << r.describe();
    EXPECT_EQ(r.addresses(), std::vector<std::string>{"fd00:199::ffff:ffff:ffff:fff1/64"});
    auto st = warren_plugin(conf("wrn-net", {}, "1.1.0"), call("STATUS"));
    EXPECT_TRUE(st.ok()) << st.describe();
    ASSERT_TRUE(agent().stop());
    ASSERT_TRUE(agent().restart());
    EXPECT_EQ(add(conf(), "v6-far").addresses(), std::vector<std::string>{"fd00:199::ffff:ffff:ffff:fff0/64"});
}

// Dual stack with the IPv4 set exhausted: the ADD fails as a whole (no IPv6 address is left
// reserved behind it) and STATUS says the pool cannot serve.
TEST_F(SemanticsTest, DualStackWithOneFamilyExhaustedFailsWholeAndLeaksNothing) {
    WARREN_REQUIRE_ROOT();
    ASSERT_TRUE(agent().start({.pod_cidrs = {"10.199.0.0/30", "fd00:199::/64"}, .cooldown = 0}));
    use_netns();
    auto first = add(conf(), "ds-1");
    ASSERT_TRUE(first.ok()) << first.describe();
    ASSERT_EQ(first.addresses().size(), 2u);
    auto second = add(conf(), "ds-2");
    EXPECT_EQ(second.code(), 100) << second.describe();
    EXPECT_NE(second.msg().find("10.199.0.0/30"), std::string::npos) << second.msg();
    auto st = warren_plugin(conf("wrn-net", {}, "1.1.0"), call("STATUS"));
    EXPECT_EQ(st.code(), 50) << st.describe();
    // Free the IPv4 address: the next pod's IPv6 address follows ds-1's directly, so the failed
    // attempt held none.
    ASSERT_TRUE(del(conf(), "ds-1").ok());
    auto third = add(conf(), "ds-3");
    ASSERT_TRUE(third.ok()) << third.describe();
    EXPECT_EQ(third.addresses(), (std::vector<std::string>{"10.199.0.2/30", "fd00:199::3/64"}));
    json prev = conf();
    prev["prevResult"] = {{"cniVersion", "1.0.0"}, {"ips", json::array()}};
    EXPECT_EQ(warren_plugin(prev, call("CHECK", "ds-2", netns_path_)).code(), 3);
}

// Changing --pod-cidr across restarts keeps existing allocations and never hands them out again.
TEST_F(SemanticsTest, ChangingPodCidrAcrossRestartsKeepsAllocations) {
    WARREN_REQUIRE_ROOT();
    ASSERT_TRUE(agent().start({.pod_cidrs = {"10.199.0.0/29"}, .cooldown = 0}));
    use_netns();
    auto a = add(conf(), "pc-a");
    auto b = add(conf(), "pc-b");
    ASSERT_TRUE(a.ok() && b.ok());
    ASSERT_TRUE(agent().stop());
    ASSERT_TRUE(agent().start({.pod_cidrs = {"10.199.1.0/29"}, .cooldown = 0}));
    auto c = add(conf(), "pc-c");
    ASSERT_TRUE(c.ok()) << c.describe();
    EXPECT_TRUE(in_prefix(c.addresses().at(0), "10.199.1.0/29"));
    auto a_again = add(conf(), "pc-a");
    ASSERT_TRUE(a_again.ok());
    EXPECT_EQ(strip_prefix(a_again.addresses().at(0)), strip_prefix(a.addresses().at(0)));
    ASSERT_TRUE(agent().stop());
    ASSERT_TRUE(agent().start({.pod_cidrs = {"10.199.0.0/29"}, .cooldown = 0}));
    std::set<std::string> seen{strip_prefix(a.addresses()[0]), strip_prefix(b.addresses()[0])};
    for (int i = 0; i < 3; ++i) {
        auto r = add(conf(), "pc-new-" + std::to_string(i));
        ASSERT_TRUE(r.ok()) << r.describe();
        EXPECT_TRUE(seen.insert(strip_prefix(r.addresses().at(0))).second) << r.addresses()[0] << " handed out twice";
    }
    auto full = add(conf(), "pc-full");
    EXPECT_EQ(full.code(), 100) << full.describe();
    EXPECT_NE(full.msg().find("5 in use"), std::string::npos) << full.msg();
}

}  // namespace
}  // namespace warren::it
