#include "core/ipam_state.hpp"

#include <gtest/gtest.h>

#include <set>

#include "core/bytes.hpp"
#include "journal/codec.hpp"

using namespace warren;
using namespace warren::core;
using nlohmann::json;

namespace {
constexpr int64_t kSec = 1'000'000'000;

IpAddress ip(const char* s) { return *IpAddress::parse(s); }

// "c" + std::to_string(i) in a loop trips a gcc 12 -Wrestrict false positive.
std::string numbered(const char* prefix, int i) {
    std::string s = prefix;
    s += std::to_string(i);
    return s;
}

struct StateTest : ::testing::Test {
    IpamState state{30 * kSec};
    std::vector<Event> log;  // every event the operations below produced, in order
    void define(const char* ranges_json, const std::string& name = "default") {
        auto sets = parse_range_sets(json::parse(ranges_json));
        ASSERT_TRUE(sets) << sets.error().message;
        auto c = state.define_pool(name, *sets, PoolSource::config);
        ASSERT_TRUE(c);
        log.insert(log.end(), c->events.begin(), c->events.end());
    }
    Result<std::vector<IpAddress>> add(const std::string& cid, int64_t now = 0,
                                       std::vector<IpAddress> requested = {},
                                       std::optional<std::vector<RangeSet>> ranges = std::nullopt,
                                       std::optional<std::string> pool = std::nullopt,
                                       const std::string& network = "net") {
        AddRequest r;
        r.key = {network, cid, "eth0"};
        r.requested = std::move(requested);
        r.ranges = std::move(ranges);
        r.pool = std::move(pool);
        Change c;
        auto a = state.add(r, now, c);
        log.insert(log.end(), c.events.begin(), c.events.end());
        if (!a) return std::unexpected(a.error());
        return (*a)->addresses;
    }
    void del(const std::string& cid, int64_t now = 0, const std::string& network = "net") {
        Change c;
        state.release({network, cid, "eth0"}, ReleaseReason::del, now, c);
        log.insert(log.end(), c.events.begin(), c.events.end());
    }
    void sweep(int64_t now) {
        Change c;
        state.sweep_quarantine(now, c);
        log.insert(log.end(), c.events.begin(), c.events.end());
    }
    // A fresh state rebuilt from `events` (through their encoding, as from disk).
    static IpamState rebuilt(const std::vector<Event>& events) {
        IpamState out(30 * kSec);
        for (auto& e : events) {
            auto back = decode_event(encode_event(e));
            EXPECT_TRUE(back) << back.error().message;
            EXPECT_TRUE(back && out.replay(*back).has_value());
        }
        return out;
    }
};
}  // namespace

TEST_F(StateTest, RoundRobinSkipsGatewayAndContinuesAfterLastReserved) {
    define(R"([[{"subnet":"10.1.0.0/29"}]])");  // .1 gateway, .2-.6 usable, .7 broadcast
    EXPECT_EQ(add("a")->at(0).str(), "10.1.0.2");
    EXPECT_EQ(add("b")->at(0).str(), "10.1.0.3");
    del("a");
    // Round robin: continue after .3, not reuse .2 (which is cooling down anyway).
    EXPECT_EQ(add("c")->at(0).str(), "10.1.0.4");
}

TEST_F(StateTest, AddIsIdempotentPerAttachment) {
    define(R"([[{"subnet":"10.1.0.0/24"}]])");
    auto first = add("a");
    auto again = add("a");
    ASSERT_TRUE(first && again);
    EXPECT_EQ(*first, *again);
    EXPECT_EQ(state.allocations().size(), 1u);
}

TEST_F(StateTest, DualStackGivesOneAddressPerRangeSet) {
    define(R"([[{"subnet":"10.1.0.0/24"}],[{"subnet":"fd00::/64"}]])");
    auto a = add("a");
    ASSERT_TRUE(a);
    ASSERT_EQ(a->size(), 2u);
    EXPECT_TRUE(a->at(0).is_v4());
    EXPECT_EQ(a->at(1).str(), "fd00::2");
}

TEST_F(StateTest, ExhaustionNamesPoolSizeUsedAndCooling) {
    define(R"([[{"subnet":"10.1.0.0/29"}]])");
    for (auto c : {"a", "b", "c", "d", "e"}) ASSERT_TRUE(add(c));
    del("a");
    auto r = add("f");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Code::pool_exhausted);
    const auto& m = r.error().message;
    EXPECT_NE(m.find("'default'"), std::string::npos) << m;
    EXPECT_NE(m.find("5 usable"), std::string::npos) << m;
    EXPECT_NE(m.find("4 in use"), std::string::npos) << m;
    EXPECT_NE(m.find("1 cooling down"), std::string::npos) << m;
    EXPECT_FALSE(state.status(std::nullopt, std::nullopt, "net"));
}

