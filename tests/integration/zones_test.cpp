// Security zones and anti-spoofing end to end (issue 11): a real warrend with a zones config in
// its own network namespace (the "node"), Debian's bridge plugin run there with warren as its
// IPAM, pods in further namespaces with K8S_POD_NAMESPACE in CNI_ARGS. A pod in zone "pci" adds
// another pod's address to its eth0 and sends from it: counted in "log", dropped in "drop" (the
// receiver's ICMP counter does not move), while its own traffic and a neighbour's go through.
// Each test pins under its own /sys/fs/bpf directory and detaches everything at teardown.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "cni.hpp"
#include "ctl_support.hpp"
#include "netns.hpp"
#include "support/privileged.hpp"

using namespace warren::it;
using namespace std::chrono_literals;

namespace {

constexpr const char* kPci = "10.232.1.0/24";
constexpr const char* kGeneral = "10.232.2.0/24";
constexpr const char* kDefault = "10.232.3.0/24";

class ZonesTest : public ::testing::Test {
  protected:
    void SetUp() override {
        WARREN_REQUIRE_ROOT();
        ASSERT_TRUE(node_.ok()) << node_.error();
        bridge_script_ = dir_ / "bridge-in-node";
        std::ofstream(bridge_script_)
            << "#!/bin/sh\nexec nsenter --net=" << node_.path() << " " << kBridgePlugin << "\n";
        ::chmod(bridge_script_.c_str(), 0755);
        ptp_script_ = dir_ / "ptp-in-node";
        std::ofstream(ptp_script_)
            << "#!/bin/sh\nexec nsenter --net=" << node_.path() << " /usr/lib/cni/ptp\n";
        ::chmod(ptp_script_.c_str(), 0755);
        ::mkdir("/sys/fs/bpf", 0755);
    }
    void TearDown() override {
        agent_.kill9();
        auto r = in_node({warrend_path(), "--detach-all", "--bpffs-dir", bpffs_});
        EXPECT_TRUE(r.ok()) << r.describe();
        std::error_code ec;
        std::filesystem::remove_all(bpffs_, ec);
    }

    // Two zones: "pci" (payments, card-*) and "general" (web, shop-*), each with its pool, plus
    // the pool "default" for namespaces in no zone.
    static json zones_config(const std::string& pci_mode, const std::string& general_mode = "log",
                             const json& pci_namespaces = json{"payments", "card-*"},
                             const json& general_namespaces = json{"web", "shop-*"}) {
        return json{
            {"pools",
             {{"default", {{"cidrs", {kDefault}}}},
              {"pci", {{"cidrs", {kPci}}}},
              {"general", {{"cidrs", {kGeneral}}}}}},
            {"zones",
             {{"pci",
               {{"pool", "pci"}, {"namespaces", pci_namespaces}, {"antiSpoofing", pci_mode}}},
              {"general",
               {{"pool", "general"},
                {"namespaces", general_namespaces},
                {"antiSpoofing", general_mode}}}}},
        };
    }
    void write_config(const json& j) const { std::ofstream(config_path()) << j.dump(2); }
    std::string config_path() const { return dir_ / "warrend.json"; }

