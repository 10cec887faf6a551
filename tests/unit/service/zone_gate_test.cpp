// The zone gate in the service: the zone picks the pool, refusals allocate and journal nothing.
#include "service/zone_gate.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include "core/range.hpp"
#include "support/captured_log.hpp"
#include "support/fake_commit_sink.hpp"
#include "support/requests.hpp"

using namespace warren;
using namespace warren::service;

namespace {

struct ZoneGateTest : ::testing::Test, warren::testing::ServiceHarness {
    ZoneGateTest() : ServiceHarness("10.1.0.0/24") {
        auto sets = core::range_sets_from_cidrs({"10.2.0.0/24"});
        EXPECT_TRUE(sets && state.define_pool("pci", *sets, core::PoolSource::config));
    }

    static std::shared_ptr<const core::ZoneRules> rules_of(const nlohmann::json& j) {
        auto r = core::parse_zones(j, core::AntiSpoofing::log);
        EXPECT_TRUE(r) << r.error().message;
        return std::make_shared<const core::ZoneRules>(r.value_or(core::ZoneRules{}));
    }

    void use_zones(const nlohmann::json& j, core::LabelLookup labels = {}) {
        rules = rules_of(j);
        svc.set_zone_gate(make_zone_gate([this] { return rules; }, std::move(labels)));
    }

    static proto::Request add(const std::string& cid, const std::string& ns) {
        auto r = warren::testing::add_request(cid);
        r.pod = {ns, "pod-" + cid, "uid-" + cid};
        return r;
    }

    // Handles one request and completes its journal write; the answer.
    proto::Response run(proto::Request req) {
        std::optional<proto::Response> got;
        svc.handle(std::move(req), [&](proto::Response r) { got = std::move(r); });
        sink.complete_all();
        pump();
        EXPECT_TRUE(got.has_value());
        return got.value_or(proto::Response{});
    }

    std::shared_ptr<const core::ZoneRules> rules;
    const nlohmann::json pci = {{"pci", {{"pool", "pci"}, {"namespaces", {"payments"}}}}};
};

TEST_F(ZoneGateTest, TheZonePicksThePoolAndThePoolGateSeesIt) {
    use_zones(pci);
    std::vector<std::string> gated;
    svc.set_pool_gate([&](std::string_view p) {
        gated.emplace_back(p);
        return Status{};
    });
    auto r = run(add("a", "payments"));
    ASSERT_TRUE(r.ok) << r.msg;
    ASSERT_EQ(r.ips.size(), 1u);
    EXPECT_EQ(r.ips[0].address, "10.2.0.2/24");
    EXPECT_EQ(state.find({"net", "a", "eth0"})->pool, "pci");
    auto other = run(add("b", "web"));
    ASSERT_TRUE(other.ok) << other.msg;
    EXPECT_EQ(other.ips[0].address, "10.1.0.2/24");
    EXPECT_EQ(gated, (std::vector<std::string>{"pci", "default"}));
}

TEST_F(ZoneGateTest, RefusalIsCode103AndNothingIsAllocatedOrJournaled) {
    use_zones(pci);
    auto req = add("a", "payments");
    req.requested_pool = "default";
    req.requested_pool_from = "args.cni.pool";
    std::optional<proto::Response> got;
    svc.handle(req, [&](proto::Response r) { got = std::move(r); });
    EXPECT_TRUE(sink.jobs.empty());
    pump();
    ASSERT_TRUE(got.has_value());
    EXPECT_FALSE(got->ok);
    EXPECT_EQ(got->code, Code::zone_refused);
    EXPECT_NE(got->msg.find("zone rule: namespace 'payments' is in zone 'pci'"), std::string::npos)
        << got->msg;
    EXPECT_NE(got->msg.find("args.cni.pool asked for pool 'default'"), std::string::npos)
        << got->msg;
    EXPECT_EQ(state.find({"net", "a", "eth0"}), nullptr);
    EXPECT_TRUE(sink.jobs.empty());

    // An unzoned namespace may not take the zone's pool either.
    auto steal = add("b", "web");
    steal.pool = "pci";
    auto r = run(steal);
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.code, Code::zone_refused);
    EXPECT_NE(r.msg.find("ipam.pool asked for pool 'pci'"), std::string::npos) << r.msg;
    EXPECT_EQ(state.find({"net", "b", "eth0"}), nullptr);
}