TEST_F(StateTest, CooldownHoldsReleasedAddressUntilSweep) {
    define(R"([[{"subnet":"10.1.0.0/30"}]])");  // only .2 usable
    ASSERT_EQ(add("a", 0)->at(0).str(), "10.1.0.2");
    del("a", 1 * kSec);
    EXPECT_FALSE(add("b", 2 * kSec));
    Change early;
    EXPECT_EQ(state.sweep_quarantine(30 * kSec, early), 0u);
    Change c;
    EXPECT_EQ(state.sweep_quarantine(31 * kSec, c), 1u);
    EXPECT_EQ(c.events.size(), 1u);
    EXPECT_EQ(add("b", 32 * kSec)->at(0).str(), "10.1.0.2");
}

TEST_F(StateTest, RequestedAddressesAreHonouredOrRefused) {
    define(R"([[{"subnet":"10.1.0.0/24"}],[{"subnet":"fd00::/64"}]])");
    auto a = add("a", 0, {ip("10.1.0.77")});
    ASSERT_TRUE(a);
    EXPECT_EQ(a->at(0).str(), "10.1.0.77");
    EXPECT_EQ(a->at(1).str(), "fd00::2");
    auto held = add("b", 0, {ip("10.1.0.77")});
    ASSERT_FALSE(held);
    EXPECT_EQ(held.error().code, Code::address_unavailable);
    EXPECT_FALSE(add("c", 0, {ip("10.1.0.1")}));    // gateway
    EXPECT_FALSE(add("c", 0, {ip("10.9.0.5")}));    // outside
    EXPECT_FALSE(add("c", 0, {ip("10.1.0.5"), ip("10.1.0.6")}));  // same set twice
    del("a");
    auto cooling = add("d", 0, {ip("10.1.0.77")});
    ASSERT_FALSE(cooling);
    EXPECT_NE(cooling.error().message.find("cooling down"), std::string::npos);
}

TEST_F(StateTest, LargeV6PoolUsesMemoryProportionalToAllocations) {
    define(R"([[{"subnet":"fd00:1::/64"}]])");
    std::set<IpAddress> seen;
    for (int i = 0; i < 1000; ++i) {
        auto a = add(numbered("c", i));
        ASSERT_TRUE(a);
        seen.insert(a->at(0));
    }
    EXPECT_EQ(seen.size(), 1000u);
    EXPECT_EQ(state.pool("default")->used.size(), 1000u);
}

TEST_F(StateTest, DropInRangesDefineANetworkPool) {
    auto r1 = *parse_range_sets(json::parse(R"([[{"subnet":"10.5.0.0/24"}]])"));
    auto a = add("a", 0, {}, r1);
    ASSERT_TRUE(a) << a.error().message;
    ASSERT_NE(state.pool("net"), nullptr);
    EXPECT_EQ(state.pool("net")->source, PoolSource::cni);
    EXPECT_TRUE(add("b", 0, {}, r1));
    EXPECT_EQ(state.pools().size(), 1u);
}

TEST_F(StateTest, UnknownPoolIsAConfigError) {
    auto r = add("a", 0, {}, std::nullopt, "nope");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Code::invalid_config);
    EXPECT_NE(r.error().message.find("nope"), std::string::npos);
}

// CNI GC marks stale candidates (containernetworking/cni #1086); the GC policy releases.
TEST_F(StateTest, GcMarksOnlyThisNetworksUnlistedAttachmentsAsCandidates) {
    define(R"([[{"subnet":"10.1.0.0/24"}]])");
    ASSERT_TRUE(add("keep"));
    ASSERT_TRUE(add("drop1"));
    ASSERT_TRUE(add("drop2"));
    AddRequest other;
    other.key = {"othernet", "x", "eth0"};
    Change c0;
    ASSERT_TRUE(state.add(other, 0, c0));
    Change c;
    EXPECT_EQ(state.gc("net", {{"keep", "eth0"}}, 5 * kSec, c), 2u);
    ASSERT_EQ(c.events.size(), 2u);
    EXPECT_EQ(std::get<CandidateMarked>(c.events[0]),
              (CandidateMarked{{"net", "drop1", "eth0"}, 5 * kSec, GcReason::cni_gc}));
    for (auto cid : {"keep", "drop1", "drop2"})
        ASSERT_NE(state.find({"net", cid, "eth0"}), nullptr) << cid;
    EXPECT_FALSE(state.find({"net", "keep", "eth0"})->candidate);
    ASSERT_TRUE(state.find({"net", "drop2", "eth0"})->candidate);
    EXPECT_EQ(state.find({"net", "drop2", "eth0"})->candidate->since_ns, 5 * kSec);
    EXPECT_FALSE(state.find({"othernet", "x", "eth0"})->candidate);
    EXPECT_FALSE(state.find({"net", "drop1", "eth0"})->addresses.empty());

    // Again later: candidates keep their time; one listed again is cleared.
    Change again;
    EXPECT_EQ(state.gc("net", {{"keep", "eth0"}, {"drop1", "eth0"}}, 9 * kSec, again), 0u);
    ASSERT_EQ(again.events.size(), 1u);
    EXPECT_EQ(std::get<CandidateCleared>(again.events[0]),
              (CandidateCleared{{"net", "drop1", "eth0"}, GcReason::listed}));
    EXPECT_FALSE(state.find({"net", "drop1", "eth0"})->candidate);
    EXPECT_EQ(state.find({"net", "drop2", "eth0"})->candidate->since_ns, 5 * kSec);
}