    ::testing::AssertionResult start(const json& config) {
        write_config(config);
        AgentSpec s;
        s.ebpf = "on";
        s.bpffs_dir = bpffs_;
        s.gc_interval = 1;
        s.wrapper = {"nsenter", "--net=" + node_.path()};
        s.extra_args = {"--config", config_path()};
        return agent_.start(with_admin(agent_, s));
    }
    RunResult in_node(std::vector<std::string> argv) const {
        argv.insert(argv.begin(), {"nsenter", "--net=" + node_.path()});
        return run_cmd(argv, 20s);
    }
    json conf(const json& args = nullptr) const {
        auto c = bridge_conf("zonenet", bridge_, warren_ipam(agent_.socket()));
        if (!args.is_null()) c["args"] = args;
        return c;
    }
    CniResult add(const std::string& cid, const Netns& pod, const std::string& k8s_namespace,
                  const json& args = nullptr) {
        CniCall c;
        c.command = "ADD";
        c.container_id = cid;
        c.netns = pod.path();
        c.args = "IgnoreUnknown=1;K8S_POD_NAMESPACE=" + k8s_namespace + ";K8S_POD_NAME=" + cid +
                 ";K8S_POD_UID=uid-" + cid;
        return cni_exec(bridge_script_, conf(args), c);
    }
    // ADD that must succeed: the pod's address. The zones' subnets share the test's bridge (one
    // L2), so every pod reaches the others on-link (the bridge plugin gives a bridge one IPv4
    // gateway only).
    std::string pod_in(const std::string& cid, Netns& pod, const std::string& k8s_namespace) {
        auto r = add(cid, pod, k8s_namespace);
        EXPECT_TRUE(r.ok()) << r.describe() << "\nagent log:\n" << agent_.log();
        auto a = r.addresses();
        if (a.empty()) return {};
        auto route = pod.exec({"ip", "route", "add", "10.232.0.0/16", "dev", "eth0"});
        EXPECT_TRUE(route.ok()) << route.describe();
        return strip_prefix(a[0]);
    }
    // ICMP echo requests `ns` received so far (its kernel's counter).
    static long echos_received(const Netns& ns) {
        auto r = ns.exec({"nstat", "-az", "IcmpInEchos"});
        if (!r.ok()) return -1;
        auto pos = r.out.find("IcmpInEchos");
        if (pos == std::string::npos) return -1;
        return std::stol(r.out.substr(pos + std::string("IcmpInEchos").size()));
    }
    // `from` gets `spoofed` as a second address on its eth0 (what a pod with CAP_NET_ADMIN can
    // do). Its own traffic went first, so the receiver's MAC is known and the spoofed echo
    // requests need no ARP.
    static void prepare_spoof(const Netns& from, const std::string& spoofed) {
        auto r = from.exec({"ip", "addr", "add", spoofed + "/32", "dev", "eth0"});
        ASSERT_TRUE(r.ok()) << r.describe();
    }
    json offenders(const std::string& cid) {
        auto r = warrenctl(agent_, {"show", cid, "--json"});
        auto j = json::parse(r.out, nullptr, false);
        EXPECT_TRUE(r.ok() && j.is_object()) << r.describe();
        json out = json::array();
        if (j.is_object())
            for (auto& a : j.value("matches", json::array()))
                for (auto& o : a["antiSpoofing"].value("offenders", json::array()))
                    out.push_back(o);
        return out;
    }
    static RunResult ping(const Netns& from, const std::string& to, const std::string& source = {},
                          int count = 1) {
        std::vector<std::string> argv{"ping", "-c", std::to_string(count), "-i", "0.2", "-W", "1"};
        if (!source.empty()) argv.insert(argv.end(), {"-I", source});
        argv.push_back(to);
        return from.exec(argv, 10s);
    }
    // The show --json anti-spoofing offender for `source` on the pod `cid`, waiting up to 10 s for
    // the agent's pass to read it; null when none.
    json offender(const std::string& cid, const std::string& source) {
        const auto deadline = std::chrono::steady_clock::now() + 10s;
        do {
            auto r = warrenctl(agent_, {"show", cid, "--json"});
            auto j = json::parse(r.out, nullptr, false);
            if (r.ok() && j.is_object())
                for (auto& a : j.value("matches", json::array()))
                    for (auto& o : a["antiSpoofing"].value("offenders", json::array()))
                        if (o.value("source", "") == source) return o;
            std::this_thread::sleep_for(200ms);
        } while (std::chrono::steady_clock::now() < deadline);
        return nullptr;
    }
    bool log_has(const std::string& text, std::chrono::seconds timeout = 10s) const {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        do {
            if (agent_.log().find(text) != std::string::npos) return true;
            std::this_thread::sleep_for(100ms);
        } while (std::chrono::steady_clock::now() < deadline);
        return false;
    }
    json list_entry(const std::string& cid) {
        auto j = warrenctl_json(agent_, {"list"});
        for (auto& e : j.value("entries", json::array()))
            if (e.value("containerId", "") == cid) return e;
        return nullptr;
    }

