// LivenessManager start-up per liveness.ebpf, attaching on link events, exit, watch/unwatch and
// reconcile, over fakes for every seam.
#include <gtest/gtest.h>

#include "manager_fixture.hpp"
#include "support/captured_log.hpp"

namespace warren::testing {
namespace {

using liveness::EbpfMode;
using liveness::EbpfOff;

TEST(EbpfMode, ParsesTheThreeChoicesAndNamesThemOnError) {
    EXPECT_EQ(*liveness::parse_ebpf_mode("auto"), EbpfMode::automatic);
    EXPECT_EQ(*liveness::parse_ebpf_mode("on"), EbpfMode::on);
    EXPECT_EQ(*liveness::parse_ebpf_mode("off"), EbpfMode::off);
    auto bad = liveness::parse_ebpf_mode("yes");
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, Code::invalid_config);
    EXPECT_EQ(bad.error().message,
              "liveness.ebpf must be \"auto\", \"on\" or \"off\", not \"yes\"");
}

TEST_F(ManagerTest, AutoLoadsAndAttachesToPodFacingVethsAndConfiguredInterfaces) {
    CapturedLog log;
    auto m = started({veth(5, "veth-pod"), veth(6, "veth-local", false), bridge(7, "cni0"),
                      bridge(8, "docker0")},
                     {.bpffs_dir = "/sys/fs/bpf/warren-x", .interfaces = {"cni0", "missing0"}});
    ASSERT_EQ(loads, 1);
    EXPECT_EQ(loaded_with->bpffs_dir, "/sys/fs/bpf/warren-x");
    EXPECT_EQ(dp->hooked, (std::set<int>{5, 7}));
    auto s = m->status();
    EXPECT_TRUE(s.ebpf.on);
    EXPECT_EQ(s.ebpf_off, EbpfOff::none);
    EXPECT_TRUE(s.program_loaded);
    EXPECT_TRUE(s.netns.on);
    EXPECT_TRUE(s.holders.on);
    EXPECT_TRUE(s.host_link.on);
    EXPECT_EQ(s.attached, (std::map<int, std::string>{{5, "veth-pod"}, {7, "cni0"}}));
    EXPECT_EQ(s.attaches, 2u);
    ASSERT_TRUE(s.classifier.has_value());
    EXPECT_EQ(s.classifier->watched, 7u);
    EXPECT_NE(log.text().find("info|liveness: liveness.interfaces names missing0, which is not "
                              "here yet"),
              std::string::npos)
        << log.text();
    EXPECT_NE(log.text().find("info|liveness: classifier attached to 2 link(s)"), std::string::npos)
        << log.text();
}

// A start in mode `auto` whose load fails with `e` on `host`: the reason it reports.
struct AutoOutcome {
    bool started = false;
    liveness::LivenessStatus status;
    std::string log;
};

class AutoFailure : public ManagerTest {
  protected:
    AutoOutcome start_with(Error e, liveness::EbpfHost h) {
        load_error = std::move(e);
        host = h;
        CapturedLog log;
        auto m = make({});
        AutoOutcome out;
        out.started = m->start().has_value();
        out.status = m->status();
        out.log = log.text();
        return out;
    }
};

TEST_F(AutoFailure, NotRootIsLoggedOnceAndGcRunsOnTheOtherSignals) {
    auto out = start_with(Error{Code::unavailable, "loading the liveness classifier",
                                "needs root, or CAP_BPF", EPERM},
                          {.root = false, .bpffs = true, .kernel_btf = true});
    ASSERT_TRUE(out.started);
    EXPECT_FALSE(out.status.ebpf.on);
    EXPECT_EQ(out.status.ebpf_off, EbpfOff::not_root);
    EXPECT_EQ(out.status.ebpf.why,
              "not root: loading the liveness classifier: Operation not permitted (needs root, or "
              "CAP_BPF)");
    EXPECT_FALSE(out.status.program_loaded);
    EXPECT_TRUE(out.status.netns.on);
    EXPECT_TRUE(out.status.holders.on);
    EXPECT_TRUE(out.status.host_link.on);
    const std::string line =
        "warning|liveness: the eBPF signal is off: not root: loading the liveness classifier: "
        "Operation not permitted (needs root, or CAP_BPF); GC runs on the netns, holder and "
        "host-link signals\n";
    EXPECT_NE(out.log.find(line), std::string::npos) << out.log;
    EXPECT_EQ(out.log.find("eBPF"), out.log.rfind("eBPF")) << "logged more than once: " << out.log;
}

TEST_F(AutoFailure, RootButRefusedIsEperm) {
    auto out = start_with(Error{Code::unavailable, "loading the liveness classifier", "", EPERM},
                          {.root = true, .bpffs = true, .kernel_btf = true});
    ASSERT_TRUE(out.started);
    EXPECT_EQ(out.status.ebpf_off, EbpfOff::eperm);
    EXPECT_EQ(out.status.ebpf.why.rfind("not permitted: loading the liveness classifier", 0), 0u)
        << out.status.ebpf.why;
    EXPECT_NE(out.status.ebpf.why.find("CAP_BPF"), std::string::npos) << out.status.ebpf.why;
}

TEST_F(AutoFailure, NoBpffs) {
    auto out = start_with(Error{Code::unavailable, "bpffs not mounted at /sys/fs/bpf",
                                "mount -t bpf bpf /sys/fs/bpf", 0},
                          {.root = true, .bpffs = false, .kernel_btf = true});
    ASSERT_TRUE(out.started);
    EXPECT_EQ(out.status.ebpf_off, EbpfOff::no_bpffs);
    EXPECT_EQ(out.status.ebpf.why,
              "no bpffs: bpffs not mounted at /sys/fs/bpf (mount -t bpf bpf /sys/fs/bpf)");
}

TEST_F(AutoFailure, NoBtf) {
    auto out = start_with(Error{Code::unavailable, "loading the liveness classifier", "", EINVAL},
                          {.root = true, .bpffs = true, .kernel_btf = false});
    ASSERT_TRUE(out.started);
    EXPECT_EQ(out.status.ebpf_off, EbpfOff::no_btf);
    EXPECT_NE(out.status.ebpf.why.find("/sys/kernel/btf/vmlinux missing"), std::string::npos)
        << out.status.ebpf.why;
}

TEST_F(AutoFailure, AnythingElseIsLoadFailedWithTheError) {
    auto out = start_with(Error{Code::invalid_config,
                                "the pinned map /sys/fs/bpf/warren/watch was made by an "
                                "incompatible warren build",
                                "run `warrend --detach-all`", 0},
                          {.root = true, .bpffs = true, .kernel_btf = true});
    ASSERT_TRUE(out.started);
    EXPECT_EQ(out.status.ebpf_off, EbpfOff::load_failed);
    EXPECT_EQ(out.status.ebpf.why,
              "load failed: the pinned map /sys/fs/bpf/warren/watch was made by an incompatible "
              "warren build (run `warrend --detach-all`)");
}

TEST_F(ManagerTest, OnMakesALoadFailureAStartUpError) {
    load_error = Error{Code::unavailable, "loading the liveness classifier", "", EPERM};
    host.root = false;
    auto m = make({.ebpf = EbpfMode::on});
    auto ok = m->start();
    ASSERT_FALSE(ok);
    EXPECT_EQ(ok.error().code, Code::unavailable);
    EXPECT_EQ(ok.error().message,
              "liveness.ebpf is \"on\" but eBPF is unavailable: not root: loading the liveness "
              "classifier: Operation not permitted (run warrend as root, or with CAP_BPF, "
              "CAP_NET_ADMIN, CAP_PERFMON and CAP_SYS_ADMIN)");
    EXPECT_NE(ok.error().details.find("liveness.ebpf to \"auto\""), std::string::npos);
}

TEST_F(ManagerTest, OnWithoutLinkEventsIsAStartUpError) {
    watcher_error = Error::from_errno("cannot subscribe to link notifications", EPERM);
    auto m = make({.ebpf = EbpfMode::on});
    auto ok = m->start();
    ASSERT_FALSE(ok);
    EXPECT_NE(ok.error().message.find("no link events: the classifier cannot follow pod links"),
              std::string::npos)
        << ok.error().message;
    EXPECT_EQ(loads, 0);
}

TEST_F(ManagerTest, AutoWithoutLinkEventsRunsWithoutEbpfAndHostLinks) {
    watcher_error = Error::from_errno("cannot subscribe to link notifications", EPERM);
    CapturedLog log;
    auto m = started();
    auto s = m->status();
    EXPECT_FALSE(s.host_link.on);
    EXPECT_EQ(s.host_link.why,
              "cannot follow link events: cannot subscribe to link notifications: Operation not "
              "permitted");
    EXPECT_EQ(s.ebpf_off, EbpfOff::no_links);
    EXPECT_FALSE(m->ebpf_on());
    EXPECT_NE(log.text().find("warning|liveness: the host-link signal is off"), std::string::npos);
}

TEST_F(ManagerTest, OffNeverLoadsButFollowsLinks) {
    CapturedLog log;
    auto m = started({veth(5, "veth-pod")}, {.ebpf = EbpfMode::off});
    EXPECT_EQ(loads, 0);
    auto s = m->status();
    EXPECT_EQ(s.ebpf_off, EbpfOff::disabled);
    EXPECT_EQ(s.ebpf.why, "disabled (liveness.ebpf: off)");
    EXPECT_TRUE(s.host_link.on);
    EXPECT_TRUE(s.attached.empty());
    EXPECT_FALSE(s.classifier.has_value());
    EXPECT_NE(log.text().find("info|liveness: the eBPF signal is off: liveness.ebpf is \"off\"; "
                              "GC runs on the netns, holder and host-link signals"),
              std::string::npos)
        << log.text();
    const IpAddress a = ip("10.1.0.5");
    EXPECT_TRUE(m->watch({&a, 1}));
    EXPECT_TRUE(m->unwatch({&a, 1}));
    auto r = m->reconcile({a});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->added + r->removed + r->kept + r->failed, 0u);
    EXPECT_TRUE(dp->maps.watched()->empty());
}

