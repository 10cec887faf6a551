// The classifier on crafted frames through BPF_PROG_TEST_RUN: what lands in watch and
// strangers, byte for byte, and that every frame passes untouched (TC_ACT_UNSPEC).
#include <gtest/gtest.h>
#include <sched.h>
#include <time.h>

#include <chrono>
#include <random>
#include <thread>

#include "frames.hpp"
#include "liveness/program.hpp"
#include "loaded.hpp"
#include "support/privileged.hpp"

namespace warren::bpftest {
namespace {

using liveness::Entry;
using liveness::Observation;

IpAddress ip(const char* text) {
    return *IpAddress::parse(text);
}

uint64_t coarse_monotonic_ns() {
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);  // the classifier's clock
    return uint64_t(ts.tv_sec) * 1'000'000'000u + uint64_t(ts.tv_nsec);
}

// Keeps the calling thread on the CPU it runs on for its lifetime, so consecutive test runs
// share the classifier's per-CPU stranger batch.
class OnOneCpu {
  public:
    OnOneCpu() {
        ::sched_getaffinity(0, sizeof before_, &before_);
        cpu_set_t one;
        CPU_ZERO(&one);
        CPU_SET(::sched_getcpu(), &one);
        pinned_ = ::sched_setaffinity(0, sizeof one, &one) == 0;
    }
    ~OnOneCpu() { ::sched_setaffinity(0, sizeof before_, &before_); }
    OnOneCpu(const OnOneCpu&) = delete;
    OnOneCpu& operator=(const OnOneCpu&) = delete;
    bool pinned() const { return pinned_; }

  private:
    cpu_set_t before_{};
    bool pinned_ = false;
};

class Classifier : public ::testing::Test {
  protected:
    void SetUp() override {
        WARREN_REQUIRE_ROOT();
        auto p = liveness::Program::load({.bpffs_dir = pins_.path()});
        ASSERT_TRUE(p) << p.error().describe() << " " << p.error().details;
        program_.emplace(std::move(*p));
        auto m = program_->maps();
        ASSERT_TRUE(m) << m.error().describe();
        maps_.emplace(std::move(*m));
    }

    // Runs `frame` on `ifindex` and expects the kernel to accept it and the verdict to be UNSPEC.
    void pass(const Frame& frame, uint32_t ifindex) {
        auto r = run_frame(program_->prog_fd(), frame, ifindex);
        ASSERT_EQ(r.rc, 0) << "bpf_prog_test_run_opts: " << std::strerror(-r.rc);
        EXPECT_EQ(r.retval, kUnspec);
    }
    std::vector<Entry> watched() {
        auto w = maps_->watched();
        EXPECT_TRUE(w) << w.error().describe();
        return w ? *w : std::vector<Entry>{};
    }
    std::vector<Entry> strangers() {
        auto s = maps_->strangers();
        EXPECT_TRUE(s) << s.error().describe();
        return s ? *s : std::vector<Entry>{};
    }
    Observation observed(const char* address) {
        auto o = maps_->observation(ip(address));
        EXPECT_TRUE(o && o->has_value()) << address << " is not watched";
        return o && o->has_value() ? **o : Observation{};
    }
    liveness::Stats stats() {
        auto s = program_->stats();
        EXPECT_TRUE(s) << s.error().describe();
        return s ? *s : liveness::Stats{~0ull, ~0ull, ~0ull, ~0ull};
    }