// A runtime whose GC left an attachment out and then ADDs it again says it is alive: the
// cni_gc candidacy ends (journaled, so a replay agrees); other candidacies are the GC's to end.
TEST_F(StateTest, AnAddAgainClearsACniGcCandidacyOnly) {
    define(R"([[{"subnet":"10.1.0.0/24"}]])");
    auto first = add("back");
    ASSERT_TRUE(first);
    ASSERT_TRUE(add("gone"));
    Change gc;
    ASSERT_EQ(state.gc("net", {{"gone", "eth0"}}, 5 * kSec, gc), 1u);
    log.insert(log.end(), gc.events.begin(), gc.events.end());
    Change stale;
    ASSERT_TRUE(state.record(
        Decision{CandidateMarked{{"net", "gone", "eth0"}, 6 * kSec, GcReason::netns_gone}, "path gone"},
        stale));
    log.insert(log.end(), stale.events.begin(), stale.events.end());

    const size_t before = log.size();
    auto again = add("back", 7 * kSec);
    ASSERT_TRUE(again);
    EXPECT_EQ(*again, *first) << "the same addresses";
    ASSERT_EQ(log.size(), before + 1);
    EXPECT_EQ(std::get<CandidateCleared>(log.back()),
              (CandidateCleared{{"net", "back", "eth0"}, GcReason::readded}));
    EXPECT_FALSE(state.find({"net", "back", "eth0"})->candidate);

    ASSERT_TRUE(add("back", 8 * kSec));
    ASSERT_TRUE(add("gone", 8 * kSec));
    EXPECT_EQ(log.size(), before + 1) << "an ADD of a non-candidate or a netns_gone one changes nothing";
    ASSERT_TRUE(state.find({"net", "gone", "eth0"})->candidate);
    EXPECT_EQ(state.find({"net", "gone", "eth0"})->candidate->reason, GcReason::netns_gone);

    IpamState replayed(state.cooldown_ns());
    for (auto& e : log) ASSERT_TRUE(replayed.replay(e));
    EXPECT_FALSE(replayed.find({"net", "back", "eth0"})->candidate);
    ASSERT_TRUE(replayed.find({"net", "gone", "eth0"})->candidate);
}

TEST_F(StateTest, CheckReportsMissingAndMismatchedReservations) {
    define(R"([[{"subnet":"10.1.0.0/24"}]])");
    auto a = add("a");
    EXPECT_TRUE(state.check({"net", "a", "eth0"}, *a));
    EXPECT_EQ(state.check({"net", "zz", "eth0"}, {}).error().code, Code::unknown_container);
    EXPECT_EQ(state.check({"net", "a", "eth0"}, {ip("10.1.0.200")}).error().code, Code::check_failed);
}

TEST_F(StateTest, UndoRestoresTheExactPriorState) {
    define(R"([[{"subnet":"10.1.0.0/29"}]])");
    ASSERT_TRUE(add("a"));
    auto before = state.snapshot_events();
    AddRequest r;
    r.key = {"net", "b", "eth0"};
    Change c;
    ASSERT_TRUE(state.add(r, 0, c));
    state.release({"net", "a", "eth0"}, ReleaseReason::del, 5, c);
    ASSERT_EQ(c.events.size(), 2u);
    for (auto it = c.undo.rbegin(); it != c.undo.rend(); ++it) (*it)();
    auto after = state.snapshot_events();
    ASSERT_EQ(before.size(), after.size());
    for (size_t i = 0; i < before.size(); ++i) EXPECT_EQ(encode_event(before[i]), encode_event(after[i]));
    EXPECT_EQ(add("b")->at(0).str(), "10.1.0.3");  // cursor restored too
}

