// The plugin's verbs against a real warrend: GC, STATUS, drop-in host-local configs, the agent
// being down (ADD fails, DEL is queued and applied later), and socket activation.
#include <dirent.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "fixture.hpp"

namespace warren::it {
namespace {

constexpr const char* kV4 = "10.199.0.0/24";

class VerbsTest : public IntegrationTest {
protected:
    json conf(const std::string& network = "wrn-net", const std::string& version = "1.1.0",
              const json& ipam_extra = json::object()) {
        return plugin_conf(network, warren_ipam(agent().socket(), ipam_extra), version);
    }

    // CHECK of `add`'s addresses for (container, ifname), directly through warren.
    CniResult check(const json& c, const CniResult& add, const std::string& container,
                    const std::string& ifname = "eth0") {
        json with_prev = c;
        with_prev["prevResult"] = add.j;
        return warren_plugin(with_prev, call("CHECK", container, netns_path_, ifname));
    }

    CniResult add(const json& c, const std::string& container, const std::string& ifname = "eth0") {
        return warren_plugin(c, call("ADD", container, netns_path_, ifname));
    }

    // A real netns path for plugin-direct calls (ADD and CHECK require CNI_NETNS).
    void use_netns() {
        Netns& ns = new_netns();
        netns_path_ = ns.path();
    }

    // Committed entries (del-*.json) in the delete queue.
    static std::vector<std::string> queued(const std::string& dir) {
        std::vector<std::string> out;
        std::error_code ec;
        for (auto& e : std::filesystem::directory_iterator(dir, ec)) {
            auto n = e.path().filename().string();
            if (n.starts_with("del-") && n.ends_with(".json")) out.push_back(e.path().string());
        }
        return out;
    }

