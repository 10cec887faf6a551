// eBPF liveness and safe GC end to end (DESIGN §7): a real warrend in its own network namespace
// (the "node", so the classifier only ever sees links this test made), Debian's bridge plugin
// run in that namespace with warren as its IPAM, pods in further namespaces. Short settings:
// interval 1 s, grace 2 s, cooldown 2 s. Each test pins under its own /sys/fs/bpf directory and
// runs `warrend --detach-all` on it at teardown, whatever happened.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <thread>

#include "cni.hpp"
#include "netns.hpp"
#include "support/privileged.hpp"

using namespace warren::it;
using namespace std::chrono_literals;

namespace {

class LivenessTest : public ::testing::Test {
  protected:
    void SetUp() override {
        WARREN_REQUIRE_ROOT();
        ASSERT_TRUE(node_.ok()) << node_.error();
        bridge_script_ = dir_ / "bridge-in-node";
        std::ofstream(bridge_script_)
            << "#!/bin/sh\nexec nsenter --net=" << node_.path() << " " << kBridgePlugin << "\n";
        ::chmod(bridge_script_.c_str(), 0755);
        ::mkdir("/sys/fs/bpf", 0755);
    }
    void TearDown() override {
        agent_.kill9();
        for (auto& h : holders_) h.kill9();
        auto r = in_node({warrend_path(), "--detach-all", "--bpffs-dir", bpffs_});
        EXPECT_TRUE(r.ok()) << r.describe();
        std::error_code ec;
        std::filesystem::remove_all(bpffs_, ec);
    }

    AgentSpec spec(const std::string& ebpf = "on") const {
        AgentSpec s;
        s.pod_cidrs = {cidr_};
        s.cooldown = 2;
        s.gc_interval = 1;
        s.gc_grace = 2;
        s.ebpf = ebpf;
        s.bpffs_dir = bpffs_;
        s.wrapper = {"nsenter", "--net=" + node_.path()};
        return s;
    }
    RunResult in_node(std::vector<std::string> argv) const {
        argv.insert(argv.begin(), {"nsenter", "--net=" + node_.path()});
        return run_cmd(argv, 20s);
    }
    json conf() const { return bridge_conf("livenet", bridge_, warren_ipam(agent_.socket())); }
    CniResult cni(const std::string& cmd, const std::string& cid, const std::string& netns,
                  const std::string& args = "") {
        CniCall c;
        c.command = cmd;
        c.container_id = cid;
        c.netns = netns;
        c.args = args;
        return cni_exec(bridge_script_, conf(), c);
    }
    std::string add(const std::string& cid, const Netns& pod) {
        auto r = cni("ADD", cid, pod.path());
        EXPECT_TRUE(r.ok()) << r.describe();
        auto a = r.addresses();
        return a.empty() ? std::string{} : strip_prefix(a[0]);
    }
    // A few ARP requests from the pod (sender: its address) towards an absent neighbour.
    void send_from(const Netns& pod) const {
        pod.exec({"ping", "-c", "2", "-i", "0.2", "-W", "1", unused_}, 5s);
    }
    // A process in `pod` that keeps sending until the test ends.
    void hold_sending(const Netns& pod) {
        std::string why;
        holders_.push_back(
            Child::spawn({"ip", "netns", "exec", pod.name(), "sh", "-c",
                          "while :; do ping -c 1 -W 1 " + unused_ + "; sleep 0.2; done"},
                         {}, dir_ / "holder.log", why));
        ASSERT_TRUE(holders_.back().valid()) << why;
    }
    // Waits (up to `timeout`) for `text` in the agent's log after `from`.
    bool log_has(const std::string& text, std::chrono::seconds timeout = 15s,
                 size_t from = 0) const {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        do {
            if (agent_.log().find(text, from) != std::string::npos) return true;
            std::this_thread::sleep_for(100ms);
        } while (std::chrono::steady_clock::now() < deadline);
        return false;
    }
    // The pinned watch map's entry for `addr` (bpftool's formatted dump), or null.
    json watch_entry(const std::string& addr) const {
        auto r = run_cmd({"bpftool", "-j", "map", "dump", "pinned", bpffs_ + "/watch"}, 10s);
        if (!r.ok()) return nullptr;
        auto j = json::parse(r.out, nullptr, false);
        if (!j.is_array()) return nullptr;
        const auto bytes = v4_bytes(addr);
        for (auto& e : j) {
            auto f = e.contains("formatted") ? e["formatted"] : e;
            if (f.contains("key") && f["key"].dump().find(bytes) != std::string::npos) return f;
        }
        return nullptr;
    }
    // "10.1.2.3" as the key's address bytes appear in bpftool's JSON: [...,10,1,2,3,...].
    static std::string v4_bytes(const std::string& addr) {
        std::string out;
        size_t start = 0;
        for (int i = 0; i < 4; ++i) {
            size_t dot = addr.find('.', start);
            out += (i ? "," : "") + addr.substr(start, dot - start);
            start = dot + 1;
        }
        return out;
    }
    int ifindex_in_node(const std::string& name) const {
        auto r = in_node({"ip", "-o", "link", "show", "dev", name});
        return r.ok() ? std::stoi(r.out) : -1;
    }
    // The host side of the pod's eth0: its peer's name in the node namespace.
    std::string host_veth(const Netns& pod) const {
        auto r = pod.exec({"cat", "/sys/class/net/eth0/iflink"});
        if (!r.ok()) return {};
        auto names = in_node({"ip", "-o", "link", "show"});
        const std::string idx = r.out.substr(0, r.out.find('\n'));
        for (size_t pos = 0; pos < names.out.size();) {
            size_t nl = names.out.find('\n', pos);
            std::string line = names.out.substr(pos, nl - pos);
            if (line.rfind(idx + ": ", 0) == 0) {
                auto name = line.substr(idx.size() + 2);
                return name.substr(0, name.find_first_of("@:"));
            }
            if (nl == std::string::npos) break;
            pos = nl + 1;
        }
        return {};
    }