TEST_F(ManagerTest, UnreachableFinderLeavesLearningToTheWire) {
    finder_error = Error::from_errno("cannot open our network namespace", EACCES);
    auto m = started();
    auto s = m->status();
    EXPECT_TRUE(s.host_link.on);
    EXPECT_EQ(s.host_link.why,
              "host links are learned from the wire only (cannot look into pod namespaces: "
              "cannot open our network namespace: Permission denied)");
}

TEST_F(ManagerTest, AttachesOnLinkEvents) {
    auto m = started({}, {.interfaces = {"br-late"}});
    EXPECT_TRUE(dp->hooked.empty());
    watcher->add(veth(10, "veth-new"));          // a pod-facing veth appears
    watcher->add(veth(11, "veth-pair", false));  // both ends here: not yet
    io.poll();
    EXPECT_EQ(dp->hooked, (std::set<int>{10}));
    watcher->add(veth(11, "veth-pair", true));  // its peer moved into a pod: changed
    watcher->add(bridge(12, "br-late"));        // a configured interface appears
    watcher->add(bridge(13, "br-other"));
    io.poll();
    EXPECT_EQ(dp->hooked, (std::set<int>{10, 11, 12}));
    auto s = m->status();
    EXPECT_EQ(s.attached,
              (std::map<int, std::string>{{10, "veth-new"}, {11, "veth-pair"}, {12, "br-late"}}));
    EXPECT_EQ(s.link_events, 5u);
    EXPECT_EQ(dp->attach_calls, 3);
}

