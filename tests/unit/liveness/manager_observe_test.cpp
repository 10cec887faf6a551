// LivenessManager::observe(): the signals of one GC pass combined per allocation, over fakes.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>

#include "liveness/detach_command.hpp"
#include "manager_fixture.hpp"
#include "support/captured_log.hpp"

namespace warren::testing {
namespace {

using liveness::AllocationRef;
using liveness::HeldSignal;
using liveness::HostIfindexSource;
using liveness::HostLinkSignal;
using liveness::NetnsSignal;
using liveness::WireSignal;

AllocationRef alloc(std::string key, uint64_t inode, std::vector<IpAddress> addresses,
                    int host_ifindex = 0) {
    return {.key = key,
            .netns_path = "/run/netns/" + key,
            .netns_inode = inode,
            .ifname = "eth0",
            .addresses = std::move(addresses),
            .host_ifindex = host_ifindex};
}

TEST(WireClock, ConvertsACoarseStampToWallClockNeverEarlierThanThePacket) {
    liveness::WireClock c{.realtime_ns = 10'000'000'000,
                          .monotonic_coarse_ns = 900'000'000,
                          .offset_ns = 9'000'000'000,
                          .tick_ns = 4'000'000};
    EXPECT_EQ(c.to_wall_ns(0), 0) << "never seen stays never";
    EXPECT_EQ(c.to_wall_ns(800'000'000), 9'804'000'000);  // + offset + one tick
    EXPECT_EQ(c.to_wall_ns(999'000'000), 10'000'000'000) << "capped at the pass's now";
}

TEST(WireClock, TheKernelReadingConvertsNowToNow) {
    auto c = liveness::read_wire_clock();
    EXPECT_GT(c.tick_ns, 0u);
    EXPECT_GT(c.monotonic_coarse_ns, 0u);
    const int64_t wall = c.to_wall_ns(c.monotonic_coarse_ns);
    EXPECT_LE(wall, c.realtime_ns);
    EXPECT_GE(wall, c.realtime_ns - 2 * static_cast<int64_t>(c.tick_ns) - 1'000'000'000)
        << "realtime read after the coarse clocks, within a second";
}

TEST_F(ManagerTest, ObserveCombinesTheSignalsPerAllocation) {
    auto m = started({veth(5, "veth-alive")});
    // alive: namespace at its path and held, host link present, traffic seen.
    prober->put("/run/netns/alive", 100);
    holders->hold(100, 4242);
    // zombie: path gone but a process still holds the namespace; host link gone; silent.
    holders->hold(200, 777);
    // moved: another namespace at the path; nobody holds the recorded one.
    prober->put("/run/netns/moved", 301);
    // broken: the probe fails (EACCES): unknown, never gone.
    prober->fail_on("/run/netns/broken", Error::from_errno("cannot open netns path", EACCES));
    const std::vector<IpAddress> addrs = {ip("10.1.0.1"), ip("fd00::1"), ip("10.1.0.2"),
                                          ip("10.1.0.3"), ip("10.1.0.4")};
    ASSERT_TRUE(m->watch(addrs));
    dp->maps.see(ip("10.1.0.1"), 5, 4'000'000'000);
    const std::vector<AllocationRef> allocs = {
        alloc("alive", 100, {ip("10.1.0.1"), ip("fd00::1")}, 5),
        alloc("zombie", 200, {ip("10.1.0.2")}, 6),
        alloc("moved", 300, {ip("10.1.0.3")}, 0),
        alloc("broken", 400, {ip("10.1.0.4")}, 0),
    };
    auto pass = m->observe(allocs);
    EXPECT_EQ(pass.now_ns, clock.realtime_ns);
    EXPECT_TRUE(pass.ebpf);
    EXPECT_TRUE(pass.holder_scan_complete);
    EXPECT_EQ(holders->scans(), 1) << "one holder scan per pass";
    ASSERT_EQ(pass.allocations.size(), 4u);

    const auto& alive = pass.allocations[0];
    EXPECT_EQ(alive.key, "alive");
    EXPECT_EQ(alive.netns, NetnsSignal::present);
    EXPECT_EQ(alive.netns_inode_now, 100u);
    EXPECT_EQ(alive.held, HeldSignal::held);
    EXPECT_EQ(alive.holder_pid, 4242);
    EXPECT_EQ(alive.host_link, HostLinkSignal::present);
    EXPECT_EQ(alive.host_ifindex, 5);
    EXPECT_EQ(alive.host_ifindex_source, HostIfindexSource::given);
    EXPECT_FALSE(alive.host_ifindex_learned);
    ASSERT_EQ(alive.addresses.size(), 2u);
    EXPECT_EQ(alive.addresses[0].address, ip("10.1.0.1"));
    EXPECT_EQ(alive.addresses[0].wire, WireSignal::seen);
    EXPECT_EQ(alive.addresses[0].last_seen_ns, 4'000'000'000 + clock.offset_ns + 4'000'000);
    EXPECT_EQ(alive.addresses[0].packets, 1u);
    EXPECT_EQ(alive.addresses[0].last_ifindex, 5);
    EXPECT_EQ(alive.addresses[0].first_ifindex, 5);
    EXPECT_FALSE(alive.addresses[0].multi_link);
    EXPECT_EQ(alive.addresses[1].wire, WireSignal::not_seen);
    EXPECT_EQ(alive.addresses[1].last_seen_ns, 0);

    const auto& zombie = pass.allocations[1];
    EXPECT_EQ(zombie.netns, NetnsSignal::gone);
    EXPECT_EQ(zombie.held, HeldSignal::held);
    EXPECT_EQ(zombie.holder_pid, 777);
    EXPECT_EQ(zombie.host_link, HostLinkSignal::gone);
    EXPECT_EQ(zombie.addresses[0].wire, WireSignal::not_seen);

    const auto& moved = pass.allocations[2];
    EXPECT_EQ(moved.netns, NetnsSignal::replaced);
    EXPECT_EQ(moved.netns_inode_now, 301u);
    EXPECT_EQ(moved.held, HeldSignal::not_held);
    EXPECT_EQ(moved.host_link, HostLinkSignal::unknown);
    EXPECT_EQ(moved.host_ifindex_source, HostIfindexSource::none);

    const auto& broken = pass.allocations[3];
    EXPECT_EQ(broken.netns, NetnsSignal::unknown);
    EXPECT_EQ(broken.netns_error, "cannot open netns path: Permission denied");
    EXPECT_EQ(broken.held, HeldSignal::not_held);
}

// The kernel gives a freed namespace's inode number to the next one made: a dead pod's recorded
// inode held by a process of another pod. The cookies tell them apart.
AllocationRef with_cookie(std::string key, uint64_t inode, uint64_t cookie) {
    AllocationRef r = alloc(std::move(key), inode, {ip("10.1.0.9")});
    r.netns_cookie = cookie;
    return r;
}

TEST_F(ManagerTest, AHolderOfAReusedInodeWithAnotherCookieIsNotHeld) {
    auto m = started();
    holders->hold(200, 777);  // path /run/netns/dead is gone (the prober knows nothing there)
    cookies->put("/proc/777/ns/net", 99);
    const std::vector<AllocationRef> allocs = {with_cookie("dead", 200, 11)};
    auto pass = m->observe(allocs);
    ASSERT_EQ(pass.allocations.size(), 1u);
    const auto& dead = pass.allocations[0];
    EXPECT_EQ(dead.netns, NetnsSignal::gone);
    EXPECT_EQ(dead.held, HeldSignal::not_held);
    EXPECT_TRUE(dead.holder_cookie_checked);
    EXPECT_EQ(dead.holder_pid, 0) << "the holder is not this pod's";
    EXPECT_EQ(cookies->asked(), std::vector<std::string>{"/proc/777/ns/net"});
}

TEST_F(ManagerTest, AHolderWithTheRecordedCookieIsHeld) {
    auto m = started();
    holders->hold(200, 777);
    cookies->put("/proc/777/ns/net", 11);
    holders->hold_by_mount(300, "/run/other/mnt");
    cookies->put("/run/other/mnt", 12);
    const std::vector<AllocationRef> allocs = {with_cookie("zombie", 200, 11),
                                               with_cookie("mounted", 300, 12)};
    auto pass = m->observe(allocs);
    ASSERT_EQ(pass.allocations.size(), 2u);
    EXPECT_EQ(pass.allocations[0].held, HeldSignal::held);
    EXPECT_TRUE(pass.allocations[0].holder_cookie_checked);
    EXPECT_EQ(pass.allocations[0].holder_pid, 777);
    EXPECT_EQ(pass.allocations[1].held, HeldSignal::held) << "a mount is read at its mount point";
    EXPECT_EQ(pass.allocations[1].holder_mount, "/run/other/mnt");
    EXPECT_EQ(cookies->asked(), (std::vector<std::string>{"/proc/777/ns/net", "/run/other/mnt"}));
}

TEST_F(ManagerTest, AHolderWhoseCookieCannotBeReadIsUnknown) {
    auto m = started();
    holders->hold(200, 777);  // no cookie for /proc/777/ns/net: ENOENT (it exited)
    const std::vector<AllocationRef> allocs = {with_cookie("dead", 200, 11)};
    auto pass = m->observe(allocs);
    ASSERT_EQ(pass.allocations.size(), 1u);
    EXPECT_EQ(pass.allocations[0].held, HeldSignal::unknown);
    EXPECT_FALSE(pass.allocations[0].holder_cookie_checked);
    EXPECT_NE(pass.allocations[0].holder_error.find("/proc/777/ns/net"), std::string::npos)
        << pass.allocations[0].holder_error;
}

TEST_F(ManagerTest, ADifferentCookieIsProofOnlyFromACompleteScan) {
    auto m = started();
    holders->hold(200, 777);
    holders->set_unreadable(1);
    cookies->put("/proc/777/ns/net", 99);
    const std::vector<AllocationRef> allocs = {with_cookie("dead", 200, 11)};
    auto pass = m->observe(allocs);
    ASSERT_EQ(pass.allocations.size(), 1u);
    EXPECT_EQ(pass.allocations[0].held, HeldSignal::unknown);
}

TEST_F(ManagerTest, CookiesAreComparedOnlyWhenThePathLostTheNamespaceAndOneIsRecorded) {
    auto m = started();
    prober->put("/run/netns/alive", 100);
    holders->hold(100, 4242);
    holders->hold(200, 777);
    const std::vector<AllocationRef> allocs = {with_cookie("alive", 100, 11),
                                               alloc("old-plugin", 200, {ip("10.1.0.8")})};
    auto pass = m->observe(allocs);
    ASSERT_EQ(pass.allocations.size(), 2u);
    EXPECT_EQ(pass.allocations[0].held, HeldSignal::held);
    EXPECT_EQ(pass.allocations[1].held, HeldSignal::held) << "no cookie: the holder counts";
    EXPECT_FALSE(pass.allocations[1].holder_cookie_checked);
    EXPECT_TRUE(cookies->asked().empty());
}

TEST_F(ManagerTest, TheHostLinkLookupLearnsTheCookieOfAnOldPluginsPod) {
    auto m = started({veth(5, "veth-a")});
    prober->put("/run/netns/old", 100);
    prober->put("/run/netns/new", 101);
    finder->put("/run/netns/old", "eth0",
                liveness::HostLink{.outcome = liveness::HostLinkOutcome::found,
                                   .host = veth(5, "veth-a"),
                                   .container_ifindex = 2,
                                   .netns_cookie = 4321});
    finder->put("/run/netns/new", "eth0",
                liveness::HostLink{.outcome = liveness::HostLinkOutcome::no_interface,
                                   .netns_cookie = 8765});
    const std::vector<AllocationRef> allocs = {alloc("old", 100, {ip("10.1.0.8")}),
                                               with_cookie("new", 101, 55)};
    auto pass = m->observe(allocs);
    ASSERT_EQ(pass.allocations.size(), 2u);
    EXPECT_EQ(pass.allocations[0].netns_cookie_learned, 4321u);
    EXPECT_TRUE(pass.allocations[0].host_ifindex_learned);
    EXPECT_EQ(pass.allocations[1].netns_cookie_learned, 0u) << "it has one from ADD";
}

TEST_F(ManagerTest, ObserveReadsMultiLinkAndQuarantinedAddresses) {
    auto m = started({veth(5, "veth-a"), veth(6, "veth-b")});
    const std::vector<IpAddress> q = {ip("10.1.0.9"), ip("10.1.0.10")};
    ASSERT_TRUE(m->watch(q));
    dp->maps.see(ip("10.1.0.9"), 5, 1'000'000'000);
    dp->maps.see(ip("10.1.0.9"), 6, 2'000'000'000);
    auto pass = m->observe({}, q);
    ASSERT_EQ(pass.quarantined.size(), 2u);
    EXPECT_EQ(pass.quarantined[0].address, ip("10.1.0.9"));
    EXPECT_EQ(pass.quarantined[0].wire, WireSignal::seen);
    EXPECT_TRUE(pass.quarantined[0].multi_link);
    EXPECT_EQ(pass.quarantined[0].first_ifindex, 5);
    EXPECT_EQ(pass.quarantined[0].last_ifindex, 6);
    EXPECT_EQ(pass.quarantined[0].packets, 2u);
    EXPECT_EQ(pass.quarantined[1].wire, WireSignal::not_seen);
}

TEST_F(ManagerTest, AFailedHolderScanMakesHeldUnknownAndSaysWhy) {
    CapturedLog log;
    auto m = started();
    prober->put("/run/netns/a", 100);
    holders->fail_next_scan(Error::from_errno("cannot list /proc", EMFILE));
    const std::vector<AllocationRef> allocs = {alloc("a", 100, {}), alloc("b", 200, {})};
    auto pass = m->observe(allocs);
    EXPECT_EQ(pass.allocations[0].held, HeldSignal::unknown);
    EXPECT_EQ(pass.allocations[1].held, HeldSignal::unknown);
    EXPECT_EQ(pass.holder_scan_error,
              "scanning /proc failed: cannot list /proc: Too many open files");
    auto s = m->status();
    EXPECT_FALSE(s.holders.on);
    EXPECT_EQ(s.holders.why, *pass.holder_scan_error);

    auto next = m->observe(allocs);  // the scan works again
    EXPECT_EQ(next.allocations[1].held, HeldSignal::not_held);
    EXPECT_TRUE(m->status().holders.on);
    EXPECT_EQ(log.count("the holder signal is off"), 1u) << log.text();
    EXPECT_EQ(log.count("the holder signal is back"), 1u) << log.text();
}

TEST_F(ManagerTest, AnIncompleteScanProvesNothingAboutNotHeld) {
    auto m = started();
    holders->hold(100);
    holders->set_unreadable(2);
    const std::vector<AllocationRef> allocs = {alloc("held", 100, {}), alloc("other", 200, {})};
    auto pass = m->observe(allocs);
    EXPECT_FALSE(pass.holder_scan_complete);
    EXPECT_EQ(pass.allocations[0].held, HeldSignal::held);
    EXPECT_EQ(pass.allocations[1].held, HeldSignal::unknown);
    EXPECT_EQ(pass.holder_scan_error,
              "2 process(es) unreadable, so a namespace not seen held may still be (cannot read "
              "/proc/1/ns/net: Permission denied)");
    EXPECT_TRUE(m->status().holders.on);
}

TEST_F(ManagerTest, AnUnknownRecordedInodeUsesTheOneAtThePathOrStaysUnknown) {
    auto m = started();
    prober->put("/run/netns/here", 100);
    holders->hold(100);
    const std::vector<AllocationRef> allocs = {alloc("here", 0, {}), alloc("gone", 0, {})};
    auto pass = m->observe(allocs);
    EXPECT_EQ(pass.allocations[0].netns, NetnsSignal::present);
    EXPECT_EQ(pass.allocations[0].held, HeldSignal::held);
    EXPECT_EQ(pass.allocations[1].netns, NetnsSignal::gone);
    EXPECT_EQ(pass.allocations[1].held, HeldSignal::unknown);
}

TEST_F(ManagerTest, ObservingIntoTheLastPassKeepsNothingOfItsAnswers) {
    auto m = started({veth(5, "veth-a")});
    prober->put("/run/netns/a", 100);
    holders->hold(100, 4242);
    prober->fail_on("/run/netns/b", Error::from_errno("cannot open netns path", EACCES));
    ASSERT_TRUE(m->watch(std::vector<IpAddress>{ip("10.1.0.1"), ip("10.1.0.2"), ip("10.1.0.9")}));
    dp->maps.see(ip("10.1.0.1"), 5, 4'000'000'000);
    const std::vector<AllocationRef> first_allocs = {alloc("a", 100, {ip("10.1.0.1")}, 5),
                                                     alloc("b", 200, {ip("10.1.0.2")}, 0)};
    liveness::ObservePass pass;
    m->observe(first_allocs, std::vector<IpAddress>{ip("10.1.0.9")}, pass);
    ASSERT_EQ(pass.allocations.size(), 2u);
    ASSERT_EQ(pass.allocations[0].holder_pid, 4242);
    ASSERT_FALSE(pass.allocations[1].netns_error.empty());
    ASSERT_EQ(pass.quarantined.size(), 1u);

    // The next pass, into the same object: one allocation, other answers, nothing quarantined.
    prober->fail_on("/run/netns/b", std::nullopt);
    const std::vector<AllocationRef> second_allocs = {alloc("b", 200, {ip("10.1.0.2")}, 0)};
    m->observe(second_allocs, {}, pass);
    ASSERT_EQ(pass.allocations.size(), 1u);
    const auto& b = pass.allocations[0];
    EXPECT_EQ(b.key, "b");
    EXPECT_EQ(b.netns, NetnsSignal::gone);
    EXPECT_TRUE(b.netns_error.empty());
    EXPECT_EQ(b.held, HeldSignal::not_held);
    EXPECT_EQ(b.holder_pid, 0);
    EXPECT_EQ(b.host_ifindex, 0);
    ASSERT_EQ(b.addresses.size(), 1u);
    EXPECT_EQ(b.addresses[0].address, ip("10.1.0.2"));
    EXPECT_EQ(b.addresses[0].wire, WireSignal::not_seen);
    EXPECT_TRUE(pass.quarantined.empty());

    // The same as a fresh pass.
    auto fresh = m->observe(second_allocs);
    ASSERT_EQ(fresh.allocations.size(), 1u);
    EXPECT_EQ(fresh.allocations[0].netns, b.netns);
    EXPECT_EQ(fresh.allocations[0].held, b.held);
    EXPECT_EQ(fresh.allocations[0].host_link, b.host_link);
    EXPECT_EQ(fresh.now_ns, pass.now_ns);
}

TEST_F(ManagerTest, AProcNetPathIsAnsweredFromTheHolderScanWithoutAProbe) {
    auto m = started({});
    holders->hold(100, 4242);
    holders->proc_net(4242, 100);
    holders->proc_net(4343, 101);
    AllocationRef same = alloc("same", 100, {});
    same.netns_path = "/proc/4242/ns/net";
    AllocationRef moved = alloc("moved", 100, {});
    moved.netns_path = "/proc/4343/ns/net";
    AllocationRef unscanned = alloc("unscanned", 100, {});
    unscanned.netns_path = "/proc/4444/ns/net";  // not in the scan: the prober decides
    prober->put("/proc/4444/ns/net", 100);
    auto pass = m->observe(std::vector<AllocationRef>{same, moved, unscanned});
    ASSERT_EQ(pass.allocations.size(), 3u);
    EXPECT_EQ(pass.allocations[0].netns, NetnsSignal::present);
    EXPECT_EQ(pass.allocations[0].netns_inode_now, 100u);
    EXPECT_EQ(pass.allocations[0].held, HeldSignal::held);
    EXPECT_EQ(pass.allocations[1].netns, NetnsSignal::replaced);
    EXPECT_EQ(pass.allocations[1].netns_inode_now, 101u);
    EXPECT_EQ(pass.allocations[2].netns, NetnsSignal::present);
    EXPECT_EQ(prober->probes(), 1) << "only the path the scan did not read was probed";
}

TEST_F(ManagerTest, TheHostLinkIsLearnedOnceFromThePodsNamespace) {
    auto m = started({veth(5, "veth-a")});
    prober->put("/run/netns/a", 100);
    finder->put("/run/netns/a", "eth0",
                {.outcome = liveness::HostLinkOutcome::found,
                 .host = veth(5, "veth-a"),
                 .container_ifindex = 2});
    const std::vector<AllocationRef> allocs = {alloc("a", 100, {})};
    auto first = m->observe(allocs);
    EXPECT_EQ(first.allocations[0].host_ifindex, 5);
    EXPECT_EQ(first.allocations[0].host_ifindex_source, HostIfindexSource::netns);
    EXPECT_TRUE(first.allocations[0].host_ifindex_learned);
    EXPECT_EQ(first.allocations[0].host_link, HostLinkSignal::present);
    EXPECT_EQ(first.host_link_lookups, 1u);

    watcher->remove(5);  // the pod's link goes; no loop turn in between
    auto second = m->observe(allocs);
    EXPECT_EQ(finder->finds(), 1) << "learned once";
    EXPECT_EQ(second.allocations[0].host_ifindex, 5);
    EXPECT_EQ(second.allocations[0].host_ifindex_source, HostIfindexSource::netns);
    EXPECT_EQ(second.allocations[0].host_link, HostLinkSignal::gone)
        << "the pass applies pending link events first";
}

TEST_F(ManagerTest, TheNamespaceIsNotAskedWhenItIsGoneOrTheLinkIsKnown) {
    auto m = started({veth(5, "veth-a")});
    prober->put("/run/netns/known", 100);
    const std::vector<AllocationRef> allocs = {alloc("gone", 200, {}), alloc("known", 100, {}, 5)};
    auto pass = m->observe(allocs);
    EXPECT_EQ(finder->finds(), 0);
    EXPECT_EQ(pass.allocations[0].host_link, HostLinkSignal::unknown);
    EXPECT_EQ(pass.allocations[1].host_link, HostLinkSignal::present);
}

TEST_F(ManagerTest, WithoutAVethPeerTheLinkIsLearnedFromTheWireOnPodFacingVethsOnly) {
    auto m = started({veth(5, "veth-a"), bridge(7, "cni0")}, {.interfaces = {"cni0"}});
    prober->put("/run/netns/a", 100);
    prober->put("/run/netns/b", 200);
    for (const char* key : {"a", "b"})
        finder->put(std::string("/run/netns/") + key, "eth0",
                    {.outcome = liveness::HostLinkOutcome::no_host_peer});
    const std::vector<IpAddress> addrs = {ip("10.1.0.1"), ip("10.1.0.2")};
    ASSERT_TRUE(m->watch(addrs));
    const std::vector<AllocationRef> allocs = {alloc("a", 100, {ip("10.1.0.1")}),
                                               alloc("b", 200, {ip("10.1.0.2")})};
    auto before = m->observe(allocs);  // silent: nothing to learn from
    EXPECT_EQ(before.allocations[0].host_ifindex_source, HostIfindexSource::none);
    EXPECT_EQ(before.allocations[0].host_link, HostLinkSignal::unknown);

    dp->maps.see(ip("10.1.0.1"), 5, 1'000'000'000);
    dp->maps.see(ip("10.1.0.2"), 7, 1'000'000'000);  // first seen on the bridge
    auto after = m->observe(allocs);
    EXPECT_EQ(finder->finds(), 2) << "a namespace without a veth peer is not asked again";
    EXPECT_EQ(after.allocations[0].host_ifindex, 5);
    EXPECT_EQ(after.allocations[0].host_ifindex_source, HostIfindexSource::wire);
    EXPECT_TRUE(after.allocations[0].host_ifindex_learned);
    EXPECT_EQ(after.allocations[0].host_link, HostLinkSignal::present);
    EXPECT_EQ(after.allocations[1].host_ifindex, 0) << "a bridge says nothing about the pod";
    EXPECT_EQ(after.allocations[1].host_link, HostLinkSignal::unknown);
}

TEST_F(ManagerTest, HostLinkLookupsPerPassAreBounded) {
    auto m = started({}, {.host_link_lookups_per_pass = 2});
    std::vector<AllocationRef> allocs;
    for (int i = 0; i < 5; ++i) {
        std::string key = "p" + std::to_string(i);
        prober->put("/run/netns/" + key, 100 + i);
        finder->put(
            "/run/netns/" + key, "eth0",
            {.outcome = liveness::HostLinkOutcome::found, .host = veth(50 + i, "veth-" + key)});
        allocs.push_back(alloc(key, 100 + i, {}));
    }
    auto first = m->observe(allocs);
    EXPECT_EQ(first.host_link_lookups, 2u);
    EXPECT_EQ(first.host_link_lookups_deferred, 3u);
    auto second = m->observe(allocs);
    EXPECT_EQ(second.host_link_lookups, 2u);
    EXPECT_EQ(second.host_link_lookups_deferred, 1u);
    auto third = m->observe(allocs);
    EXPECT_EQ(third.host_link_lookups, 1u);
    EXPECT_EQ(third.host_link_lookups_deferred, 0u);
    EXPECT_EQ(finder->finds(), 5);
    for (size_t i = 0; i < allocs.size(); ++i)
        EXPECT_EQ(third.allocations[i].host_ifindex, 50 + static_cast<int>(i));
}

TEST_F(ManagerTest, AMissingInterfaceIsAskedAgainNextPass) {
    auto m = started({veth(5, "veth-a")});
    prober->put("/run/netns/a", 100);
    finder->put("/run/netns/a", "eth0", {.outcome = liveness::HostLinkOutcome::no_interface});
    const std::vector<AllocationRef> allocs = {alloc("a", 100, {})};
    auto first = m->observe(allocs);  // ptp-style plugins call IPAM before making the link
    EXPECT_EQ(first.allocations[0].host_link, HostLinkSignal::unknown);
    finder->put("/run/netns/a", "eth0",
                {.outcome = liveness::HostLinkOutcome::found, .host = veth(5, "veth-a")});
    auto second = m->observe(allocs);
    EXPECT_EQ(finder->finds(), 2);
    EXPECT_EQ(second.allocations[0].host_ifindex, 5);
    EXPECT_EQ(second.allocations[0].host_link, HostLinkSignal::present);
}

TEST_F(ManagerTest, AFailedLookupIsReportedAndRetried) {
    auto m = started();
    prober->put("/run/netns/a", 100);
    finder->fail_next(Error::from_errno("setns into /run/netns/a", EPERM));
    const std::vector<AllocationRef> allocs = {alloc("a", 100, {})};
    auto first = m->observe(allocs);
    EXPECT_EQ(first.host_link_error, "a: setns into /run/netns/a: Operation not permitted");
    EXPECT_EQ(first.allocations[0].host_link, HostLinkSignal::unknown);
    auto second = m->observe(allocs);
    EXPECT_EQ(finder->finds(), 2);
    EXPECT_EQ(second.host_link_error, std::nullopt);
}

TEST_F(ManagerTest, StrangersAreReportedWhenSeenSinceTheLastPass) {
    auto m = started({veth(5, "veth-a")});
    dp->maps.see(ip("10.9.0.1"), 5, 1'000'000'000);
    auto first = m->observe({});
    ASSERT_EQ(first.strangers.size(), 1u);
    EXPECT_EQ(first.strangers[0].address, ip("10.9.0.1"));
    EXPECT_EQ(first.strangers[0].last_ifindex, 5);
    EXPECT_EQ(first.strangers[0].packets, 1u);
    EXPECT_EQ(first.strangers[0].last_seen_ns, 1'000'000'000 + clock.offset_ns + 4'000'000);

    auto quiet = m->observe({});
    EXPECT_TRUE(quiet.strangers.empty());

    dp->maps.see(ip("10.9.0.1"), 5, 2'000'000'000);
    dp->maps.see(ip("fd00::99"), 5, 2'000'000'000);
    auto again = m->observe({});
    ASSERT_EQ(again.strangers.size(), 2u);
    std::set<IpAddress> seen = {again.strangers[0].address, again.strangers[1].address};
    EXPECT_EQ(seen, (std::set<IpAddress>{ip("10.9.0.1"), ip("fd00::99")}));
}

// An admin release or a dry-run GC looks at a few allocations between passes; the next pass must
// still report what changed since the last pass, and the pass count is the passes'.
TEST_F(ManagerTest, ACheckBetweenPassesLeavesWhatThePassesRemember) {
    auto m = started({veth(5, "veth-a")});
    dp->maps.see(ip("10.9.0.1"), 5, 1'000'000'000);
    ASSERT_EQ(m->observe({}).strangers.size(), 1u);
    const size_t passes = m->status().passes;

    dp->maps.see(ip("10.9.0.1"), 5, 2'000'000'000);
    auto checked = m->check(std::vector<AllocationRef>{alloc("a", 100, {})});
    EXPECT_TRUE(checked.strangers.empty()) << "a check reports no strangers";
    ASSERT_EQ(checked.allocations.size(), 1u);
    EXPECT_EQ(checked.allocations[0].key, "a");
    EXPECT_EQ(m->status().passes, passes);

    auto next = m->observe({});
    ASSERT_EQ(next.strangers.size(), 1u) << "the stranger's new packet is the next pass's news";
    EXPECT_EQ(next.strangers[0].packets, 2u);
}

TEST_F(ManagerTest, AnAddressMissingFromWatchIsWatchedAgainAndUnknown) {
    CapturedLog log;
    auto m = started();
    auto pass = m->observe(std::vector<AllocationRef>{alloc("a", 100, {ip("10.1.0.1")})});
    EXPECT_EQ(pass.allocations[0].addresses[0].wire, WireSignal::unknown);
    EXPECT_TRUE(pass.allocations[0].addresses[0].rewatched);
    EXPECT_EQ(pass.rewatched, 1u);
    EXPECT_TRUE(dp->maps.observation(ip("10.1.0.1"))->has_value());
    EXPECT_NE(log.text().find("warning|liveness: 1 address(es) were missing from the watch map"),
              std::string::npos)
        << log.text();
}

TEST_F(ManagerTest, UnreadableMapsMakeTheWireUnknownForThePass) {
    auto m = started();
    const IpAddress a = ip("10.1.0.1");
    ASSERT_TRUE(m->watch({&a, 1}));
    dp->maps.fail_next(Error::from_errno("bpf_map_lookup_batch watch", EFAULT));
    auto pass = m->observe(std::vector<AllocationRef>{alloc("a", 100, {a})});
    EXPECT_FALSE(pass.ebpf);
    EXPECT_EQ(pass.wire_error,
              "reading the liveness maps failed: bpf_map_lookup_batch watch: Bad address");
    EXPECT_EQ(pass.allocations[0].addresses[0].wire, WireSignal::unknown);
    EXPECT_FALSE(pass.allocations[0].addresses[0].rewatched);
    EXPECT_FALSE(m->status().ebpf.on);
    auto next = m->observe(std::vector<AllocationRef>{alloc("a", 100, {a})});
    EXPECT_EQ(next.allocations[0].addresses[0].wire, WireSignal::not_seen);
    EXPECT_TRUE(m->status().ebpf.on);
}

TEST_F(ManagerTest, WithoutEbpfEveryAddressIsUnknown) {
    load_error = Error{Code::unavailable, "bpffs not mounted at /sys/fs/bpf", "", 0};
    host.bpffs = false;
    auto m = started();
    prober->put("/run/netns/a", 100);
    auto pass = m->observe(std::vector<AllocationRef>{alloc("a", 100, {ip("10.1.0.1")})});
    EXPECT_FALSE(pass.ebpf);
    EXPECT_EQ(pass.wire_error, std::nullopt);
    EXPECT_EQ(pass.allocations[0].netns, NetnsSignal::present);
    EXPECT_EQ(pass.allocations[0].addresses[0].wire, WireSignal::unknown);
    EXPECT_TRUE(pass.strangers.empty());
}

// Not a timed assertion: prints how long one pass takes over fakes (the manager's own work:
// maps read once, link table in memory, one holder scan).
TEST_F(ManagerTest, TenThousandAllocationsPassTiming) {
    std::vector<liveness::LinkInfo> links;
    for (int i = 0; i < 10'000; ++i) links.push_back(veth(1000 + i, "veth" + std::to_string(i)));
    auto m = started(links);
    std::vector<AllocationRef> allocs;
    std::vector<IpAddress> addrs;
    for (int i = 0; i < 10'000; ++i) {
        const IpAddress a = IpAddress::v4(0x0a000000u + 2 + static_cast<uint32_t>(i));
        std::string key = "pod" + std::to_string(i);
        prober->put("/run/netns/" + key, 100'000 + i);
        holders->hold(100'000 + i);
        addrs.push_back(a);
        allocs.push_back(alloc(key, 100'000 + i, {a}, 1000 + i));
    }
    ASSERT_TRUE(m->watch(addrs));
    for (int i = 0; i < 10'000; i += 2) dp->maps.see(addrs[i], 1000 + i, 4'000'000'000);
    m->observe(allocs);  // warm
    const auto t0 = std::chrono::steady_clock::now();
    auto pass = m->observe(allocs);
    const auto t1 = std::chrono::steady_clock::now();
    ASSERT_EQ(pass.allocations.size(), 10'000u);
    EXPECT_EQ(pass.allocations[0].addresses[0].wire, WireSignal::seen);
    EXPECT_EQ(pass.allocations[1].addresses[0].wire, WireSignal::not_seen);
    EXPECT_EQ(pass.allocations[9'999].host_link, HostLinkSignal::present);
    std::printf("[ timing ] observe() over 10000 allocations (fakes, steady state): %.2f ms\n",
                std::chrono::duration<double, std::milli>(t1 - t0).count());
}

TEST(DetachSummary, SaysWhatWasRemovedOrThatNothingWas) {
    liveness::DetachReport report{
        .links = {"veth1", "veth2"},
        .unpinned = {"/sys/fs/bpf/warren/watch", "/sys/fs/bpf/warren/strangers"},
        .removed_dir = true};
    EXPECT_EQ(liveness::describe(report, "/sys/fs/bpf/warren"),
              "detach-all: removed warren's filter from 2 link(s) (veth1, veth2), unpinned 2 "
              "map(s), removed /sys/fs/bpf/warren");
    EXPECT_EQ(liveness::describe({}, "/sys/fs/bpf/warren"),
              "detach-all: nothing to remove (no warren filter on any link, nothing pinned under "
              "/sys/fs/bpf/warren)");
}

}  // namespace
}  // namespace warren::testing
