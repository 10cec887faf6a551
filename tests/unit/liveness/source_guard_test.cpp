// SourceGuard over FakeGuardMaps (which plays the classifier): entries by owner, link_gone,
// start-up reconciliation, one warning per new offender, counts, map failures as errors.
#include "liveness/source_guard.hpp"

#include <gtest/gtest.h>

#include "support/captured_log.hpp"
#include "support/fake_guard_maps.hpp"

namespace warren::testing {
namespace {

using liveness::LinkSources;
using liveness::SourceGuard;
using liveness::SpoofMode;
using Verdict = FakeGuardMaps::Verdict;

IpAddress ip(const char* text) {
    return *IpAddress::parse(text);
}
std::vector<IpAddress> ips(std::initializer_list<const char*> texts) {
    std::vector<IpAddress> out;
    for (auto* t : texts) out.push_back(ip(t));
    return out;
}
std::string no_names(uint32_t) {
    return {};
}
std::string veth_names(uint32_t ifindex) {
    return "veth" + std::to_string(ifindex);
}

TEST(SpoofMode, ParsesTheThreeChoicesAndNamesThemOnError) {
    EXPECT_EQ(*liveness::parse_spoof_mode("off"), SpoofMode::off);
    EXPECT_EQ(*liveness::parse_spoof_mode("log"), SpoofMode::log);
    EXPECT_EQ(*liveness::parse_spoof_mode("drop"), SpoofMode::drop);
    for (auto m : {SpoofMode::off, SpoofMode::log, SpoofMode::drop})
        EXPECT_EQ(*liveness::parse_spoof_mode(liveness::to_string(m)), m);
    auto bad = liveness::parse_spoof_mode("block");
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, Code::invalid_config);
    EXPECT_EQ(bad.error().message, "unknown anti-spoofing mode \"block\"");
    EXPECT_EQ(bad.error().details, "use \"off\", \"log\" or \"drop\"");
}

TEST(FakeGuardMapsCheck, PlaysTheClassifier) {
    FakeGuardMaps maps;
    // No entry: never checked, never counted.
    EXPECT_EQ(maps.check(5, ip("10.9.9.9"), 100, 1), Verdict::pass);
    ASSERT_TRUE(maps.set_link({5, SpoofMode::drop, ips({"10.1.0.5", "fd00::5"})}));
    EXPECT_EQ(maps.check(5, ip("10.1.0.5"), 100, 2), Verdict::pass);
    EXPECT_EQ(maps.check(5, ip("fd00::5"), 100, 2), Verdict::pass);
    EXPECT_EQ(maps.check(5, ip("fe80::1"), 100, 2), Verdict::pass);
    EXPECT_EQ(maps.check(5, ip("febf::1"), 100, 2), Verdict::pass);
    EXPECT_EQ(maps.check(5, ip("::"), 100, 2), Verdict::pass);
    EXPECT_EQ(maps.check(5, ip("0.0.0.0"), 100, 2), Verdict::pass);
    EXPECT_EQ(maps.check(5, ip("fec0::1"), 100, 3), Verdict::drop);  // just past fe80::/10
    EXPECT_EQ(maps.check(5, ip("10.9.9.9"), 60, 4), Verdict::drop);
    EXPECT_EQ(maps.check(5, ip("10.9.9.9"), 40, 7), Verdict::drop);
    ASSERT_TRUE(maps.set_link({6, SpoofMode::log, ips({"10.1.0.6"})}));
    EXPECT_EQ(maps.check(6, ip("10.9.9.9"), 10, 8), Verdict::pass);
    ASSERT_TRUE(maps.set_link({7, SpoofMode::off, ips({"10.1.0.7"})}));
    EXPECT_EQ(maps.check(7, ip("10.9.9.9"), 10, 8), Verdict::pass);
    auto spoofs = *maps.spoofs();
    ASSERT_EQ(spoofs.size(), 3u);
    EXPECT_EQ(spoofs[0], (liveness::Spoof{5, ip("10.9.9.9"), 4, 7, 2, 100, 2}));
    EXPECT_EQ(spoofs[1], (liveness::Spoof{5, ip("fec0::1"), 3, 3, 1, 100, 1}));
    EXPECT_EQ(spoofs[2], (liveness::Spoof{6, ip("10.9.9.9"), 8, 8, 1, 10, 0}));
}

TEST(SourceGuard, WithoutMapsEverythingIsANoOp) {
    SourceGuard g(nullptr);
    EXPECT_FALSE(g.on());
    EXPECT_TRUE(g.protect("a", 5, SpoofMode::drop, ips({"10.1.0.5"})));
    EXPECT_EQ(g.link_of("a"), 0u);
    EXPECT_TRUE(g.release("a"));
    g.link_gone(5);
    auto r = g.reconcile({{5, SpoofMode::log, ips({"10.1.0.5"})}}, {"a"});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->written, 0u);
    auto polled = g.poll(no_names);
    ASSERT_TRUE(polled);
    EXPECT_TRUE(polled->empty());
    EXPECT_EQ(g.counts().links, 0u);
}

