// The anti-spoofing parts of `status` and `show` (issue 11), over a LivenessManager whose fake
// datapath has FakeGuardMaps.
#include "support/fake_guard_maps.hpp"
#include "unit/admin/admin_fixture.hpp"

namespace warren::testing {
namespace {

using liveness::SpoofMode;
using nlohmann::json;

class AdminGuardTest : public AdminTest {
  protected:
    AdminGuardTest() {
        ebpf = true;
        dp->guard_maps = &guard_maps;
    }
    // The host link the finder reports for a pod, and that link in the table.
    void host_link(const std::string& netns, int ifindex, const std::string& name) {
        watcher->add(veth(ifindex, name));
        io.poll();
        finder->put(netns, "eth0",
                    {.outcome = liveness::HostLinkOutcome::found, .host = veth(ifindex, name)});
    }
    int protect(const std::string& cid, const std::string& netns, SpoofMode mode,
                const std::string& address) {
        auto r = manager->protect("net/" + cid + "/eth0", netns, "eth0", 77, 0, mode,
                                  std::vector<IpAddress>{ip(address.c_str())});
        EXPECT_TRUE(r) << r.error().describe();
        return r.value_or(0);
    }

    FakeGuardMaps guard_maps;
};

TEST_F(AdminGuardTest, StatusCountsLinksPerModeOffendersAndPackets) {
    host_link("/run/netns/a", 11, "veth-a");
    host_link("/run/netns/b", 12, "veth-b");
    host_link("/run/netns/c", 13, "veth-c");
    const auto a = add("c1", "/run/netns/a");
    const auto b = add("c2", "/run/netns/b");
    const auto c = add("c3", "/run/netns/c");
    ASSERT_EQ(protect("c1", "/run/netns/a", SpoofMode::log, a), 11);
    ASSERT_EQ(protect("c2", "/run/netns/b", SpoofMode::drop, b), 12);
    ASSERT_EQ(protect("c3", "/run/netns/c", SpoofMode::off, c), 13);
    auto before = ok("status")["antiSpoofing"];
    EXPECT_EQ(before, (json{{"on", true},
                            {"links", {{"off", 1}, {"log", 1}, {"drop", 1}}},
                            {"offenders", 0},
                            {"packets", 0},
                            {"dropped", 0}}));

    guard_maps.check(11, ip(b.c_str()), 100, 4'000'000'000);
    guard_maps.check(12, ip(a.c_str()), 100, 4'000'000'000);
    guard_maps.check(12, ip(a.c_str()), 100, 4'000'000'000);
    ok("gc");  // a whole pass reads the spoofs
    auto after = ok("status")["antiSpoofing"];
    EXPECT_EQ(after["offenders"], 2);
    EXPECT_EQ(after["packets"], 3);
    EXPECT_EQ(after["dropped"], 2);
    EXPECT_FALSE(after.contains("why"));
}

TEST_F(AdminGuardTest, ShowHasTheAllocationsLinkModeAddressesAndOffenders) {
    host_link("/run/netns/a", 11, "veth-a");
    host_link("/run/netns/b", 12, "veth-b");
    const auto a = add("c1", "/run/netns/a", "web-0");
    const auto b = add("c2", "/run/netns/b", "web-1");
    ASSERT_EQ(protect("c1", "/run/netns/a", SpoofMode::drop, a), 11);
    ASSERT_EQ(protect("c2", "/run/netns/b", SpoofMode::log, b), 12);
    guard_maps.check(11, ip("10.9.9.9"), 100, 3'000'000'000);
    guard_maps.check(11, ip("10.9.9.9"), 60, 4'000'000'000);
    guard_maps.check(12, ip("10.9.9.8"), 100, 4'000'000'000);  // web-1's, not shown for web-0
    ok("gc");
    auto m = ok("show", {{"target", "web-0"}})["matches"];
    ASSERT_EQ(m.size(), 1u);
    EXPECT_EQ(m[0]["antiSpoofing"], (json{{"on", true},
                                          {"link", "veth-a"},
                                          {"ifindex", 11},
                                          {"mode", "drop"},
                                          {"addresses", {a}},
                                          {"offenders",
                                           {{{"source", "10.9.9.9"},
                                             {"packets", 2},
                                             {"dropped", 2},
                                             {"bytes", 160},
                                             {"firstSeenNs", clock.to_wall_ns(3'000'000'000)},
                                             {"lastSeenNs", clock.to_wall_ns(4'000'000'000)}}}}}))
        << m[0]["antiSpoofing"].dump();
}

TEST_F(AdminGuardTest, ShowOfAnUnprotectedAllocationSaysSo) {
    const auto a = add("c1", "/run/netns/a", "web-0");
    auto m = ok("show", {{"target", a}})["matches"];
    ASSERT_EQ(m.size(), 1u);
    EXPECT_EQ(m[0]["antiSpoofing"], (json{{"on", true},
                                          {"link", ""},
                                          {"ifindex", 0},
                                          {"mode", ""},
                                          {"addresses", json::array()},
                                          {"offenders", json::array()}}));
}

TEST_F(AdminTest, AntiSpoofingOffSaysWhyInStatusAndShow) {
    const auto a = add("c1", "/run/netns/a", "web-0");
    auto s = ok("status")["antiSpoofing"];
    EXPECT_EQ(s, (json{{"on", false},
                       {"links", {{"off", 0}, {"log", 0}, {"drop", 0}}},
                       {"offenders", 0},
                       {"packets", 0},
                       {"dropped", 0},
                       {"why", "eBPF is off (liveness.ebpf is \"off\")"}}));
    auto m = ok("show", {{"target", a}})["matches"];
    ASSERT_EQ(m.size(), 1u);
    EXPECT_EQ(m[0]["antiSpoofing"],
              (json{{"on", false}, {"why", "eBPF is off (liveness.ebpf is \"off\")"}}));
}

}  // namespace
}  // namespace warren::testing