TEST_F(StateTest, ReplayOfSnapshotOrJournalRebuildsState) {
    define(R"([[{"subnet":"10.1.0.0/24"}],[{"subnet":"fd00::/64"}]])");
    std::vector<Event> journal;
    for (int i = 0; i < 20; ++i) {
        AddRequest r;
        r.key = {"net", numbered("c", i), "eth0"};
        Change c;
        ASSERT_TRUE(state.add(r, i, c));
        journal.insert(journal.end(), c.events.begin(), c.events.end());
    }
    Change d;
    state.release({"net", "c3", "eth0"}, ReleaseReason::del, 100, d);
    IpamState copy(30 * kSec);
    for (auto& e : state.snapshot_events()) ASSERT_TRUE(copy.replay(e));
    EXPECT_EQ(copy.allocations().size(), 19u);
    EXPECT_EQ(copy.pool("default")->quarantine.size(), 2u);
    AddRequest r;
    r.key = {"net", "next", "eth0"};
    Change c1, c2;
    EXPECT_EQ((*state.add(r, 200, c1))->addresses, (*copy.add(r, 200, c2))->addresses);
}

TEST_F(StateTest, ReplayRefusesAnAddressHeldTwice) {
    define(R"([[{"subnet":"10.1.0.0/24"}]])");
    Allocated a{{"net", "a", "eth0"}, "default", {ip("10.1.0.9")}, "", 0, {}, 0};
    Allocated b{{"net", "b", "eth0"}, "default", {ip("10.1.0.9")}, "", 0, {}, 0};
    ASSERT_TRUE(state.replay(a));
    auto r = state.replay(b);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("already held"), std::string::npos);
}

// Defect 8: `podman restart` with --ip, `podman network reload`: the attachment that released an
// address takes it back during its cooldown; nobody else does.
TEST_F(StateTest, SameAttachmentRetakesItsRequestedAddressDuringCooldown) {
    define(R"([[{"subnet":"10.1.0.0/24"}]])");
    ASSERT_EQ(add("a", 0, {ip("10.1.0.77")})->at(0).str(), "10.1.0.77");
    del("a", 1 * kSec);
    auto other = add("b", 2 * kSec, {ip("10.1.0.77")});
    ASSERT_FALSE(other);
    EXPECT_EQ(other.error().code, Code::address_unavailable);
    EXPECT_NE(other.error().message.find("cooling down"), std::string::npos)
        << other.error().message;
    auto back = add("a", 3 * kSec, {ip("10.1.0.77")});
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(back->at(0).str(), "10.1.0.77");
    EXPECT_TRUE(state.pool("default")->quarantine.empty());
}

TEST_F(StateTest, SameAttachmentGetsItsOwnCoolingAddressBackUnrequested) {
    define(R"([[{"subnet":"10.1.0.0/24"}],[{"subnet":"fd00::/64"}]])");
    auto first = add("a", 0);
    ASSERT_TRUE(first);
    ASSERT_TRUE(add("b", 0));
    del("a", 1 * kSec);
    auto c = add("c", 2 * kSec);  // someone else: never one of a's addresses
    ASSERT_TRUE(c);
    EXPECT_NE(c->at(0), first->at(0));
    EXPECT_NE(c->at(1), first->at(1));
    auto again = add("a", 3 * kSec);
    ASSERT_TRUE(again);
    EXPECT_EQ(*again, *first);
}

TEST_F(StateTest, OwnCoolingAddressIsServedEvenWhenThePoolLooksFull) {
    define(R"([[{"subnet":"10.1.0.0/30"}]])");  // only .2 usable
    ASSERT_EQ(add("a", 0)->at(0).str(), "10.1.0.2");
    del("a", 1 * kSec);
    auto other = add("b", 2 * kSec);
    ASSERT_FALSE(other);
    EXPECT_EQ(other.error().code, Code::pool_exhausted);
    EXPECT_EQ(add("a", 3 * kSec)->at(0).str(), "10.1.0.2");
}

TEST_F(StateTest, OwnerOfACoolingAddressSurvivesReplayAndSnapshot) {
    define(R"([[{"subnet":"10.1.0.0/24"}]])");
    ASSERT_TRUE(add("a", 0, {ip("10.1.0.77")}));
    ASSERT_TRUE(add("b", 0, {ip("10.1.0.78")}));
    del("a", 1 * kSec);
    del("b", 1 * kSec);
    for (auto* from : {"journal", "snapshot"}) {
        SCOPED_TRACE(from);
        IpamState copy = rebuilt(std::string(from) == "journal" ? log : state.snapshot_events());
        auto& q = copy.pool("default")->quarantine;
        ASSERT_EQ(q.size(), 2u);
        EXPECT_EQ(q.at(ip("10.1.0.77")).owner, (AttachmentKey{"net", "a", "eth0"}));
        AddRequest thief;
        thief.key = {"net", "b", "eth0"};
        thief.requested = {ip("10.1.0.77")};
        Change c1;
        EXPECT_FALSE(copy.add(thief, 2 * kSec, c1));
        AddRequest owner;
        owner.key = {"net", "a", "eth0"};
        Change c2;
        auto got = copy.add(owner, 2 * kSec, c2);
        ASSERT_TRUE(got) << got.error().message;
        EXPECT_EQ((*got)->addresses.at(0).str(), "10.1.0.77");
    }
}