TEST_F(ZoneGateTest, RepeatedRefusalsAreLoggedOnceAtInfo) {
    use_zones(pci);
    warren::testing::CapturedLog log;
    for (int i = 0; i < 5; ++i) {
        auto req = add("c" + std::to_string(i), "payments");
        req.requested_pool = "default";
        req.requested_pool_from = "args.cni.pool";
        EXPECT_EQ(run(req).code, Code::zone_refused);
    }
    EXPECT_EQ(log.count("zone refused"), 1u) << log.text();
    EXPECT_EQ(log.count("info|zone refused an ADD of pod payments/pod-c0: zone rule:"), 1u)
        << log.text();
}

TEST_F(ZoneGateTest, TheNetworksRangesNameTheNetworksPool) {
    use_zones(pci);
    auto req = add("a", "payments");
    req.ranges = nlohmann::json::parse(R"([[{"subnet":"10.5.0.0/24"}]])");
    auto r = run(req);
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.code, Code::zone_refused);
    EXPECT_NE(r.msg.find("the network's ranges asked for pool 'net'"), std::string::npos) << r.msg;
}

TEST_F(ZoneGateTest, UnsyncedLabelsAnswerTryAgain) {
    use_zones(
        {{"sel", {{"pool", "pci"}, {"namespaceSelector", {{"matchLabels", {{"zone", "pci"}}}}}}}},
        [](std::string_view) { return core::NamespaceLabels{}; });
    auto r = run(add("a", "payments"));
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.code, Code::try_again);
    EXPECT_EQ(state.find({"net", "a", "eth0"}), nullptr);
}

TEST_F(ZoneGateTest, RepeatedAddOfAHeldAttachmentIsNotAsked) {
    int asked = 0;
    std::optional<std::string> answer = "pci";
    svc.set_zone_gate([&](const proto::Request&) -> Result<std::optional<std::string>> {
        ++asked;
        if (!answer) return fail(Code::zone_refused, "zone rule: refused now");
        return answer;
    });
    auto first = run(add("a", "payments"));
    ASSERT_TRUE(first.ok) << first.msg;
    EXPECT_EQ(asked, 1);
    answer.reset();  // the rules changed: a new ADD would be refused
    auto again = run(add("a", "payments"));
    ASSERT_TRUE(again.ok) << again.msg;
    EXPECT_EQ(again.ips, first.ips);
    EXPECT_EQ(asked, 1);
    EXPECT_FALSE(run(add("b", "payments")).ok);
    EXPECT_EQ(asked, 2);
}

TEST_F(ZoneGateTest, RequestedPoolIsHonouredWithoutZones) {
    auto req = add("a", "web");
    req.requested_pool = "pci";
    req.requested_pool_from = "runtimeConfig.pool";
    req.pool = "default";
    auto r = run(req);
    ASSERT_TRUE(r.ok) << r.msg;
    EXPECT_EQ(r.ips[0].address, "10.2.0.2/24");
    // Over the network's ranges too: a named pool is the agent's.
    auto ranged = add("b", "web");
    ranged.requested_pool = "pci";
    ranged.ranges = nlohmann::json::parse(R"([[{"subnet":"10.5.0.0/24"}]])");
    auto rr = run(ranged);
    ASSERT_TRUE(rr.ok) << rr.msg;
    EXPECT_EQ(rr.ips[0].address, "10.2.0.3/24");
    EXPECT_EQ(state.pool("net"), nullptr);
}

TEST_F(ZoneGateTest, ZonesOffOrNoRulesAllowEverything) {
    svc.set_zone_gate(make_zone_gate([] { return std::shared_ptr<const core::ZoneRules>{}; }, {}));
    auto r = run(add("a", "payments"));
    ASSERT_TRUE(r.ok) << r.msg;
    EXPECT_EQ(r.ips[0].address, "10.1.0.2/24");
}

TEST(PoolAsk, PodsAskOverConfigOverRanges) {
    proto::Request r;
    r.network = "net";
    EXPECT_FALSE(pool_ask_of(r));
    r.ranges = nlohmann::json::array();
    EXPECT_EQ(pool_ask_of(r)->pool, "net");
    EXPECT_EQ(pool_ask_of(r)->from, "the network's ranges");
    r.pool = "blue";
    EXPECT_EQ(pool_ask_of(r)->pool, "blue");
    EXPECT_EQ(pool_ask_of(r)->from, "ipam.pool");
    r.requested_pool = "pci";
    r.requested_pool_from = "args.cni.pool";
    EXPECT_EQ(pool_ask_of(r)->pool, "pci");
    EXPECT_EQ(pool_ask_of(r)->from, "args.cni.pool");
}

}  // namespace
