// LivenessManager's anti-spoofing wiring: the guard over the datapath's GuardMaps, protect() on
// ADD (host link from the table or one finder call), link removal, polling on whole passes.
#include <gtest/gtest.h>

#include "manager_fixture.hpp"
#include "support/captured_log.hpp"
#include "support/fake_guard_maps.hpp"

namespace warren::testing {
namespace {

using liveness::AllocationRef;
using liveness::HostIfindexSource;
using liveness::HostLinkOutcome;
using liveness::LinkSources;
using liveness::SpoofMode;

class ManagerGuardTest : public ManagerTest {
  protected:
    ManagerGuardTest() { dp->guard_maps = &guard_maps; }

    liveness::HostLink found(int host_ifindex, std::string name) {
        return {.outcome = HostLinkOutcome::found, .host = veth(host_ifindex, std::move(name))};
    }
    Result<int> protect(liveness::LivenessManager& m, const std::string& key, int known,
                        SpoofMode mode, std::vector<IpAddress> addrs) {
        return m.protect(key, "/run/netns/" + key, "eth0", 100, known, mode, addrs);
    }

    FakeGuardMaps guard_maps;
};

TEST_F(ManagerGuardTest, TheGuardIsOnWithTheDatapathsMaps) {
    auto m = started();
    EXPECT_TRUE(m->guard().on());
    const auto s = m->status();
    EXPECT_TRUE(s.anti_spoofing.on);
    EXPECT_EQ(s.anti_spoofing.why, "");
}

TEST_F(ManagerGuardTest, ADatapathWithoutGuardMapsLeavesItOffAndSaysWhy) {
    dp->guard_maps = nullptr;
    CapturedLog log;
    auto m = started({veth(5, "veth-a")});
    EXPECT_FALSE(m->guard().on());
    const auto s = m->status();
    EXPECT_FALSE(s.anti_spoofing.on);
    EXPECT_EQ(s.anti_spoofing.why, "the loaded classifier has no anti-spoofing maps");
    EXPECT_EQ(log.count("info|liveness: anti-spoofing is off: the loaded classifier has no "
                        "anti-spoofing maps"),
              1u)
        << log.text();
    // protect() is then a no-op: nothing looked up, nothing written.
    auto r = protect(*m, "a", 5, SpoofMode::drop, {ip("10.1.0.5")});
    ASSERT_TRUE(r);
    EXPECT_EQ(*r, 0);
    EXPECT_EQ(finder->finds(), 0);
    EXPECT_EQ(guard_maps.writes(), 0);
}

TEST_F(ManagerGuardTest, EbpfOffLeavesItOffAndSaysWhy) {
    auto m = started({}, {.ebpf = liveness::EbpfMode::off});
    EXPECT_FALSE(m->guard().on());
    EXPECT_EQ(m->status().anti_spoofing.why, "eBPF is off (liveness.ebpf is \"off\")");

    load_error = Error{Code::unavailable, "loading the liveness classifier", "", EPERM};
    host = {.root = false, .bpffs = true, .kernel_btf = true};
    auto failed = started();
    EXPECT_FALSE(failed->guard().on());
    EXPECT_TRUE(failed->status().anti_spoofing.why.starts_with("eBPF is off: "))
        << failed->status().anti_spoofing.why;
}

TEST_F(ManagerGuardTest, AKnownPodFacingLinkIsProtectedWithoutAFinderCall) {
    auto m = started({veth(5, "veth-a")});
    auto r = protect(*m, "a", 5, SpoofMode::drop, {ip("10.1.0.5")});
    ASSERT_TRUE(r) << r.error().describe();
    EXPECT_EQ(*r, 5);
    EXPECT_EQ(finder->finds(), 0);
    EXPECT_EQ(guard_maps.link(5), (LinkSources{5, SpoofMode::drop, {ip("10.1.0.5")}}));
    EXPECT_EQ(m->guard().link_of("a"), 5u);
}

TEST_F(ManagerGuardTest, OtherwiseOneFinderCallFindsTheLinkAndTheGcRemembersIt) {
    auto m = started({veth(5, "veth-a"), veth(6, "veth-local", false)});
    finder->put("/run/netns/a", "eth0", found(5, "veth-a"));
    // 6 is no pod-facing veth (and 9 is not there at all): neither is taken.
    for (int known : {0, 6, 9}) {
        auto r = protect(*m, "a", known, SpoofMode::log, {ip("10.1.0.5")});
        ASSERT_TRUE(r) << r.error().describe();
        EXPECT_EQ(*r, 5);
    }
    EXPECT_EQ(finder->finds(), 1) << "later ADDs use what the first one learned";
    EXPECT_EQ(guard_maps.link(5), (LinkSources{5, SpoofMode::log, {ip("10.1.0.5")}}));
    EXPECT_FALSE(guard_maps.link(6).has_value());

    prober->put("/run/netns/a", 100);
    const std::vector<AllocationRef> allocs = {{.key = "a",
                                                .netns_path = "/run/netns/a",
                                                .netns_inode = 100,
                                                .ifname = "eth0",
                                                .addresses = {ip("10.1.0.5")}}};
    auto pass = m->observe(allocs);
    EXPECT_EQ(finder->finds(), 1) << "the GC pass does not look again";
    ASSERT_EQ(pass.allocations.size(), 1u);
    EXPECT_EQ(pass.allocations[0].host_ifindex, 5);
    EXPECT_EQ(pass.allocations[0].host_ifindex_source, HostIfindexSource::netns);
    EXPECT_TRUE(pass.allocations[0].host_ifindex_learned);
}

TEST_F(ManagerGuardTest, NoVethMeansNothingToProtect) {
    auto m = started();
    finder->put("/run/netns/a", "eth0", {.outcome = HostLinkOutcome::no_host_peer});
    auto r = protect(*m, "a", 0, SpoofMode::drop, {ip("10.1.0.5")});
    ASSERT_TRUE(r);
    EXPECT_EQ(*r, 0);
    EXPECT_EQ(guard_maps.writes(), 0);
    EXPECT_EQ(finder->finds(), 1);
    // An interface not made yet (a plugin that calls IPAM first): 0 too, asked again next time.
    auto later = protect(*m, "b", 0, SpoofMode::drop, {ip("10.1.0.6")});
    ASSERT_TRUE(later);
    EXPECT_EQ(*later, 0);
    EXPECT_EQ(finder->finds(), 2);
}

TEST_F(ManagerGuardTest, FinderAndMapFailuresAreErrors) {
    auto m = started({veth(5, "veth-a")});
    finder->fail_next(Error::from_errno("entering the pod's network namespace", EPERM));
    auto r = protect(*m, "a", 0, SpoofMode::log, {ip("10.1.0.5")});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().sys_errno, EPERM);
    EXPECT_EQ(r.error().message,
              "anti-spoofing: cannot find the host link of a: entering the pod's network "
              "namespace");