TEST_F(StateTest, SnapshotEntryWithoutOwnerStillDecodesAndNobodyRetakesIt) {
    // The snapshot form written before owners were kept: tag 6, pool, address, since.
    std::string old;
    ByteWriter w(old);
    w.u8(6);
    w.str("default");
    w.addr(ip("10.1.0.77"));
    w.i64(5);
    auto e = decode_event(old);
    ASSERT_TRUE(e) << e.error().message;
    ASSERT_TRUE(std::holds_alternative<Quarantined>(*e));
    EXPECT_EQ(std::get<Quarantined>(*e).owner, AttachmentKey{});
    define(R"([[{"subnet":"10.1.0.0/24"}]])");
    ASSERT_TRUE(state.replay(*e));
    auto r = add("a", 1 * kSec, {ip("10.1.0.77")});
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("cooling down"), std::string::npos);
    EXPECT_NE(add("a", 1 * kSec)->at(0).str(), "10.1.0.77");
}

namespace {
// The state as sorted event encodings: equal for two states that hold exactly the same.
std::vector<std::string> fingerprint(const IpamState& s) {
    std::vector<std::string> out;
    for (auto& e : s.snapshot_events()) out.push_back(encode_event(e));
    std::sort(out.begin(), out.end());
    return out;
}
std::vector<RangeSet> ranges(const char* text) {
    return *parse_range_sets(json::parse(text));
}
}  // namespace

// Defect 9: the CNI config a runtime passes is the truth, as with host-local.
TEST_F(StateTest, NetworkRecreatedWithAnotherSubnetRedefinesItsPool) {
    ASSERT_TRUE(add("a", 0, {}, ranges(R"([[{"subnet":"10.5.0.0/24"}]])")));
    del("a", 1 * kSec);
    sweep(40 * kSec);
    auto b = add("b", 41 * kSec, {}, ranges(R"([[{"subnet":"10.6.0.0/24"}]])"));
    ASSERT_TRUE(b) << b.error().message;
    EXPECT_EQ(b->at(0).str(), "10.6.0.2");
    EXPECT_EQ(state.pool("net")->ranges_json,
              to_json(ranges(R"([[{"subnet":"10.6.0.0/24"}]])")).dump());
    EXPECT_EQ(fingerprint(rebuilt(log)), fingerprint(state));
    // Also with the old subnet's address still cooling down, and back again.
    del("b", 42 * kSec);
    auto c = add("c", 43 * kSec, {}, ranges(R"([[{"subnet":"10.5.0.0/24"}]])"));
    ASSERT_TRUE(c) << c.error().message;
    EXPECT_EQ(fingerprint(rebuilt(log)), fingerprint(state));
}

TEST_F(StateTest, EditedRangeKeepsOutsideAllocationsAndNeverHandsOutAnAddressTwice) {
    auto old_r =
        ranges(R"([[{"subnet":"10.5.0.0/24","rangeStart":"10.5.0.10","rangeEnd":"10.5.0.19"}]])");
    auto new_r =
        ranges(R"([[{"subnet":"10.5.0.0/24","rangeStart":"10.5.0.15","rangeEnd":"10.5.0.30"}]])");
    std::set<IpAddress> held;
    for (int i = 0; i < 10; ++i) {
        auto a = add(numbered("old", i), 0, {}, old_r);
        ASSERT_TRUE(a) << a.error().message;
        held.insert(a->at(0));
    }
    del("old3", 1 * kSec);  // 10.5.0.13: cooling down, outside the new range
    del("old7", 1 * kSec);  // 10.5.0.17: cooling down, inside the new range
    AddRequest r;
    r.key = {"net", "new0", "eth0"};
    r.ranges = new_r;
    Change c;
    auto first = state.add(r, 2 * kSec, c);
    ASSERT_TRUE(first) << first.error().message;
    log.insert(log.end(), c.events.begin(), c.events.end());
    ASSERT_EQ(c.warnings.size(), 1u);
    EXPECT_NE(c.warnings[0].find("4 allocation(s) outside the new ranges"), std::string::npos)
        << c.warnings[0];
    EXPECT_NE(c.warnings[0].find("net/old0/eth0 (10.5.0.10)"), std::string::npos) << c.warnings[0];
    std::set<IpAddress> handed{(*first)->addresses.at(0)};
    for (int i = 1;; ++i) {
        auto a = add(numbered("new", i), 3 * kSec, {}, new_r);
        if (!a) {
            EXPECT_EQ(a.error().code, Code::pool_exhausted) << a.error().message;
            break;
        }
        ASSERT_TRUE(handed.insert(a->at(0)).second) << a->at(0).str();
    }
    // 16 addresses in .15-.30; .15-.19 minus .17 (cooling) are still held by old attachments.
    EXPECT_EQ(handed.size(), 16u - 4u - 1u);
    for (auto& a : handed) {
        EXPECT_FALSE(held.contains(a) && a.str() != "10.5.0.13" && a.str() != "10.5.0.17")
            << a.str();
        EXPECT_NE(a.str(), "10.5.0.17");
    }
    for (int i : {0, 1, 2, 4, 5, 6, 8, 9})
        EXPECT_NE(state.find({"net", numbered("old", i), "eth0"}), nullptr) << i;
    EXPECT_EQ(fingerprint(rebuilt(log)), fingerprint(state));
}