TEST_F(ManagerTest, ALinkThatVanishesMidAttachIsNotAnError) {
    CapturedLog log;
    auto m = started();
    dp->vanishing.insert(20);
    watcher->add(veth(20, "veth-gone"));
    io.poll();
    auto s = m->status();
    EXPECT_EQ(s.vanished, 1u);
    EXPECT_EQ(s.attach_failures, 0u);
    EXPECT_TRUE(s.attached.empty());
    EXPECT_EQ(log.text().find("warning|"), std::string::npos) << log.text();
    EXPECT_NE(log.text().find("debug|liveness: veth-gone (ifindex 20) vanished"), std::string::npos)
        << log.text();
}

TEST_F(ManagerTest, AnAttachFailureIsLoggedOnceAndRetriedWhenTheLinkChanges) {
    CapturedLog log;
    auto m = started();
    dp->failing.emplace(21, Error::from_errno("attaching on veth-bad", EBUSY));
    watcher->add(veth(21, "veth-bad"));
    io.poll();
    auto changed = veth(21, "veth-bad");
    changed.master = 3;
    watcher->add(changed);
    io.poll();
    EXPECT_EQ(m->status().attach_failures, 2u);
    EXPECT_EQ(log.count("cannot attach the classifier to veth-bad"), 1u) << log.text();
    EXPECT_NE(log.text().find("warning|liveness: cannot attach the classifier to veth-bad (ifindex "
                              "21): attaching on veth-bad: Device or resource busy; its traffic "
                              "is not seen (retried when the link changes)"),
              std::string::npos)
        << log.text();
    dp->failing.clear();
    changed.master = 4;
    watcher->add(changed);
    io.poll();
    EXPECT_EQ(dp->hooked, (std::set<int>{21}));
    EXPECT_EQ(m->status().attached, (std::map<int, std::string>{{21, "veth-bad"}}));
}