    guard_maps.fail_next_write(Error::from_errno("updating link_sources", ENOMEM));
    auto w = protect(*m, "a", 5, SpoofMode::log, {ip("10.1.0.5")});
    ASSERT_FALSE(w);
    EXPECT_EQ(w.error().sys_errno, ENOMEM);
    EXPECT_EQ(m->guard().link_of("a"), 0u);
}

TEST_F(ManagerGuardTest, UnprotectDeletesTheEntry) {
    auto m = started({veth(5, "veth-a"), veth(6, "veth-b")});
    ASSERT_TRUE(protect(*m, "a", 5, SpoofMode::drop, {ip("10.1.0.5")}));
    ASSERT_TRUE(protect(*m, "b", 6, SpoofMode::drop, {ip("10.1.0.6")}));
    ASSERT_TRUE(m->unprotect("a"));
    EXPECT_FALSE(guard_maps.link(5).has_value());
    EXPECT_TRUE(guard_maps.link(6).has_value());
}

TEST_F(ManagerGuardTest, ARemovedLinkLosesItsEntryAndItsSpoofs) {
    auto m = started({veth(5, "veth-a"), veth(6, "veth-b")});
    ASSERT_TRUE(protect(*m, "a", 5, SpoofMode::log, {ip("10.1.0.5")}));
    ASSERT_TRUE(protect(*m, "b", 6, SpoofMode::log, {ip("10.1.0.6")}));
    guard_maps.check(5, ip("10.9.9.9"), 100, 1);
    guard_maps.check(6, ip("10.9.9.8"), 100, 1);
    watcher->remove(5);
    io.poll();
    EXPECT_FALSE(guard_maps.link(5).has_value());
    EXPECT_EQ(m->guard().link_of("a"), 0u);
    auto spoofs = *guard_maps.spoofs();
    ASSERT_EQ(spoofs.size(), 1u);
    EXPECT_EQ(spoofs[0].ifindex, 6u);
    EXPECT_TRUE(guard_maps.link(6).has_value());
}

TEST_F(ManagerGuardTest, AStaleKnownIfindexIsNotTaken) {
    auto m = started({veth(5, "veth-a"), veth(7, "veth-new")});
    watcher->remove(5);  // gone, and its event not handled yet
    finder->put("/run/netns/a", "eth0", found(7, "veth-new"));
    auto r = protect(*m, "a", 5, SpoofMode::log, {ip("10.1.0.5")});
    ASSERT_TRUE(r);
    EXPECT_EQ(*r, 7);
    EXPECT_FALSE(guard_maps.link(5).has_value());
    EXPECT_TRUE(guard_maps.link(7).has_value());
}

TEST_F(ManagerGuardTest, WholePassesPollTheSpoofsWithLinkNames) {
    CapturedLog log;
    auto m = started({veth(5, "veth-a")});
    ASSERT_TRUE(protect(*m, "a", 5, SpoofMode::drop, {ip("10.1.0.5")}));
    guard_maps.check(5, ip("10.2.0.9"), 100, 1);
    // check() (an admin release, a dry run) does not read them.
    m->check({});
    EXPECT_TRUE(m->guard().offenders().empty());
    m->observe({});
    ASSERT_EQ(m->guard().offenders().size(), 1u);
    EXPECT_EQ(m->guard().offenders()[0].link, "veth-a");
    EXPECT_EQ(m->guard().offenders()[0].spoof.dropped, 1u);
    m->observe({});
    EXPECT_EQ(
        log.count("warning|anti-spoofing: pod a on veth-a sent from 10.2.0.9, which is not its "
                  "address (10.1.0.5); 1 packet(s), dropped (zone mode drop)\n"),
        1u)
        << log.text();
}

TEST_F(ManagerGuardTest, AFailedPollIsInTheStatusAndLoggedOnce) {
    CapturedLog log;
    auto m = started({veth(5, "veth-a")});
    ASSERT_TRUE(protect(*m, "a", 5, SpoofMode::log, {ip("10.1.0.5")}));
    guard_maps.check(5, ip("10.2.0.9"), 100, 1);
    m->observe({});
    ASSERT_EQ(m->guard().offenders().size(), 1u);
    for (int i = 0; i < 2; ++i) {
        guard_maps.fail_next(Error::from_errno("reading spoofs", EIO));
        m->observe({});
    }
    auto s = m->status();
    EXPECT_TRUE(s.anti_spoofing.on);
    EXPECT_EQ(s.anti_spoofing.why, "reading the spoof counts failed: reading spoofs: " +
                                       std::string(std::strerror(EIO)));
    EXPECT_EQ(log.count("warning|anti-spoofing: reading the spoof counts failed"), 1u)
        << log.text();
    EXPECT_EQ(m->guard().offenders().size(), 1u) << "the last good counts stay";
    m->observe({});
    EXPECT_EQ(m->status().anti_spoofing.why, "");
    EXPECT_EQ(log.count("info|anti-spoofing: the spoof counts are readable again"), 1u);
}

TEST_F(ManagerGuardTest, WireStampsBecomeWallClock) {
    auto m = started();
    EXPECT_EQ(m->wire_to_wall_ns(0), 0);
    EXPECT_EQ(m->wire_to_wall_ns(4'000'000'000), clock.to_wall_ns(4'000'000'000));
}

}  // namespace
}  // namespace warren::testing