TEST_F(StateTest, IdleCniPoolStopsBlockingItsSubnet) {
    ASSERT_TRUE(add("a", 0, {}, ranges(R"([[{"subnet":"10.7.0.0/24"}]])"), std::nullopt, "net1"));
    del("a", 1 * kSec, "net1");
    // Cooling down still counts.
    auto early =
        add("b", 2 * kSec, {}, ranges(R"([[{"subnet":"10.7.0.0/16"}]])"), std::nullopt, "net2");
    ASSERT_FALSE(early);
    EXPECT_EQ(early.error().code, Code::invalid_config);
    EXPECT_NE(early.error().message.find("1 cooling down"), std::string::npos)
        << early.error().message;
    sweep(40 * kSec);
    auto b =
        add("b", 41 * kSec, {}, ranges(R"([[{"subnet":"10.7.0.0/16"}]])"), std::nullopt, "net2");
    ASSERT_TRUE(b) << b.error().message;
    EXPECT_EQ(state.pool("net1"), nullptr);
    EXPECT_TRUE(std::holds_alternative<PoolRemoved>(log.at(log.size() - 3)));
    EXPECT_EQ(fingerprint(rebuilt(log)), fingerprint(state));
    // The old network comes back with its old subnet: now net2 is in the way.
    auto again =
        add("a", 42 * kSec, {}, ranges(R"([[{"subnet":"10.7.0.0/24"}]])"), std::nullopt, "net1");
    ASSERT_FALSE(again);
    EXPECT_NE(again.error().message.find("overlap pool 'net2'"), std::string::npos)
        << again.error().message;
}

TEST_F(StateTest, AddressesHeldOutsideARedefinedPoolsRangesStillBlockOtherPools) {
    ASSERT_TRUE(add("a", 0, {}, ranges(R"([[{"subnet":"10.8.0.0/24"}]])"), std::nullopt, "net1"));
    ASSERT_TRUE(add("b", 0, {}, ranges(R"([[{"subnet":"10.9.0.0/24"}]])"), std::nullopt, "net1"));
    auto c = add("c", 0, {}, ranges(R"([[{"subnet":"10.8.0.0/24"}]])"), std::nullopt, "net2");
    ASSERT_FALSE(c);
    EXPECT_NE(c.error().message.find("still allocated to net1/a/eth0"), std::string::npos)
        << c.error().message;
    del("a", 1 * kSec, "net1");
    auto cooling =
        add("c", 2 * kSec, {}, ranges(R"([[{"subnet":"10.8.0.0/24"}]])"), std::nullopt, "net2");
    ASSERT_FALSE(cooling);
    EXPECT_NE(cooling.error().message.find("cooling down in pool 'net1'"), std::string::npos);
    sweep(40 * kSec);
    auto now =
        add("c", 41 * kSec, {}, ranges(R"([[{"subnet":"10.8.0.0/24"}]])"), std::nullopt, "net2");
    ASSERT_TRUE(now) << now.error().message;
    EXPECT_NE(state.pool("net1"), nullptr);  // still holds b
    EXPECT_EQ(fingerprint(rebuilt(log)), fingerprint(state));
}

TEST_F(StateTest, ConfigPoolsKeepTheirOverlapProtection) {
    define(R"([[{"subnet":"10.10.0.0/24"}]])");
    auto other = add("a", 0, {}, ranges(R"([[{"subnet":"10.10.0.0/25"}]])"), std::nullopt, "net1");
    ASSERT_FALSE(other);
    EXPECT_EQ(other.error().code, Code::invalid_config);
    EXPECT_NE(other.error().message.find("warrend's configuration"), std::string::npos)
        << other.error().message;
    auto renamed =
        add("a", 0, {}, ranges(R"([[{"subnet":"10.11.0.0/24"}]])"), std::string("default"));
    ASSERT_FALSE(renamed);
    EXPECT_EQ(renamed.error().code, Code::invalid_config);
    EXPECT_EQ(state.pool("default")->source, PoolSource::config);
}

