// The liveness signals against the real kernel: namespaces made with `ip netns`, processes that
// hold them, veth pairs. Needs root (fails instead of skipping under CI=true).
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <fstream>
#include <iostream>
#include <thread>

#include "liveness/holder_scanner.hpp"
#include "liveness/host_link.hpp"
#include "liveness/link_watcher.hpp"
#include "liveness/netns_prober.hpp"
#include "netns.hpp"
#include "support/privileged.hpp"

namespace warren::liveness {
namespace {

using it::LinkGuard;
using it::Netns;
using it::run_cmd;
using it::unique_name;
using namespace std::chrono_literals;

uint64_t inode_of(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 ? st.st_ino : 0;
}

// The ifindex `ip -o link` shows for `dev` (in namespace `ns` when given); 0 if none.
int ifindex_of(const std::string& dev, const std::string& ns = {}) {
    std::vector<std::string> argv = {"ip"};
    if (!ns.empty()) argv.insert(argv.end(), {"-n", ns});
    argv.insert(argv.end(), {"-o", "link", "show", "dev", dev});
    auto r = run_cmd(argv);
    if (!r.ok()) return 0;
    return std::atoi(r.out.c_str());
}

// Unmounts on destruction.
struct MountGuard {
    std::string target;
    ~MountGuard() {
        if (!target.empty()) ::umount2(target.c_str(), MNT_DETACH);
    }
};

// Processes events until `done()` holds or 10 s pass (a guard against hanging, not a timing
// assertion); returns every event seen. `resyncs` (when given) counts relistings.
std::vector<LinkEvent> pump(LinkWatcher& w,
                            const std::function<bool(const std::vector<LinkEvent>&)>& done,
                            size_t* resyncs = nullptr) {
    std::vector<LinkEvent> seen;
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (!done(seen) && std::chrono::steady_clock::now() < deadline) {
        pollfd p{w.fd(), POLLIN, 0};
        ::poll(&p, 1, 100);
        auto drained = w.process_events([&](const LinkEvent& e) { seen.push_back(e); });
        EXPECT_TRUE(drained.has_value()) << drained.error().describe();
        if (drained && resyncs) *resyncs += drained->resyncs;
    }
    return seen;
}

bool has(const std::vector<LinkEvent>& events, LinkEventType type, const std::string& name) {
    return std::ranges::any_of(
        events, [&](const LinkEvent& e) { return e.type == type && e.link.name == name; });
}

size_t index_of(const std::vector<LinkEvent>& events, LinkEventType type, const std::string& name) {
    auto it = std::ranges::find_if(
        events, [&](const LinkEvent& e) { return e.type == type && e.link.name == name; });
    return static_cast<size_t>(it - events.begin());
}

TEST(NetnsProberPrivileged, IpNetnsAddIsPresentAndDelIsGone) {
    WARREN_REQUIRE_ROOT();
    Netns ns;
    ASSERT_TRUE(ns.ok()) << ns.error();
    const uint64_t ino = inode_of(ns.path());
    ASSERT_NE(ino, 0u);

    auto recorded = netns_inode(ns.path());
    ASSERT_TRUE(recorded.has_value()) << recorded.error().describe();
    EXPECT_EQ(*recorded, ino);

    SystemNetnsProber prober;
    auto before = prober.probe(ns.path(), *recorded);
    ASSERT_TRUE(before.has_value()) << before.error().describe();
    EXPECT_EQ(before->state, NetnsState::present);
    EXPECT_EQ(before->inode, ino);

    ASSERT_TRUE(run_cmd({"ip", "netns", "del", ns.name()}).ok());
    auto after = prober.probe(ns.path(), *recorded);
    ASSERT_TRUE(after.has_value()) << after.error().describe();
    EXPECT_EQ(after->state, NetnsState::gone);
}

TEST(NetnsProberPrivileged, SameNameRecreatedIsReplaced) {
    WARREN_REQUIRE_ROOT();
    Netns ns;
    ASSERT_TRUE(ns.ok()) << ns.error();
    const uint64_t old_ino = inode_of(ns.path());
    ASSERT_TRUE(run_cmd({"ip", "netns", "del", ns.name()}).ok());
    ASSERT_TRUE(run_cmd({"ip", "netns", "add", ns.name()}).ok());  // the guard deletes it
    SystemNetnsProber prober;
    auto p = prober.probe(ns.path(), old_ino);
    ASSERT_TRUE(p.has_value()) << p.error().describe();
    EXPECT_EQ(p->state, NetnsState::replaced);
    EXPECT_NE(p->inode, old_ino);
}

TEST(HolderScannerPrivileged, ProcessKeepsADeletedNamespaceHeldUntilItExits) {
    WARREN_REQUIRE_ROOT();
    Netns ns;
    ASSERT_TRUE(ns.ok()) << ns.error();
    const uint64_t ino = inode_of(ns.path());
    it::TempDir dir;
    std::string why;
    // `ip netns exec` execs the command in place: the child's pid is the holder's.
    auto child = it::Child::spawn({"ip", "netns", "exec", ns.name(), "sleep", "1000"}, {},
                                  dir / "sleep.log", why);
    ASSERT_TRUE(child.valid()) << why;
    const std::string link_path = "/proc/" + std::to_string(child.pid()) + "/ns/net";
    for (int i = 0; i < 100 && inode_of(link_path) != ino; ++i) std::this_thread::sleep_for(50ms);
    ASSERT_EQ(inode_of(link_path), ino) << "the child never entered the namespace";

    ASSERT_TRUE(run_cmd({"ip", "netns", "del", ns.name()}).ok());
    SystemNetnsProber prober;
    auto probe = prober.probe(ns.path(), ino);
    ASSERT_TRUE(probe.has_value());
    EXPECT_EQ(probe->state, NetnsState::gone) << "the path is gone...";

    ProcHolderScanner scanner;
    auto zombie = scanner.scan();
    ASSERT_TRUE(zombie.has_value()) << zombie.error().describe();
    EXPECT_TRUE(zombie->complete()) << zombie->first_unreadable->describe();
    ASSERT_TRUE(zombie->is_held(ino)) << "...but the namespace lives on: a zombie";
    EXPECT_EQ(zombie->holder(ino)->pid, child.pid());
    EXPECT_EQ(zombie->holder(ino)->mount_point, "");

    child.kill9();
    auto dead = scanner.scan();
    ASSERT_TRUE(dead.has_value()) << dead.error().describe();
    EXPECT_FALSE(dead->is_held(ino));
}

// The scan's mount table answers for an `ip netns` path as a stat would, and leaves a path
// that is no longer mounted (after `ip netns del`) to the stat.
TEST(HolderScannerPrivileged, TheMountTableAgreesWithAStatOfAnIpNetnsPath) {
    WARREN_REQUIRE_ROOT();
    Netns ns;
    ASSERT_TRUE(ns.ok()) << ns.error();
    const uint64_t ino = inode_of(ns.path());
    ASSERT_NE(ino, 0u);
    ProcHolderScanner scanner;
    auto scan = scanner.scan();
    ASSERT_TRUE(scan.has_value()) << scan.error().describe();
    ASSERT_NE(scan->mount_table, nullptr);
    EXPECT_EQ(scan->net_at(ns.path()), ino);

    ASSERT_TRUE(run_cmd({"ip", "netns", "del", ns.name()}).ok());
    auto after = scanner.scan();
    ASSERT_TRUE(after.has_value()) << after.error().describe();
    EXPECT_EQ(after->net_at(ns.path()), std::nullopt);
}

TEST(HolderScannerPrivileged, BindMountElsewhereKeepsItHeld) {
    WARREN_REQUIRE_ROOT();
    Netns ns;
    ASSERT_TRUE(ns.ok()) << ns.error();
    const uint64_t ino = inode_of(ns.path());
    it::TempDir dir;
    const std::string target = dir / "kept ns";  // a space, escaped in mountinfo
    std::ofstream{target};
    ASSERT_EQ(::mount(ns.path().c_str(), target.c_str(), nullptr, MS_BIND, nullptr), 0)
        << std::strerror(errno);
    MountGuard guard{target};
    ASSERT_TRUE(run_cmd({"ip", "netns", "del", ns.name()}).ok());

    ProcHolderScanner scanner;
    auto scan = scanner.scan();
    ASSERT_TRUE(scan.has_value()) << scan.error().describe();
    ASSERT_TRUE(scan->is_held(ino));
    EXPECT_EQ(scan->holder(ino)->pid, 0) << "no process is in it";
    EXPECT_EQ(scan->holder(ino)->mount_point, target);

    ASSERT_EQ(::umount2(target.c_str(), 0), 0);
    guard.target.clear();
    auto after = scanner.scan();
    ASSERT_TRUE(after.has_value());
    EXPECT_FALSE(after->is_held(ino));
}

// Not a timing assertion: prints what one scan of this machine costs, for the report.
TEST(HolderScannerPrivileged, ScanOfThisMachine) {
    WARREN_REQUIRE_ROOT();
    ProcHolderScanner scanner;
    std::vector<double> us;
    size_t processes = 0, held = 0;
    std::vector<pid_t> unreadable;
    size_t resolved = 0;
    for (int i = 0; i < 50; ++i) {
        const auto t0 = std::chrono::steady_clock::now();
        auto scan = scanner.scan();
        const auto t1 = std::chrono::steady_clock::now();
        ASSERT_TRUE(scan.has_value()) << scan.error().describe();
        EXPECT_TRUE(scan->complete())
            << scan->unreadable << " unreadable, first: " << scan->first_unreadable->describe();
        processes = scan->processes;
        resolved = scan->resolved;
        unreadable = scan->unreadable_pids;
        held = scan->held.size();
        us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
    }
    std::ranges::sort(us);
    std::cout << "holder scan: " << processes << " processes, " << held
              << " namespaces held; per scan p50 " << us[us.size() / 2] << " us, max " << us.back()
              << " us; " << resolved << " resolved through /proc/<pid>/net; unreadable pids:";
    for (pid_t pid : unreadable) std::cout << ' ' << pid;
    std::cout << '\n';
}

TEST(LinkWatcherPrivileged, SeesAVethPairAddedThenRemoved) {
    WARREN_REQUIRE_ROOT();
    auto w = NlLinkWatcher::open();
    ASSERT_TRUE(w.has_value()) << w.error().describe();
    const std::string a = unique_name("wva"), b = unique_name("wvb");
    LinkGuard ga(a), gb(b);
    ASSERT_TRUE(run_cmd({"ip", "link", "add", a, "type", "veth", "peer", "name", b}).ok());
    const int ia = ifindex_of(a), ib = ifindex_of(b);
    ASSERT_GT(ia, 0);
    ASSERT_GT(ib, 0);

    size_t resyncs = 0;
    auto added = pump(
        **w,
        [&](const auto& ev) {
            return has(ev, LinkEventType::added, a) && has(ev, LinkEventType::added, b);
        },
        &resyncs);
    ASSERT_TRUE(has(added, LinkEventType::added, a));
    ASSERT_TRUE(has(added, LinkEventType::added, b));
    const LinkEvent& ea = added[index_of(added, LinkEventType::added, a)];
    EXPECT_EQ(ea.link.ifindex, ia);
    EXPECT_EQ(ea.link.kind, "veth");
    EXPECT_EQ(ea.link.link, ib) << "a veth's IFLA_LINK is its peer";
    EXPECT_EQ(ea.link.link_netnsid, -1) << "both ends in our namespace";
    EXPECT_FALSE(ea.link.is_pod_facing_veth());
    ASSERT_NE((*w)->links().find(ia), (*w)->links().end());
    EXPECT_EQ((*w)->exists(ia), true);

    ASSERT_TRUE(run_cmd({"ip", "link", "del", a}).ok());
    auto removed = pump(
        **w,
        [&](const auto& ev) {
            return has(ev, LinkEventType::removed, a) && has(ev, LinkEventType::removed, b);
        },
        &resyncs);
    EXPECT_EQ(resyncs, 0u) << "the notifications themselves were read, not relistings";
    ASSERT_TRUE(has(removed, LinkEventType::removed, a));
    ASSERT_TRUE(has(removed, LinkEventType::removed, b)) << "deleting one end deletes both";
    EXPECT_EQ(removed[index_of(removed, LinkEventType::removed, a)].link.ifindex, ia);
    EXPECT_EQ((*w)->links().count(ia), 0u);
    EXPECT_EQ((*w)->exists(ia), false) << "a vanished link is an answer, not an error";
    auto gone = (*w)->get(ia);
    ASSERT_TRUE(gone.has_value()) << gone.error().describe();
    EXPECT_FALSE(gone->has_value());
}

TEST(LinkWatcherPrivileged, AddAndDeleteBetweenTwoDrainsComeInOrder) {
    WARREN_REQUIRE_ROOT();
    auto w = NlLinkWatcher::open();
    ASSERT_TRUE(w.has_value()) << w.error().describe();
    const std::string a = unique_name("wva"), b = unique_name("wvb");
    LinkGuard ga(a), gb(b);
    ASSERT_TRUE(run_cmd({"ip", "link", "add", a, "type", "veth", "peer", "name", b}).ok());
    ASSERT_TRUE(run_cmd({"ip", "link", "del", a}).ok());
    size_t resyncs = 0;
    auto seen = pump(
        **w,
        [&](const auto& ev) {
            return has(ev, LinkEventType::removed, a) && has(ev, LinkEventType::removed, b);
        },
        &resyncs);
    EXPECT_EQ(resyncs, 0u);
    ASSERT_TRUE(has(seen, LinkEventType::added, a));
    ASSERT_TRUE(has(seen, LinkEventType::removed, a));
    EXPECT_LT(index_of(seen, LinkEventType::added, a), index_of(seen, LinkEventType::removed, a));
    EXPECT_EQ((*w)->links().count(seen[index_of(seen, LinkEventType::added, a)].link.ifindex), 0u);
}

// The kernel sends nothing about a veth whose peer moves into another namespace; the watcher
// must still report it pod-facing (Docker-style: made here, container end moved out).
TEST(LinkWatcherPrivileged, VethBecomesPodFacingWhenItsPeerMovesIntoANamespace) {
    WARREN_REQUIRE_ROOT();
    Netns ns;
    ASSERT_TRUE(ns.ok()) << ns.error();
    auto w = NlLinkWatcher::open();
    ASSERT_TRUE(w.has_value()) << w.error().describe();
    const std::string host = unique_name("wvh"), peer = unique_name("wvp");
    LinkGuard guard(host);
    ASSERT_TRUE(run_cmd({"ip", "link", "add", host, "type", "veth", "peer", "name", peer}).ok());
    ASSERT_TRUE(run_cmd({"ip", "link", "set", peer, "netns", ns.name()}).ok());
    const int idx = ifindex_of(host);
    ASSERT_GT(idx, 0);

    auto seen = pump(**w, [&](const auto&) {
        const LinkInfo* l = nullptr;
        if (auto it = (*w)->links().find(idx); it != (*w)->links().end()) l = &it->second;
        return l && l->is_pod_facing_veth();
    });
    auto it = (*w)->links().find(idx);
    ASSERT_NE(it, (*w)->links().end());
    EXPECT_TRUE(it->second.is_pod_facing_veth()) << "link_netnsid " << it->second.link_netnsid;
    ASSERT_TRUE(has(seen, LinkEventType::changed, host));
    EXPECT_LT(index_of(seen, LinkEventType::added, host),
              index_of(seen, LinkEventType::changed, host));
    EXPECT_TRUE(seen[index_of(seen, LinkEventType::changed, host)].link.is_pod_facing_veth());
}

TEST(LinkWatcherPrivileged, LinksPresentAtStartAreInTheTable) {
    WARREN_REQUIRE_ROOT();
    const std::string d = unique_name("wvd");
    LinkGuard gd(d);
    ASSERT_TRUE(run_cmd({"ip", "link", "add", d, "type", "bridge"}).ok());
    auto w = NlLinkWatcher::open();
    ASSERT_TRUE(w.has_value()) << w.error().describe();
    const int idx = ifindex_of(d);
    auto it = (*w)->links().find(idx);
    ASSERT_NE(it, (*w)->links().end());
    EXPECT_EQ(it->second.name, d);
    EXPECT_EQ(it->second.kind, "bridge");
    ASSERT_NE((*w)->links().find(1), (*w)->links().end()) << "lo";
}

TEST(LinkWatcherPrivileged, ResyncsAfterLostNotifications) {
    WARREN_REQUIRE_ROOT();
    auto w = NlLinkWatcher::open();
    ASSERT_TRUE(w.has_value()) << w.error().describe();
    // Shrink the receive buffer to the minimum so a burst overflows it (ENOBUFS).
    int tiny = 0;
    ASSERT_EQ(::setsockopt((*w)->fd(), SOL_SOCKET, SO_RCVBUFFORCE, &tiny, sizeof tiny), 0);
    std::vector<std::unique_ptr<LinkGuard>> guards;
    std::vector<std::string> names;
    for (int i = 0; i < 20; ++i) {
        names.push_back(unique_name("wvr"));
        guards.push_back(std::make_unique<LinkGuard>(names.back()));
        ASSERT_TRUE(run_cmd({"ip", "link", "add", names.back(), "type", "bridge"}).ok());
    }
    auto seen = pump(**w, [&](const auto& ev) {
        return std::ranges::all_of(
            names, [&](const std::string& n) { return has(ev, LinkEventType::added, n); });
    });
    for (const auto& n : names) EXPECT_TRUE(has(seen, LinkEventType::added, n)) << n;
    // The table matches the kernel after the resync.
    auto now = (*w)->list();
    ASSERT_TRUE(now.has_value());
    for (const auto& n : names) {
        const int idx = ifindex_of(n);
        ASSERT_NE((*w)->links().find(idx), (*w)->links().end()) << n;
    }
    // Proof that events were really lost and recovered: a fresh drain after another burst.
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(run_cmd({"ip", "link", "del", names[i]}).ok());
    for (int i = 0; i < 5; ++i) {
        names.push_back(unique_name("wvr"));
        guards.push_back(std::make_unique<LinkGuard>(names.back()));
        ASSERT_TRUE(run_cmd({"ip", "link", "add", names.back(), "type", "bridge"}).ok());
    }
    auto drained = (*w)->process_events([&](const LinkEvent& e) { seen.push_back(e); });
    ASSERT_TRUE(drained.has_value()) << drained.error().describe();
    EXPECT_GE(drained->resyncs, 1u) << "a 0-byte buffer cannot hold 10 notifications";
    for (int i = 0; i < 5; ++i)
        EXPECT_TRUE(has(seen, LinkEventType::removed, names[i])) << names[i];
    for (size_t i = 20; i < names.size(); ++i)
        EXPECT_TRUE(has(seen, LinkEventType::added, names[i])) << names[i];
}

TEST(LinkWatcherPrivileged, ListingWhileLinksComeAndGoSucceeds) {
    WARREN_REQUIRE_ROOT();
    auto w = NlLinkWatcher::open();
    ASSERT_TRUE(w.has_value()) << w.error().describe();
    const std::string name = unique_name("wvc");
    LinkGuard guard(name);
    std::atomic<bool> stop{false};
    std::thread churn([&] {
        for (int i = 0; i < 40 && !stop; ++i) {
            run_cmd({"ip", "link", "add", name, "type", "bridge"});
            run_cmd({"ip", "link", "del", name});
        }
        stop = true;
    });
    int listings = 0, failures = 0, lookups_failed = 0;
    while (!stop) {
        auto l = (*w)->list();
        ++listings;
        if (!l) ++failures;
        // A link seen in a listing may be gone when we look it up: an answer, not an error.
        if (l)
            for (const auto& link : *l)
                if (link.name == name && !(*w)->get(link.ifindex)) ++lookups_failed;
        (*w)->process_events([](const LinkEvent&) {});
    }
    churn.join();
    EXPECT_GT(listings, 0);
    EXPECT_EQ(failures, 0);
    EXPECT_EQ(lookups_failed, 0);
}

// A veth made in our namespace whose one end is moved into a pod namespace as eth0: what CNI's
// bridge and ptp plugins build.
struct Pod {
    Netns ns;
    std::string host = unique_name("wvh");
    std::string tmp = unique_name("wvp");
    LinkGuard guard{host};
    bool setup() {
        return ns.ok() &&
               run_cmd({"ip", "link", "add", host, "type", "veth", "peer", "name", tmp}).ok() &&
               run_cmd({"ip", "link", "set", tmp, "netns", ns.name()}).ok() &&
               run_cmd({"ip", "-n", ns.name(), "link", "set", tmp, "name", "eth0"}).ok();
    }
};

std::string own_netns() {
    char buf[64] = {};
    ssize_t n = ::readlink("/proc/thread-self/ns/net", buf, sizeof buf - 1);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string{};
}

TEST(HostLinkPrivileged, FindsTheHostSideOfAMovedVeth) {
    WARREN_REQUIRE_ROOT();
    Pod pod;
    ASSERT_TRUE(pod.setup()) << pod.ns.error();
    const uint64_t ino = inode_of(pod.ns.path());
    auto finder = NlHostLinkFinder::open();
    ASSERT_TRUE(finder.has_value()) << finder.error().describe();
    const std::string before = own_netns();

    auto found = (*finder)->find(pod.ns.path(), "eth0", ino);
    ASSERT_TRUE(found.has_value()) << found.error().describe();
    EXPECT_EQ(found->outcome, HostLinkOutcome::found);
    EXPECT_EQ(found->host.ifindex, ifindex_of(pod.host));
    EXPECT_EQ(found->host.name, pod.host);
    EXPECT_TRUE(found->host.is_pod_facing_veth());
    EXPECT_EQ(found->container_ifindex, ifindex_of("eth0", pod.ns.name()));
    EXPECT_EQ(own_netns(), before) << "the calling thread never left our namespace";

    // The watcher's view of the same link agrees (the attacher's pod-facing test).
    auto w = NlLinkWatcher::open();
    ASSERT_TRUE(w.has_value());
    auto it = (*w)->links().find(found->host.ifindex);
    ASSERT_NE(it, (*w)->links().end());
    EXPECT_TRUE(it->second.is_pod_facing_veth());
    EXPECT_EQ(it->second.link, found->container_ifindex);
}

// Signals 2 and 3 together: the host veth lives exactly as long as the pod's namespace, which a
// process can keep after its path is deleted.
TEST(HostLinkPrivileged, HostLinkGoesWithTheNamespaceNotWithItsPath) {
    WARREN_REQUIRE_ROOT();
    Pod pod;
    ASSERT_TRUE(pod.setup()) << pod.ns.error();
    const uint64_t ino = inode_of(pod.ns.path());
    auto finder = NlHostLinkFinder::open();
    ASSERT_TRUE(finder.has_value()) << finder.error().describe();
    auto found = (*finder)->find(pod.ns.path(), "eth0", ino);
    ASSERT_TRUE(found.has_value()) << found.error().describe();
    ASSERT_EQ(found->outcome, HostLinkOutcome::found);
    const int host = found->host.ifindex;

    it::TempDir dir;
    std::string why;
    auto child = it::Child::spawn({"ip", "netns", "exec", pod.ns.name(), "sleep", "1000"}, {},
                                  dir / "sleep.log", why);
    ASSERT_TRUE(child.valid()) << why;
    const std::string link_path = "/proc/" + std::to_string(child.pid()) + "/ns/net";
    for (int i = 0; i < 100 && inode_of(link_path) != ino; ++i) std::this_thread::sleep_for(50ms);
    ASSERT_EQ(inode_of(link_path), ino) << "the child never entered the namespace";

    auto w = NlLinkWatcher::open();
    ASSERT_TRUE(w.has_value()) << w.error().describe();
    ASSERT_TRUE(run_cmd({"ip", "netns", "del", pod.ns.name()}).ok());
    EXPECT_EQ((*w)->exists(host), true) << "a zombie namespace keeps its veth";

    child.kill9();
    auto seen =
        pump(**w, [&](const auto& ev) { return has(ev, LinkEventType::removed, pod.host); });
    ASSERT_TRUE(has(seen, LinkEventType::removed, pod.host));
    EXPECT_EQ(seen[index_of(seen, LinkEventType::removed, pod.host)].link.ifindex, host);
    EXPECT_EQ((*w)->exists(host), false);
}

TEST(HostLinkPrivileged, MissingThingsAreOutcomesNotErrors) {
    WARREN_REQUIRE_ROOT();
    Pod pod;
    ASSERT_TRUE(pod.setup()) << pod.ns.error();
    const uint64_t ino = inode_of(pod.ns.path());
    // A bridge (no peer) and a veth with both ends inside the pod.
    ASSERT_TRUE(pod.ns.exec({"ip", "link", "add", "br9", "type", "bridge"}).ok());
    ASSERT_TRUE(
        pod.ns.exec({"ip", "link", "add", "in0", "type", "veth", "peer", "name", "in1"}).ok());
    auto finder = NlHostLinkFinder::open();
    ASSERT_TRUE(finder.has_value()) << finder.error().describe();

    auto no_if = (*finder)->find(pod.ns.path(), "nope0", ino);
    ASSERT_TRUE(no_if.has_value()) << no_if.error().describe();
    EXPECT_EQ(no_if->outcome, HostLinkOutcome::no_interface);

    auto bridge = (*finder)->find(pod.ns.path(), "br9", ino);
    ASSERT_TRUE(bridge.has_value()) << bridge.error().describe();
    EXPECT_EQ(bridge->outcome, HostLinkOutcome::no_host_peer);

    auto inner = (*finder)->find(pod.ns.path(), "in0", ino);
    ASSERT_TRUE(inner.has_value()) << inner.error().describe();
    EXPECT_EQ(inner->outcome, HostLinkOutcome::no_host_peer);

    auto other = (*finder)->find(pod.ns.path(), "eth0", ino + 1);
    ASSERT_TRUE(other.has_value()) << other.error().describe();
    EXPECT_EQ(other->outcome, HostLinkOutcome::netns_gone) << "another namespace than recorded";

    ASSERT_TRUE(run_cmd({"ip", "netns", "del", pod.ns.name()}).ok());
    auto gone = (*finder)->find(pod.ns.path(), "eth0", ino);
    ASSERT_TRUE(gone.has_value()) << gone.error().describe();
    EXPECT_EQ(gone->outcome, HostLinkOutcome::netns_gone);
}

TEST(HostLinkPrivileged, PeerInAThirdNamespaceIsNotOurs) {
    WARREN_REQUIRE_ROOT();
    Netns pod, other;
    ASSERT_TRUE(pod.ok() && other.ok());
    ASSERT_TRUE(pod.exec({"ip", "link", "add", "eth0", "type", "veth", "peer", "name", "x0",
                          "netns", other.name()})
                    .ok());
    auto finder = NlHostLinkFinder::open();
    ASSERT_TRUE(finder.has_value()) << finder.error().describe();
    auto r = (*finder)->find(pod.path(), "eth0", 0);
    ASSERT_TRUE(r.has_value()) << r.error().describe();
    EXPECT_EQ(r->outcome, HostLinkOutcome::no_host_peer);
}

// The ADD's lookup (no thread, no setns) gives what find() gives, for every outcome it answers.
TEST(HostLinkPrivileged, FromOutsideAgreesWithFindWithoutEnteringTheNamespace) {
    WARREN_REQUIRE_ROOT();
    Pod pod;
    ASSERT_TRUE(pod.setup()) << pod.ns.error();
    const uint64_t ino = inode_of(pod.ns.path());
    ASSERT_TRUE(pod.ns.exec({"ip", "link", "add", "br9", "type", "bridge"}).ok());
    ASSERT_TRUE(
        pod.ns.exec({"ip", "link", "add", "in0", "type", "veth", "peer", "name", "in1"}).ok());
    auto finder = NlHostLinkFinder::open();
    ASSERT_TRUE(finder.has_value()) << finder.error().describe();

    auto eth0 = (*finder)->find_from_outside(pod.ns.path(), "eth0", ino);
    ASSERT_TRUE(eth0.has_value()) << eth0.error().describe();
    ASSERT_TRUE(eth0->has_value()) << "our namespace has an id for a pod whose veth end we hold";
    EXPECT_EQ((*eth0)->outcome, HostLinkOutcome::found);
    EXPECT_EQ((*eth0)->host.ifindex, ifindex_of(pod.host));
    EXPECT_EQ((*eth0)->container_ifindex, ifindex_of("eth0", pod.ns.name()));

    struct Case {
        const char* ifname;
        uint64_t inode;
        HostLinkOutcome want;
    };
    for (const Case& c : {Case{"nope0", ino, HostLinkOutcome::no_interface},
                          Case{"br9", ino, HostLinkOutcome::no_host_peer},
                          Case{"in0", ino, HostLinkOutcome::no_host_peer},
                          Case{"eth0", ino + 1, HostLinkOutcome::netns_gone}}) {
        SCOPED_TRACE(c.ifname);
        auto r = (*finder)->find_from_outside(pod.ns.path(), c.ifname, c.inode);
        ASSERT_TRUE(r.has_value()) << r.error().describe();
        ASSERT_TRUE(r->has_value());
        EXPECT_EQ((*r)->outcome, c.want);
        auto slow = (*finder)->find(pod.ns.path(), c.ifname, c.inode);
        ASSERT_TRUE(slow.has_value()) << slow.error().describe();
        EXPECT_EQ(slow->outcome, c.want);
    }
    ASSERT_TRUE(run_cmd({"ip", "netns", "del", pod.ns.name()}).ok());
    auto gone = (*finder)->find_from_outside(pod.ns.path(), "eth0", ino);
    ASSERT_TRUE(gone.has_value()) << gone.error().describe();
    ASSERT_TRUE(gone->has_value());
    EXPECT_EQ((*gone)->outcome, HostLinkOutcome::netns_gone);
}

}  // namespace
}  // namespace warren::liveness