TEST(SourceGuard, ProtectWritesTheEntryAndReplacesWhatTheLinkHad) {
    FakeGuardMaps maps;
    SourceGuard g(&maps);
    EXPECT_TRUE(g.on());
    ASSERT_TRUE(g.protect("a", 5, SpoofMode::log, ips({"10.1.0.5"})));
    EXPECT_EQ(maps.link(5), (LinkSources{5, SpoofMode::log, ips({"10.1.0.5"})}));
    EXPECT_EQ(g.link_of("a"), 5u);
    // A repeated ADD (or a zone change) replaces the entry.
    ASSERT_TRUE(g.protect("a", 5, SpoofMode::drop, ips({"10.1.0.5", "fd00::5"})));
    EXPECT_EQ(maps.link(5), (LinkSources{5, SpoofMode::drop, ips({"10.1.0.5", "fd00::5"})}));
    EXPECT_EQ(g.protection_of("a"),
              (LinkSources{5, SpoofMode::drop, ips({"10.1.0.5", "fd00::5"})}));
    // A new owner takes the ifindex over: the old one no longer has it.
    ASSERT_TRUE(g.protect("b", 5, SpoofMode::log, ips({"10.1.0.9"})));
    EXPECT_EQ(g.link_of("a"), 0u);
    EXPECT_EQ(g.link_of("b"), 5u);
    EXPECT_EQ(maps.link(5), (LinkSources{5, SpoofMode::log, ips({"10.1.0.9"})}));
    // "a"'s release no longer touches the link "b" has now.
    ASSERT_TRUE(g.release("a"));
    EXPECT_EQ(maps.link(5), (LinkSources{5, SpoofMode::log, ips({"10.1.0.9"})}));
}

TEST(SourceGuard, AnOwnerOnANewLinkLeavesItsOldOne) {
    FakeGuardMaps maps;
    SourceGuard g(&maps);
    ASSERT_TRUE(g.protect("a", 5, SpoofMode::log, ips({"10.1.0.5"})));
    ASSERT_TRUE(g.protect("a", 8, SpoofMode::log, ips({"10.1.0.5"})));
    EXPECT_FALSE(maps.link(5).has_value());
    EXPECT_EQ(maps.link(8), (LinkSources{8, SpoofMode::log, ips({"10.1.0.5"})}));
    EXPECT_EQ(g.link_of("a"), 8u);
    EXPECT_EQ(g.counts().links, 1u);
}

TEST(SourceGuard, ReleaseDeletesOnlyItsOwnersEntry) {
    FakeGuardMaps maps;
    SourceGuard g(&maps);
    ASSERT_TRUE(g.protect("a", 5, SpoofMode::log, ips({"10.1.0.5"})));
    ASSERT_TRUE(g.protect("b", 6, SpoofMode::drop, ips({"10.1.0.6"})));
    ASSERT_TRUE(g.release("a"));
    EXPECT_FALSE(maps.link(5).has_value());
    EXPECT_EQ(maps.link(6), (LinkSources{6, SpoofMode::drop, ips({"10.1.0.6"})}));
    EXPECT_EQ(g.link_of("a"), 0u);
    EXPECT_EQ(g.link_of("b"), 6u);
    // An unknown owner: nothing is deleted.
    const int deletes = maps.deletes();
    ASSERT_TRUE(g.release("nobody"));
    EXPECT_EQ(maps.deletes(), deletes);
    // After the release the link is not checked: its pod may send from anything.
    EXPECT_EQ(maps.check(5, ip("10.9.9.9"), 100, 1), Verdict::pass);
    EXPECT_TRUE(maps.spoofs()->empty());
}

