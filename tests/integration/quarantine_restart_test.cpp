// Issue 6, defect 1 end to end: more than 1,024 cooldowns ending in one quarantine sweep are
// journaled in a way the next start reads back, and the restarted agent serves with every
// allocation intact. Talks to a real warrend through its socket with the blocking client.
#include <set>
#include <thread>

#include "fixture.hpp"
#include "warren/client.hpp"

namespace warren::it {
namespace {

class QuarantineRestartTest : public IntegrationTest {
  protected:
    Result<proto::Response> ask(proto::Op op, const std::string& network,
                                const std::string& container, std::vector<std::string> ips = {}) {
        proto::Request r;
        r.op = op;
        r.network = network;
        r.container_id = container;
        r.ifname = "eth0";
        r.ips = std::move(ips);
        return proto::call(agent().socket(), r, {.timeout_ms = 10'000});
    }
    // The one address an ADD returned, or "" with the failure recorded.
    std::string add(const std::string& network, const std::string& container,
                    std::vector<std::string> ips = {}) {
        auto r = ask(proto::Op::add, network, container, std::move(ips));
        EXPECT_TRUE(r) << container << ": " << r.error().describe();
        EXPECT_TRUE(r && r->ok) << container << ": " << (r ? r->msg : "");
        EXPECT_TRUE(r && r->ips.size() == 1) << container;
        return r && r->ok && r->ips.size() == 1 ? r->ips[0].address : std::string{};
    }
};

TEST_F(QuarantineRestartTest, ElevenHundredCooldownsEndingInOneSweepSurviveARestart) {
    WARREN_REQUIRE_ROOT();
    ASSERT_TRUE(agent().start({.pod_cidrs = {"10.199.48.0/21"}, .cooldown = 1}));
    std::string last_mass;
    for (int i = 0; i < 1100; ++i) {
        last_mass = add("wrn-mass", "m-" + std::to_string(i));
        ASSERT_FALSE(last_mass.empty()) << i;
    }
    std::map<std::string, std::string> kept;  // container -> address
    for (int i = 0; i < 300; ++i) {
        auto id = "k-" + std::to_string(i);
        kept[id] = add("wrn-keep", id);
        ASSERT_FALSE(kept[id].empty()) << id;
    }

    // DELs release all 1,100 (a CNI GC only marks stale candidates now); the agent stays down
    // until their cooldowns have run out, so the first sweep after its start ends them all.
    for (int i = 0; i < 1100; ++i) {
        auto del = ask(proto::Op::del, "wrn-mass", "m-" + std::to_string(i));
        ASSERT_TRUE(del && del->ok) << i << ": " << (del ? del->msg : del.error().describe());
    }
    ASSERT_TRUE(agent().stop());
    std::this_thread::sleep_for(1500ms);
    ASSERT_TRUE(agent().restart()) << agent().log();

    // Until the sweep has journaled their end, a released address is refused to anyone else.
    const std::string wanted = strip_prefix(last_mass);
    Result<proto::Response> probe = fail(Code::internal, "not tried");
    for (int tries = 0; tries < 300; ++tries) {
        probe = ask(proto::Op::add, "wrn-keep", "probe", {wanted});
        if (!probe || probe->ok || probe->msg.find("cooling down") == std::string::npos) break;
        std::this_thread::sleep_for(100ms);
    }
    ASSERT_TRUE(probe && probe->ok)
        << (probe ? probe->msg : probe.error().describe()) << "\nagent log:\n"
        << agent().log();
    ASSERT_EQ(probe->ips.at(0).address, last_mass);
    kept["probe"] = last_mass;

    ASSERT_TRUE(agent().stop());
    ASSERT_TRUE(agent().restart()) << agent().log();

    std::set<std::string> seen;
    for (auto& [id, address] : kept) {
        auto check = ask(proto::Op::check, "wrn-keep", id, {address});
        EXPECT_TRUE(check && check->ok)
            << id << " " << address << ": " << (check ? check->msg : "");
        EXPECT_EQ(add("wrn-keep", id), address) << id;
        EXPECT_TRUE(seen.insert(address).second) << address;
    }
    auto released = ask(proto::Op::check, "wrn-mass", "m-0");
    ASSERT_TRUE(released);
    EXPECT_EQ(released->code, Code::unknown_container) << released->msg;
    for (int i = 0; i < 1100; ++i) {
        auto address = add("wrn-new", "n-" + std::to_string(i));
        ASSERT_FALSE(address.empty()) << i;
        EXPECT_TRUE(seen.insert(address).second) << "duplicate " << address;
    }
    EXPECT_EQ(seen.size(), 301u + 1100u);
}

}  // namespace
}  // namespace warren::it