TEST_F(StateTest, ConfigPoolTakesTheSubnetOfAnIdleCniPool) {
    ASSERT_TRUE(add("a", 0, {}, ranges(R"([[{"subnet":"10.12.0.0/24"}]])"), std::nullopt, "net1"));
    del("a", 0, "net1");
    sweep(40 * kSec);
    const auto sets = std::optional{ranges(R"([[{"subnet":"10.12.0.0/16"}]])")};
    auto c = state.define_pool("default", *sets, PoolSource::config);
    ASSERT_TRUE(c) << c.error().message;
    ASSERT_EQ(c->events.size(), 2u);
    EXPECT_TRUE(std::holds_alternative<PoolRemoved>(c->events[0]));
    EXPECT_EQ(state.pool("net1"), nullptr);
}

TEST_F(StateTest, ReplayRefusesRemovingAPoolThatHoldsAddresses) {
    ASSERT_TRUE(add("a", 0, {}, ranges(R"([[{"subnet":"10.13.0.0/24"}]])")));
    auto r = state.replay(PoolRemoved{"net"});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Code::io);
}

// Defect 1: a sweep ending many cooldowns at once journals records the next start can read.
namespace {
// `events` framed as journal records, decoded back by the journal codec, replayed into a state.
IpamState through_journal(const std::vector<Event>& events) {
    std::string wal;
    uint64_t seq = 0;
    for (auto& e : events) {
        auto payload = encode_event(e);
        EXPECT_LE(payload.size(), journal::kMaxRecordPayload) << "event kind " << e.index();
        journal::append_record(wal, ++seq, payload);
    }
    auto decoded = journal::decode_records(wal, 1);
    EXPECT_EQ(decoded.tail, journal::Tail::clean) << decoded.problem;
    EXPECT_EQ(decoded.records.size(), events.size());
    IpamState out(30 * kSec);
    for (auto& rec : decoded.records) {
        auto e = decode_event(rec.payload);
        EXPECT_TRUE(e) << "record " << rec.seq << ": " << e.error().message;
        EXPECT_TRUE(e && out.replay(*e).has_value()) << "record " << rec.seq;
    }
    return out;
}

size_t quarantine_ended_events(const std::vector<Event>& log) {
    return std::count_if(log.begin(), log.end(),
                         [](auto& e) { return std::holds_alternative<QuarantineEnded>(e); });
}
}  // namespace

TEST_F(StateTest, SweepOfMoreThan1024CooldownsReplaysThroughTheJournal) {
    define(R"([[{"subnet":"10.20.0.0/21"}]])");
    for (int i = 0; i < 1500; ++i) ASSERT_TRUE(add(numbered("c", i), 0));
    for (int i = 0; i < 1100; ++i) del(numbered("c", i), 1 * kSec);
    sweep(40 * kSec);
    ASSERT_EQ(quarantine_ended_events(log), 1u);
    EXPECT_EQ(std::get<QuarantineEnded>(log.back()).addresses.size(), 1100u);
    IpamState copy = through_journal(log);
    EXPECT_EQ(fingerprint(copy), fingerprint(state));
    EXPECT_TRUE(copy.pool("default")->quarantine.empty());
    EXPECT_EQ(copy.allocations().size(), 400u);
}