TEST(SourceGuard, ModeOffDeletesTheEntryButRemembersTheLink) {
    FakeGuardMaps maps;
    SourceGuard g(&maps);
    ASSERT_TRUE(g.protect("a", 5, SpoofMode::drop, ips({"10.1.0.5"})));
    ASSERT_TRUE(g.protect("a", 5, SpoofMode::off, ips({"10.1.0.5"})));
    EXPECT_FALSE(maps.link(5).has_value());
    EXPECT_EQ(maps.check(5, ip("10.9.9.9"), 100, 1), Verdict::pass);
    EXPECT_EQ(g.link_of("a"), 5u);
    auto c = g.counts();
    EXPECT_EQ(c.links, 0u);
    EXPECT_EQ(c.by_mode[0], 1u);
    EXPECT_EQ(c.by_mode[2], 0u);
}

TEST(SourceGuard, TooManyAddressesIsAClearErrorAndWritesNothing) {
    FakeGuardMaps maps;
    SourceGuard g(&maps);
    auto ok = g.protect("a", 5, SpoofMode::log,
                        ips({"10.1.0.1", "10.1.0.2", "10.1.0.3", "10.1.0.4", "10.1.0.5"}));
    ASSERT_FALSE(ok);
    EXPECT_EQ(ok.error().code, Code::invalid_config);
    EXPECT_EQ(ok.error().message,
              "anti-spoofing: a has 5 addresses, more than the 4 a host link's entry holds");
    EXPECT_EQ(maps.writes(), 0);
    EXPECT_EQ(g.link_of("a"), 0u);
}

TEST(SourceGuard, MapFailuresAreReturnedAndLeaveTheStateAsItWas) {
    FakeGuardMaps maps;
    SourceGuard g(&maps);
    maps.fail_next(Error::from_errno("updating link_sources", ENOMEM));
    auto ok = g.protect("a", 5, SpoofMode::log, ips({"10.1.0.5"}));
    ASSERT_FALSE(ok);
    EXPECT_EQ(ok.error().sys_errno, ENOMEM);
    EXPECT_EQ(g.link_of("a"), 0u);
    EXPECT_EQ(g.counts().links, 0u);

    ASSERT_TRUE(g.protect("a", 5, SpoofMode::log, ips({"10.1.0.5"})));
    maps.fail_next(Error::from_errno("deleting from link_sources", EPERM));
    auto released = g.release("a");
    ASSERT_FALSE(released);
    EXPECT_EQ(released.error().sys_errno, EPERM);
    EXPECT_EQ(g.link_of("a"), 5u);  // still held: a later release retries

    maps.fail_next(Error::from_errno("reading spoofs", EIO));
    auto polled = g.poll(no_names);
    ASSERT_FALSE(polled);
    EXPECT_EQ(polled.error().sys_errno, EIO);

    maps.fail_next(Error::from_errno("reading link_sources", EIO));
    auto r = g.reconcile({}, {});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().sys_errno, EIO);
}

TEST(SourceGuard, LinkGoneDeletesItsEntryAndItsSpoofsOnly) {
    FakeGuardMaps maps;
    SourceGuard g(&maps);
    ASSERT_TRUE(g.protect("a", 5, SpoofMode::log, ips({"10.1.0.5"})));
    ASSERT_TRUE(g.protect("b", 6, SpoofMode::log, ips({"10.1.0.6"})));
    maps.check(5, ip("10.9.9.9"), 100, 1);
    maps.check(6, ip("10.9.9.8"), 100, 1);
    ASSERT_TRUE(g.poll(no_names));
    g.link_gone(5);
    EXPECT_FALSE(maps.link(5).has_value());
    EXPECT_EQ(g.link_of("a"), 0u);
    auto spoofs = *maps.spoofs();
    ASSERT_EQ(spoofs.size(), 1u);
    EXPECT_EQ(spoofs[0].ifindex, 6u);
    EXPECT_EQ(maps.link(6), (LinkSources{6, SpoofMode::log, ips({"10.1.0.6"})}));
    ASSERT_EQ(g.offenders().size(), 1u);  // the gone link's offenders are not shown any more
    EXPECT_EQ(g.offenders()[0].spoof.ifindex, 6u);
}