    std::string netns_path_;
};

// 5. GC with cni.dev/valid-attachments, then with the older cni.dev/attachments: reservations
// of the network not listed become stale candidates (logged), never released by the GC call
// itself (the runtime's list may be incomplete: containernetworking/cni #1086; the GC policy
// releases them once dead on every signal); listed ones and other networks are untouched.
TEST_F(VerbsTest, GcMarksUnlistedAttachmentsAsCandidatesAndReleasesNothing) {
    WARREN_REQUIRE_ROOT();
    ASSERT_TRUE(agent().start({.pod_cidrs = {kV4}}));
    use_netns();
    auto c = conf();
    auto other = conf("wrn-other");
    std::map<std::string, CniResult> held;
    for (auto key : {"a/eth0", "a/eth1", "b/eth0", "c/eth0"}) {
        std::string k = key;
        auto r = add(c, k.substr(0, 1), k.substr(2));
        ASSERT_TRUE(r.ok()) << k << ": " << r.describe();
        held[k] = r;
    }
    auto x = add(other, "x");
    ASSERT_TRUE(x.ok()) << x.describe();

    json gc = c;
    gc["cni.dev/valid-attachments"] = json::array({{{"containerID", "a"}, {"ifname", "eth0"}},
                                                   {{"containerID", "c"}, {"ifname", "eth0"}}});
    auto r = warren_plugin(gc, call("GC"));
    ASSERT_TRUE(r.ok()) << r.describe();
    EXPECT_TRUE(r.out.empty()) << r.out;
    for (auto& [k, result] : held)
        EXPECT_TRUE(check(c, result, k.substr(0, 1), k.substr(2)).ok())
            << k << " still holds its address";
    EXPECT_TRUE(check(other, x, "x").ok()) << "GC of wrn-net must not touch wrn-other";
    EXPECT_NE(agent().log().find("gc of network wrn-net: 2 attachment(s) not in the runtime's list "
                                 "are stale candidates"),
              std::string::npos)
        << agent().log();
    auto again = add(c, "b");
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(again.addresses(), held["b/eth0"].addresses()) << "a candidate keeps its reservation";

    // The older key libcni also sends; a/eth1 is a candidate already, b/eth0 stopped being one
    // when it was ADDed again (so it is marked anew), d is new.
    auto d = add(c, "d");
    ASSERT_TRUE(d.ok()) << d.describe();
    json old_gc = c;
    old_gc["cni.dev/attachments"] = json::array(
        {{{"containerID", "a"}, {"ifname", "eth0"}}, {{"containerID", "c"}, {"ifname", "eth0"}}});
    r = warren_plugin(old_gc, call("GC"));
    ASSERT_TRUE(r.ok()) << r.describe();
    EXPECT_TRUE(check(c, d, "d").ok());
    EXPECT_NE(
        agent().log().find("gc of network wrn-net: 2 attachment(s) not in the runtime's list"),
        std::string::npos)
        << agent().log();
    EXPECT_TRUE(check(other, x, "x").ok());
}

// 6. STATUS: ok while an ADD could be served; 50 when the pool is exhausted and when the agent
// is down.
TEST_F(VerbsTest, StatusReportsExhaustionAndAgentDownAsCode50) {
    WARREN_REQUIRE_ROOT();
    // /30: .0 network, .1 gateway, .3 broadcast -> one usable address.
    ASSERT_TRUE(agent().start({.pod_cidrs = {"10.199.0.0/30"}}));
    use_netns();
    auto c = conf();
    auto st = warren_plugin(c, call("STATUS"));
    EXPECT_TRUE(st.ok()) << st.describe();
    EXPECT_TRUE(st.out.empty()) << st.out;

    auto only = add(c, "only");
    ASSERT_TRUE(only.ok()) << only.describe();
    EXPECT_EQ(only.addresses(), std::vector<std::string>{"10.199.0.2/30"});
    st = warren_plugin(c, call("STATUS"));
    EXPECT_EQ(st.exit_code, 1) << st.describe();
    EXPECT_EQ(st.code(), 50) << st.describe();
    EXPECT_NE(st.msg().find("'default'"), std::string::npos) << st.msg();

    // Released but cooling down: still nothing to hand out.
    ASSERT_TRUE(warren_plugin(c, call("DEL", "only")).ok());
    st = warren_plugin(c, call("STATUS"));
    EXPECT_EQ(st.code(), 50) << st.describe();

    ASSERT_TRUE(agent().stop());
    st = warren_plugin(c, call("STATUS"));
    EXPECT_EQ(st.exit_code, 1) << st.describe();
    EXPECT_EQ(st.code(), 50) << st.describe();
    EXPECT_NE(st.msg().find(agent().socket()), std::string::npos) << st.msg();
}

// 10. A host-local style config (ipam.ranges, no pool) on an agent without --pod-cidr allocates
// from its ranges. As with host-local the config is the truth: edited ranges redefine the pool
// (attachments outside them keep their addresses), and a removed network's subnet is free for
// another network once nothing there is allocated.
TEST_F(VerbsTest, DropInRangesAllocateAndFollowTheConfig) {
    WARREN_REQUIRE_ROOT();
    ASSERT_TRUE(agent().start({.cooldown = 0}));
    use_netns();
    json ranges = json::array({json::array({{{"subnet", "10.199.5.0/24"},
                                            {"rangeStart", "10.199.5.10"},
                                            {"rangeEnd", "10.199.5.20"},
                                            {"gateway", "10.199.5.1"}}})});
    auto c = conf("wrn-dropin", "1.0.0", {{"ranges", ranges}, {"routes", json::array({{{"dst", "0.0.0.0/0"}}})}});

    // As a drop-in behind bridge.
    Netns& pod = new_netns();
    ASSERT_TRUE(pod.ok());
    auto bc = bridge_conf("wrn-dropin", bridge_name(), c["ipam"]);
    auto first = bridge(bc, call("ADD", "dropin-0", pod.path()));
    ASSERT_TRUE(first.ok()) << first.describe() << "\nagent log:\n" << agent().log();
    ASSERT_EQ(first.addresses().size(), 1u);
    EXPECT_EQ(first.addresses()[0], "10.199.5.10/24");
    EXPECT_EQ(first.j["ips"][0].value("gateway", ""), "10.199.5.1");
    auto on = pod.addresses("eth0", "inet");
    ASSERT_EQ(on.size(), 1u);
    EXPECT_EQ(on[0].local, "10.199.5.10");

    std::set<std::string> seen{"10.199.5.10"};
    for (int i = 1; i < 11; ++i) {
        auto r = add(c, "dropin-" + std::to_string(i));
        ASSERT_TRUE(r.ok()) << r.describe();
        ASSERT_EQ(r.addresses().size(), 1u);
        EXPECT_TRUE(in_prefix(r.addresses()[0], "10.199.5.0/24"));
        auto ip = IpAddress::parse(strip_prefix(r.addresses()[0]));
        ASSERT_TRUE(ip);
        EXPECT_GE(*ip, *IpAddress::parse("10.199.5.10"));
        EXPECT_LE(*ip, *IpAddress::parse("10.199.5.20"));
        seen.insert(strip_prefix(r.addresses()[0]));
        EXPECT_EQ(r.j["routes"], json::array({{{"dst", "0.0.0.0/0"}}})) << r.out;
    }
    EXPECT_EQ(seen.size(), 11u);
    auto full = add(c, "dropin-11");
    EXPECT_EQ(full.code(), 100) << full.describe();
    EXPECT_NE(full.msg().find("wrn-dropin"), std::string::npos) << full.msg();

    // The conflist is edited to another subnet: the pool follows, the 11 attachments in the old
    // range keep their addresses until deleted, and the log names them.
    json other_ranges = json::array({json::array({{{"subnet", "10.199.6.0/24"}}})});
    auto edited = conf("wrn-dropin", "1.0.0", {{"ranges", other_ranges}});
    auto changed = add(edited, "dropin-x");
    ASSERT_TRUE(changed.ok()) << changed.describe() << "\nagent log:\n" << agent().log();
    ASSERT_EQ(changed.addresses().size(), 1u);
    EXPECT_TRUE(in_prefix(changed.addresses()[0], "10.199.6.0/24")) << changed.addresses()[0];
    EXPECT_NE(agent().log().find("11 allocation(s) outside the new ranges keep their addresses"),
              std::string::npos)
        << agent().log();
    EXPECT_TRUE(check(edited, first, "dropin-0").ok()) << "dropin-0 keeps 10.199.5.10";

    // While they hold addresses there, the old subnet stays blocked for other networks.
    auto blocked = add(conf("wrn-dropin2", "1.0.0", {{"ranges", ranges}}), "dropin-y");
    EXPECT_EQ(blocked.code(), 7) << blocked.describe();
    EXPECT_NE(blocked.msg().find("still allocated to wrn-dropin/"), std::string::npos)
        << blocked.msg();

    // The network goes away: every attachment is deleted. Its subnets are then free.
    auto gone = bridge(bc, call("DEL", "dropin-0", pod.path()));
    ASSERT_TRUE(gone.ok()) << gone.describe();
    for (int i = 1; i < 11; ++i)
        ASSERT_TRUE(warren_plugin(c, call("DEL", "dropin-" + std::to_string(i))).ok()) << i;
    ASSERT_TRUE(warren_plugin(edited, call("DEL", "dropin-x")).ok());
    auto second = add(conf("wrn-dropin2", "1.0.0", {{"ranges", other_ranges}}), "dropin-y");
    ASSERT_TRUE(second.ok()) << second.describe();
    EXPECT_TRUE(in_prefix(second.addresses().at(0), "10.199.6.0/24"));

    // After a restart too: the network re-created under its old name with its first subnet
    // works; with the subnet wrn-dropin2 now uses it is refused.
    ASSERT_TRUE(agent().stop());
    ASSERT_TRUE(agent().restart());
    auto recreated = add(c, "dropin-z");
    ASSERT_TRUE(recreated.ok()) << recreated.describe() << "\nagent log:\n" << agent().log();
    EXPECT_EQ(recreated.addresses(), std::vector<std::string>{"10.199.5.10/24"});
    auto clash = add(edited, "dropin-w");
    EXPECT_EQ(clash.code(), 7) << clash.describe();
    EXPECT_NE(clash.msg().find("overlap pool 'wrn-dropin2'"), std::string::npos) << clash.msg();

    // Without ranges there is no pool on this agent: a config error, not a hang or a crash.
    auto no_pool = add(conf("wrn-nopool", "1.0.0"), "dropin-z");
    EXPECT_EQ(no_pool.code(), 7) << no_pool.describe();
}

// 11. Agent down: ADD is "try again later" (11); DEL succeeds and is queued durably; the agent
// applies the queued DEL when it starts and removes the entry.
TEST_F(VerbsTest, DelWhileAgentDownIsQueuedAndAppliedAtStart) {
    WARREN_REQUIRE_ROOT();
    ASSERT_TRUE(agent().start({.pod_cidrs = {kV4}, .cooldown = 0}));
    use_netns();
    auto c = conf("wrn-net", "1.0.0");
    // down-1 is a real pod behind bridge; bridge's DEL runs warren's DEL first.
    Netns& pod = new_netns();
    ASSERT_TRUE(pod.ok());
    auto bc = bridge_conf("wrn-net", bridge_name(), c["ipam"]);
    auto held = bridge(bc, call("ADD", "down-1", pod.path()));
    ASSERT_TRUE(held.ok()) << held.describe();
    auto kept = add(c, "down-keep");
    ASSERT_TRUE(kept.ok()) << kept.describe();
    ASSERT_TRUE(agent().stop());

    auto refused = add(c, "down-2");
    EXPECT_EQ(refused.exit_code, 1) << refused.describe();
    EXPECT_EQ(refused.code(), 11) << refused.describe();
    EXPECT_NE(refused.msg().find(agent().socket()), std::string::npos) << refused.msg();

    auto del = bridge(bc, call("DEL", "down-1", pod.path()));
    EXPECT_TRUE(del.ok()) << del.describe();
    EXPECT_TRUE(pod.addresses("eth0", "inet").empty()) << "bridge DEL should still remove eth0";
    auto files = queued(agent().queue_dir());
    ASSERT_EQ(files.size(), 1u) << "DEL should be queued in " << agent().queue_dir();
    auto entry = json::parse(read_file(files[0]), nullptr, false);
    EXPECT_EQ(entry.value("op", ""), "del") << entry;
    EXPECT_EQ(entry.value("containerId", ""), "down-1") << entry;
    EXPECT_EQ(entry.value("network", ""), "wrn-net") << entry;

    ASSERT_TRUE(agent().restart());
    bool drained = false;
    for (int i = 0; i < 100 && !drained; ++i) {
        drained = queued(agent().queue_dir()).empty();
        if (!drained) std::this_thread::sleep_for(50ms);
    }
    EXPECT_TRUE(drained) << "queue entry still there; agent log:\n" << agent().log();
    json prev = c;
    prev["prevResult"] = {{"cniVersion", "1.0.0"}, {"ips", held.j["ips"]}};
    auto gone = warren_plugin(prev, call("CHECK", "down-1", netns_path_));
    EXPECT_EQ(gone.code(), 3) << "the queued DEL was not applied: " << gone.describe();
    EXPECT_TRUE(check(c, kept, "down-keep").ok()) << "the other reservation must stay";
}

// 11b. A DEL queued while the agent runs (the plugin could not reach it) is applied by the
// periodic scan (every 2 s).
TEST_F(VerbsTest, DelQueuedWhileAgentRunsIsAppliedByThePeriodicScan) {
    WARREN_REQUIRE_ROOT();
    ASSERT_TRUE(agent().start({.pod_cidrs = {kV4}}));
    use_netns();
    auto c = conf("wrn-net", "1.0.0");
    auto held = add(c, "scan-1");
    ASSERT_TRUE(held.ok()) << held.describe();

    // The same network through a socket nobody serves, queueing into the agent's queue dir.
    json unreachable = plugin_conf("wrn-net",
                                   warren_ipam(tmp("nobody.sock"), {{"deleteQueueDir", agent().queue_dir()}}),
                                   "1.0.0");
    auto del = warren_plugin(unreachable, call("DEL", "scan-1", netns_path_));
    ASSERT_TRUE(del.ok()) << del.describe();
    bool applied = false;
    for (int i = 0; i < 80 && !applied; ++i) {
        applied = check(c, held, "scan-1").code() == 3;
        if (!applied) std::this_thread::sleep_for(100ms);
    }
    EXPECT_TRUE(applied) << "agent log:\n" << agent().log();
    EXPECT_TRUE(queued(agent().queue_dir()).empty());
}

// 11c. DEL then ADD of the same attachment, where the DEL could not reach warrend and was queued:
// the runtime saw the DEL succeed before it sent the ADD, so the address that ADD returns must
// stay reserved after the queued DEL is applied (delete_queue.hpp: a queued DEL must not undo an
// attachment (re)allocated after it was enqueued).
TEST_F(VerbsTest, QueuedDelDoesNotReleaseAnAddressReturnedByALaterAdd) {
    WARREN_REQUIRE_ROOT();
    ASSERT_TRUE(agent().start({.pod_cidrs = {kV4}, .cooldown = 0}));
    use_netns();
    auto c = conf("wrn-net", "1.0.0");
    auto first = add(c, "order-1");
    ASSERT_TRUE(first.ok()) << first.describe();

    json unreachable = plugin_conf("wrn-net",
                                   warren_ipam(tmp("nobody.sock"), {{"deleteQueueDir", agent().queue_dir()}}),
                                   "1.0.0");
    auto del = warren_plugin(unreachable, call("DEL", "order-1", netns_path_));
    ASSERT_TRUE(del.ok()) << del.describe();
    ASSERT_EQ(queued(agent().queue_dir()).size(), 1u);

    auto again = add(c, "order-1");  // after the (successful) DEL, a new ADD
    ASSERT_TRUE(again.ok()) << again.describe();

    for (int i = 0; i < 80 && !queued(agent().queue_dir()).empty(); ++i) std::this_thread::sleep_for(50ms);
    ASSERT_TRUE(queued(agent().queue_dir()).empty()) << agent().log();
    auto held = check(c, again, "order-1");
    EXPECT_TRUE(held.ok()) << "the address returned by the ADD after the DEL was released by the older queued DEL: "
                           << held.describe();
    auto other = add(c, "order-2");
    ASSERT_TRUE(other.ok()) << other.describe();
    EXPECT_NE(other.addresses(), again.addresses()) << "two live attachments share an address";
}

// 14. Socket activation: systemd-socket-activate holds the socket, the first connection (an ADD)
// starts warrend, which serves it on the inherited socket.
TEST_F(VerbsTest, SocketActivatedAgentServesAdd) {
    WARREN_REQUIRE_ROOT();
    ASSERT_TRUE(agent().start({.pod_cidrs = {kV4}, .socket_activated = true}));
    use_netns();
    auto c = conf("wrn-net", "1.0.0");
    auto r = add(c, "activated");
    ASSERT_TRUE(r.ok()) << r.describe() << "\nlog:\n" << agent().log();
    ASSERT_EQ(r.addresses().size(), 1u);
    EXPECT_TRUE(in_prefix(r.addresses()[0], kV4));
    EXPECT_NE(agent().log().find("passed by systemd"), std::string::npos) << agent().log();
    char exe[4096] = {};
    ssize_t n = ::readlink(("/proc/" + std::to_string(agent().pid()) + "/exe").c_str(), exe, sizeof exe - 1);
    ASSERT_GT(n, 0);
    EXPECT_TRUE(std::string(exe, static_cast<size_t>(n)).ends_with("/warrend")) << exe;

    ASSERT_TRUE(agent().stop());
    ASSERT_TRUE(agent().restart());
    auto again = add(c, "activated");
    ASSERT_TRUE(again.ok()) << again.describe();
    EXPECT_EQ(again.addresses(), r.addresses());
}

}  // namespace
}  // namespace warren::it
