// Issue 6, drop-in fidelity through the real plugin and Debian's bridge: the cooldown never
// locks an attachment out of its own address (podman restart with --ip, podman network reload),
// a requested gateway says so, and the error codes and debug lines the README promises.
#include "fixture.hpp"

namespace warren::it {
namespace {

constexpr const char* kCidr = "10.199.60.0/24";

class DropInFidelityTest : public IntegrationTest {
  protected:
    json conf() { return plugin_conf("wrn-fid", warren_ipam(agent().socket()), "1.0.0"); }
    json bconf() { return bridge_conf("wrn-fid", bridge_name(), conf()["ipam"]); }
    static CniCall with_ip(CniCall c, const std::string& ip) {
        c.args = "IgnoreUnknown=1;IP=" + ip;
        return c;
    }
    static std::vector<std::string> eth0(const Netns& ns) {
        std::vector<std::string> out;
        for (auto& a : ns.addresses("eth0", "inet")) out.push_back(a.local);
        return out;
    }
};

// Defect 8: the same (network, container, ifname) takes its cooling-down address back;
// anyone else is still refused until the cooldown ends.
TEST_F(DropInFidelityTest, AnAttachmentRetakesItsOwnAddressDuringTheCooldown) {
    WARREN_REQUIRE_ROOT();
    ASSERT_TRUE(agent().start({.pod_cidrs = {kCidr}, .cooldown = 600}));
    Netns& pod = new_netns();
    ASSERT_TRUE(pod.ok());
    auto first = bridge(bconf(), with_ip(call("ADD", "ctr-a", pod.path()), "10.199.60.50"));
    ASSERT_TRUE(first.ok()) << first.describe() << "\nagent log:\n" << agent().log();
    EXPECT_EQ(eth0(pod), std::vector<std::string>{"10.199.60.50"});

    // `podman network reload`: DEL, then ADD of the same container asking for the same IP.
    ASSERT_TRUE(bridge(bconf(), call("DEL", "ctr-a", pod.path())).ok());
    auto thief = warren_plugin(conf(), with_ip(call("ADD", "ctr-b", pod.path()), "10.199.60.50"));
    EXPECT_EQ(thief.code(), 101) << thief.describe();
    EXPECT_NE(thief.msg().find("cooling down"), std::string::npos) << thief.msg();
    auto reload = bridge(bconf(), with_ip(call("ADD", "ctr-a", pod.path()), "10.199.60.50"));
    ASSERT_TRUE(reload.ok()) << reload.describe() << "\nagent log:\n" << agent().log();
    EXPECT_EQ(eth0(pod), std::vector<std::string>{"10.199.60.50"});

    // `podman restart` of a container started with --ip, across an agent restart.
    ASSERT_TRUE(bridge(bconf(), call("DEL", "ctr-a", pod.path())).ok());
    ASSERT_TRUE(agent().stop());
    ASSERT_TRUE(agent().restart());
    auto restarted = bridge(bconf(), with_ip(call("ADD", "ctr-a", pod.path()), "10.199.60.50"));
    ASSERT_TRUE(restarted.ok()) << restarted.describe() << "\nagent log:\n" << agent().log();
    EXPECT_EQ(eth0(pod), std::vector<std::string>{"10.199.60.50"});

    // Without asking, the attachment still gets its own address back.
    ASSERT_TRUE(bridge(bconf(), call("DEL", "ctr-a", pod.path())).ok());
    auto unrequested = bridge(bconf(), call("ADD", "ctr-a", pod.path()));
    ASSERT_TRUE(unrequested.ok()) << unrequested.describe();
    EXPECT_EQ(unrequested.addresses(), std::vector<std::string>{"10.199.60.50/24"});
    auto other_if =
        warren_plugin(conf(), with_ip(call("ADD", "ctr-a", pod.path(), "eth1"), "10.199.60.50"));
    EXPECT_EQ(other_if.code(), 101)
        << "another ifname is another attachment: " << other_if.describe();
}

// Defect 10: a requested gateway is refused as the gateway (code 101); the runtime's DEL after
// the failed ADD is logged as releasing nothing; CHECK without a reservation is code 3, CHECK
// of an address the attachment does not hold is 102.
TEST_F(DropInFidelityTest, GatewayRequestsDelsOfNothingAndCheckCodes) {
    WARREN_REQUIRE_ROOT();
    ASSERT_TRUE(agent().start({.pod_cidrs = {kCidr}, .extra_args = {"--log-level", "debug"}}));
    Netns& pod = new_netns();
    ASSERT_TRUE(pod.ok());
    auto gw = warren_plugin(conf(), with_ip(call("ADD", "ctr-gw", pod.path()), "10.199.60.1"));
    EXPECT_EQ(gw.exit_code, 1) << gw.describe();
    EXPECT_EQ(gw.code(), 101) << gw.describe();
    EXPECT_NE(gw.msg().find("10.199.60.1 is the gateway of 10.199.60.0/24"), std::string::npos)
        << gw.msg();
    ASSERT_TRUE(warren_plugin(conf(), call("DEL", "ctr-gw", pod.path())).ok());
    EXPECT_NE(agent().log().find("del wrn-fid/ctr-gw/eth0: nothing held"), std::string::npos)
        << agent().log();

    auto held = warren_plugin(conf(), call("ADD", "ctr-c", pod.path()));
    ASSERT_TRUE(held.ok()) << held.describe();
    json with_prev = conf();
    with_prev["prevResult"] = held.j;
    EXPECT_TRUE(warren_plugin(with_prev, call("CHECK", "ctr-c", pod.path())).ok());
    auto unknown = warren_plugin(with_prev, call("CHECK", "ctr-nobody", pod.path()));
    EXPECT_EQ(unknown.code(), 3) << unknown.describe();
    json wrong = with_prev;
    wrong["prevResult"]["ips"][0]["address"] = "10.199.60.222/24";
    auto mismatch = warren_plugin(wrong, call("CHECK", "ctr-c", pod.path()));
    EXPECT_EQ(mismatch.code(), 102) << mismatch.describe();
}

}  // namespace
}  // namespace warren::it