TEST_F(StateTest, SweepOf100000V6CooldownsIsSplitIntoRecordsThatFit) {
    define(R"([[{"subnet":"fd00:20::/64"}]])");
    for (int i = 0; i < 100'000; ++i) ASSERT_TRUE(add(numbered("c", i), 0));
    for (int i = 0; i < 100'000; ++i) del(numbered("c", i), 1 * kSec);
    sweep(40 * kSec);
    EXPECT_EQ(quarantine_ended_events(log),
              (100'000 + IpamState::kSweepChunk - 1) / IpamState::kSweepChunk);
    IpamState copy = through_journal(log);
    EXPECT_TRUE(copy.pool("default")->quarantine.empty());
    EXPECT_TRUE(copy.allocations().empty());
    EXPECT_EQ(fingerprint(copy), fingerprint(state));
}

TEST_F(StateTest, NamesTooLongToJournalAreRefusedClearly) {
    define(R"([[{"subnet":"10.21.0.0/24"}]])");
    auto r = add(std::string(kMaxNameBytes + 1, 'c'));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Code::invalid_config);
    EXPECT_NE(r.error().message.find("container ID is 4097 bytes long"), std::string::npos)
        << r.error().message;
    EXPECT_TRUE(add(std::string(kMaxNameBytes, 'c')));
    auto sets = parse_range_sets(json::parse(R"([[{"subnet":"10.22.0.0/24"}]])"));
    auto huge = state.define_pool(std::string(kMaxEventBytes, 'p'), *sets, PoolSource::config);
    ASSERT_FALSE(huge);
    EXPECT_NE(huge.error().message.find("too large to journal"), std::string::npos)
        << huge.error().message;
}

// Defect 10: a requested gateway (or network / broadcast address) says so, as host-local does.
TEST_F(StateTest, RequestedGatewayIsRefusedAsTheGateway) {
    define(R"([[{"subnet":"10.23.0.0/24","gateway":"10.23.0.254"}],[{"subnet":"fd00:23::/64"}]])");
    auto gw = add("a", 0, {ip("10.23.0.254")});
    ASSERT_FALSE(gw);
    EXPECT_EQ(gw.error().code, Code::address_unavailable);
    EXPECT_NE(gw.error().message.find("10.23.0.254 is the gateway of 10.23.0.0/24"),
              std::string::npos)
        << gw.error().message;
    auto gw6 = add("a", 0, {ip("fd00:23::1")});
    ASSERT_FALSE(gw6);
    EXPECT_NE(gw6.error().message.find("is the gateway of fd00:23::/64"), std::string::npos)
        << gw6.error().message;
    auto bcast = add("a", 0, {ip("10.23.0.255")});
    ASSERT_FALSE(bcast);
    EXPECT_NE(bcast.error().message.find("is the broadcast address of 10.23.0.0/24"),
              std::string::npos)
        << bcast.error().message;
    auto outside = add("a", 0, {ip("10.99.0.5")});
    ASSERT_FALSE(outside);
    EXPECT_NE(outside.error().message.find("not assignable"), std::string::npos)
        << outside.error().message;
}

// What the GC learns about a pod (host ifindex, netns cookie) is journaled, so a restarted agent
// (journal replay or snapshot) still knows it; learning nothing new writes nothing.
TEST_F(StateTest, LearnedHostLinkAndCookieSurviveReplayAndSnapshot) {
    define(R"([[{"subnet":"10.1.0.0/24"}]])");
    AddRequest r;
    r.key = {"net", "a", "eth0"};
    r.netns_cookie = 77;
    Change added;
    ASSERT_TRUE(state.add(r, 0, added));
    log.insert(log.end(), added.events.begin(), added.events.end());
    ASSERT_TRUE(add("b"));
    EXPECT_EQ(state.find({"net", "a", "eth0"})->netns_cookie, 77u);

    Change c;
    ASSERT_TRUE(state.learn_host_link({"net", "a", "eth0"}, 12, 99, c));  // cookie from ADD kept
    ASSERT_TRUE(state.learn_host_link({"net", "b", "eth0"}, 13, 88, c));
    ASSERT_TRUE(state.learn_host_link({"net", "b", "eth0"}, 13, 88, c));    // nothing new
    ASSERT_TRUE(state.learn_host_link({"net", "gone", "eth0"}, 14, 1, c));  // holds nothing
    ASSERT_EQ(c.events.size(), 2u);
    EXPECT_EQ(std::get<HostLinkLearned>(c.events[0]),
              (HostLinkLearned{{"net", "a", "eth0"}, 12, 0}));
    EXPECT_EQ(std::get<HostLinkLearned>(c.events[1]),
              (HostLinkLearned{{"net", "b", "eth0"}, 13, 88}));
    log.insert(log.end(), c.events.begin(), c.events.end());

    for (const auto& events : {log, state.snapshot_events()}) {
        IpamState copy = rebuilt(events);  // through the encoding, as from disk
        const Allocation* a = copy.find({"net", "a", "eth0"});
        const Allocation* b = copy.find({"net", "b", "eth0"});
        ASSERT_TRUE(a && b);
        EXPECT_EQ(a->host_ifindex, 12);
        EXPECT_EQ(a->netns_cookie, 77u);
        EXPECT_EQ(b->host_ifindex, 13);
        EXPECT_EQ(b->netns_cookie, 88u);
    }

    // Undo (a journal write that failed) takes it back.
    Change d;
    ASSERT_TRUE(state.learn_host_link({"net", "a", "eth0"}, 21, 0, d));
    ASSERT_EQ(d.undo.size(), 1u);
    d.undo[0]();
    EXPECT_EQ(state.find({"net", "a", "eth0"})->host_ifindex, 12);
}

TEST_F(StateTest, HostLinkLearnedForAnAttachmentThatHoldsNothingIsDamage) {
    define(R"([[{"subnet":"10.1.0.0/24"}]])");
    auto s = state.replay(HostLinkLearned{{"net", "x", "eth0"}, 3, 4});
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error().code, Code::io);
}