    TempDir dir_;
    Netns node_;
    Agent agent_{dir_ / "agent"};
    std::string bpffs_ = "/sys/fs/bpf/" + unique_name("wrn-it-");
    std::string bridge_ = unique_name("wlb");
    std::string cidr_ = "10.231.0.0/24";
    std::string unused_ = "10.231.0.250";
    std::string bridge_script_;
    std::vector<Child> holders_;
};

TEST_F(LivenessTest, PodTrafficIsSeenWithItsAddressAndHostLink) {
    ASSERT_TRUE(agent_.start(spec("on")));
    EXPECT_TRUE(log_has("eBPF on, maps pinned under " + bpffs_, 1s)) << agent_.log();
    Netns pod;
    ASSERT_TRUE(pod.ok()) << pod.error();
    const auto ip = add("pod-a", pod);
    ASSERT_FALSE(ip.empty());
    const auto veth = host_veth(pod);
    ASSERT_FALSE(veth.empty());
    const int ifindex = ifindex_in_node(veth);
    json entry;
    for (int i = 0; i < 30 && entry.is_null(); ++i) {
        send_from(pod);
        entry = watch_entry(ip);
        if (!entry.is_null() && entry["value"].dump().find("\"packets\":0") != std::string::npos)
            entry = nullptr;
    }
    ASSERT_FALSE(entry.is_null()) << "no sighting of " << ip << " in " << bpffs_ << "/watch; log:\n"
                                  << agent_.log();
    EXPECT_GT(entry["value"]["packets"].get<uint64_t>(), 0u) << entry.dump();
    EXPECT_EQ(entry["value"]["ifindex"].get<int>(), ifindex)
        << entry.dump() << " (host link " << veth << " is ifindex " << ifindex << ")";
}

TEST_F(LivenessTest, PodWhoseNetnsVanishedIsReclaimedAfterGraceAndReusableAfterCooldown) {
    ASSERT_TRUE(agent_.start(spec("on")));
    std::optional<Netns> pod(std::in_place);
    ASSERT_TRUE(pod->ok()) << pod->error();
    const auto ip = add("pod-gone", *pod);
    ASSERT_FALSE(ip.empty());
    const auto path = pod->path();
    ASSERT_TRUE(log_has("gc pass:", 5s))
        << agent_.log();  // a pass saw it alive (learns its host link)
    std::this_thread::sleep_for(1500ms);
    pod.reset();  // no DEL: the namespace and its veth are gone

    ASSERT_TRUE(log_has("is a stale candidate: its netns path " + path)) << agent_.log();
    ASSERT_TRUE(log_has("livenet/pod-gone/eth0 (" + ip + ") released (stale)")) << agent_.log();
    const size_t released_at =
        agent_.log().find("livenet/pod-gone/eth0 (" + ip + ") released (stale)");
    // Candidate and release are at least grace (2 s) apart: the message says how long.
    const auto line = agent_.log().substr(released_at, 200);
    EXPECT_EQ(line.find("for 0"), std::string::npos) << line;
    EXPECT_EQ(line.find("for 1."), std::string::npos) << line;

    // Cooling down: another container cannot take it yet.
    Netns next;
    ASSERT_TRUE(next.ok()) << next.error();
    auto early = cni("ADD", "pod-next", next.path(), "IgnoreUnknown=1;IP=" + ip);
    EXPECT_FALSE(early.ok()) << early.describe();
    EXPECT_NE(early.msg().find("cooling down"), std::string::npos) << early.describe();
    cni("DEL", "pod-next", next.path());

    ASSERT_TRUE(log_has("quarantine ended for", 15s, released_at)) << agent_.log();
    auto later = cni("ADD", "pod-next", next.path(), "IgnoreUnknown=1;IP=" + ip);
    ASSERT_TRUE(later.ok()) << later.describe() << "\nlog:\n" << agent_.log();
    EXPECT_EQ(strip_prefix(later.addresses().at(0)), ip);
}

// Issue 7: the kernel gives a freed namespace's inode number to a later namespace. A pod ADDed
// without a veth (so no host link is ever learned to tell them apart) dies without a DEL, and
// another namespace, mounted and so held, takes its inode number: the cookie recorded at ADD
// says that holder is not the pod, and it is reclaimed.
TEST_F(LivenessTest, DeadPodWhoseInodeNumberAnotherNamespaceTookIsReclaimed) {
    ASSERT_TRUE(agent_.start(spec("off")));
    const json bare = plugin_conf("reusenet", warren_ipam(agent_.socket()));
    // A round: a pod ADDed, deleted without a DEL, then new namespaces until one gets its inode
    // number (freed asynchronously; a namespace made elsewhere on the machine may take it first,
    // and then the next round tries again).
    std::vector<std::unique_ptr<Netns>> later;
    std::string key, ip;
    for (int round = 0; round < 5 && key.empty(); ++round) {
        auto pod = std::make_unique<Netns>();
        ASSERT_TRUE(pod->ok()) << pod->error();
        CniCall add;
        add.command = "ADD";
        add.container_id = "pod-reused-" + std::to_string(round);
        add.netns = pod->path();
        auto r = warren_plugin(bare, add);
        ASSERT_TRUE(r.ok()) << r.describe();
        struct stat st {};
        ASSERT_EQ(::stat(pod->path().c_str(), &st), 0);
        const uint64_t inode = st.st_ino;
        std::this_thread::sleep_for(1500ms);  // a pass saw it present
        pod.reset();                          // no DEL
        for (int i = 0; i < 100 && key.empty(); ++i) {
            auto& ns = later.emplace_back(std::make_unique<Netns>());
            ASSERT_TRUE(ns->ok()) << ns->error();
            if (::stat(ns->path().c_str(), &st) == 0 && st.st_ino == inode) {
                key = "reusenet/" + add.container_id + "/eth0";
                ip = strip_prefix(r.addresses().at(0));
            } else {
                std::this_thread::sleep_for(20ms);
            }
        }
    }
    ASSERT_FALSE(key.empty()) << "no namespace got a freed pod's inode number back in 5 rounds";
    ASSERT_TRUE(log_has(key + " (" + ip + ") released (stale)", 15s)) << agent_.log();
}

TEST_F(LivenessTest, ZombieHeldByAProcessAndSendingIsNeverReleased) {
    ASSERT_TRUE(agent_.start(spec("on")));
    Netns pod;
    ASSERT_TRUE(pod.ok()) << pod.error();
    const auto ip = add("pod-zombie", pod);
    ASSERT_FALSE(ip.empty());
    hold_sending(pod);
    std::this_thread::sleep_for(1500ms);
    auto del = run_cmd({"ip", "netns", "del", pod.name()});  // the path only: the process holds it
    ASSERT_TRUE(del.ok()) << del.describe();

    ASSERT_TRUE(log_has("livenet/pod-zombie/eth0 (" + ip + ") is kept (held-by-process)"))
        << agent_.log();
    std::this_thread::sleep_for(5s);  // several intervals, past grace and cooldown
    EXPECT_EQ(agent_.log().find("livenet/pod-zombie/eth0 (" + ip + ") released"), std::string::npos)
        << agent_.log();
    Netns other;
    ASSERT_TRUE(other.ok()) << other.error();
    auto r = cni("ADD", "pod-thief", other.path(), "IgnoreUnknown=1;IP=" + ip);
    EXPECT_FALSE(r.ok()) << r.describe();
    cni("DEL", "pod-thief", other.path());
}

TEST_F(LivenessTest, DeletedPodThatKeepsSendingStaysQuarantined) {
    ASSERT_TRUE(agent_.start(spec("on")));
    Netns pod;
    ASSERT_TRUE(pod.ok()) << pod.error();
    const auto ip = add("pod-del", pod);
    ASSERT_FALSE(ip.empty());
    hold_sending(pod);
    // The IPAM DEL alone (as the bridge would send it), so the pod's link stays and it keeps
    // sending.
    CniCall c;
    c.command = "DEL";
    c.container_id = "pod-del";
    c.netns = pod.path();
    auto del = warren_plugin(conf(), c);
    ASSERT_TRUE(del.ok()) << del.describe();

    ASSERT_TRUE(log_has("address " + ip + " of pool 'default' stays quarantined")) << agent_.log();
    std::this_thread::sleep_for(5s);  // well past the 2 s cooldown
    EXPECT_EQ(agent_.log().find(
                  "quarantine ended for 1 address(es) of pool 'default' after a full cooldown (2"),
              std::string::npos)
        << agent_.log();
    Netns other;
    ASSERT_TRUE(other.ok()) << other.error();
    auto r = cni("ADD", "pod-thief", other.path(), "IgnoreUnknown=1;IP=" + ip);
    EXPECT_FALSE(r.ok()) << r.describe();
    EXPECT_NE(r.msg().find("cooling down"), std::string::npos) << r.describe();
    cni("DEL", "pod-thief", other.path());
}

TEST_F(LivenessTest, RestartKeepsObservationsAndCandidates) {
    ASSERT_TRUE(agent_.start(spec("on")));
    std::optional<Netns> pod(std::in_place);
    ASSERT_TRUE(pod->ok()) << pod->error();
    const auto ip = add("pod-restart", *pod);
    ASSERT_FALSE(ip.empty());
    json entry;
    for (int i = 0; i < 30 && (entry.is_null() || entry["value"]["packets"].get<uint64_t>() == 0);
         ++i) {
        send_from(*pod);
        entry = watch_entry(ip);
    }
    ASSERT_FALSE(entry.is_null()) << agent_.log();
    const auto packets = entry["value"]["packets"].get<uint64_t>();
    ASSERT_GT(packets, 0u);
    std::this_thread::sleep_for(1500ms);  // past a pass, so its host link is learned
    const auto path = pod->path();
    pod.reset();
    ASSERT_TRUE(log_has("is a stale candidate: its netns path " + path)) << agent_.log();
    agent_.kill9();

    auto kept = watch_entry(ip);
    ASSERT_FALSE(kept.is_null()) << "the pinned watch map lost " << ip;
    EXPECT_GE(kept["value"]["packets"].get<uint64_t>(), packets) << kept.dump();

    const size_t from = agent_.log().size();
    ASSERT_TRUE(agent_.restart());
    auto again = watch_entry(ip);
    ASSERT_FALSE(again.is_null()) << agent_.log();
    EXPECT_GE(again["value"]["packets"].get<uint64_t>(), packets) << again.dump();
    ASSERT_TRUE(log_has("livenet/pod-restart/eth0 (" + ip + ") released (stale)", 15s, from))
        << agent_.log();
    // The candidacy came back from the journal: not marked anew after the restart.
    EXPECT_EQ(agent_.log().find("is a stale candidate: its netns path " + path, from),
              std::string::npos)
        << agent_.log().substr(from);
}

TEST_F(LivenessTest, DetachAllLeavesNothingAttachedOrPinned) {
    ASSERT_TRUE(agent_.start(spec("on")));
    Netns pod;
    ASSERT_TRUE(pod.ok()) << pod.error();
    ASSERT_FALSE(add("pod-detach", pod).empty());
    const auto veth = host_veth(pod);
    ASSERT_FALSE(veth.empty());
    RunResult before;
    for (int i = 0; i < 50; ++i) {
        before = in_node({"tc", "filter", "show", "dev", veth, "ingress"});
        if (before.out.find("0x5741") != std::string::npos) break;
        std::this_thread::sleep_for(100ms);
    }
    ASSERT_NE(before.out.find("0x5741"), std::string::npos) << before.describe() << agent_.log();
    agent_.kill9();

    auto r = in_node({warrend_path(), "--detach-all", "--bpffs-dir", bpffs_});
    ASSERT_TRUE(r.ok()) << r.describe();
    EXPECT_NE(r.out.find("detach-all:"), std::string::npos) << r.describe();
    auto after = in_node({"tc", "filter", "show", "dev", veth, "ingress"});
    EXPECT_EQ(after.out.find("0x5741"), std::string::npos) << after.describe();
    EXPECT_FALSE(std::filesystem::exists(bpffs_)) << bpffs_;
}

TEST_F(LivenessTest, EbpfOffStillReclaimsOnTheOtherSignalsAndSaysWhy) {
    ASSERT_TRUE(agent_.start(spec("off")));
    EXPECT_TRUE(log_has("the eBPF signal is off: liveness.ebpf is \"off\"", 2s)) << agent_.log();
    EXPECT_TRUE(log_has("eBPF off (", 2s)) << agent_.log();
    EXPECT_FALSE(std::filesystem::exists(bpffs_ + "/watch"));
    std::optional<Netns> pod(std::in_place);
    ASSERT_TRUE(pod->ok()) << pod->error();
    const auto ip = add("pod-off", *pod);
    ASSERT_FALSE(ip.empty());
    std::this_thread::sleep_for(1500ms);
    pod.reset();
    ASSERT_TRUE(log_has("livenet/pod-off/eth0 (" + ip + ") released (stale)")) << agent_.log();
    ASSERT_TRUE(log_has("quarantine ended for")) << agent_.log();
    Netns next;
    ASSERT_TRUE(next.ok()) << next.error();
    auto r = cni("ADD", "pod-next", next.path(), "IgnoreUnknown=1;IP=" + ip);
    ASSERT_TRUE(r.ok()) << r.describe();
}

TEST_F(LivenessTest, CniGcMarksCandidatesAndTheRunnerFreesOnlyTheDeadOnes) {
    ASSERT_TRUE(agent_.start(spec("on")));
    Netns alive;
    ASSERT_TRUE(alive.ok()) << alive.error();
    std::optional<Netns> dead(std::in_place);
    ASSERT_TRUE(dead->ok()) << dead->error();
    const auto alive_ip = add("pod-alive", alive);
    const auto dead_ip = add("pod-dead", *dead);
    ASSERT_FALSE(alive_ip.empty());
    ASSERT_FALSE(dead_ip.empty());
    std::this_thread::sleep_for(1500ms);  // past a pass: host links learned
    // The dead pod's namespace goes away only after the GC call, so it is a cni_gc candidate.
    json gc = conf();
    gc["cniVersion"] = "1.1.0";
    gc["cni.dev/valid-attachments"] = json::array();  // the runtime forgot both
    CniCall call;
    call.command = "GC";
    auto r = warren_plugin(gc, call);
    ASSERT_TRUE(r.ok()) << r.describe();
    dead.reset();

    ASSERT_TRUE(log_has("livenet/pod-dead/eth0 (" + dead_ip + ") released (gc)")) << agent_.log();
    ASSERT_TRUE(log_has("livenet/pod-alive/eth0 (" + alive_ip + ") is kept (netns-present)"))
        << agent_.log();
    std::this_thread::sleep_for(3s);
    EXPECT_EQ(agent_.log().find("livenet/pod-alive/eth0 (" + alive_ip + ") released"),
              std::string::npos)
        << agent_.log();
    Netns other;
    ASSERT_TRUE(other.ok()) << other.error();
    auto thief = cni("ADD", "pod-thief", other.path(), "IgnoreUnknown=1;IP=" + alive_ip);
    EXPECT_FALSE(thief.ok()) << thief.describe();
    cni("DEL", "pod-thief", other.path());
}

}  // namespace
