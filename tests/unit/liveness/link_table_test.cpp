#include <gtest/gtest.h>

#include "liveness/link_info.hpp"
#include "support/fake_link_watcher.hpp"

namespace warren::liveness {
namespace {

LinkInfo veth(int ifindex, std::string name, int peer = 2, int nsid = 0) {
    return LinkInfo{ifindex, std::move(name), "veth", peer, nsid, 0};
}

TEST(LinkTable, NewLinkIsAddedOnceThenChangedOnlyWhenSomethingDiffers) {
    LinkTable t;
    const auto first = t.upsert(veth(7, "veth1"));
    ASSERT_TRUE(first.has_value());
    EXPECT_EQ(first->type, LinkEventType::added);
    EXPECT_EQ(first->link, veth(7, "veth1"));

    EXPECT_EQ(t.upsert(veth(7, "veth1")), std::nullopt) << "a repeated RTM_NEWLINK is no change";

    LinkInfo enslaved = veth(7, "veth1");
    enslaved.master = 3;
    const auto second = t.upsert(enslaved);
    ASSERT_TRUE(second.has_value());
    EXPECT_EQ(second->type, LinkEventType::changed);
    EXPECT_EQ(t.find(7)->master, 3);
}

TEST(LinkTable, RemovedReportsTheLastKnownLinkAndUnknownIsIgnored) {
    LinkTable t;
    t.upsert(veth(7, "veth1"));
    const auto gone = t.erase(7);
    ASSERT_TRUE(gone.has_value());
    EXPECT_EQ(gone->type, LinkEventType::removed);
    EXPECT_EQ(gone->link.name, "veth1");
    EXPECT_EQ(t.find(7), nullptr);
    EXPECT_EQ(t.erase(7), std::nullopt);
    EXPECT_EQ(t.erase(99), std::nullopt);
}

TEST(LinkTable, ResyncReportsTheDifferenceRemovalsFirst) {
    LinkTable t;
    t.upsert(LinkInfo{1, "lo"});
    t.upsert(veth(5, "vethgone"));
    t.upsert(veth(6, "vethrenamed"));
    const auto events = t.resync({veth(9, "vethnew"), LinkInfo{1, "lo"}, veth(6, "vethnewname")});
    ASSERT_EQ(events.size(), 3u);
    EXPECT_EQ(events[0].type, LinkEventType::removed);
    EXPECT_EQ(events[0].link.ifindex, 5);
    EXPECT_EQ(events[1].type, LinkEventType::changed);
    EXPECT_EQ(events[1].link.name, "vethnewname");
    EXPECT_EQ(events[2].type, LinkEventType::added);
    EXPECT_EQ(events[2].link.ifindex, 9);
    EXPECT_EQ(t.links().size(), 3u);
}

TEST(LinkTable, SameNetnsPeersAreTheVethsPointingAtALinkHere) {
    LinkTable t;
    t.upsert(veth(10, "host0", 11, -1));  // both ends here
    t.upsert(veth(11, "peer0", 10, -1));
    t.upsert(veth(12, "pod0", 11, 3));  // peer index 11 but in namespace 3: not ours
    t.upsert(LinkInfo{13, "vlan9", "vlan", 11, -1, 0});  // IFLA_LINK of a vlan is its parent
    EXPECT_EQ(t.same_netns_peers_of(11), std::vector<int>{10});
    EXPECT_TRUE(t.same_netns_peers_of(99).empty());
}

TEST(LinkInfo, PodFacingVethHasItsPeerInAnotherNamespace) {
    EXPECT_TRUE(veth(7, "veth1", 2, 0).is_pod_facing_veth());
    EXPECT_FALSE(veth(7, "veth1", 8, -1).is_pod_facing_veth()) << "both ends here";
    EXPECT_FALSE((LinkInfo{3, "br0", "bridge"}.is_pod_facing_veth()));
}

// The fake follows the LinkWatcher contract the daemon relies on.
TEST(FakeLinkWatcher, EventsAfterProcessAndVanishedLinkAnswersNullopt) {
    testing::FakeLinkWatcher w({LinkInfo{1, "lo"}});
    EXPECT_EQ(w.links().size(), 1u);
    w.add(veth(7, "veth1"));
    w.remove(7);
    EXPECT_EQ(w.exists(7), false) << "the kernel no longer has it";
    std::vector<LinkEvent> seen;
    auto drained = w.process_events([&](const LinkEvent& e) { seen.push_back(e); });
    ASSERT_TRUE(drained.has_value());
    ASSERT_EQ(seen.size(), 2u);
    EXPECT_EQ(seen[0].type, LinkEventType::added);
    EXPECT_EQ(seen[1].type, LinkEventType::removed);

    w.add(veth(8, "veth2"));
    w.lose_events();
    seen.clear();
    drained = w.process_events([&](const LinkEvent& e) { seen.push_back(e); });
    ASSERT_TRUE(drained.has_value());
    EXPECT_EQ(drained->resyncs, 1u);
    ASSERT_EQ(seen.size(), 1u);
    EXPECT_EQ(seen[0].link.ifindex, 8);
}

}  // namespace
}  // namespace warren::liveness