    TempDir dir_;
    Netns node_;
    Agent agent_{dir_ / "agent"};
    std::string bpffs_ = "/sys/fs/bpf/" + unique_name("wrn-zt-");
    std::string bridge_ = unique_name("wzb");
    std::string bridge_script_;
    std::string ptp_script_;
};

// The namespace picks the pool; a pool the zone rules do not allow is refused with code 103 and
// a message naming the rule, and nothing is allocated for it.
TEST_F(ZonesTest, NamespacePicksThePoolAndOtherPoolsAreRefusedNamingTheRule) {
    ASSERT_TRUE(start(zones_config("log")));
    Netns a, b, c, d, e, f;
    for (auto* ns : {&a, &b, &c, &d, &e, &f}) ASSERT_TRUE(ns->ok()) << ns->error();

    EXPECT_TRUE(in_prefix(pod_in("pay-1", a, "payments"), kPci));
    EXPECT_TRUE(in_prefix(pod_in("card-1", b, "card-eu"), kPci));
    EXPECT_TRUE(in_prefix(pod_in("web-1", c, "web"), kGeneral));
    EXPECT_TRUE(in_prefix(pod_in("other-1", d, "tools"), kDefault));

    auto r = add("pay-2", e, "payments", json{{"cni", {{"pool", "general"}}}});
    EXPECT_EQ(r.code(), 103) << r.describe();
    EXPECT_NE(r.msg().find("zone"), std::string::npos) << r.msg();
    EXPECT_NE(r.msg().find("pci"), std::string::npos) << r.msg();
    EXPECT_NE(r.msg().find("args.cni.pool"), std::string::npos) << r.msg();

    r = add("tools-2", f, "tools", json{{"cni", {{"pool", "pci"}}}});
    EXPECT_EQ(r.code(), 103) << r.describe();
    EXPECT_NE(r.msg().find("pci"), std::string::npos) << r.msg();

    auto list = warrenctl_json(agent_, {"list"});
    const std::string text = list.dump();
    EXPECT_EQ(text.find("pay-2"), std::string::npos) << "a refused ADD allocated: " << text;
    EXPECT_EQ(text.find("tools-2"), std::string::npos) << "a refused ADD allocated: " << text;
    EXPECT_EQ(list_entry("pay-1").value("zone", ""), "pci") << text;
    EXPECT_EQ(list_entry("web-1").value("zone", ""), "general") << text;
}

// "log": the spoofed packets reach the receiver and are counted per link and source, with one
// log line; the pod's own traffic is untouched.
TEST_F(ZonesTest, SpoofInLogModeIsCountedAndPassed) {
    ASSERT_TRUE(start(zones_config("log")));
    Netns spoofer, victim, receiver;
    for (auto* ns : {&spoofer, &victim, &receiver}) ASSERT_TRUE(ns->ok()) << ns->error();
    const auto own = pod_in("spoofer", spoofer, "payments");
    const auto victim_ip = pod_in("victim", victim, "web");
    const auto receiver_ip = pod_in("receiver", receiver, "shop-1");
    ASSERT_FALSE(own.empty() || victim_ip.empty() || receiver_ip.empty());

    EXPECT_TRUE(ping(spoofer, receiver_ip).ok()) << "own traffic";
    prepare_spoof(spoofer, victim_ip);
    const long before = echos_received(receiver);
    ping(spoofer, receiver_ip, victim_ip, 5);
    EXPECT_EQ(echos_received(receiver) - before, 5) << "log mode must pass the spoofed packets";

    auto o = offender("spoofer", victim_ip);
    ASSERT_FALSE(o.is_null()) << "no offender for " << victim_ip << "\nagent log:\n"
                              << agent_.log();
    EXPECT_GE(o.value("packets", 0), 5) << o.dump();
    EXPECT_EQ(o.value("dropped", -1), 0) << o.dump();
    EXPECT_TRUE(log_has("sent from " + victim_ip)) << agent_.log();
    auto metrics = warrenctl(agent_, {"metrics"});
    EXPECT_NE(metrics.out.find("warren_spoofed_packets_total{"), std::string::npos) << metrics.out;
    EXPECT_NE(metrics.out.find("source=\"" + victim_ip + "\""), std::string::npos) << metrics.out;
    EXPECT_TRUE(ping(spoofer, receiver_ip, own).ok()) << "own traffic after the spoof";
}

// "drop": the spoofed packets never reach the receiver and are counted as dropped; the pod's own
// traffic and a neighbour's in the same zone still go through.
TEST_F(ZonesTest, SpoofInDropModeIsDroppedWhileOwnAndNeighbourTrafficPass) {
    ASSERT_TRUE(start(zones_config("drop")));
    Netns spoofer, neighbour, victim, receiver;
    for (auto* ns : {&spoofer, &neighbour, &victim, &receiver})
        ASSERT_TRUE(ns->ok()) << ns->error();
    const auto own = pod_in("spoofer", spoofer, "payments");
    const auto neighbour_ip = pod_in("neighbour", neighbour, "card-1");
    const auto victim_ip = pod_in("victim", victim, "web");
    const auto receiver_ip = pod_in("receiver", receiver, "shop-1");
    ASSERT_FALSE(own.empty() || neighbour_ip.empty() || victim_ip.empty() || receiver_ip.empty());

    EXPECT_TRUE(ping(spoofer, receiver_ip).ok()) << "own traffic";
    prepare_spoof(spoofer, victim_ip);
    const long before = echos_received(receiver);
    ping(spoofer, receiver_ip, victim_ip, 5);
    EXPECT_EQ(echos_received(receiver) - before, 0) << "drop mode let spoofed packets through";

    auto o = offender("spoofer", victim_ip);
    ASSERT_FALSE(o.is_null()) << "no offender for " << victim_ip << "\nagent log:\n"
                              << agent_.log();
    EXPECT_GE(o.value("packets", 0), 5) << o.dump();
    EXPECT_EQ(o.value("dropped", 0), o.value("packets", -1)) << o.dump();
    EXPECT_TRUE(ping(spoofer, receiver_ip, own).ok()) << "own traffic after the spoof";
    EXPECT_TRUE(ping(neighbour, receiver_ip).ok()) << "the neighbour's traffic";
    EXPECT_TRUE(ping(receiver, own).ok()) << "traffic to the spoofer";
    EXPECT_EQ(offenders("neighbour"), json::array()) << "the neighbour was counted";
    EXPECT_EQ(offenders("receiver"), json::array()) << "the receiver was counted";
}

// Under a running agent: the config file changes (payments moves to zone general, pci turns to
// "drop") and SIGHUP applies it. New ADDs follow the new rules, the old allocation is listed with
// its zone and a mismatch, and the running pod's link is checked in the new mode.
TEST_F(ZonesTest, ZoneChangeUnderARunningAgentAppliesToNewAddsAndIsReported) {
    ASSERT_TRUE(start(zones_config("log")));
    Netns old_pod, new_pod, card, victim, receiver;
    for (auto* ns : {&old_pod, &new_pod, &card, &victim, &receiver})
        ASSERT_TRUE(ns->ok()) << ns->error();
    EXPECT_TRUE(in_prefix(pod_in("pay-old", old_pod, "payments"), kPci));
    const auto card_ip = pod_in("card", card, "card-1");
    const auto victim_ip = pod_in("victim", victim, "web");
    const auto receiver_ip = pod_in("receiver", receiver, "shop-1");
    EXPECT_FALSE(list_entry("pay-old").contains("zoneMismatch"));

    write_config(zones_config("drop", "log", json{"card-*"}, json{"web", "shop-*", "payments"}));
    ASSERT_EQ(::kill(agent_.pid(), SIGHUP), 0);
    ASSERT_TRUE(log_has("zones reloaded")) << agent_.log();

    EXPECT_TRUE(in_prefix(pod_in("pay-new", new_pod, "payments"), kGeneral));
    auto old_entry = list_entry("pay-old");
    EXPECT_EQ(old_entry.value("zone", ""), "pci") << old_entry.dump();
    EXPECT_TRUE(old_entry.contains("zoneMismatch")) << old_entry.dump();
    EXPECT_FALSE(list_entry("pay-new").contains("zoneMismatch"));
    auto table = warrenctl(agent_, {"list"});
    EXPECT_NE(table.out.find("ZONE"), std::string::npos) << table.out;

    EXPECT_TRUE(ping(card, receiver_ip).ok()) << "own traffic";
    prepare_spoof(card, victim_ip);
    const long before = echos_received(receiver);
    ping(card, receiver_ip, victim_ip, 3);
    EXPECT_EQ(echos_received(receiver) - before, 0) << "pci is now drop";
    EXPECT_TRUE(ping(card, receiver_ip, card_ip).ok());
}

// ptp asks IPAM before it makes the veth, so its ADD finds no host link to protect; the next GC
// pass learns the link, and from then on the pod is checked in its zone's mode.
TEST_F(ZonesTest, PtpPodIsCheckedOnceAGcPassLearnsItsLink) {
    ASSERT_TRUE(start(zones_config("drop")));
    Netns pod;
    ASSERT_TRUE(pod.ok()) << pod.error();
    CniCall c;
    c.command = "ADD";
    c.container_id = "ptp-pod";
    c.netns = pod.path();
    c.args = "IgnoreUnknown=1;K8S_POD_NAMESPACE=payments;K8S_POD_NAME=ptp-pod;K8S_POD_UID=uid-ptp";
    json conf{{"cniVersion", "1.0.0"},
              {"name", "zoneptp"},
              {"type", "ptp"},
              {"ipam", warren_ipam(agent_.socket())}};
    auto r = cni_exec(ptp_script_, conf, c);
    ASSERT_TRUE(r.ok()) << r.describe() << "\nagent log:\n" << agent_.log();
    ASSERT_FALSE(r.addresses().empty()) << r.out;
    const std::string own = strip_prefix(r.addresses()[0]);
    EXPECT_TRUE(in_prefix(own, kPci)) << own;
    const std::string gateway = r.j["ips"][0].value("gateway", "");
    ASSERT_FALSE(gateway.empty()) << r.out;
    ASSERT_TRUE(log_has("zoneptp/ptp-pod/eth0 is checked on its host link")) << agent_.log();

    EXPECT_TRUE(ping(pod, gateway).ok()) << "own traffic";
    prepare_spoof(pod, "10.232.2.77");
    ping(pod, gateway, "10.232.2.77", 3);
    auto o = offender("ptp-pod", "10.232.2.77");
    ASSERT_FALSE(o.is_null()) << "no offender\nagent log:\n" << agent_.log();
    EXPECT_GE(o.value("packets", 0), 3) << o.dump();
    EXPECT_EQ(o.value("dropped", 0), o.value("packets", -1)) << o.dump();
    EXPECT_TRUE(ping(pod, gateway, own).ok()) << "own traffic after the spoof";
}

}  // namespace
