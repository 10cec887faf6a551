// Anti-spoofing in the classifier (BPF_PROG_TEST_RUN): a link's link_sources entry decides
// which sources pass; mismatches are counted in spoofs and dropped in mode drop. And
// BpfGuardMaps, the agent's view of link_sources and spoofs, on the kernel's maps.
#include <gtest/gtest.h>
#include <sched.h>
#include <linux/pkt_cls.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "frames.hpp"
#include "liveness/program.hpp"
#include "loaded.hpp"
#include "support/privileged.hpp"

namespace warren::bpftest {
namespace {

using liveness::LinkSources;
using liveness::SpoofMode;

constexpr uint32_t kShot = TC_ACT_SHOT;

IpAddress ip(const char* text) {
    return *IpAddress::parse(text);
}

uint64_t coarse_monotonic_ns() {
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);  // the classifier's clock
    return uint64_t(ts.tv_sec) * 1'000'000'000u + uint64_t(ts.tv_nsec);
}

// A frame kind with the pod's own source and someone else's.
struct Kind {
    const char* name;
    Frame own;
    Frame other;
    const char* other_source;
};

std::vector<Kind> kinds() {
    return {{"IPv4", ipv4("10.244.0.5"), ipv4("10.244.0.6", 40), "10.244.0.6"},
            {"IPv6", ipv6("fd00::5"), ipv6("fd00::6", 40), "fd00::6"},
            {"ARP sender", arp("10.244.0.5"), arp("10.244.0.6", 2), "10.244.0.6"}};
}

class Guard : public ::testing::Test {
  protected:
    void SetUp() override {
        WARREN_REQUIRE_ROOT();
        auto p = liveness::Program::load({.bpffs_dir = pins_.path()});
        ASSERT_TRUE(p) << p.error().describe() << " " << p.error().details;
        program_.emplace(std::move(*p));
        auto g = program_->guard_maps();
        ASSERT_TRUE(g) << g.error().describe();
        guard_.emplace(std::move(*g));
    }

    // The program's verdict on `frame` arriving on `ifindex`.
    uint32_t verdict(const Frame& frame, uint32_t ifindex) {
        auto r = run_frame(program_->prog_fd(), frame, ifindex);
        EXPECT_EQ(r.rc, 0) << "bpf_prog_test_run_opts: " << std::strerror(-r.rc);
        return r.retval;
    }
    void protect(uint32_t ifindex, SpoofMode mode, std::vector<IpAddress> addresses) {
        auto ok = guard_->set_link({ifindex, mode, std::move(addresses)});
        ASSERT_TRUE(ok) << ok.error().describe();
    }
    std::vector<liveness::Spoof> spoofs() {
        auto s = guard_->spoofs();
        EXPECT_TRUE(s) << s.error().describe();
        auto v = s ? *s : std::vector<liveness::Spoof>{};
        std::sort(v.begin(), v.end(), [](auto& a, auto& b) {
            return std::tie(a.ifindex, a.source) < std::tie(b.ifindex, b.source);
        });
        return v;
    }
    liveness::Stats stats() {
        auto s = program_->stats();
        EXPECT_TRUE(s) << s.error().describe();
        return s ? *s : liveness::Stats{~0ull, ~0ull, ~0ull, ~0ull, ~0ull, ~0ull};
    }