TEST_F(ManagerTest, ARemovedLinkIsForgottenNotDetached) {
    auto m = started({veth(5, "veth-a"), veth(6, "veth-b")});
    watcher->remove(5);
    io.poll();
    EXPECT_EQ(dp->forgotten, (std::vector<int>{5}));
    EXPECT_EQ(dp->hooked, (std::set<int>{6}));
    EXPECT_EQ(m->status().attached, (std::map<int, std::string>{{6, "veth-b"}}));
}

TEST_F(ManagerTest, LostEventsAreCaughtUpByAResync) {
    auto m = started();
    watcher->lose_events();
    watcher->add(veth(30, "veth-lost"));  // queued after the loss: the resync sees it anyway
    io.poll();
    EXPECT_EQ(dp->hooked, (std::set<int>{30}));
    EXPECT_EQ(m->status().link_resyncs, 1u);
}

TEST_F(ManagerTest, ExitLeavesTheFiltersAttached) {
    auto m = started({veth(5, "veth-a"), bridge(7, "cni0")}, {.interfaces = {"cni0"}});
    ASSERT_EQ(dp->hooked, (std::set<int>{5, 7}));
    m.reset();
    EXPECT_EQ(dp->left_attached, (std::set<int>{5, 7}));
    EXPECT_TRUE(dp->hooked.empty());
    io.poll();  // the aborted wait's handler runs after the manager is gone: it touches nothing
}

TEST_F(ManagerTest, WatchAndUnwatchEveryAddressAndReportTheFirstFailure) {
    auto m = started();
    const std::vector<IpAddress> both = {ip("10.1.0.5"), ip("fd00::5")};
    ASSERT_TRUE(m->watch(both));
    auto w = dp->maps.watched();
    ASSERT_TRUE(w);
    EXPECT_EQ(w->size(), 2u);
    ASSERT_TRUE(m->unwatch({&both[0], 1}));
    w = dp->maps.watched();
    ASSERT_EQ(w->size(), 1u);
    EXPECT_EQ(w->front().address, ip("fd00::5"));

    dp->maps.fail_next(Error::from_errno("bpf_map_update_elem watch", E2BIG));
    const std::vector<IpAddress> more = {ip("10.1.0.6"), ip("10.1.0.7")};
    auto failed = m->watch(more);
    ASSERT_FALSE(failed);
    EXPECT_EQ(failed.error().sys_errno, E2BIG);
    EXPECT_EQ(*dp->maps.observation(ip("10.1.0.6")), std::nullopt);
    EXPECT_TRUE(dp->maps.observation(ip("10.1.0.7"))->has_value()) << "tried every address";
}

TEST_F(ManagerTest, ReconcileAddsMissingRemovesExtrasAndKeepsEvidence) {
    auto m = started();
    ASSERT_TRUE(dp->maps.watch(ip("10.1.0.1")));
    ASSERT_TRUE(dp->maps.watch(ip("10.1.0.2")));
    dp->maps.see(ip("10.1.0.1"), 5, 1000);
    auto r = m->reconcile({ip("10.1.0.1"), ip("10.1.0.3"), ip("10.1.0.3")});
    ASSERT_TRUE(r) << r.error().describe();
    EXPECT_EQ(r->added, 1u);
    EXPECT_EQ(r->removed, 1u);
    EXPECT_EQ(r->kept, 1u);
    EXPECT_EQ(r->failed, 0u);
    EXPECT_EQ((*dp->maps.observation(ip("10.1.0.1")))->packets, 1u);
    EXPECT_EQ(*dp->maps.observation(ip("10.1.0.2")), std::nullopt);
    EXPECT_TRUE(dp->maps.observation(ip("10.1.0.3"))->has_value());
}

TEST_F(ManagerTest, ReconcileFailsWhenWatchCannotBeListed) {
    auto m = started();
    dp->maps.fail_next(Error::from_errno("bpf_map_lookup_batch watch", EPERM));
    auto r = m->reconcile({ip("10.1.0.1")});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message, "bpf_map_lookup_batch watch");
}

}  // namespace
}  // namespace warren::testing
