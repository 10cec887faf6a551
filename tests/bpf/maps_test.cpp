// The LivenessMaps contract, run on the kernel's maps (root) and on the fake, so the fake the
// GC tests use behaves like the real thing.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>

#include "frames.hpp"
#include "liveness/program.hpp"
#include "loaded.hpp"
#include "support/fake_liveness_maps.hpp"
#include "support/privileged.hpp"

namespace warren::bpftest {
namespace {

using liveness::Entry;
using liveness::LivenessMaps;
using liveness::Observation;

IpAddress ip(const char* text) {
    return *IpAddress::parse(text);
}

// Either side: the maps, and a way to make the datapath see a packet.
struct Backend {
    virtual ~Backend() = default;
    virtual LivenessMaps& maps() = 0;
    virtual void see(const char* source, uint32_t ifindex) = 0;
};

struct FakeBackend : Backend {
    testing::FakeLivenessMaps fake;
    uint64_t now = 1000;
    LivenessMaps& maps() override { return fake; }
    void see(const char* source, uint32_t ifindex) override {
        auto a = ip(source);
        fake.see(a, ifindex, ++now, a.is_v4() ? ipv4(source).size() : ipv6(source).size());
    }
};

struct KernelBackend : Backend {
    PinDir pins;
    std::optional<liveness::Program> program;
    std::optional<liveness::BpfMaps> bpf;
    KernelBackend() {
        auto p = liveness::Program::load({.bpffs_dir = pins.path()});
        if (!p) throw std::runtime_error(p.error().describe());
        program.emplace(std::move(*p));
        bpf.emplace(std::move(*program->maps()));
    }
    LivenessMaps& maps() override { return *bpf; }
    void see(const char* source, uint32_t ifindex) override {
        auto a = ip(source);
        auto r = run_frame(program->prog_fd(), a.is_v4() ? ipv4(source) : ipv6(source), ifindex);
        if (r.rc != 0) throw std::runtime_error("test run failed");
    }
};

class MapsContract : public ::testing::TestWithParam<bool> {
  protected:
    void SetUp() override {
        if (GetParam()) {
            WARREN_REQUIRE_ROOT();
            backend_ = std::make_unique<KernelBackend>();
        } else {
            backend_ = std::make_unique<FakeBackend>();
        }
    }
    LivenessMaps& maps() { return backend_->maps(); }
    std::vector<Entry> sorted(Result<std::vector<Entry>> r) {
        EXPECT_TRUE(r);
        auto v = r ? *r : std::vector<Entry>{};
        std::sort(v.begin(), v.end(), [](auto& a, auto& b) { return a.address < b.address; });
        return v;
    }
    std::unique_ptr<Backend> backend_;
};

TEST_P(MapsContract, WatchIsIdempotentAndKeepsEvidence) {
    ASSERT_TRUE(maps().watch(ip("10.244.0.5")));
    EXPECT_EQ(*maps().observation(ip("10.244.0.5")), Observation{});
    backend_->see("10.244.0.5", 4);
    ASSERT_TRUE(maps().watch(ip("10.244.0.5")));
    auto o = *maps().observation(ip("10.244.0.5"));
    ASSERT_TRUE(o);
    EXPECT_EQ(o->packets, 1u);
    EXPECT_EQ(o->ifindex, 4u);
    EXPECT_EQ(o->first_ifindex, 4u);
    EXPECT_EQ(o->bytes, ipv4("10.244.0.5").size());
}

TEST_P(MapsContract, UnwatchForgetsAndToleratesAbsence) {
    ASSERT_TRUE(maps().watch(ip("fd00::5")));
    backend_->see("fd00::5", 4);
    ASSERT_TRUE(maps().unwatch(ip("fd00::5")));
    EXPECT_EQ(*maps().observation(ip("fd00::5")), std::nullopt);
    EXPECT_TRUE(maps().unwatch(ip("fd00::5")));
    ASSERT_TRUE(maps().watch(ip("fd00::5")));
    EXPECT_EQ(*maps().observation(ip("fd00::5")), Observation{});
}

TEST_P(MapsContract, WatchedAndStrangersListEverything) {
    ASSERT_TRUE(maps().watch(ip("10.244.0.5")));
    ASSERT_TRUE(maps().watch(ip("fd00::5")));
    backend_->see("10.244.0.5", 4);
    backend_->see("10.244.0.9", 4);
    backend_->see("10.244.0.9", 6);
    auto w = sorted(maps().watched());
    ASSERT_EQ(w.size(), 2u);
    EXPECT_EQ(w[0].address, ip("10.244.0.5"));
    EXPECT_EQ(w[0].observation.packets, 1u);
    EXPECT_EQ(w[1].address, ip("fd00::5"));
    EXPECT_EQ(w[1].observation, Observation{});
    auto s = sorted(maps().strangers());
    ASSERT_EQ(s.size(), 1u);
    EXPECT_EQ(s[0].address, ip("10.244.0.9"));
    EXPECT_EQ(s[0].observation.packets, 2u);
    EXPECT_EQ(s[0].observation.first_ifindex, 4u);
    EXPECT_EQ(s[0].observation.ifindex, 6u);
    EXPECT_TRUE(s[0].observation.multi_link);
}

TEST_P(MapsContract, ListsMoreThanOneBatch) {
    for (uint32_t i = 0; i < 3000; ++i) ASSERT_TRUE(maps().watch(IpAddress::v4(0x0af40000u + i)));
    auto w = sorted(maps().watched());
    ASSERT_EQ(w.size(), 3000u);
    for (uint32_t i = 0; i < 3000; ++i) ASSERT_EQ(w[i].address, IpAddress::v4(0x0af40000u + i));
}

// BpfMaps keeps its batch buffer between dumps and grows it to fit: every dump still lists
// exactly what the map holds as it grows past and shrinks below the buffer.
TEST_P(MapsContract, RepeatedDumpsFollowTheMapAsItGrowsAndShrinks) {
    for (uint32_t i = 0; i < 1500; ++i) ASSERT_TRUE(maps().watch(IpAddress::v4(0x0af50000u + i)));
    ASSERT_EQ(sorted(maps().watched()).size(), 1500u);
    for (uint32_t i = 1500; i < 5000; ++i)
        ASSERT_TRUE(maps().watch(IpAddress::v4(0x0af50000u + i)));
    auto grown = sorted(maps().watched());
    ASSERT_EQ(grown.size(), 5000u);
    for (uint32_t i = 0; i < 5000; ++i) ASSERT_EQ(grown[i].address, IpAddress::v4(0x0af50000u + i));
    ASSERT_EQ(sorted(maps().watched()).size(), 5000u) << "the same again, from the kept buffer";
    for (uint32_t i = 0; i < 4990; ++i) ASSERT_TRUE(maps().unwatch(IpAddress::v4(0x0af50000u + i)));
    auto shrunk = sorted(maps().watched());
    ASSERT_EQ(shrunk.size(), 10u);
    for (uint32_t i = 0; i < 10; ++i)
        EXPECT_EQ(shrunk[i].address, IpAddress::v4(0x0af50000u + 4990 + i));
}

INSTANTIATE_TEST_SUITE_P(Backends, MapsContract, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "kernel" : "fake"; });

TEST(FakeLivenessMaps, InjectedFailureHitsTheNextCallOnly) {
    testing::FakeLivenessMaps fake;
    fake.fail_next(Error{Code::io, "boom"});
    auto r = fake.watch(ip("10.0.0.1"));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message, "boom");
    EXPECT_TRUE(fake.watch(ip("10.0.0.1")));
}

TEST(FakeLivenessMaps, StrangersEvictTheLeastRecentlySeen) {
    testing::FakeLivenessMaps fake(2);
    fake.see(ip("10.0.0.1"), 3, 10);
    fake.see(ip("10.0.0.2"), 3, 20);
    fake.see(ip("10.0.0.1"), 3, 30);
    fake.see(ip("10.0.0.3"), 3, 40);
    auto s = *fake.strangers();
    ASSERT_EQ(s.size(), 2u);
    EXPECT_EQ(s[0].address, ip("10.0.0.1"));
    EXPECT_EQ(s[1].address, ip("10.0.0.3"));
}

}  // namespace
}  // namespace warren::bpftest