    PinDir pins_;
    std::optional<liveness::Program> program_;
    std::optional<liveness::BpfMaps> maps_;
};

TEST_F(Classifier, WatchedIpv4SourceUpdatesItsEntryOnly) {
    ASSERT_TRUE(maps_->watch(ip("10.244.0.5")));
    ASSERT_TRUE(maps_->watch(ip("10.244.0.6")));
    Frame f = ipv4("10.244.0.5", 30);
    uint64_t before = coarse_monotonic_ns();
    pass(f, 7);
    pass(f, 7);
    uint64_t after = coarse_monotonic_ns();

    Observation o = observed("10.244.0.5");
    EXPECT_EQ(o.packets, 2u);
    EXPECT_EQ(o.bytes, 2 * f.size());
    EXPECT_EQ(o.ifindex, 7u);
    EXPECT_EQ(o.first_ifindex, 7u);
    EXPECT_FALSE(o.multi_link);
    EXPECT_GE(o.last_seen_ns, before);
    EXPECT_LE(o.last_seen_ns, after);
    EXPECT_EQ(observed("10.244.0.6"), Observation{});
    EXPECT_TRUE(strangers().empty());
    EXPECT_EQ(stats().packets(), 2u);
    EXPECT_EQ(stats().watched, 2u);
}

TEST_F(Classifier, UnwatchedSourceLandsInStrangers) {
    Frame f = ipv4("10.244.0.77", 10);
    uint64_t before = coarse_monotonic_ns();
    pass(f, 9);
    pass(f, 11);
    uint64_t after = coarse_monotonic_ns();

    EXPECT_TRUE(watched().empty());
    auto s = strangers();
    ASSERT_EQ(s.size(), 1u);
    EXPECT_EQ(s[0].address, ip("10.244.0.77"));
    EXPECT_EQ(s[0].observation.packets, 2u);
    EXPECT_EQ(s[0].observation.bytes, 2 * f.size());
    EXPECT_EQ(s[0].observation.first_ifindex, 9u);
    EXPECT_EQ(s[0].observation.ifindex, 11u);
    EXPECT_TRUE(s[0].observation.multi_link);
    EXPECT_GE(s[0].observation.last_seen_ns, before);
    EXPECT_LE(s[0].observation.last_seen_ns, after);
    EXPECT_EQ(stats().strangers, 2u);
}

// A burst from one stranger on one link within a tick is batched per CPU: the first packet is
// in the map at once, and the rest arrive, exactly, with the CPU's next stranger packet.
TEST_F(Classifier, StrangerBurstIsRecordedAtOnceAndCountedInFull) {
    OnOneCpu cpu;
    ASSERT_TRUE(cpu.pinned());
    Frame x = ipv4("10.244.0.77", 10);
    Frame y = ipv4("10.244.0.78", 30);
    pass(x, 9);
    auto first = strangers();
    ASSERT_EQ(first.size(), 1u);
    EXPECT_EQ(first[0].address, ip("10.244.0.77"));
    EXPECT_EQ(first[0].observation.packets, 1u);
    EXPECT_EQ(first[0].observation.first_ifindex, 9u);
    EXPECT_NE(first[0].observation.last_seen_ns, 0u);

    pass(x, 9);
    pass(x, 9);
    pass(y, 9);
    auto s = strangers();
    ASSERT_EQ(s.size(), 2u);
    const Entry& ex = s[0].address == ip("10.244.0.77") ? s[0] : s[1];
    const Entry& ey = s[0].address == ip("10.244.0.77") ? s[1] : s[0];
    EXPECT_EQ(ex.address, ip("10.244.0.77"));
    EXPECT_EQ(ex.observation.packets, 3u);
    EXPECT_EQ(ex.observation.bytes, 3 * x.size());
    EXPECT_FALSE(ex.observation.multi_link);
    EXPECT_EQ(ey.address, ip("10.244.0.78"));
    EXPECT_EQ(ey.observation.packets, 1u);
    EXPECT_EQ(ey.observation.bytes, y.size());
    EXPECT_EQ(stats().strangers, 4u);
}

// The same stranger in a later tick writes its sighting and the batch before it.
TEST_F(Classifier, StrangerInALaterTickUpdatesLastSeenAndTheCount) {
    OnOneCpu cpu;
    ASSERT_TRUE(cpu.pinned());
    Frame x = ipv4("10.244.0.77", 10);
    pass(x, 9);
    pass(x, 9);
    std::this_thread::sleep_for(std::chrono::milliseconds(30));  // > 1 jiffy at any HZ >= 100
    uint64_t before = coarse_monotonic_ns();
    pass(x, 9);

    auto s = strangers();
    ASSERT_EQ(s.size(), 1u);
    EXPECT_EQ(s[0].observation.packets, 3u);
    EXPECT_EQ(s[0].observation.bytes, 3 * x.size());
    EXPECT_GE(s[0].observation.last_seen_ns, before);
}

// A batched stranger showing up on a second link is written at once, flag and all.
TEST_F(Classifier, BatchedStrangerOnASecondLinkIsAConflictAtOnce) {
    OnOneCpu cpu;
    ASSERT_TRUE(cpu.pinned());
    Frame x = ipv4("10.244.0.77", 10);
    pass(x, 9);
    pass(x, 9);
    pass(x, 11);

    auto s = strangers();
    ASSERT_EQ(s.size(), 1u);
    EXPECT_TRUE(s[0].observation.multi_link);
    EXPECT_EQ(s[0].observation.first_ifindex, 9u);
    EXPECT_EQ(s[0].observation.ifindex, 11u);
    EXPECT_EQ(s[0].observation.packets, 3u);
    EXPECT_EQ(s[0].observation.bytes, 3 * x.size());
}

TEST_F(Classifier, StrangersOffRecordsNothingUnwatched) {
    PinDir other;
    auto p = liveness::Program::load({.bpffs_dir = other.path(), .track_strangers = false});
    ASSERT_TRUE(p) << p.error().describe();
    auto m = p->maps();
    ASSERT_TRUE(m);
    ASSERT_TRUE(m->watch(ip("10.244.0.5")));
    for (const Frame& f : {ipv4("10.244.0.77"), ipv4("10.244.0.5")}) {
        auto r = run_frame(p->prog_fd(), f, 3);
        ASSERT_EQ(r.rc, 0);
        EXPECT_EQ(r.retval, kUnspec);
    }
    EXPECT_TRUE(m->strangers()->empty());
    EXPECT_EQ((*m->observation(ip("10.244.0.5")))->packets, 1u);
}

TEST_F(Classifier, Ipv6Source) {
    ASSERT_TRUE(maps_->watch(ip("fd00:10:244::5")));
    pass(ipv6("fd00:10:244::5"), 4);
    pass(ipv6("fd00:10:244::99"), 4);

    Observation o = observed("fd00:10:244::5");
    EXPECT_EQ(o.packets, 1u);
    EXPECT_EQ(o.bytes, ipv6("fd00:10:244::5").size());
    EXPECT_EQ(o.ifindex, 4u);
    auto s = strangers();
    ASSERT_EQ(s.size(), 1u);
    EXPECT_EQ(s[0].address, ip("fd00:10:244::99"));
    EXPECT_EQ(s[0].observation.packets, 1u);
}

TEST_F(Classifier, ArpRequestAndReplyCountTheSenderAddress) {
    ASSERT_TRUE(maps_->watch(ip("10.244.0.5")));
    pass(arp("10.244.0.5", 1), 5);
    pass(arp("10.244.0.5", 2), 5);
    pass(arp("10.244.0.8", 2), 5);

    Observation o = observed("10.244.0.5");
    EXPECT_EQ(o.packets, 2u);
    EXPECT_EQ(o.bytes, 2 * arp("10.244.0.5").size());
    auto s = strangers();
    ASSERT_EQ(s.size(), 1u);
    EXPECT_EQ(s[0].address, ip("10.244.0.8"));
}

TEST_F(Classifier, ArpForOtherProtocolsIsIgnored) {
    ASSERT_TRUE(maps_->watch(ip("10.244.0.5")));
    Frame f = arp("10.244.0.5");
    f[14 + 3] = 0x01;  // hardware type 257: not Ethernet
    pass(f, 5);
    Frame g = arp("10.244.0.5");
    g[14 + 5] = 16;  // protocol address length 16
    pass(g, 5);

    EXPECT_EQ(observed("10.244.0.5"), Observation{});
    EXPECT_TRUE(strangers().empty());
    EXPECT_EQ(stats().ignored, 2u);
}

TEST_F(Classifier, OneVlanTagOfEitherKind) {
    ASSERT_TRUE(maps_->watch(ip("10.244.0.5")));
    ASSERT_TRUE(maps_->watch(ip("fd00:10:244::5")));
    VlanTag q{0x8100, 10}, ad{0x88a8, 20};
    pass(ipv4("10.244.0.5", 16, &q), 6);
    pass(ipv4("10.244.0.5", 16, &ad), 6);
    pass(ipv6("fd00:10:244::5", 16, &q), 6);
    pass(arp("10.244.0.5", 1, &ad), 6);

    EXPECT_EQ(observed("10.244.0.5").packets, 3u);
    EXPECT_EQ(observed("fd00:10:244::5").packets, 1u);
    EXPECT_TRUE(strangers().empty());
}

TEST_F(Classifier, TwoVlanTagsAreNotParsed) {
    ASSERT_TRUE(maps_->watch(ip("10.244.0.5")));
    VlanTag outer{0x88a8, 20};
    Frame f = ethernet(0x8100, &outer);  // the inner tag's TPID where the payload type goes
    Frame inner = ipv4("10.244.0.5");
    f.insert(f.end(), {0, 10});  // inner TCI, then the rest of the IPv4 frame after its MACs
    f.insert(f.end(), inner.begin() + 12, inner.end());
    pass(f, 6);
    EXPECT_EQ(observed("10.244.0.5").packets, 0u);
    EXPECT_EQ(stats().ignored, 1u);
}

TEST_F(Classifier, SecondIfindexSetsTheConflictFlag) {
    ASSERT_TRUE(maps_->watch(ip("10.244.0.5")));
    pass(ipv4("10.244.0.5"), 7);
    EXPECT_FALSE(observed("10.244.0.5").multi_link);
    pass(ipv4("10.244.0.5"), 8);
    Observation o = observed("10.244.0.5");
    EXPECT_TRUE(o.multi_link);
    EXPECT_EQ(o.first_ifindex, 7u);
    EXPECT_EQ(o.ifindex, 8u);
    pass(ipv4("10.244.0.5"), 7);
    EXPECT_TRUE(observed("10.244.0.5").multi_link);
}

TEST_F(Classifier, UnspecifiedSourcesAreSkipped) {
    ASSERT_TRUE(maps_->watch(ip("0.0.0.0")));
    ASSERT_TRUE(maps_->watch(ip("::")));
    pass(ipv4("0.0.0.0"), 3);  // DHCP discover
    pass(arp("0.0.0.0"), 3);   // ARP probe
    pass(ipv6("::"), 3);       // DAD
    EXPECT_EQ(observed("0.0.0.0"), Observation{});
    EXPECT_EQ(observed("::"), Observation{});
    EXPECT_TRUE(strangers().empty());
    EXPECT_EQ(stats().ignored, 3u);
}

TEST_F(Classifier, V4MappedIpv6SourceDoesNotCountForTheIpv4Address) {
    ASSERT_TRUE(maps_->watch(ip("10.244.0.5")));
    pass(ipv6("::ffff:10.244.0.5"), 3);
    EXPECT_EQ(observed("10.244.0.5"), Observation{});
    EXPECT_TRUE(strangers().empty());
}

TEST_F(Classifier, NeverAllocatedSourcesStayOutOfStrangers) {
    for (const char* a : {"fe80::1", "ff02::1", "::1"}) pass(ipv6(a), 3);
    for (const char* a : {"169.254.1.1", "127.0.0.1", "224.0.0.1", "255.255.255.255"})
        pass(ipv4(a), 3);
    EXPECT_TRUE(strangers().empty());
    EXPECT_EQ(stats().ignored, 7u);
}

TEST_F(Classifier, Ipv6LookingLikeAMappedLoopbackIsAStranger) {
    pass(ipv6("2001:db8::ffff:7f00:1"), 3);  // bytes 10-11 are ff ff, but it is no ::ffff:0:0/96
    auto s = strangers();
    ASSERT_EQ(s.size(), 1u);
    EXPECT_EQ(s[0].address, ip("2001:db8::ffff:7f00:1"));
}

TEST_F(Classifier, WatchedLinkLocalIsStillRecorded) {
    ASSERT_TRUE(maps_->watch(ip("fe80::5")));
    pass(ipv6("fe80::5"), 3);
    EXPECT_EQ(observed("fe80::5").packets, 1u);
}

// The kernel may refuse a test frame before the program runs: any frame shorter than an
// Ethernet header, and (on newer kernels, e.g. 6.18) an untagged IPv4/IPv6 frame shorter than
// its IP header. On the wire the program's own bounds checks cover those; here they must be
// refused with EINVAL, and every frame the kernel accepts must pass untouched.
bool kernel_may_refuse(const Frame& f) {
    if (f.size() < 14) return true;
    uint16_t type = uint16_t(f[12] << 8 | f[13]);
    return (type == 0x0800 && f.size() < 14 + 20) || (type == 0x86dd && f.size() < 14 + 40);
}

TEST_F(Classifier, TruncatedFramesAtEveryLengthPassWithoutAnUpdate) {
    ASSERT_TRUE(maps_->watch(ip("10.244.0.5")));
    ASSERT_TRUE(maps_->watch(ip("fd00:10:244::5")));
    VlanTag q{0x8100, 10};
    // Each `full` is where the source address ends (IPv4: its 20-byte header; IPv6: 40 bytes;
    // ARP: 18 bytes up to the sender address); every shorter cut is truncated.
    struct Case {
        Frame frame;
        size_t full;
    };
    std::vector<Case> cases = {
        {ipv4("10.244.0.5", 0), 14 + 20},     {ipv4("10.244.0.5", 0, &q), 18 + 20},
        {ipv6("fd00:10:244::5", 0), 14 + 40}, {ipv6("fd00:10:244::5", 0, &q), 18 + 40},
        {arp("10.244.0.5"), 14 + 18},         {arp("10.244.0.5", 2, &q), 18 + 18}};
    std::vector<uint32_t> verdicts;
    size_t must_run = 0;
    for (const auto& c : cases) {
        for (size_t len = 0; len < c.full; ++len) {
            Frame cut(c.frame.begin(), c.frame.begin() + len);
            bool may_refuse = kernel_may_refuse(cut);
            must_run += may_refuse ? 0 : 1;
            auto r = run_frame(program_->prog_fd(), cut, 3);
            ASSERT_TRUE(r.rc == 0 || (may_refuse && r.rc == -EINVAL))
                << "length " << len << ": " << r.rc;
            if (r.rc == 0) verdicts.push_back(r.retval);
        }
    }
    EXPECT_GE(verdicts.size(), must_run);
    EXPECT_EQ(verdicts, std::vector<uint32_t>(verdicts.size(), kUnspec));
    EXPECT_EQ(observed("10.244.0.5"), Observation{});
    EXPECT_EQ(observed("fd00:10:244::5"), Observation{});
    EXPECT_TRUE(strangers().empty());
    EXPECT_EQ(stats().packets(), verdicts.size());
    EXPECT_EQ(stats().truncated, verdicts.size());

    pass(ipv4("10.244.0.5", 0), 3);  // the full header is enough
    pass(ipv6("fd00:10:244::5", 0), 3);
    EXPECT_EQ(observed("10.244.0.5").packets, 1u);
    EXPECT_EQ(observed("fd00:10:244::5").packets, 1u);
}

TEST_F(Classifier, GarbageFramesAlwaysPass) {
    std::mt19937 rng(20261130);
    std::uniform_int_distribution<int> byte(0, 255), length(14, 200);
    std::vector<uint32_t> verdicts;
    size_t must_run = 0;
    for (int i = 0; i < 2000; ++i) {
        Frame f(static_cast<size_t>(length(rng)));
        for (auto& b : f) b = static_cast<uint8_t>(byte(rng));
        if (i % 4 == 1) f[12] = 0x08, f[13] = 0x00;  // steer some into each parser
        if (i % 4 == 2) f[12] = 0x86, f[13] = 0xdd;
        if (i % 4 == 3) f[12] = 0x08, f[13] = 0x06;
        bool may_refuse = kernel_may_refuse(f);
        must_run += may_refuse ? 0 : 1;
        auto r = run_frame(program_->prog_fd(), f, 3);
        ASSERT_TRUE(r.rc == 0 || (may_refuse && r.rc == -EINVAL)) << "frame " << i << ": " << r.rc;
        if (r.rc == 0) verdicts.push_back(r.retval);
    }
    EXPECT_GE(verdicts.size(), must_run);
    EXPECT_GE(must_run, 1500u);
    EXPECT_EQ(verdicts, std::vector<uint32_t>(verdicts.size(), kUnspec));
    EXPECT_EQ(stats().packets(), verdicts.size());
}

}  // namespace
}  // namespace warren::bpftest