TEST(SourceGuard, AReusedIfindexLogsItsOffendersAgain) {
    CapturedLog log;
    FakeGuardMaps maps;
    SourceGuard g(&maps);
    ASSERT_TRUE(g.protect("a", 5, SpoofMode::log, ips({"10.1.0.5"})));
    maps.check(5, ip("10.9.9.9"), 100, 1);
    ASSERT_TRUE(g.poll(no_names));
    g.link_gone(5);
    ASSERT_TRUE(g.protect("b", 5, SpoofMode::log, ips({"10.1.0.7"})));
    maps.check(5, ip("10.9.9.9"), 100, 2);
    ASSERT_TRUE(g.poll(no_names));
    EXPECT_EQ(log.count("sent from 10.9.9.9"), 2u) << log.text();
    EXPECT_EQ(log.count("pod b on ifindex 5 sent from 10.9.9.9"), 1u) << log.text();
}

TEST(SourceGuard, ReconcileWritesDeletesAndKeeps) {
    FakeGuardMaps maps;
    // Left from before the restart: 5 is right, 6 is stale, 7 belongs to no allocation now,
    // 9 should be off.
    ASSERT_TRUE(maps.set_link({5, SpoofMode::log, ips({"10.1.0.5"})}));
    ASSERT_TRUE(maps.set_link({6, SpoofMode::log, ips({"10.1.0.99"})}));
    ASSERT_TRUE(maps.set_link({7, SpoofMode::drop, ips({"10.1.0.7"})}));
    ASSERT_TRUE(maps.set_link({9, SpoofMode::drop, ips({"10.1.0.9"})}));
    const int writes = maps.writes();
    SourceGuard g(&maps);
    auto r = g.reconcile({{5, SpoofMode::log, ips({"10.1.0.5"})},
                          {6, SpoofMode::drop, ips({"10.1.0.6"})},
                          {8, SpoofMode::log, ips({"10.1.0.8"})},
                          {9, SpoofMode::off, ips({"10.1.0.9"})}},
                         {"a", "b", "c", "d"});
    ASSERT_TRUE(r) << r.error().describe();
    EXPECT_EQ(r->kept, 1u);
    EXPECT_EQ(r->written, 2u);
    EXPECT_EQ(r->deleted, 2u);
    EXPECT_EQ(maps.writes() - writes, 2);
    EXPECT_EQ(*maps.links(), (std::vector<LinkSources>{{5, SpoofMode::log, ips({"10.1.0.5"})},
                                                       {6, SpoofMode::drop, ips({"10.1.0.6"})},
                                                       {8, SpoofMode::log, ips({"10.1.0.8"})}}));
    EXPECT_EQ(g.link_of("a"), 5u);
    EXPECT_EQ(g.link_of("b"), 6u);
    EXPECT_EQ(g.link_of("c"), 8u);
    EXPECT_EQ(g.link_of("d"), 9u);
    auto c = g.counts();
    EXPECT_EQ(c.links, 3u);
    EXPECT_EQ(c.by_mode[0], 1u);
    EXPECT_EQ(c.by_mode[1], 2u);
    EXPECT_EQ(c.by_mode[2], 1u);
    // Owners then release as after any ADD.
    ASSERT_TRUE(g.release("b"));
    EXPECT_FALSE(maps.link(6).has_value());
}

TEST(SourceGuard, ReconcileReturnsTheFirstFailureAndDoesTheRest) {
    FakeGuardMaps maps;
    SourceGuard g(&maps);
    maps.fail_next_write(Error::from_errno("updating link_sources", E2BIG));
    auto r = g.reconcile(
        {{5, SpoofMode::log, ips({"10.1.0.5"})}, {6, SpoofMode::log, ips({"10.1.0.6"})}},
        {"a", "b"});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().sys_errno, E2BIG);
    EXPECT_FALSE(maps.link(5).has_value());
    EXPECT_EQ(maps.link(6), (LinkSources{6, SpoofMode::log, ips({"10.1.0.6"})}));
    EXPECT_EQ(g.link_of("a"), 0u);
    EXPECT_EQ(g.link_of("b"), 6u);
    // Mismatched owners are a programming error, reported rather than guessed at.
    auto mismatched = g.reconcile({{5, SpoofMode::log, ips({"10.1.0.5"})}}, {});
    ASSERT_FALSE(mismatched);
    EXPECT_EQ(mismatched.error().code, Code::internal);
}

