#include "service/gc_signals_from_liveness.hpp"

#include <gtest/gtest.h>

using namespace warren;
using namespace warren::service;
using core::Tri;
using liveness::HeldSignal;
using liveness::HostLinkSignal;
using liveness::NetnsSignal;
using liveness::WireSignal;

namespace {
IpAddress ip(const char* s) {
    return *IpAddress::parse(s);
}

liveness::AllocationObservation obs(NetnsSignal n, HeldSignal h, HostLinkSignal l) {
    liveness::AllocationObservation o;
    o.key = "net/c1/eth0";
    o.netns = n;
    o.held = h;
    o.host_link = l;
    return o;
}
}  // namespace

TEST(GcSignalsFromLiveness, EachSignalMapsToItsTri) {
    auto live =
        to_observation(obs(NetnsSignal::present, HeldSignal::held, HostLinkSignal::present));
    EXPECT_EQ(live.netns, Tri::yes);
    EXPECT_EQ(live.held, Tri::yes);
    EXPECT_EQ(live.link, Tri::yes);
    EXPECT_EQ(live.kube, Tri::unknown);

    auto dead = to_observation(obs(NetnsSignal::gone, HeldSignal::not_held, HostLinkSignal::gone));
    EXPECT_EQ(dead.netns, Tri::no);
    EXPECT_EQ(dead.held, Tri::no);
    EXPECT_EQ(dead.link, Tri::no);

    // The recorded namespace left the path: its path is gone for GC.
    auto replaced =
        to_observation(obs(NetnsSignal::replaced, HeldSignal::not_held, HostLinkSignal::gone));
    EXPECT_EQ(replaced.netns, Tri::no);

    auto unknown =
        to_observation(obs(NetnsSignal::unknown, HeldSignal::unknown, HostLinkSignal::unknown));
    EXPECT_EQ(unknown.netns, Tri::unknown);
    EXPECT_EQ(unknown.held, Tri::unknown);
    EXPECT_EQ(unknown.link, Tri::unknown);
}

// The churn test found a dead pod kept as held-by-process: its inode number went to a new pod's
// namespace. A holder with the path and the learned host link both gone is that other namespace.
TEST(GcSignalsFromLiveness, AHolderOfAReusedInodeIsNotThePodOnceItsHostLinkIsGone) {
    auto reused = to_observation(obs(NetnsSignal::gone, HeldSignal::held, HostLinkSignal::gone));
    EXPECT_EQ(reused.held, Tri::no);
    // A real zombie keeps its veth: the holder stands.
    auto zombie = to_observation(obs(NetnsSignal::gone, HeldSignal::held, HostLinkSignal::present));
    EXPECT_EQ(zombie.held, Tri::yes);
    // Without a learned link nothing tells them apart: the holder stands (never free the living).
    auto unlearned =
        to_observation(obs(NetnsSignal::gone, HeldSignal::held, HostLinkSignal::unknown));
    EXPECT_EQ(unlearned.held, Tri::yes);
    // With the path still there the pod is alive whatever the link says.
    auto present = to_observation(obs(NetnsSignal::present, HeldSignal::held, HostLinkSignal::gone));
    EXPECT_EQ(present.held, Tri::yes);
}

// With cookies the holder is checked, not guessed: a real zombie whose veth went (deleted inside
// its namespace) stays held; one found to be another namespace is not held even with its host
// link present in the table (a link learned wrong tells nothing then).
TEST(GcSignalsFromLiveness, AHolderCheckedByCookieIsTakenAsIs) {
    auto zombie = obs(NetnsSignal::gone, HeldSignal::held, HostLinkSignal::gone);
    zombie.holder_cookie_checked = true;
    EXPECT_EQ(to_observation(zombie).held, Tri::yes);
    auto other = obs(NetnsSignal::gone, HeldSignal::not_held, HostLinkSignal::present);
    other.holder_cookie_checked = true;
    EXPECT_EQ(to_observation(other).held, Tri::no);
}