    PinDir pins_;
    std::optional<liveness::Program> program_;
    std::optional<liveness::BpfGuardMaps> guard_;
};

// The classifier keeps link entries in a per-CPU cache (bpf/maps.h link_cache); every set_link
// and clear_link is seen by the very next packet on the CPU that cached the old entry.
TEST_F(Guard, EveryChangeIsSeenByTheNextPacketOnTheCpuThatCachedTheOldEntry) {
    cpu_set_t before{}, one{};
    ASSERT_EQ(::sched_getaffinity(0, sizeof before, &before), 0);
    CPU_SET(0, &one);
    ASSERT_EQ(::sched_setaffinity(0, sizeof one, &one), 0);
    struct Restore {
        cpu_set_t set;
        ~Restore() { ::sched_setaffinity(0, sizeof set, &set); }
    } restore{before};
    const auto a = ipv4("10.244.0.5");
    protect(7, SpoofMode::drop, {ip("10.244.0.5")});
    EXPECT_EQ(verdict(a, 7), kUnspec);
    protect(7, SpoofMode::drop, {ip("10.244.0.6")});
    EXPECT_EQ(verdict(a, 7), kShot) << "replaced entry";
    protect(7, SpoofMode::log, {ip("10.244.0.6")});
    EXPECT_EQ(verdict(a, 7), kUnspec) << "mode changed to log";
    protect(7, SpoofMode::drop, {ip("10.244.0.6")});
    EXPECT_EQ(verdict(a, 7), kShot);
    ASSERT_TRUE(guard_->clear_link(7));
    EXPECT_EQ(verdict(a, 7), kUnspec) << "cleared: never dropped";
    protect(7, SpoofMode::drop, {ip("10.244.0.6")});
    EXPECT_EQ(verdict(a, 7), kShot) << "absence was cached, then an entry came";
    protect(7 + 64, SpoofMode::drop, {ip("10.244.0.5")});  // the same cache slot
    EXPECT_EQ(verdict(a, 7 + 64), kUnspec);
    EXPECT_EQ(verdict(a, 7), kShot);
    EXPECT_EQ(verdict(a, 7 + 64), kUnspec);
}

TEST_F(Guard, OwnAddressPassesInEveryFamily) {
    protect(7, SpoofMode::drop, {ip("10.244.0.5"), ip("fd00::5")});
    for (const auto& k : kinds()) {
        SCOPED_TRACE(k.name);
        EXPECT_EQ(verdict(k.own, 7), kUnspec);
    }
    EXPECT_TRUE(spoofs().empty());
    EXPECT_EQ(stats().packets(), 3u);
    EXPECT_EQ(stats().spoof_logged, 0u);
    EXPECT_EQ(stats().spoof_dropped, 0u);
}

TEST_F(Guard, AnotherAddressIsCountedAndPassesInLog) {
    protect(7, SpoofMode::log, {ip("10.244.0.5"), ip("fd00::5")});
    for (const auto& k : kinds()) {
        SCOPED_TRACE(k.name);
        ASSERT_TRUE(guard_->clear_spoofs(7));
        uint64_t before = coarse_monotonic_ns();
        EXPECT_EQ(verdict(k.other, 7), kUnspec);
        EXPECT_EQ(verdict(k.other, 7), kUnspec);
        uint64_t after = coarse_monotonic_ns();
        auto s = spoofs();
        ASSERT_EQ(s.size(), 1u);
        EXPECT_EQ(s[0].ifindex, 7u);
        EXPECT_EQ(s[0].source, ip(k.other_source));
        EXPECT_EQ(s[0].packets, 2u);
        EXPECT_EQ(s[0].bytes, 2 * k.other.size());
        EXPECT_EQ(s[0].dropped, 0u);
        EXPECT_GE(s[0].first_seen_ns, before);
        EXPECT_LE(s[0].first_seen_ns, s[0].last_seen_ns);
        EXPECT_LE(s[0].last_seen_ns, after);
    }
    EXPECT_EQ(stats().spoof_logged, 6u);
    EXPECT_EQ(stats().spoof_dropped, 0u);
    EXPECT_EQ(stats().packets(), 6u) << "the spoof slots count on top of the others";
}

TEST_F(Guard, AnotherAddressIsCountedAndDroppedInDrop) {
    protect(7, SpoofMode::drop, {ip("10.244.0.5"), ip("fd00::5")});
    for (const auto& k : kinds()) {
        SCOPED_TRACE(k.name);
        ASSERT_TRUE(guard_->clear_spoofs(7));
        EXPECT_EQ(verdict(k.other, 7), kShot);
        EXPECT_EQ(verdict(k.other, 7), kShot);
        EXPECT_EQ(verdict(k.other, 7), kShot);
        auto s = spoofs();
        ASSERT_EQ(s.size(), 1u);
        EXPECT_EQ(s[0].source, ip(k.other_source));
        EXPECT_EQ(s[0].packets, 3u);
        EXPECT_EQ(s[0].bytes, 3 * k.other.size());
        EXPECT_EQ(s[0].dropped, 3u);
        EXPECT_NE(s[0].first_seen_ns, 0u);
    }
    EXPECT_EQ(stats().spoof_dropped, 9u);
    EXPECT_EQ(stats().spoof_logged, 0u);
}

// The last-seen time follows the sightings (it is rewritten when the tick moved).
TEST_F(Guard, LastSeenMovesWithALaterSighting) {
    protect(7, SpoofMode::log, {ip("10.244.0.5")});
    EXPECT_EQ(verdict(ipv4("10.244.0.6"), 7), kUnspec);
    uint64_t first = spoofs().at(0).first_seen_ns;
    ::usleep(30'000);  // > 1 jiffy at any HZ >= 100
    uint64_t before = coarse_monotonic_ns();
    EXPECT_EQ(verdict(ipv4("10.244.0.6"), 7), kUnspec);
    auto s = spoofs();
    ASSERT_EQ(s.size(), 1u);
    EXPECT_EQ(s[0].first_seen_ns, first);
    EXPECT_GE(s[0].last_seen_ns, before);
    EXPECT_EQ(s[0].packets, 2u);
}

TEST_F(Guard, LinkLocalIpv6PassesInDrop) {
    protect(7, SpoofMode::drop, {ip("10.244.0.5"), ip("fd00::5")});
    EXPECT_EQ(verdict(ipv6("fe80::1"), 7), kUnspec);
    EXPECT_EQ(verdict(ipv6("febf:ffff::1"), 7), kUnspec);  // the top of fe80::/10
    EXPECT_TRUE(spoofs().empty());
    EXPECT_EQ(verdict(ipv6("fec0::1"), 7), kShot);  // just outside it
    EXPECT_EQ(spoofs().size(), 1u);
}

TEST_F(Guard, DadAndDhcpAndArpProbesPassInDrop) {
    protect(7, SpoofMode::drop, {ip("10.244.0.5"), ip("fd00::5")});
    EXPECT_EQ(verdict(ipv6("::"), 7), kUnspec);       // duplicate address detection
    EXPECT_EQ(verdict(ipv4("0.0.0.0"), 7), kUnspec);  // DHCP discover
    EXPECT_EQ(verdict(arp("0.0.0.0"), 7), kUnspec);   // ARP probe
    EXPECT_TRUE(spoofs().empty());
    EXPECT_EQ(stats().ignored, 3u);
    EXPECT_EQ(stats().spoof_dropped, 0u);
}

// ::ffff:a.b.c.d as an IPv6 source is no one's address (every IPv6 receiver drops it).
TEST_F(Guard, V4MappedIpv6SourcePassesInDrop) {
    protect(7, SpoofMode::drop, {ip("10.244.0.5")});
    EXPECT_EQ(verdict(ipv6("::ffff:10.244.0.6"), 7), kUnspec);
    EXPECT_TRUE(spoofs().empty());
}

TEST_F(Guard, UnknownModeValueIsNeverDropped) {
    protect(7, static_cast<SpoofMode>(7), {ip("10.244.0.5")});
    EXPECT_EQ(verdict(ipv4("10.244.0.6"), 7), kUnspec);
    EXPECT_TRUE(spoofs().empty());
}

TEST_F(Guard, VlanTaggedFramesAreCheckedLikeUntagged) {
    protect(7, SpoofMode::drop, {ip("10.244.0.5"), ip("fd00::5")});
    for (VlanTag tag : {VlanTag{0x8100, 100}, VlanTag{0x88a8, 7}}) {
        SCOPED_TRACE(tag.tpid);
        EXPECT_EQ(verdict(ipv4("10.244.0.5", 16, &tag), 7), kUnspec);
        EXPECT_EQ(verdict(ipv6("fd00::5", 16, &tag), 7), kUnspec);
        EXPECT_EQ(verdict(arp("10.244.0.5", 1, &tag), 7), kUnspec);
        EXPECT_EQ(verdict(ipv4("10.244.0.6", 16, &tag), 7), kShot);
        EXPECT_EQ(verdict(ipv6("fd00::6", 16, &tag), 7), kShot);
        EXPECT_EQ(verdict(arp("10.244.0.6", 1, &tag), 7), kShot);
    }
    EXPECT_EQ(stats().spoof_dropped, 6u);
}

TEST_F(Guard, LinkWithoutAnEntryIsNeverDropped) {
    protect(7, SpoofMode::drop, {ip("10.244.0.5")});
    protect(9, SpoofMode::drop, {ip("10.244.0.9")});
    for (const auto& k : kinds()) {
        SCOPED_TRACE(k.name);
        EXPECT_EQ(verdict(k.own, 8), kUnspec);
        EXPECT_EQ(verdict(k.other, 8), kUnspec);
    }
    EXPECT_TRUE(spoofs().empty());
    EXPECT_EQ(stats().spoof_logged + stats().spoof_dropped, 0u);
}

TEST_F(Guard, ModeOffNeverDrops) {
    protect(7, SpoofMode::off, {ip("10.244.0.5")});
    for (const auto& k : kinds()) {
        SCOPED_TRACE(k.name);
        EXPECT_EQ(verdict(k.other, 7), kUnspec);
    }
    EXPECT_TRUE(spoofs().empty());
}

TEST_F(Guard, EntryWithoutAddressesChecksEverySource) {
    protect(7, SpoofMode::drop, {});
    EXPECT_EQ(verdict(ipv4("10.244.0.5"), 7), kShot);
    EXPECT_EQ(verdict(ipv6("fe80::1"), 7), kUnspec);
}

TEST_F(Guard, DualStackEntryPassesBothFamilies) {
    protect(7, SpoofMode::drop, {ip("fd00::5"), ip("10.244.0.5")});
    EXPECT_EQ(verdict(ipv4("10.244.0.5"), 7), kUnspec);
    EXPECT_EQ(verdict(ipv6("fd00::5"), 7), kUnspec);
    EXPECT_EQ(verdict(arp("10.244.0.5"), 7), kUnspec);
    EXPECT_EQ(verdict(ipv4("10.244.0.6"), 7), kShot);
    EXPECT_EQ(verdict(ipv6("fd00::6"), 7), kShot);
}

TEST_F(Guard, EveryListedAddressPasses) {
    protect(7, SpoofMode::drop,
            {ip("10.244.0.1"), ip("10.244.0.2"), ip("fd00::3"), ip("10.244.0.4")});
    for (const char* a : {"10.244.0.1", "10.244.0.2", "10.244.0.4"})
        EXPECT_EQ(verdict(ipv4(a), 7), kUnspec) << a;
    EXPECT_EQ(verdict(ipv6("fd00::3"), 7), kUnspec);
    EXPECT_EQ(verdict(ipv4("10.244.0.3"), 7), kShot);
}

TEST_F(Guard, TruncatedAndNonIpFramesAreNeverDropped) {
    protect(7, SpoofMode::drop, {ip("10.244.0.5")});
    // Cut before the source address (the kernel's test run refuses an untagged IP frame
    // shorter than its header, so a tagged one and ARP stand in).
    VlanTag q{0x8100, 10};
    Frame cut_ip = ipv4("10.244.0.6", 0, &q);
    cut_ip.resize(18 + 12);
    EXPECT_EQ(verdict(cut_ip, 7), kUnspec);
    Frame cut_arp = arp("10.244.0.6");
    cut_arp.resize(14 + 16);
    EXPECT_EQ(verdict(cut_arp, 7), kUnspec);
    EXPECT_EQ(stats().truncated, 2u);
    EXPECT_EQ(verdict(ethernet(0x88cc), 7), kUnspec);  // LLDP
    VlanTag outer{0x88a8, 7};
    Frame qinq = ethernet(0x8100, &outer);  // two tags: not looked into
    qinq.insert(qinq.end(), {0, 100, 0x08, 0x00});
    Frame inner = ipv4("10.244.0.6");
    qinq.insert(qinq.end(), inner.begin() + 14, inner.end());
    EXPECT_EQ(verdict(qinq, 7), kUnspec);
    EXPECT_TRUE(spoofs().empty());
}

TEST_F(Guard, SpoofsAreKeptPerLinkAndSource) {
    protect(7, SpoofMode::log, {ip("10.244.0.5")});
    protect(9, SpoofMode::drop, {ip("10.244.0.9")});
    EXPECT_EQ(verdict(ipv4("10.244.0.6"), 7), kUnspec);
    EXPECT_EQ(verdict(ipv4("10.244.0.6"), 9), kShot);
    EXPECT_EQ(verdict(ipv4("10.244.0.7"), 9), kShot);
    auto s = spoofs();
    ASSERT_EQ(s.size(), 3u);
    EXPECT_EQ(std::tie(s[0].ifindex, s[0].source, s[0].dropped),
              std::make_tuple(7u, ip("10.244.0.6"), uint64_t{0}));
    EXPECT_EQ(std::tie(s[1].ifindex, s[1].source, s[1].dropped),
              std::make_tuple(9u, ip("10.244.0.6"), uint64_t{1}));
    EXPECT_EQ(std::tie(s[2].ifindex, s[2].source, s[2].dropped),
              std::make_tuple(9u, ip("10.244.0.7"), uint64_t{1}));
}

// The anti-spoofing check runs on top of liveness: a spoofed source is still recorded.
TEST_F(Guard, SpoofedSourceIsStillRecordedForLiveness) {
    auto maps = program_->maps();
    ASSERT_TRUE(maps);
    ASSERT_TRUE(maps->watch(ip("10.244.0.6")));
    protect(7, SpoofMode::drop, {ip("10.244.0.5")});
    EXPECT_EQ(verdict(ipv4("10.244.0.6"), 7), kShot);
    EXPECT_EQ(verdict(ipv4("10.244.0.8"), 7), kShot);
    EXPECT_EQ((*maps->observation(ip("10.244.0.6")))->packets, 1u);
    auto strangers = maps->strangers();
    ASSERT_TRUE(strangers);
    ASSERT_EQ(strangers->size(), 1u);
    EXPECT_EQ((*strangers)[0].address, ip("10.244.0.8"));
}

// ---- BpfGuardMaps

TEST_F(Guard, SetReplaceAndClearLinks) {
    LinkSources a{3, SpoofMode::drop, {ip("10.244.0.5")}};
    LinkSources b{4, SpoofMode::log, {ip("10.244.0.6"), ip("fd00::6")}};
    ASSERT_TRUE(guard_->set_link(a));
    ASSERT_TRUE(guard_->set_link(b));
    auto sorted = [&] {
        auto l = guard_->links();
        EXPECT_TRUE(l) << l.error().describe();
        auto v = l ? *l : std::vector<LinkSources>{};
        std::sort(v.begin(), v.end(), [](auto& x, auto& y) { return x.ifindex < y.ifindex; });
        return v;
    };
    EXPECT_EQ(sorted(), (std::vector<LinkSources>{a, b}));

    LinkSources a2{3, SpoofMode::off, {}};
    ASSERT_TRUE(guard_->set_link(a2));
    EXPECT_EQ(sorted(), (std::vector<LinkSources>{a2, b}));

    ASSERT_TRUE(guard_->clear_link(3));
    EXPECT_EQ(sorted(), (std::vector<LinkSources>{b}));
    EXPECT_TRUE(guard_->clear_link(3)) << "absent is not an error";
}

TEST_F(Guard, TooManyAddressesIsRefusedAndNothingWritten) {
    LinkSources kept{3, SpoofMode::log, {ip("10.244.0.5")}};
    ASSERT_TRUE(guard_->set_link(kept));
    LinkSources five{3, SpoofMode::drop, {}};
    for (uint32_t i = 1; i <= WARREN_LINK_ADDRS + 1; ++i)
        five.addresses.push_back(IpAddress::v4(0x0af40000u + i));
    auto r = guard_->set_link(five);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Code::invalid_config);
    EXPECT_NE(r.error().message.find("5 addresses"), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find("at most 4"), std::string::npos) << r.error().message;
    EXPECT_EQ(*guard_->links(), std::vector<LinkSources>{kept});
}

TEST_F(Guard, ClearSpoofsForgetsOneLinkOnly) {
    protect(3, SpoofMode::log, {});
    protect(4, SpoofMode::log, {});
    EXPECT_EQ(verdict(ipv4("10.244.0.6"), 3), kUnspec);
    EXPECT_EQ(verdict(ipv6("fd00::6"), 3), kUnspec);
    EXPECT_EQ(verdict(ipv4("10.244.0.6"), 4), kUnspec);
    ASSERT_EQ(spoofs().size(), 3u);
    ASSERT_TRUE(guard_->clear_spoofs(3));
    auto s = spoofs();
    ASSERT_EQ(s.size(), 1u);
    EXPECT_EQ(s[0].ifindex, 4u);
    EXPECT_TRUE(guard_->clear_spoofs(3)) << "nothing left to clear is not an error";
}

TEST_F(Guard, ListsMoreThanOneBatch) {
    for (uint32_t i = 1; i <= 3000; ++i)
        ASSERT_TRUE(guard_->set_link({i, SpoofMode::log, {IpAddress::v4(0x0af40000u + i)}}));
    auto l = guard_->links();
    ASSERT_TRUE(l) << l.error().describe();
    ASSERT_EQ(l->size(), 3000u);
    std::sort(l->begin(), l->end(), [](auto& x, auto& y) { return x.ifindex < y.ifindex; });
    for (uint32_t i = 1; i <= 3000; ++i)
        ASSERT_EQ((*l)[i - 1].addresses, std::vector<IpAddress>{IpAddress::v4(0x0af40000u + i)});
}

// The entries and counts are pinned: a reloaded classifier (a restarted agent) enforces them.
TEST_F(Guard, PinsSurviveAReload) {
    protect(7, SpoofMode::drop, {ip("10.244.0.5")});
    EXPECT_EQ(verdict(ipv4("10.244.0.6"), 7), kShot);
    guard_.reset();
    program_.reset();

    auto p = liveness::Program::load({.bpffs_dir = pins_.path()});
    ASSERT_TRUE(p) << p.error().describe();
    auto g = p->guard_maps();
    ASSERT_TRUE(g);
    EXPECT_EQ(*g->links(), (std::vector<LinkSources>{{7, SpoofMode::drop, {ip("10.244.0.5")}}}));
    EXPECT_EQ(run_frame(p->prog_fd(), ipv4("10.244.0.6"), 7).retval, kShot);
    auto s = g->spoofs();
    ASSERT_TRUE(s);
    ASSERT_EQ(s->size(), 1u);
    EXPECT_EQ((*s)[0].packets, 2u);
    EXPECT_EQ((*s)[0].dropped, 2u);
}

// An agent upgraded over an older one's pins (watch and strangers only) keeps them and pins
// the new maps beside them.
TEST(GuardPins, OlderPinsWithoutTheNewMapsAreKept) {
    WARREN_REQUIRE_ROOT();
    PinDir pins;
    {
        auto p = liveness::Program::load({.bpffs_dir = pins.path()});
        ASSERT_TRUE(p) << p.error().describe();
        ASSERT_TRUE(p->maps()->watch(ip("10.244.0.5")));
        ASSERT_EQ(run_frame(p->prog_fd(), ipv4("10.244.0.5"), 3).rc, 0);
    }
    for (const char* name : {"link_sources", "spoofs", "link_sources_gen"})
        ASSERT_EQ(::unlink((pins.path() + "/" + name).c_str()), 0) << name;

    auto p = liveness::Program::load({.bpffs_dir = pins.path()});
    ASSERT_TRUE(p) << p.error().describe() << " " << p.error().details;
    EXPECT_EQ((*p->maps()->observation(ip("10.244.0.5")))->packets, 1u);
    for (const char* name : liveness::kPinnedMaps)
        EXPECT_TRUE(std::filesystem::exists(pins.path() + "/" + name)) << name;
    auto g = p->guard_maps();
    ASSERT_TRUE(g);
    EXPECT_TRUE(g->links()->empty());
    ASSERT_TRUE(g->set_link({3, SpoofMode::drop, {ip("10.244.0.5")}}));
    EXPECT_EQ(run_frame(p->prog_fd(), ipv4("10.244.0.7"), 3).retval, kShot);
}

TEST(SpoofMode, ParsesTheThreeModesAndNamesThemBack) {
    for (auto m : {SpoofMode::off, SpoofMode::log, SpoofMode::drop}) {
        auto parsed = liveness::parse_spoof_mode(liveness::to_string(m));
        ASSERT_TRUE(parsed) << liveness::to_string(m);
        EXPECT_EQ(*parsed, m);
    }
    EXPECT_EQ(liveness::to_string(SpoofMode::drop), "drop");
}

TEST(SpoofMode, UnknownModeSaysWhatIsAllowed) {
    auto r = liveness::parse_spoof_mode("Drop");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Code::invalid_config);
    EXPECT_NE(r.error().message.find("\"Drop\""), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().details.find("\"off\", \"log\" or \"drop\""), std::string::npos)
        << r.error().details;
}

}  // namespace
}  // namespace warren::bpftest