TEST(SourceGuard, PollLogsOneWarningPerNewOffenderAndCounts) {
    CapturedLog log;
    FakeGuardMaps maps;
    SourceGuard g(&maps);
    ASSERT_TRUE(g.protect("net1/c1/eth0", 5, SpoofMode::log, ips({"10.1.0.5", "fd00::5"})));
    ASSERT_TRUE(g.protect("net1/c2/eth0", 6, SpoofMode::drop, ips({"10.2.0.6"})));
    maps.check(5, ip("10.2.0.6"), 100, 10);
    maps.check(5, ip("10.2.0.6"), 100, 11);
    maps.check(6, ip("10.1.0.5"), 100, 12);
    auto first = g.poll(veth_names);
    ASSERT_TRUE(first);
    ASSERT_EQ(first->size(), 2u);
    EXPECT_EQ((*first)[0].link, "veth5");
    EXPECT_EQ((*first)[0].owner, "net1/c1/eth0");
    EXPECT_EQ((*first)[0].mode, SpoofMode::log);
    EXPECT_EQ((*first)[0].spoof.packets, 2u);
    EXPECT_EQ((*first)[1].mode, SpoofMode::drop);
    EXPECT_EQ(
        log.count("warning|anti-spoofing: pod net1/c1/eth0 on veth5 sent from 10.2.0.6, which "
                  "is not its address (10.1.0.5, fd00::5); 2 packet(s), passed (zone mode "
                  "log)\n"),
        1u)
        << log.text();
    EXPECT_EQ(
        log.count("warning|anti-spoofing: pod net1/c2/eth0 on veth6 sent from 10.1.0.5, which "
                  "is not its address (10.2.0.6); 1 packet(s), dropped (zone mode drop)\n"),
        1u)
        << log.text();
    auto c = g.counts();
    EXPECT_EQ(c.offenders, 2u);
    EXPECT_EQ(c.packets, 3u);
    EXPECT_EQ(c.dropped, 1u);

    // The same pairs again: counted, not logged again. A new pair: logged.
    maps.check(5, ip("10.2.0.6"), 100, 13);
    maps.check(6, ip("10.1.0.5"), 100, 14);
    maps.check(6, ip("10.3.0.1"), 100, 15);
    ASSERT_TRUE(g.poll(veth_names));
    EXPECT_EQ(log.count("anti-spoofing: pod"), 3u) << log.text();
    EXPECT_EQ(log.count("sent from 10.3.0.1"), 1u) << log.text();
    c = g.counts();
    EXPECT_EQ(c.offenders, 3u);
    EXPECT_EQ(c.packets, 6u);
    EXPECT_EQ(c.dropped, 3u);
    EXPECT_EQ(g.offenders().size(), 3u);
}

TEST(SourceGuard, PollNamesUnknownLinksAndOwners) {
    CapturedLog log;
    FakeGuardMaps maps;
    // An entry from before a restart, not reconciled yet: the guard knows neither link nor owner.
    ASSERT_TRUE(maps.set_link({12, SpoofMode::drop, ips({"10.1.0.12"})}));
    maps.check(12, ip("10.9.9.9"), 100, 1);
    SourceGuard g(&maps);
    auto polled = g.poll(no_names);
    ASSERT_TRUE(polled);
    ASSERT_EQ(polled->size(), 1u);
    EXPECT_EQ((*polled)[0].link, "ifindex 12");
    EXPECT_EQ((*polled)[0].owner, "");
    EXPECT_EQ((*polled)[0].mode, SpoofMode::drop);  // from what the classifier did
    EXPECT_EQ(
        log.count("warning|anti-spoofing: pod (unknown) on ifindex 12 sent from 10.9.9.9, which "
                  "is not its address (none recorded); 1 packet(s), dropped (zone mode "
                  "drop)\n"),
        1u)
        << log.text();
}

TEST(SourceGuard, APodSprayingSourcesDoesNotFloodTheLog) {
    CapturedLog log;
    FakeGuardMaps maps;
    SourceGuard g(&maps);
    ASSERT_TRUE(g.protect("a", 5, SpoofMode::drop, ips({"10.1.0.5"})));
    for (uint32_t i = 1; i <= 100; ++i) maps.check(5, IpAddress::v4(0x0a090000 + i), 100, i);
    auto polled = g.poll(no_names);
    ASSERT_TRUE(polled);
    EXPECT_EQ(polled->size(), 100u);
    EXPECT_EQ(log.count("anti-spoofing: pod a on"), 16u) << log.text();
    EXPECT_EQ(
        log.count("warning|anti-spoofing: 84 more new offender(s) this pass, not logged one by "
                  "one"),
        1u)
        << log.text();
    // Next pass: nothing new, nothing logged.
    ASSERT_TRUE(g.poll(no_names));
    EXPECT_EQ(log.count("anti-spoofing:"), 17u) << log.text();
}

}  // namespace
}  // namespace warren::testing