TEST(GcSignalsFromLiveness, WireHoldsSightingsOfAllocationsAndQuarantineOnly) {
    liveness::ObservePass pass;
    pass.now_ns = 5'000;
    pass.ebpf = true;
    auto o = obs(NetnsSignal::present, HeldSignal::held, HostLinkSignal::present);
    o.addresses.push_back({ip("10.0.0.2"), WireSignal::seen, 1'000, 3, 300, 7, 7, false});
    o.addresses.push_back({ip("10.0.0.3"), WireSignal::not_seen});
    pass.allocations.push_back(o);
    pass.quarantined.push_back({ip("10.0.0.9"), WireSignal::seen, 2'000, 1, 60, 8, 7, true});
    pass.quarantined.push_back({ip("10.0.0.10"), WireSignal::unknown});
    pass.strangers.push_back({ip("10.0.0.77"), 1'500, 1, 60, 7, 7, false});

    PassProbes probes(pass);
    const auto& wire = probes.wire();
    ASSERT_TRUE(wire.available());
    EXPECT_EQ(probes.pass_wire().read_ns(), 5'000);
    auto a = wire.seen(ip("10.0.0.2"));
    ASSERT_TRUE(a.has_value());
    EXPECT_EQ(a->last_seen_ns, 1'000);
    EXPECT_FALSE(a->two_links);
    auto q = wire.seen(ip("10.0.0.9"));
    ASSERT_TRUE(q.has_value());
    EXPECT_EQ(q->last_seen_ns, 2'000);
    EXPECT_TRUE(q->two_links);
    EXPECT_FALSE(wire.seen(ip("10.0.0.3")).has_value());
    EXPECT_FALSE(wire.seen(ip("10.0.0.10")).has_value());
    EXPECT_FALSE(wire.seen(ip("10.0.0.77")).has_value());
    EXPECT_EQ(wire.strangers(), 1u);

    core::Allocation alloc;
    alloc.key = {"net", "c1", "eth0"};
    EXPECT_EQ(probes.observe(alloc).netns, Tri::yes);
    core::Allocation other;
    other.key = {"net", "c2", "eth0"};
    auto none = probes.observe(other);
    EXPECT_EQ(none.netns, Tri::unknown);
    EXPECT_EQ(none.held, Tri::unknown);
    EXPECT_EQ(none.link, Tri::unknown);
}

TEST(GcSignalsFromLiveness, ProbesInTheRunnersOrderFindEachAllocationByPositionElseByKey) {
    liveness::ObservePass pass;
    pass.allocations.push_back(
        obs(NetnsSignal::present, HeldSignal::held, HostLinkSignal::present));
    pass.allocations[0].key = "net/c1/eth0";
    pass.allocations.push_back(obs(NetnsSignal::gone, HeldSignal::not_held, HostLinkSignal::gone));
    pass.allocations[1].key = "net/c2/eth0";
    core::Allocation c1, c2, c3;
    c1.key = {"net", "c1", "eth0"};
    c2.key = {"net", "c2", "eth0"};
    c3.key = {"net", "c3", "eth0"};
    const std::vector<const core::Allocation*> order = {&c1, &c2};

    PassProbes in_order(pass, order);
    EXPECT_EQ(in_order.observe(c1).netns, Tri::yes);
    EXPECT_EQ(in_order.observe(c2).netns, Tri::no);
    EXPECT_EQ(in_order.observe(c3).netns, Tri::unknown) << "not in the pass";

    PassProbes out_of_order(pass, order);
    EXPECT_EQ(out_of_order.observe(c2).netns, Tri::no) << "found by key";
    EXPECT_EQ(out_of_order.observe(c1).netns, Tri::yes);
    EXPECT_EQ(out_of_order.observe(c2).link, Tri::no);

    // An allocation at another address with the same key (a copy) is found by key too.
    core::Allocation copy = c1;
    PassProbes by_copy(pass, order);
    EXPECT_EQ(by_copy.observe(copy).held, Tri::yes);
}

TEST(GcSignalsFromLiveness, NoWireWithoutEbpfOrWhenTheMapsCouldNotBeRead) {
    liveness::ObservePass off;
    off.ebpf = false;
    auto o = obs(NetnsSignal::gone, HeldSignal::not_held, HostLinkSignal::gone);
    o.addresses.push_back({ip("10.0.0.2"), WireSignal::seen, 1'000});
    off.allocations.push_back(o);
    EXPECT_FALSE(PassProbes(off).wire().available());

    liveness::ObservePass failed = off;
    failed.ebpf = true;
    failed.wire_error = "cannot read watch";
    EXPECT_FALSE(PassProbes(failed).wire().available());
}
